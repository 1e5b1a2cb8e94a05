// Dialogs: the built-in file browser (File > Open, Save as), the live capture interface
// picker, Go to packet, and Help with the keyboard shortcuts.
#include <imgui.h>
#include <imgui_stdlib.h>

#include <filesystem>

#include "ui/views.hpp"

namespace wirelab::viewer {

const Shortcut kShortcuts[] = {
    {"Up / Down", "previous / next packet in the list"},
    {"Page Up / Page Down", "a page of packets up / down"},
    {"Home / End", "first / last packet"},
    {"Ctrl+G", "go to packet number"},
    {"Enter", "open every layer of the selected packet in the tree"},
    {"Ctrl+F", "type a display filter (Enter applies it, Escape leaves the bar)"},
    {"Ctrl+O", "open a capture file"},
    {"Ctrl+E", "start / stop a live capture"},
    {"Ctrl+1 ... Ctrl+4", "Layers, Follow stream, Ladder, Statistics tab"},
    {"Ctrl+T", "time column: relative, absolute, delta"},
    {"F5", "presentation mode: larger fonts, high contrast"},
    {"F1", "this help"},
    {"Ctrl+Q", "quit"},
};
const std::size_t kShortcutCount = std::size(kShortcuts);

void FileDialog::open(Purpose p, const std::string& start_dir) {
    purpose_ = p;
    visible_ = true;
    just_opened_ = true;
    selected_ = -1;
    name_ = p == Purpose::save_capture ? "capture.pcapng" : "";
    if (!browser_.open(start_dir)) browser_.open(".");
}

void FileDialog::draw(ViewerModel& m, UiState& ui, const Theme& theme) {
    (void)ui;
    const char* title = purpose_ == Purpose::open ? "Open capture file" : "Save capture as pcapng";
    if (just_opened_) {
        ImGui::OpenPopup(title);
        just_opened_ = false;
    }
    ImVec2 vp = ImGui::GetMainViewport()->Size;
    ImGui::SetNextWindowSize(ImVec2(vp.x * 0.7f, vp.y * 0.7f), ImGuiCond_Appearing);
    if (!ImGui::BeginPopupModal(title, &visible_)) return;
    std::string chosen;
    if (ImGui::Button("Up")) browser_.up();
    ImGui::SameLine();
    ImGui::TextUnformatted(browser_.dir().c_str());
    ImGui::SameLine();
    if (ImGui::Checkbox("All files", &browser_.show_all)) browser_.open(browser_.dir());
    if (!browser_.error().empty()) ImGui::TextColored(theme.error_text(), "%s", browser_.error().c_str());
    float footer = ImGui::GetFrameHeightWithSpacing() * 2;
    float recent_w = purpose_ == Purpose::open ? ImGui::GetContentRegionAvail().x * 0.35f : 0;
    ImGui::BeginChild("entries", ImVec2(ImGui::GetContentRegionAvail().x - recent_w, -footer), true);
    const auto& entries = browser_.entries();
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const FileBrowser::Entry& e = entries[i];
        std::string label = e.directory ? "[dir] " + e.name : e.name;
        ImGui::PushID(static_cast<int>(i));
        if (ImGui::Selectable(label.c_str(), selected_ == static_cast<int>(i), ImGuiSelectableFlags_AllowDoubleClick)) {
            selected_ = static_cast<int>(i);
            if (!e.directory) name_ = e.name;
            if (ImGui::IsMouseDoubleClicked(0)) {
                if (e.directory) {
                    FileBrowser::Entry copy = e;
                    browser_.enter(copy);
                    selected_ = -1;
                    ImGui::PopID();
                    break;
                }
                chosen = browser_.path_of(e);
            }
        }
        if (!e.directory) {
            ImGui::SameLine(ImGui::GetWindowWidth() * 0.75f);
            ImGui::TextColored(theme.text_dim(), "%llu bytes", static_cast<unsigned long long>(e.size));
        }
        ImGui::PopID();
    }
    ImGui::EndChild();
    if (purpose_ == Purpose::open) {
        ImGui::SameLine();
        ImGui::BeginChild("recent", ImVec2(0, -footer), true);
        ImGui::TextColored(theme.text_dim(), "Recent files");
        for (const std::string& r : m.settings().recent_files())
            if (ImGui::Selectable(r.c_str())) chosen = r;
        ImGui::EndChild();
    }
    ImGui::SetNextItemWidth(-ImGui::CalcTextSize("Cancel Open Save ").x * 1.5f);
    bool enter = ImGui::InputText("##name", &name_, ImGuiInputTextFlags_EnterReturnsTrue);
    ImGui::SameLine();
    bool ok = ImGui::Button(purpose_ == Purpose::open ? "Open" : "Save") || enter;
    if (ok && !name_.empty()) {
        std::filesystem::path p(name_);
        chosen = p.is_absolute() ? name_ : browser_.dir() + "/" + name_;
        if (purpose_ == Purpose::open && std::filesystem::is_directory(chosen)) {
            browser_.open(chosen);
            name_.clear();
            chosen.clear();
        }
    }
    ImGui::SameLine();
    if (ImGui::Button("Cancel")) {
        visible_ = false;
        ImGui::CloseCurrentPopup();
    }
    if (!chosen.empty()) {
        if (purpose_ == Purpose::open) m.open_file(chosen);
        else m.save_capture(chosen);
        visible_ = false;
        ImGui::CloseCurrentPopup();
    }
    ImGui::EndPopup();
}

