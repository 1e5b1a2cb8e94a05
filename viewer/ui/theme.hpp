// Fonts and colours: the normal look, the classroom presentation mode (larger fonts, high
// contrast), and the colours that tie the views together (one colour per OSI layer in the
// tree, the model panel and the bytes pane; one per colouring rule in the packet list).
#pragma once

#include <imgui.h>

#include "model/viewer_model.hpp"

namespace wirelab::viewer {

class Theme {
public:
    // Loads DejaVu Sans and DejaVu Sans Mono (Debian's fonts-dejavu-core) at sizes scaled by
    // `dpi_scale` (the monitor's content scale), or ImGui's built-in font if they are missing.
    void load_fonts(float dpi_scale);
    void apply_style(bool presentation, float dpi_scale);
    bool presentation() const { return presentation_; }

    ImFont* ui() const { return presentation_ ? ui_large_ : ui_; }
    ImFont* mono() const { return presentation_ ? mono_large_ : mono_; }
    ImFont* heading() const { return presentation_ ? heading_large_ : heading_; }

    ImU32 layer_colour(OsiLayer osi, float alpha = 1.0f) const;
    ImU32 row_colour(RowColour c) const;
    ImVec4 text_dim() const;
    ImVec4 error_text() const;
    ImVec4 direction_colour(int dir) const;  // follow stream: client red, server blue, as Wireshark

private:
    ImFont *ui_ = nullptr, *mono_ = nullptr, *heading_ = nullptr;
    ImFont *ui_large_ = nullptr, *mono_large_ = nullptr, *heading_large_ = nullptr;
    bool presentation_ = false;
};

}  // namespace wirelab::viewer
