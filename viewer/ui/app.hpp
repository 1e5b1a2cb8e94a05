// The window: menus, the layout of the views, keyboard shortcuts and dropped files. One frame
// of it is drawn by frame(); main.cpp runs the frame loop around it.
#pragma once

#include <string>
#include <vector>

#include "ui/theme.hpp"
#include "ui/views.hpp"

namespace wirelab::viewer {

class App {
public:
    App(ViewerModel& model, Theme& theme) : m_(model), theme_(theme) {}

    void frame();
    // Files dropped on the window (GLFW's drop callback): the first capture is opened.
    void drop(const std::vector<std::string>& paths);
    // A key press (or auto-repeat) as GLFW reports it, with the modifiers held at that moment.
    // Shortcuts are read from these, not from ImGui's "key down at the frame" state, so a
    // press shorter than a frame (a fast typist, xdotool) still counts.
    void key_event(int key, int mods) { keys_.push_back({key, mods}); }
    // Applies what the --panel option names: a tab, and what that tab shows.
    void show_panel(const std::string& name);

    UiState& ui() { return ui_; }
    bool quit_requested() const { return ui_.quit; }
    // The presentation mode changed: main.cpp rebuilds the style between frames.
    bool style_dirty() const { return style_dirty_; }
    void style_applied() { style_dirty_ = false; }
    std::string state_json() const;

private:
    void menu_bar();
    void keyboard();
    void messages();
    void status_bar();
    void layout();
    void tabs();
    void prepare_tab();

    ViewerModel& m_;
    Theme& theme_;
    UiState ui_;
    bool style_dirty_ = false;
    std::vector<std::string> pending_drops_;
    struct KeyPress {
        int key, mods;
    };
    std::vector<KeyPress> keys_;
    PacketListView list_;
    FilterBar filter_;
    LayerTreeView tree_;
    ModelPanelView model_panel_;
    BytesView bytes_;
    ExplainView explain_;
    FollowView follow_;
    LadderView ladder_;
    StatsView stats_;
    FileDialog files_;
    CaptureDialog capture_;
    GoToDialog goto_;
    HelpWindow help_;
};

}  // namespace wirelab::viewer
