// The display filter bar: green when the text compiles, red when it does not, with the error
// and a marker under the column it points at while typing; Enter applies it; a history.
#include <imgui.h>
#include <imgui_stdlib.h>

#include "ui/views.hpp"

namespace wirelab::viewer {

void FilterBar::draw(ViewerModel& m, UiState& ui, const Theme& theme) {
    // The model's text wins when something else changed it (history, "Apply as filter").
    if (!synced_ || (!ImGui::IsAnyItemActive() && text_ != m.filter_text())) {
        text_ = m.filter_text();
        synced_ = true;
    }
    const bool empty = text_.find_first_not_of(' ') == std::string::npos;
    const auto& err = m.filter_error();
    ImVec4 bg = ImGui::GetStyleColorVec4(ImGuiCol_FrameBg);
    if (!empty) bg = err ? ImVec4(0.55f, 0.12f, 0.12f, 0.85f) : ImVec4(0.12f, 0.45f, 0.18f, 0.85f);
    if (theme.presentation() && !empty) bg = err ? ImVec4(1.0f, 0.75f, 0.75f, 1) : ImVec4(0.75f, 1.0f, 0.75f, 1);

    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted("Filter");
    ImGui::SameLine();
    const float buttons = ImGui::CalcTextSize("Apply Clear History ").x + ImGui::GetStyle().FramePadding.x * 8 +
                          ImGui::GetFrameHeight() * 2;
    ImGui::SetNextItemWidth(std::max(100.0f, ImGui::GetContentRegionAvail().x - buttons));
    if (ui.focus_filter) {
        ImGui::SetKeyboardFocusHere();
        ui.focus_filter = false;
    }
    ImGui::PushStyleColor(ImGuiCol_FrameBg, bg);
    ImGui::PushFont(theme.mono());
    bool enter = ImGui::InputTextWithHint("##filter", "Apply a display filter, e.g. tcp.port == 80 and http  (Ctrl+F)",
                                          &text_, ImGuiInputTextFlags_EnterReturnsTrue);
    ImGui::PopFont();
    ImGui::PopStyleColor();
    const ImVec2 input_min = ImGui::GetItemRectMin(), input_max = ImGui::GetItemRectMax();
    if (text_ != m.filter_text()) m.edit_filter(text_);
    if (enter) m.apply_filter();
    ImGui::SameLine();
    if (ImGui::Button("Apply")) m.apply_filter();
    ImGui::SameLine();
    if (ImGui::Button("Clear")) {
        text_.clear();
        m.apply_filter("");
    }
    ImGui::SameLine();
    if (ImGui::Button("History")) ImGui::OpenPopup("filter history");
    if (ImGui::BeginPopup("filter history")) {
        const auto& h = m.settings().filter_history();
        if (h.empty()) ImGui::TextDisabled("No filters applied yet");
        for (std::size_t i = 0; i < h.size(); ++i) {
            ImGui::PushID(static_cast<int>(i));
            if (ImGui::Selectable(h[i].c_str())) {
                text_ = h[i];
                m.apply_filter(h[i]);
            }
            ImGui::PopID();
        }
        ImGui::EndPopup();
    }

    // The error, inline: a marker under the characters it is about, then the message.
    if (err && !empty) {
        ImGui::PushFont(theme.mono());
        const float pad = ImGui::GetStyle().FramePadding.x;
        std::size_t col = err->column ? err->column - 1 : text_.size();
        // Columns count characters; the text is UTF-8, so find the byte where character `col` starts.
        std::size_t byte = 0;
        for (std::size_t c = 0; byte < text_.size() && c < col; ++c) {
            ++byte;
            while (byte < text_.size() && (static_cast<unsigned char>(text_[byte]) & 0xC0) == 0x80) ++byte;
        }
        float x = input_min.x + pad + ImGui::CalcTextSize(text_.c_str(), text_.c_str() + byte).x;
        float w = std::max<float>(1, static_cast<float>(err->length)) * ImGui::CalcTextSize("m").x;
        ImU32 red = ImGui::GetColorU32(theme.error_text());
        ImDrawList* dl = ImGui::GetWindowDrawList();
        float y = input_max.y - 3;
        dl->AddLine(ImVec2(x, y), ImVec2(x + w, y), red, 2.0f);
        dl->AddTriangleFilled(ImVec2(x, y - 4), ImVec2(x - 4, y + 3), ImVec2(x + 4, y + 3), red);
        ImGui::PopFont();
        ImGui::TextColored(theme.error_text(), "column %zu: %s", err->column, err->message.c_str());
    }
    if (m.filtering()) {
        ImGui::ProgressBar(static_cast<float>(m.filter_progress()), ImVec2(-1, 0),
                           ("Filtering: " + std::to_string(m.row_count()) + " matches so far").c_str());
    }
}

}  // namespace wirelab::viewer
