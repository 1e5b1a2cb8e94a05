// The window's layout, menus and shortcuts (see app.hpp).
#include "ui/app.hpp"

#include <GLFW/glfw3.h>  // key codes: the GLFW backend reports keys by these numbers
#include <imgui.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "model/file_browser.hpp"

namespace wirelab::viewer {

namespace {

// A bar between two panes that the mouse can drag; `fraction` is the first pane's share.
void splitter(const char* id, bool vertical, float& fraction, float total, float thickness, float length = 0) {
    ImVec2 size = vertical ? ImVec2(thickness, length) : ImVec2(ImGui::GetContentRegionAvail().x, thickness);
    ImGui::InvisibleButton(id, size);
    if (ImGui::IsItemHovered() || ImGui::IsItemActive())
        ImGui::SetMouseCursor(vertical ? ImGuiMouseCursor_ResizeEW : ImGuiMouseCursor_ResizeNS);
    ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
    ImGui::GetWindowDrawList()->AddRectFilled(a, b, ImGui::GetColorU32(ImGui::IsItemActive() ? ImGuiCol_SeparatorActive : ImGuiCol_Separator));
    if (ImGui::IsItemActive() && total > 0) {
        float d = vertical ? ImGui::GetIO().MouseDelta.x : ImGui::GetIO().MouseDelta.y;
        fraction = std::clamp(fraction + d / total, 0.1f, 0.9f);
    }
}

}  // namespace

void App::drop(const std::vector<std::string>& paths) {
    pending_drops_.insert(pending_drops_.end(), paths.begin(), paths.end());
}

void App::show_panel(const std::string& name) {
    ui_.panel = name;
    // The tabs that show a conversation get more room.
    if (name == "follow" || name == "ladder" || name == "stats") {
        ui_.list_fraction = 0.25f;
        ui_.tabs_fraction = 0.72f;
    }
    if (name == "follow") {
        ui_.tab = Tab::follow;
        m_.follow_stream(m_.selected_stream());
    } else if (name == "ladder") {
        ui_.tab = Tab::ladder;
        // A Socket.IO packet gets the Socket.IO ladder, anything else on TCP its connection.
        const DecodedPacket* p = m_.decoded();
        if (p && (p->protocol == "Socket.IO" || p->protocol == "Engine.IO")) m_.ladder_socketio();
        else m_.ladder_tcp(m_.selected_stream());
    } else if (name == "stats") {
        ui_.tab = Tab::stats;
        m_.compute_stats();
    } else {
        ui_.tab = Tab::layers;
        if (name == "tree" || name == "layers") ui_.expand_layers = true;
    }
    ui_.select_tab = true;
}

std::string App::state_json() const {
    std::string extra = "\"window\": {\"tab\": ";
    const char* tabs[] = {"\"layers\"", "\"follow\"", "\"ladder\"", "\"stats\""};
    extra += tabs[static_cast<int>(ui_.tab)];
    extra += std::string(", \"layers_expanded\": ") + (ui_.layers_expanded ? "true" : "false");
    extra += std::string(", \"presentation\": ") + (ui_.presentation ? "true" : "false");
    extra += std::string(", \"typing\": ") + (ImGui::GetIO().WantTextInput ? "true" : "false");
    extra += ", \"time_format\": ";
    const char* formats[] = {"\"absolute\"", "\"relative\"", "\"delta\""};
    extra += formats[static_cast<int>(m_.time_format())];
    extra += "}";
    return m_.state_json(ui_.panel, extra);
}

void App::keyboard() {
    std::vector<KeyPress> keys;
    keys.swap(keys_);
    const bool typing = ImGui::GetIO().WantTextInput;
    const bool popup = ImGui::IsPopupOpen(nullptr, ImGuiPopupFlags_AnyPopupId);
    for (const KeyPress& k : keys) {
        const bool ctrl = (k.mods & GLFW_MOD_CONTROL) != 0;
        if (k.key == GLFW_KEY_F5) {
            ui_.presentation = !ui_.presentation;
            style_dirty_ = true;
        } else if (k.key == GLFW_KEY_F1) {
            ui_.show_help = !ui_.show_help;
        } else if (ctrl && k.key == GLFW_KEY_Q) {
            ui_.quit = true;
        } else if (ctrl && k.key == GLFW_KEY_O) {
            files_.open(FileDialog::Purpose::open, m_.capture() && !m_.capture()->live()
                                                       ? std::filesystem::path(m_.capture()->name()).parent_path().string()
                                                       : ".");
        } else if (ctrl && k.key == GLFW_KEY_F) {
            ui_.focus_filter = true;
        } else if (ctrl && k.key == GLFW_KEY_G) {
            ui_.show_goto = true;
        } else if (ctrl && k.key == GLFW_KEY_E) {
            if (m_.live_running()) m_.stop_live();
            else ui_.show_capture = true;
        } else if (ctrl && k.key == GLFW_KEY_T) {
            m_.set_time_format(static_cast<TimeFormat>((static_cast<int>(m_.time_format()) + 2) % 3));
        } else if (ctrl && k.key >= GLFW_KEY_1 && k.key <= GLFW_KEY_4) {
            ui_.tab = static_cast<Tab>(k.key - GLFW_KEY_1);
            ui_.select_tab = true;
        } else if (typing) {
            // Escape leaves the filter bar, so the arrows move through the list again.
            if (k.key == GLFW_KEY_ESCAPE) ImGui::SetWindowFocus(nullptr);
        } else if (popup || ctrl) {
            continue;
        } else if (k.key == GLFW_KEY_DOWN) {
            m_.move_selection(1);
        } else if (k.key == GLFW_KEY_UP) {
            m_.move_selection(-1);
        } else if (k.key == GLFW_KEY_PAGE_DOWN) {
            m_.move_selection(ui_.list_page_rows);
        } else if (k.key == GLFW_KEY_PAGE_UP) {
            m_.move_selection(-ui_.list_page_rows);
        } else if (k.key == GLFW_KEY_HOME) {
            m_.select_first_row();
        } else if (k.key == GLFW_KEY_END) {
            m_.select_last_row();
        } else if (k.key == GLFW_KEY_ENTER || k.key == GLFW_KEY_KP_ENTER) {
            ui_.expand_layers = true;
            ui_.tab = Tab::layers;
            ui_.select_tab = true;
        }
    }
}

void App::menu_bar() {
    if (!ImGui::BeginMenuBar()) return;
    if (ImGui::BeginMenu("File")) {
        if (ImGui::MenuItem("Open...", "Ctrl+O")) files_.open(FileDialog::Purpose::open, ".");
        if (ImGui::BeginMenu("Open recent", !m_.settings().recent_files().empty())) {
            for (const std::string& r : m_.settings().recent_files())
                if (ImGui::MenuItem(r.c_str())) pending_drops_.push_back(r);
            ImGui::EndMenu();
        }
        if (ImGui::MenuItem("Save as pcapng...", nullptr, false, m_.has_capture()))
            files_.open(FileDialog::Purpose::save_capture, ".");
        if (ImGui::MenuItem("Close", nullptr, false, m_.has_capture())) m_.close();
        ImGui::Separator();
        if (ImGui::MenuItem("Quit", "Ctrl+Q")) ui_.quit = true;
        ImGui::EndMenu();
    }
    if (ImGui::BeginMenu("View")) {
        if (ImGui::MenuItem("Presentation mode", "F5", ui_.presentation)) {
            ui_.presentation = !ui_.presentation;
            style_dirty_ = true;
        }
        if (ImGui::BeginMenu("Time")) {
            const char* names[] = {"Absolute (UTC)", "Relative to the first packet", "Delta from the previous packet"};
            for (int f = 0; f < 3; ++f)
                if (ImGui::MenuItem(names[f], nullptr, static_cast<int>(m_.time_format()) == f))
                    m_.set_time_format(static_cast<TimeFormat>(f));
            ImGui::EndMenu();
        }
        const char* tabs[] = {"Layers", "Follow stream", "Ladder diagram", "Statistics"};
        for (int t = 0; t < 4; ++t) {
            std::string shortcut = "Ctrl+" + std::to_string(t + 1);
            if (ImGui::MenuItem(tabs[t], shortcut.c_str(), static_cast<int>(ui_.tab) == t)) {
                ui_.tab = static_cast<Tab>(t);
                ui_.select_tab = true;
            }
        }
        if (ImGui::MenuItem("Go to packet...", "Ctrl+G")) ui_.show_goto = true;
        ImGui::EndMenu();
    }
    if (ImGui::BeginMenu("Capture")) {
        if (ImGui::MenuItem("Start on an interface...", "Ctrl+E", false, !m_.live_running())) ui_.show_capture = true;
        if (ImGui::MenuItem("Stop", "Ctrl+E", false, m_.live_running())) m_.stop_live();
        ImGui::EndMenu();
    }
    if (ImGui::BeginMenu("Statistics")) {
        if (ImGui::MenuItem("Protocol hierarchy, conversations, I/O", nullptr, false, m_.has_capture())) {
            m_.compute_stats();
            ui_.tab = Tab::stats;
            ui_.select_tab = true;
        }
        if (ImGui::MenuItem("Socket.IO ladder", nullptr, false, m_.has_capture())) {
            m_.ladder_socketio();
            ui_.tab = Tab::ladder;
            ui_.select_tab = true;
        }
        ImGui::EndMenu();
    }
    if (ImGui::BeginMenu("Help")) {
        if (ImGui::MenuItem("Keyboard shortcuts and colours", "F1")) ui_.show_help = true;
        ImGui::EndMenu();
    }
    if (m_.live_running()) {
        ImGui::TextColored(theme_.error_text(), "  \xe2\x97\x8f capturing on %s", m_.capture() ? m_.capture()->name().c_str() : "");
        if (ImGui::SmallButton("Stop")) m_.stop_live();
    }
    ImGui::EndMenuBar();
}

void App::messages() {
    const auto& msgs = m_.messages();
    for (std::size_t i = 0; i < msgs.size(); ++i) {
        const UserMessage& msg = msgs[i];
        ImVec4 bg = msg.level == UserMessage::Level::error     ? ImVec4(0.55f, 0.12f, 0.12f, 1)
                    : msg.level == UserMessage::Level::warning ? ImVec4(0.50f, 0.38f, 0.05f, 1)
                                                               : ImVec4(0.12f, 0.30f, 0.50f, 1);
        if (theme_.presentation())
            bg = msg.level == UserMessage::Level::error ? ImVec4(1, 0.8f, 0.8f, 1) : ImVec4(1, 0.93f, 0.7f, 1);
        ImGui::PushStyleColor(ImGuiCol_ChildBg, bg);
        ImGui::PushID(static_cast<int>(i));
        float lines = 1.0f + static_cast<float>(std::count(msg.text.begin(), msg.text.end(), '\n'));
        float wrap = ImGui::GetContentRegionAvail().x - ImGui::CalcTextSize("Dismiss").x * 2;
        float h = std::max(lines * ImGui::GetTextLineHeight(), ImGui::CalcTextSize(msg.text.c_str(), nullptr, false, wrap).y) +
                  ImGui::GetStyle().WindowPadding.y * 2;
        ImGui::BeginChild("msg", ImVec2(0, h), true);
        ImGui::PushTextWrapPos(wrap);
        ImGui::TextUnformatted(msg.text.c_str());
        ImGui::PopTextWrapPos();
        ImGui::SameLine(ImGui::GetWindowWidth() - ImGui::CalcTextSize("Dismiss").x * 1.6f);
        bool dismiss = ImGui::SmallButton("Dismiss");
        ImGui::EndChild();
        ImGui::PopID();
        ImGui::PopStyleColor();
        if (dismiss) {
            m_.dismiss_message(i);
            break;
        }
    }
}

void App::status_bar() {
    ImGui::Separator();
    const CaptureData* c = m_.capture();
    if (!c) {
        ImGui::TextColored(theme_.text_dim(), "No capture open: File > Open (Ctrl+O), drop a file on the window, or "
                                              "Capture > Start (Ctrl+E). F1 for help.");
        return;
    }
    ImGui::Text("%s", c->name().c_str());
    ImGui::SameLine();
    ImGui::TextColored(theme_.text_dim(), "| %zu packets | %zu displayed | index %.1f MiB", m_.packet_count(), m_.row_count(),
                       static_cast<double>(c->index().memory()) / (1 << 20));
    if (auto s = m_.selected_packet()) {
        ImGui::SameLine();
        ImGui::TextColored(theme_.text_dim(), "| selected %zu%s", *s + 1, m_.decoding() ? " (decoding...)" : "");
    }
    if (m_.indexing()) {
        ImGui::SameLine();
        char label[64];
        std::snprintf(label, sizeof label, "indexing %.0f%%", m_.index_progress() * 100);
        ImGui::ProgressBar(static_cast<float>(m_.index_progress()), ImVec2(-1, 0), label);
    } else if (c->index_seconds() > 0) {
        ImGui::SameLine();
        ImGui::TextColored(theme_.text_dim(), "| indexed in %.2f s", c->index_seconds());
    }
}

void App::prepare_tab() {
    // What the visible tab shows is computed here, before drawing, when the selection moved
    // to another connection.
    if (ui_.tab == Tab::follow) {
        std::uint32_t s = m_.selected_stream();
        if (s != kNoStream && (!m_.follow() || m_.follow()->stream != s)) m_.follow_stream(s);
    }
    if (ui_.tab == Tab::ladder && !m_.ladder() && m_.selected_stream() != kNoStream) m_.ladder_tcp(m_.selected_stream());
    if (ui_.tab == Tab::stats && !m_.stats() && m_.has_capture()) m_.compute_stats();
}

void App::tabs() {
    if (!ImGui::BeginTabBar("tabs")) return;
    const char* names[] = {"Layers", "Follow stream", "Ladder diagram", "Statistics"};
    for (int t = 0; t < 4; ++t) {
        ImGuiTabItemFlags f = (ui_.select_tab && static_cast<int>(ui_.tab) == t) ? ImGuiTabItemFlags_SetSelected : 0;
        if (ImGui::BeginTabItem(names[t], nullptr, f)) {
            if (!ui_.select_tab) ui_.tab = static_cast<Tab>(t);
            switch (static_cast<Tab>(t)) {
            case Tab::layers: tree_.draw(m_, ui_, theme_); break;
            case Tab::follow: follow_.draw(m_, ui_, theme_); break;
            case Tab::ladder: ladder_.draw(m_, ui_, theme_); break;
            case Tab::stats: stats_.draw(m_, ui_, theme_); break;
            }
            ImGui::EndTabItem();
        }
    }
    ui_.select_tab = false;
    ImGui::EndTabBar();
}

void App::layout() {
    const float split = 5.0f * ImGui::GetIO().FontGlobalScale;
    const float status_h = ImGui::GetFrameHeightWithSpacing() + ImGui::GetStyle().ItemSpacing.y * 2;
    ImVec2 avail = ImGui::GetContentRegionAvail();
    avail.y -= status_h;
    const float left_w = avail.x * ui_.left_fraction;

    ImGui::BeginChild("left", ImVec2(left_w, avail.y), false);
    {
        float h = ImGui::GetContentRegionAvail().y;
        float list_h = (h - split * 2) * ui_.list_fraction;
        ImGui::BeginChild("list", ImVec2(0, list_h), false);
        list_.draw(m_, ui_, theme_);
        ImGui::EndChild();
        splitter("split list", false, ui_.list_fraction, h, split);
        float rest = h - list_h - split * 2;
        float tabs_h = rest * ui_.tabs_fraction;
        ImGui::BeginChild("tabs", ImVec2(0, tabs_h), true);
        tabs();
        ImGui::EndChild();
        splitter("split tabs", false, ui_.tabs_fraction, rest, split);
        ImGui::BeginChild("bytes", ImVec2(0, 0), true);
        bytes_.draw(m_, ui_, theme_);
        ImGui::EndChild();
    }
    ImGui::EndChild();
    ImGui::SameLine(0, 0);
    splitter("split left", true, ui_.left_fraction, avail.x, split, avail.y);
    ImGui::SameLine(0, 0);
    ImGui::BeginChild("right", ImVec2(0, avail.y), false);
    {
        float h = ImGui::GetContentRegionAvail().y;
        ImGui::BeginChild("model", ImVec2(0, (h - split) * ui_.model_fraction), true);
        model_panel_.draw(m_, ui_, theme_);
        ImGui::EndChild();
        splitter("split right", false, ui_.model_fraction, h, split);
        ImGui::BeginChild("explain", ImVec2(0, 0), true);
        explain_.draw(m_, ui_, theme_);
        ImGui::EndChild();
    }
    ImGui::EndChild();
    status_bar();
}

void App::frame() {
    // Dropped files: open the first one that is a capture.
    if (!pending_drops_.empty()) {
        std::vector<std::string> drops;
        drops.swap(pending_drops_);
        bool opened = false;
        for (const std::string& d : drops) {
            if (!looks_like_capture(d)) continue;
            m_.open_file(d);
            opened = true;
            break;
        }
        if (!opened) m_.add_message(UserMessage::Level::error, drops.front() + " is not a pcap or pcapng file");
    }
    m_.update();
    m_.clear_hover();  // the views set it again if the mouse is over a field
    keyboard();
    prepare_tab();

    const ImGuiViewport* vp = ImGui::GetMainViewport();
    ImGui::SetNextWindowPos(vp->WorkPos);
    ImGui::SetNextWindowSize(vp->WorkSize);
    ImGui::PushFont(theme_.ui());
    // No background of its own: the frame is cleared to the same colour first (main.cpp), and
    // with a software renderer every full-window fill costs as much as drawing all the text.
    ImGui::Begin("wirelab", nullptr,
                 ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_MenuBar |
                     ImGuiWindowFlags_NoBringToFrontOnFocus | ImGuiWindowFlags_NoSavedSettings |
                     ImGuiWindowFlags_NoBackground);
    menu_bar();
    filter_.draw(m_, ui_, theme_);
    messages();
    layout();
    ImGui::End();
    files_.draw(m_, ui_, theme_);
    capture_.draw(m_, ui_, theme_);
    goto_.draw(m_, ui_, theme_);
    help_.draw(m_, ui_, theme_);
    ImGui::PopFont();
}

}  // namespace wirelab::viewer
