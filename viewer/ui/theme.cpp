// Fonts and colours (see theme.hpp).
#include "ui/theme.hpp"

#include <filesystem>

namespace wirelab::viewer {

namespace {
constexpr const char* kSans = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
constexpr const char* kSansBold = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf";
constexpr const char* kMono = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf";
constexpr float kUiSize = 15.0f, kMonoSize = 14.0f, kHeadingSize = 18.0f;
constexpr float kLargeFactor = 1.6f;  // presentation mode: readable from the back of a classroom

// Latin-1, arrows and the box/geometric shapes used in labels.
const ImWchar kRanges[] = {0x0020, 0x00FF, 0x2190, 0x21FF, 0x2500, 0x25FF, 0x2013, 0x2026, 0};

ImFont* load(const char* path, float size) {
    ImGuiIO& io = ImGui::GetIO();
    if (std::filesystem::exists(path)) {
        ImFontConfig cfg;
        cfg.OversampleH = 2;
        if (ImFont* f = io.Fonts->AddFontFromFileTTF(path, size, &cfg, kRanges)) return f;
    }
    ImFontConfig cfg;
    cfg.SizePixels = size;
    return io.Fonts->AddFontDefault(&cfg);
}
}  // namespace

void Theme::load_fonts(float dpi) {
    ImGuiIO& io = ImGui::GetIO();
    io.Fonts->Clear();
    ui_ = load(kSans, kUiSize * dpi);  // the first font is the default one
    mono_ = load(kMono, kMonoSize * dpi);
    heading_ = load(kSansBold, kHeadingSize * dpi);
    ui_large_ = load(kSans, kUiSize * dpi * kLargeFactor);
    mono_large_ = load(kMono, kMonoSize * dpi * kLargeFactor);
    heading_large_ = load(kSansBold, kHeadingSize * dpi * kLargeFactor);
    io.Fonts->Build();
}

void Theme::apply_style(bool presentation, float dpi) {
    presentation_ = presentation;
    ImGuiStyle style;
    if (presentation) {
        // High contrast for projectors: black on white, strong borders.
        ImGui::StyleColorsLight(&style);
        style.Colors[ImGuiCol_Text] = ImVec4(0, 0, 0, 1);
        style.Colors[ImGuiCol_WindowBg] = ImVec4(1, 1, 1, 1);
        style.Colors[ImGuiCol_ChildBg] = ImVec4(1, 1, 1, 1);
        style.Colors[ImGuiCol_Border] = ImVec4(0, 0, 0, 0.6f);
        style.Colors[ImGuiCol_Header] = ImVec4(0.10f, 0.35f, 0.85f, 0.45f);
        style.Colors[ImGuiCol_HeaderHovered] = ImVec4(0.10f, 0.35f, 0.85f, 0.30f);
        style.FrameBorderSize = 1.0f;
    } else {
        ImGui::StyleColorsDark(&style);
        style.Colors[ImGuiCol_WindowBg] = ImVec4(0.11f, 0.12f, 0.14f, 1.0f);
    }
    style.WindowRounding = 0;
    style.FrameRounding = 3;
    style.ScrollbarSize = 16;
    style.ScaleAllSizes(dpi * (presentation ? kLargeFactor : 1.0f));
    ImGui::GetStyle() = style;
}

ImU32 Theme::layer_colour(OsiLayer osi, float alpha) const {
    // One hue per OSI layer, the same in every view.
    static const ImVec4 kColours[] = {
        {0.55f, 0.55f, 0.55f, 1},  // none
        {0.60f, 0.60f, 0.65f, 1},  // 1 physical
        {0.30f, 0.55f, 0.95f, 1},  // 2 data link
        {0.25f, 0.75f, 0.35f, 1},  // 3 network
        {0.95f, 0.60f, 0.15f, 1},  // 4 transport
        {0.70f, 0.45f, 0.90f, 1},  // 5 session
        {0.15f, 0.75f, 0.75f, 1},  // 6 presentation
        {0.92f, 0.33f, 0.40f, 1},  // 7 application
    };
    ImVec4 c = kColours[static_cast<int>(osi) <= 7 ? static_cast<int>(osi) : 0];
    if (presentation_) c = ImVec4(c.x * 0.85f, c.y * 0.85f, c.z * 0.85f, 1);
    c.w = alpha;
    return ImGui::ColorConvertFloat4ToU32(c);
}

ImU32 Theme::row_colour(RowColour c) const {
    // Wireshark's default colouring rules, darkened for the dark theme.
    ImVec4 v;
    switch (c) {
    case RowColour::malformed: v = {0.55f, 0.10f, 0.10f, 1}; break;
    case RowColour::tcp_rst: v = {0.50f, 0.15f, 0.15f, 1}; break;
    case RowColour::tcp_syn_fin: v = {0.32f, 0.32f, 0.32f, 1}; break;
    case RowColour::http: v = {0.20f, 0.38f, 0.20f, 1}; break;
    case RowColour::websocket: v = {0.18f, 0.34f, 0.38f, 1}; break;
    case RowColour::socketio: v = {0.32f, 0.22f, 0.42f, 1}; break;
    case RowColour::tcp: v = {0.27f, 0.25f, 0.36f, 1}; break;
    case RowColour::dns: v = {0.20f, 0.30f, 0.45f, 1}; break;
    case RowColour::udp: v = {0.18f, 0.30f, 0.42f, 1}; break;
    case RowColour::arp: v = {0.40f, 0.38f, 0.18f, 1}; break;
    case RowColour::icmp: v = {0.42f, 0.26f, 0.38f, 1}; break;
    case RowColour::ipv6: v = {0.22f, 0.28f, 0.32f, 1}; break;
    default: return 0;
    }
    if (presentation_) v = ImVec4(1 - (1 - v.x) * 0.35f, 1 - (1 - v.y) * 0.35f, 1 - (1 - v.z) * 0.35f, 1);
    return ImGui::ColorConvertFloat4ToU32(v);
}

ImVec4 Theme::text_dim() const { return presentation_ ? ImVec4(0.25f, 0.25f, 0.25f, 1) : ImVec4(0.62f, 0.64f, 0.68f, 1); }

ImVec4 Theme::error_text() const { return presentation_ ? ImVec4(0.75f, 0, 0, 1) : ImVec4(1.0f, 0.45f, 0.45f, 1); }

ImVec4 Theme::direction_colour(int dir) const {
    if (presentation_) return dir == 0 ? ImVec4(0.65f, 0.05f, 0.05f, 1) : ImVec4(0.05f, 0.15f, 0.70f, 1);
    return dir == 0 ? ImVec4(1.0f, 0.55f, 0.55f, 1) : ImVec4(0.55f, 0.70f, 1.0f, 1);
}

}  // namespace wirelab::viewer
