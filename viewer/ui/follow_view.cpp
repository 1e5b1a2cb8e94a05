// Follow stream: the TCP bytes of one connection by direction (ASCII or hex), its HTTP
// messages, WebSocket messages and Socket.IO packets; every line links to its packet.
#include <imgui.h>

#include "ui/views.hpp"

namespace wirelab::viewer {

void FollowView::draw(ViewerModel& m, UiState& ui, const Theme& theme) {
    (void)ui;
    const FollowData* f = m.follow();
    std::uint32_t stream = m.selected_stream();
    if (stream != kNoStream && (!f || f->stream != stream)) {
        if (ImGui::Button(("Follow TCP stream " + std::to_string(stream)).c_str())) m.follow_stream(stream);
        if (f) ImGui::SameLine();
    }
    if (!f) {
        if (stream == kNoStream) ImGui::TextDisabled("Select a TCP packet to follow its connection.");
        return;
    }
    ImGui::Text("Stream %u:", f->stream);
    ImGui::SameLine();
    ImGui::TextColored(theme.direction_colour(0), "%s (%llu bytes)", f->endpoint[0].c_str(),
                       static_cast<unsigned long long>(f->bytes[0]));
    ImGui::SameLine();
    ImGui::TextUnformatted("\xe2\x86\x94");
    ImGui::SameLine();
    ImGui::TextColored(theme.direction_colour(1), "%s (%llu bytes)", f->endpoint[1].c_str(),
                       static_cast<unsigned long long>(f->bytes[1]));
    struct Choice {
        Mode mode;
        const char* name;
        const std::vector<FollowLine>* lines;
    };
    const Choice choices[] = {{Mode::ascii, "TCP (ASCII)", &f->ascii}, {Mode::hex, "TCP (hex)", &f->hex},
                              {Mode::http, "HTTP", &f->http},          {Mode::websocket, "WebSocket", &f->websocket},
                              {Mode::socketio, "Socket.IO", &f->socketio}};
    const std::vector<FollowLine>* lines = &f->ascii;
    for (const Choice& c : choices) {
        ImGui::SameLine();
        bool on = mode == c.mode;
        std::string label = std::string(c.name) + " (" + std::to_string(c.lines->size()) + ")";
        if (ImGui::RadioButton(label.c_str(), on)) mode = c.mode;
        if (mode == c.mode) lines = c.lines;
    }
    ImGui::PushFont(theme.mono());
    ImGui::BeginChild("follow", ImVec2(0, 0), true, ImGuiWindowFlags_HorizontalScrollbar);
    if (lines->empty()) ImGui::TextDisabled("Nothing of this kind in this connection.");
    const std::optional<std::size_t> sel = m.selected_packet();
    ImGuiListClipper clipper;
    clipper.Begin(static_cast<int>(lines->size()));
    while (clipper.Step()) {
        for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
            const FollowLine& l = (*lines)[static_cast<std::size_t>(i)];
            ImGui::PushID(i);
            ImGui::PushStyleColor(ImGuiCol_Text, theme.direction_colour(l.dir));
            const char* text = l.text.empty() ? " " : l.text.c_str();
            if (ImGui::Selectable(text, sel && *sel == l.packet)) m.select_packet(l.packet);
            ImGui::PopStyleColor();
            if (ImGui::IsItemHovered()) {
                ImGui::PopFont();
                ImGui::SetTooltip("Packet %zu (%s)", l.packet + 1, f->endpoint[l.dir].c_str());
                ImGui::PushFont(theme.mono());
            }
            ImGui::PopID();
        }
    }
    ImGui::EndChild();
    ImGui::PopFont();
}

}  // namespace wirelab::viewer