void CaptureDialog::draw(ViewerModel& m, UiState& ui, const Theme& theme) {
    if (!ui.show_capture) {
        listed_ = false;
        return;
    }
    if (!listed_) {
        error_.clear();
        interfaces_ = list_interfaces(error_);
        listed_ = true;
        selected_ = -1;
        for (std::size_t i = 0; i < interfaces_.size(); ++i)
            if (interfaces_[i].loopback && selected_ < 0) selected_ = static_cast<int>(i);
        ImGui::OpenPopup("Live capture");
    }
    ImVec2 vp = ImGui::GetMainViewport()->Size;
    ImGui::SetNextWindowSize(ImVec2(vp.x * 0.5f, vp.y * 0.5f), ImGuiCond_Appearing);
    if (!ImGui::BeginPopupModal("Live capture", &ui.show_capture)) return;
    ImGui::TextWrapped("Pick an interface. Packets appear in the list as they arrive; Capture > Stop ends the capture "
                       "and File > Save as keeps it as pcapng. Loopback (lo) sees traffic between programs on this machine.");
    if (!error_.empty()) ImGui::TextColored(theme.error_text(), "%s", error_.c_str());
    ImGui::BeginChild("ifaces", ImVec2(0, -ImGui::GetFrameHeightWithSpacing()), true);
    for (std::size_t i = 0; i < interfaces_.size(); ++i) {
        std::string label = interfaces_[i].name;
        if (!interfaces_[i].description.empty()) label += "  (" + interfaces_[i].description + ")";
        if (interfaces_[i].loopback) label += "  [loopback]";
        if (ImGui::Selectable(label.c_str(), selected_ == static_cast<int>(i), ImGuiSelectableFlags_AllowDoubleClick)) {
            selected_ = static_cast<int>(i);
        }
    }
    ImGui::EndChild();
    bool go = ImGui::Button("Start") && selected_ >= 0;
    ImGui::SameLine();
    if (ImGui::Button("Cancel")) ui.show_capture = false;
    if (go) {
        m.start_live(interfaces_[static_cast<std::size_t>(selected_)].name);
        ui.show_capture = false;
    }
    if (!ui.show_capture) ImGui::CloseCurrentPopup();
    ImGui::EndPopup();
}

