// The bytes pane: hex and ASCII, coloured by layer. Hovering a byte names its field; clicking
// it selects the field; selecting a field anywhere highlights its bytes here.
#include <imgui.h>

#include <cstdio>

#include "ui/views.hpp"

namespace wirelab::viewer {

void BytesView::draw(ViewerModel& m, UiState& ui, const Theme& theme) {
    (void)ui;
    const DecodedPacket* p = m.decoded();
    if (!p) {
        ImGui::TextDisabled("The bytes of the selected packet appear here.");
        return;
    }
    // One tab per data source: the frame, then reassembled buffers.
    std::uint8_t source = m.shown_source();
    if (p->source_count() > 1 && ImGui::BeginTabBar("sources")) {
        for (std::size_t s = 0; s < p->source_count(); ++s) {
            ImGuiTabItemFlags f = (static_cast<int>(source) != shown_tab_ && s == source) ? ImGuiTabItemFlags_SetSelected : 0;
            if (ImGui::BeginTabItem(p->source_name(static_cast<std::uint8_t>(s)).c_str(), nullptr, f)) {
                if (shown_tab_ == static_cast<int>(source) && s != source) m.show_source(static_cast<std::uint8_t>(s));
                shown_tab_ = static_cast<int>(s);
                ImGui::EndTabItem();
            }
        }
        ImGui::EndTabBar();
        source = m.shown_source();
    }
    Bytes bytes = p->source_bytes(source);
    const auto& layer_of = p->byte_layer[source];
    const ByteRange sel = m.highlight();
    const ByteRange hov = m.hover_range();

    ImGui::PushFont(theme.mono());
    ImGui::BeginChild("hex", ImVec2(0, 0), false, ImGuiWindowFlags_HorizontalScrollbar);
    const float cw = ImGui::CalcTextSize("0").x;
    const float lh = ImGui::GetTextLineHeightWithSpacing();
    const int rows = static_cast<int>((bytes.size() + 15) / 16);
    const float hex_x = cw * 6, ascii_x = hex_x + cw * (16 * 3 + 2);
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImU32 text = ImGui::GetColorU32(ImGuiCol_Text);
    const ImU32 dim = ImGui::GetColorU32(theme.text_dim());
    const ImU32 sel_fill = theme.presentation() ? IM_COL32(20, 80, 220, 255) : IM_COL32(60, 130, 255, 255);
    const ImU32 sel_text = IM_COL32(255, 255, 255, 255);
    const ImU32 hover_border = theme.presentation() ? IM_COL32(0, 0, 0, 255) : IM_COL32(255, 255, 255, 200);

    // Scroll to the selected field when it was chosen elsewhere.
    if (m.reveal_generation() != seen_reveal_) {
        seen_reveal_ = m.reveal_generation();
        if (!sel.empty() && sel.source == source) {
            float y = static_cast<float>(sel.offset / 16) * lh;
            if (y < ImGui::GetScrollY() || y > ImGui::GetScrollY() + ImGui::GetWindowHeight() - lh * 2)
                ImGui::SetScrollY(std::max(0.0f, y - lh * 2));
        }
    }

    ImGuiListClipper clipper;
    clipper.Begin(rows, lh);
    char buf[8];
    while (clipper.Step()) {
        for (int r = clipper.DisplayStart; r < clipper.DisplayEnd; ++r) {
            const ImVec2 pos = ImGui::GetCursorScreenPos();
            std::snprintf(buf, sizeof buf, "%04x", r * 16);
            dl->AddText(pos, dim, buf);
            for (int k = 0; k < 16; ++k) {
                std::size_t b = static_cast<std::size_t>(r) * 16 + static_cast<std::size_t>(k);
                if (b >= bytes.size()) break;
                auto off = static_cast<std::uint32_t>(b);
                float hx = pos.x + hex_x + cw * static_cast<float>(k * 3 + (k >= 8 ? 1 : 0));
                float ax = pos.x + ascii_x + cw * static_cast<float>(k);
                bool is_sel = sel.contains(source, off);
                bool is_hov = hov.contains(source, off);
                ImU32 fill = 0;
                if (is_sel) fill = sel_fill;
                else if (b < layer_of.size() && layer_of[b] >= 0)
                    fill = theme.layer_colour(p->layers[static_cast<std::size_t>(layer_of[b])].proto->osi, is_hov ? 0.65f : 0.28f);
                if (fill) {
                    // The fill runs on into the gap before the next byte of the same field.
                    float w = cw * (k == 7 || k == 15 ? 2.0f : 3.0f);
                    bool next_same = b + 1 < bytes.size() && k != 15 &&
                                     ((is_sel && sel.contains(source, off + 1)) ||
                                      (!is_sel && layer_of[b + 1] == layer_of[b] && !sel.contains(source, off + 1)));
                    if (!next_same) w = cw * 2;
                    dl->AddRectFilled(ImVec2(hx - 1, pos.y), ImVec2(hx + w + (next_same ? 0 : 1), pos.y + lh - 1), fill);
                    dl->AddRectFilled(ImVec2(ax, pos.y), ImVec2(ax + cw, pos.y + lh - 1), fill);
                }
                if (is_hov && !is_sel) {
                    dl->AddRect(ImVec2(hx - 1, pos.y), ImVec2(hx + cw * 2 + 1, pos.y + lh - 1), hover_border);
                    dl->AddRect(ImVec2(ax, pos.y), ImVec2(ax + cw, pos.y + lh - 1), hover_border);
                }
                static constexpr char kHex[] = "0123456789abcdef";
                char h[3] = {kHex[bytes[b] >> 4], kHex[bytes[b] & 15], 0};
                dl->AddText(ImVec2(hx, pos.y), is_sel ? sel_text : text, h);
                char a[2] = {(bytes[b] >= 0x20 && bytes[b] < 0x7f) ? static_cast<char>(bytes[b]) : '.', 0};
                dl->AddText(ImVec2(ax, pos.y), is_sel ? sel_text : text, a);
            }
            // One invisible button per row takes hover and clicks; the byte is found from x.
            ImGui::PushID(r);
            ImGui::InvisibleButton("row", ImVec2(ascii_x + cw * 16, lh));
            if (ImGui::IsItemHovered()) {
                float x = ImGui::GetIO().MousePos.x - pos.x;
                int k = -1;
                if (x >= hex_x && x < ascii_x - cw) {
                    float rel = (x - hex_x) / cw;
                    int kk = static_cast<int>(rel / 3);
                    if (kk >= 8) kk = static_cast<int>((rel - 1) / 3);
                    k = std::min(kk, 15);
                } else if (x >= ascii_x) {
                    k = std::min(15, static_cast<int>((x - ascii_x) / cw));
                }
                std::size_t b = static_cast<std::size_t>(r) * 16 + static_cast<std::size_t>(std::max(k, 0));
                if (k >= 0 && b < bytes.size()) {
                    m.hover_byte(source, static_cast<std::uint32_t>(b));
                    if (auto n = m.hovered_node()) {
                        const Node& node = p->tree.nodes()[*n];
                        ImGui::PopFont();
                        ImGui::SetTooltip("byte %zu (0x%02x)\n%s\n%s", b, bytes[b], p->lines[*n].c_str(),
                                          std::string(node.field->abbrev).c_str());
                        ImGui::PushFont(theme.mono());
                    }
                    if (ImGui::IsItemClicked()) m.select_byte(source, static_cast<std::uint32_t>(b));
                }
            }
            ImGui::PopID();
        }
    }
    ImGui::EndChild();
    ImGui::PopFont();
}

}  // namespace wirelab::viewer
