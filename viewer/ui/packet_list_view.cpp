// The packet list: one row per displayed packet, virtualised with ImGuiListClipper so that a
// million rows cost what the visible ones cost. Columns sort; rows are coloured by protocol.
#include <imgui.h>

#include "ui/views.hpp"

namespace wirelab::viewer {

namespace {
const char* kColumnNames[] = {"No.", "Time", "Source", "Destination", "Protocol", "Length", "Info"};
}

void PacketListView::draw(ViewerModel& m, UiState& ui, const Theme& theme) {
    ImGuiTableFlags flags = ImGuiTableFlags_ScrollY | ImGuiTableFlags_ScrollX | ImGuiTableFlags_RowBg |
                            ImGuiTableFlags_BordersOuter | ImGuiTableFlags_BordersV | ImGuiTableFlags_Resizable |
                            ImGuiTableFlags_Sortable | ImGuiTableFlags_Hideable | ImGuiTableFlags_SizingFixedFit;
    if (!ImGui::BeginTable("packets", 7, flags)) return;
    float cw = ImGui::CalcTextSize("0").x;
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn(kColumnNames[0], ImGuiTableColumnFlags_DefaultSort, cw * 8);
    ImGui::TableSetupColumn(kColumnNames[1], 0, cw * (m.time_format() == TimeFormat::absolute ? 27 : 12));
    ImGui::TableSetupColumn(kColumnNames[2], 0, cw * 17);
    ImGui::TableSetupColumn(kColumnNames[3], 0, cw * 17);
    ImGui::TableSetupColumn(kColumnNames[4], 0, cw * 10);
    ImGui::TableSetupColumn(kColumnNames[5], 0, cw * 7);
    ImGui::TableSetupColumn(kColumnNames[6], ImGuiTableColumnFlags_WidthStretch, cw * 60);
    ImGui::TableHeadersRow();

    if (ImGuiTableSortSpecs* specs = ImGui::TableGetSortSpecs(); specs && specs->SpecsDirty) {
        if (specs->SpecsCount > 0) {
            const ImGuiTableColumnSortSpecs& s = specs->Specs[0];
            m.sort(static_cast<Column>(s.ColumnIndex), s.SortDirection != ImGuiSortDirection_Descending);
        }
        specs->SpecsDirty = false;
    }

    const float row_h = ImGui::GetTextLineHeight() + ImGui::GetStyle().CellPadding.y * 2;
    // Below the frozen header, above the horizontal scroll bar.
    const float visible_h = ImGui::GetWindowHeight() - row_h - ImGui::GetStyle().ScrollbarSize;
    ui.list_page_rows = std::max(1, static_cast<int>(visible_h / row_h) - 1);
    const std::size_t rows = m.row_count();

    // Keep the selected row in view when the selection moves (keyboard, Go To, other views).
    if (m.selection_generation() != seen_selection_) {
        seen_selection_ = m.selection_generation();
        if (auto r = m.selected_row()) {
            float y = static_cast<float>(*r) * row_h;
            float top = ImGui::GetScrollY();
            if (y < top) ImGui::SetScrollY(y);
            else if (y + row_h > top + visible_h) ImGui::SetScrollY(y + row_h - visible_h);
        }
    }

    if (ui.list_scroll_to >= 0) {
        ImGui::SetScrollY(ui.list_scroll_to * ImGui::GetScrollMaxY());
        ui.list_scroll_to = -1;
    }

    const std::optional<std::size_t> selected = m.selected_packet();
    ui.list_rows_drawn = 0;
    ui.list_last_row = -1;
    ImGuiListClipper clipper;
    clipper.Begin(static_cast<int>(std::min<std::size_t>(rows, 0x7fffffff)), row_h);
    while (clipper.Step()) {
        for (int r = clipper.DisplayStart; r < clipper.DisplayEnd; ++r) {
            m.row_text(static_cast<std::size_t>(r), row_);
            ++ui.list_rows_drawn;
            ui.list_last_row = r;
            ImGui::TableNextRow(0, row_h);
            if (ImU32 c = theme.row_colour(row_.colour)) ImGui::TableSetBgColor(ImGuiTableBgTarget_RowBg0, c);
            ImGui::TableSetColumnIndex(0);
            bool is_selected = selected && *selected == row_.packet;
            ImGui::PushID(r);
            if (ImGui::Selectable(row_.number.c_str(), is_selected,
                                  ImGuiSelectableFlags_SpanAllColumns | ImGuiSelectableFlags_AllowItemOverlap,
                                  ImVec2(0, row_h - ImGui::GetStyle().CellPadding.y * 2)))
                m.select_packet(row_.packet);
            if (ImGui::BeginPopupContextItem("row menu")) {
                m.select_packet(row_.packet);
                std::uint32_t stream = m.capture()->index()[row_.packet].tcp_stream;
                if (stream != kNoStream) {
                    if (ImGui::MenuItem("Follow TCP stream")) {
                        m.follow_stream(stream);
                        ui.tab = Tab::follow;
                        ui.select_tab = true;
                    }
                    if (ImGui::MenuItem("Ladder diagram of this connection")) {
                        m.ladder_tcp(stream);
                        ui.tab = Tab::ladder;
                        ui.select_tab = true;
                    }
                    if (ImGui::MenuItem("Filter on this connection"))
                        m.apply_filter("tcp.stream == " + std::to_string(stream));
                }
                if (ImGui::MenuItem("Show the layers")) {
                    ui.expand_layers = true;
                    ui.tab = Tab::layers;
                    ui.select_tab = true;
                }
                ImGui::EndPopup();
            }
            ImGui::PopID();
            const std::string* cells[] = {&row_.time, &row_.source, &row_.destination, &row_.protocol, &row_.length};
            for (int c = 0; c < 5; ++c) {
                ImGui::TableSetColumnIndex(c + 1);
                ImGui::TextUnformatted(cells[c]->c_str());
            }
            ImGui::TableSetColumnIndex(6);
            ImGui::TextUnformatted(row_.info.data(), row_.info.data() + row_.info.size());
        }
    }
    ImGui::EndTable();
}

}  // namespace wirelab::viewer
