// The views of the packet viewer. Each draws (part of) the ViewerModel and calls the model's
// methods on clicks and hovers; views never call each other. What a view must remember
// between frames (its scroll target, its mode) is a member, never a function-local static.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/file_browser.hpp"
#include "model/live_capture.hpp"
#include "model/viewer_model.hpp"
#include "ui/theme.hpp"

namespace wirelab::viewer {

// The tabs of the lower left area.
enum class Tab : std::uint8_t { layers, follow, ladder, stats };

// What the window (not the model) decides: which tab is up, which dialog is open, what
// the keyboard asked for this frame.
struct UiState {
    Tab tab = Tab::layers;
    bool select_tab = false;       // make `tab` the visible tab on the next frame
    bool presentation = false;
    bool focus_filter = false;     // Ctrl+F, or typing into the filter from a script
    bool expand_layers = false;    // Enter: open every layer of the selected packet
    bool layers_expanded = false;  // (for the state JSON)
    bool show_help = false, show_goto = false, show_capture = false;
    bool show_about_layers = false;
    int list_page_rows = 20;       // rows visible in the packet list (PgUp/PgDn)
    float list_scroll_to = -1;     // >= 0: scroll the list to this fraction of its height (--bench-report)
    int list_rows_drawn = 0;       // rows the packet list drew in the last frame
    int list_last_row = -1;        // the last of them (-1: none)
    float list_fraction = 0.42f, tabs_fraction = 0.58f, left_fraction = 0.62f, model_fraction = 0.56f;
    std::string panel = "list";    // the panel named by --panel (for the state JSON)
    bool quit = false;
};

class PacketListView {
public:
    void draw(ViewerModel& m, UiState& ui, const Theme& theme);

private:
    std::uint64_t seen_selection_ = ~std::uint64_t(0);
    RowText row_;
};

class FilterBar {
public:
    void draw(ViewerModel& m, UiState& ui, const Theme& theme);

private:
    std::string text_;
    bool synced_ = false;
};

class LayerTreeView {
public:
    void draw(ViewerModel& m, UiState& ui, const Theme& theme);

private:
    std::uint64_t seen_reveal_ = 0;
    std::uint64_t seen_selection_ = ~std::uint64_t(0);
    std::vector<std::size_t> open_path_;
};

class ModelPanelView {
public:
    void draw(ViewerModel& m, UiState& ui, const Theme& theme);
};

class BytesView {
public:
    void draw(ViewerModel& m, UiState& ui, const Theme& theme);

private:
    std::uint64_t seen_reveal_ = 0;
    int shown_tab_ = -1;
};

class ExplainView {
public:
    void draw(ViewerModel& m, UiState& ui, const Theme& theme);
};

class FollowView {
public:
    enum class Mode : std::uint8_t { ascii, hex, http, websocket, socketio };
    void draw(ViewerModel& m, UiState& ui, const Theme& theme);
    Mode mode = Mode::ascii;
};

class LadderView {
public:
    void draw(ViewerModel& m, UiState& ui, const Theme& theme);

private:
    std::string svg_path_ = "ladder.svg";
    std::string status_;
    bool asked_svg_ = false;
};

class StatsView {
public:
    void draw(ViewerModel& m, UiState& ui, const Theme& theme);
};

// File > Open, File > Save as (live capture), and the ladder's Export SVG share this dialog.
class FileDialog {
public:
    enum class Purpose : std::uint8_t { open, save_capture };
    void open(Purpose p, const std::string& start_dir);
    void draw(ViewerModel& m, UiState& ui, const Theme& theme);
    bool visible() const { return visible_; }

private:
    FileBrowser browser_;
    Purpose purpose_ = Purpose::open;
    bool visible_ = false, just_opened_ = false;
    std::string name_;
    int selected_ = -1;
};

class CaptureDialog {
public:
    void draw(ViewerModel& m, UiState& ui, const Theme& theme);

private:
    std::vector<InterfaceInfo> interfaces_;
    std::string error_;
    int selected_ = -1;
    bool listed_ = false;
};

class GoToDialog {
public:
    void draw(ViewerModel& m, UiState& ui, const Theme& theme);

private:
    int number_ = 1;
    bool just_opened_ = true;
    std::string error_;
};

class HelpWindow {
public:
    void draw(ViewerModel& m, UiState& ui, const Theme& theme);
};

// Keyboard shortcuts, listed once: the window handles them and Help shows this table.
struct Shortcut {
    const char* keys;
    const char* what;
};
extern const Shortcut kShortcuts[];
extern const std::size_t kShortcutCount;

// One-line explanations of the OSI layers, for the model panel and the explain pane.
const char* osi_layer_explanation(OsiLayer l);

}  // namespace wirelab::viewer