void GoToDialog::draw(ViewerModel& m, UiState& ui, const Theme& theme) {
    if (!ui.show_goto) {
        just_opened_ = true;
        return;
    }
    if (just_opened_) {
        ImGui::OpenPopup("Go to packet");
        number_ = static_cast<int>(m.selected_packet().value_or(0) + 1);
        error_.clear();
    }
    if (!ImGui::BeginPopupModal("Go to packet", &ui.show_goto, ImGuiWindowFlags_AlwaysAutoResize)) return;
    if (just_opened_) ImGui::SetKeyboardFocusHere();
    just_opened_ = false;
    ImGui::Text("Packet number (1 to %zu):", m.packet_count());
    bool enter = ImGui::InputInt("##n", &number_, 1, 100, ImGuiInputTextFlags_EnterReturnsTrue);
    if (!error_.empty()) ImGui::TextColored(theme.error_text(), "%s", error_.c_str());
    if (ImGui::Button("Go") || enter) {
        if (m.go_to_packet(static_cast<std::size_t>(std::max(0, number_)))) ui.show_goto = false;
        else error_ = "No packet " + std::to_string(number_) + " in the list (out of range, or hidden by the filter)";
    }
    ImGui::SameLine();
    if (ImGui::Button("Cancel") || ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape))) ui.show_goto = false;
    if (!ui.show_goto) ImGui::CloseCurrentPopup();
    ImGui::EndPopup();
}

void HelpWindow::draw(ViewerModel& m, UiState& ui, const Theme& theme) {
    if (!ui.show_help) return;
    ImVec2 vp = ImGui::GetMainViewport()->Size;
    ImGui::SetNextWindowSize(ImVec2(vp.x * 0.6f, vp.y * 0.75f), ImGuiCond_Appearing);
    ImGui::SetNextWindowPos(ImVec2(vp.x * 0.2f, vp.y * 0.12f), ImGuiCond_Appearing);
    if (!ImGui::Begin("Help", &ui.show_help)) {
        ImGui::End();
        return;
    }
    ImGui::PushFont(theme.heading());
    ImGui::TextUnformatted("Keyboard shortcuts");
    ImGui::PopFont();
    if (ImGui::BeginTable("keys", 2, ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV)) {
        for (std::size_t i = 0; i < kShortcutCount; ++i) {
            ImGui::TableNextRow();
            ImGui::TableSetColumnIndex(0);
            ImGui::TextUnformatted(kShortcuts[i].keys);
            ImGui::TableSetColumnIndex(1);
            ImGui::TextUnformatted(kShortcuts[i].what);
        }
        ImGui::EndTable();
    }
    ImGui::Spacing();
    ImGui::PushFont(theme.heading());
    ImGui::TextUnformatted("Reading the window");
    ImGui::PopFont();
    ImGui::TextWrapped(
        "Pick a packet in the list. The layer tree shows its layers, outermost first, each tagged with its OSI and "
        "TCP/IP layer. The model panel lights up the layers the packet has and draws how each header wraps the next. "
        "Clicking a layer, a field or a byte selects it everywhere; hovering a byte names its field. The explain pane "
        "says what the selected field is, what its value means, and where it is defined. Drag a capture file onto "
        "the window to open it.");
    ImGui::Spacing();
    ImGui::PushFont(theme.heading());
    ImGui::TextUnformatted("Packet colours");
    ImGui::PopFont();
    for (int c = 1; c < static_cast<int>(RowColour::count); ++c) {
        auto rc = static_cast<RowColour>(c);
        ImVec2 p = ImGui::GetCursorScreenPos();
        float h = ImGui::GetTextLineHeight();
        ImGui::GetWindowDrawList()->AddRectFilled(p, ImVec2(p.x + h * 2, p.y + h), theme.row_colour(rc));
        ImGui::Dummy(ImVec2(h * 2, h));
        ImGui::SameLine();
        ImGui::TextUnformatted(std::string(row_colour_name(rc)).c_str());
    }
    ImGui::Spacing();
    ImGui::TextColored(theme.text_dim(), "Display filters: %s. Settings: %s",
                       DisplayFilter::full_engine() ? "Wireshark's language (the core filter engine)"
                                                    : "a subset (names, ==, !=, contains, and/or/not)",
                       m.settings().path().c_str());
    ImGui::End();
}

}  // namespace wirelab::viewer
