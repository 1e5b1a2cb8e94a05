// The ladder diagram: a sequence diagram of a conversation, time going down, one column per
// endpoint; each arrow is a packet (TCP) or a message (Socket.IO) and selects it when clicked.
#include <imgui.h>
#include <imgui_stdlib.h>

#include <cstdio>

#include "ui/views.hpp"

namespace wirelab::viewer {

namespace {
ImU32 kind_colour(Ladder::Kind k, bool light) {
    switch (k) {
    case Ladder::Kind::handshake: return light ? IM_COL32(46, 125, 50, 255) : IM_COL32(110, 210, 120, 255);
    case Ladder::Kind::fin: return light ? IM_COL32(109, 76, 65, 255) : IM_COL32(200, 160, 140, 255);
    case Ladder::Kind::rst: return light ? IM_COL32(198, 40, 40, 255) : IM_COL32(255, 100, 100, 255);
    case Ladder::Kind::emit: return light ? IM_COL32(21, 101, 192, 255) : IM_COL32(110, 170, 255, 255);
    case Ladder::Kind::broadcast: return light ? IM_COL32(106, 27, 154, 255) : IM_COL32(200, 130, 255, 255);
    case Ladder::Kind::ack: return light ? IM_COL32(0, 131, 143, 255) : IM_COL32(90, 210, 220, 255);
    case Ladder::Kind::control: return light ? IM_COL32(97, 97, 97, 255) : IM_COL32(170, 170, 170, 255);
    default: return light ? IM_COL32(33, 33, 33, 255) : IM_COL32(230, 230, 230, 255);
    }
}
}  // namespace

void LadderView::draw(ViewerModel& m, UiState& ui, const Theme& theme) {
    (void)ui;
    std::uint32_t stream = m.selected_stream();
    if (ImGui::Button("This TCP connection") && stream != kNoStream) m.ladder_tcp(stream);
    if (ImGui::IsItemHovered() && stream == kNoStream) ImGui::SetTooltip("Select a TCP packet first");
    ImGui::SameLine();
    if (ImGui::Button("Socket.IO events")) m.ladder_socketio();
    const Ladder* l = m.ladder();
    ImGui::SameLine();
    ImGui::SetNextItemWidth(ImGui::CalcTextSize("m").x * 18);
    ImGui::InputText("##svg", &svg_path_);
    ImGui::SameLine();
    if (ImGui::Button("Export SVG") && l) {
        std::string err;
        status_ = m.export_ladder_svg(svg_path_, err) ? "Wrote " + svg_path_ : err;
    }
    if (!status_.empty()) {
        ImGui::SameLine();
        ImGui::TextColored(theme.text_dim(), "%s", status_.c_str());
    }
    if (!l) {
        ImGui::TextDisabled("Pick a TCP packet and press \"This TCP connection\", or draw the Socket.IO events.");
        return;
    }
    if (l->arrows.empty()) {
        ImGui::TextDisabled("%s: nothing to draw.", l->title.c_str());
        return;
    }

    const bool light = theme.presentation();
    const float cw = ImGui::CalcTextSize("m").x;
    const float time_w = cw * 11, col_w = std::max(cw * 24, (ImGui::GetContentRegionAvail().x - time_w - cw * 30) /
                                                                static_cast<float>(std::max<std::size_t>(1, l->nodes.size())));
    const float row_h = ImGui::GetTextLineHeight() * 2.1f;
    ImDrawList* dl = ImGui::GetWindowDrawList();
    // Column headings.
    ImVec2 head = ImGui::GetCursorScreenPos();
    for (std::size_t n = 0; n < l->nodes.size(); ++n) {
        float cx = head.x + time_w + col_w * (static_cast<float>(n) + 0.5f);
        ImVec2 sz = ImGui::CalcTextSize(l->nodes[n].c_str());
        dl->AddText(ImVec2(cx - sz.x / 2, head.y), ImGui::GetColorU32(ImGuiCol_Text), l->nodes[n].c_str());
    }
    dl->AddText(head, ImGui::GetColorU32(theme.text_dim()), "time (s)");
    ImGui::Dummy(ImVec2(0, ImGui::GetTextLineHeightWithSpacing()));

    ImGui::BeginChild("ladder", ImVec2(0, 0), true, ImGuiWindowFlags_HorizontalScrollbar);
    dl = ImGui::GetWindowDrawList();
    const std::optional<std::size_t> sel = m.selected_packet();
    const ImU32 life = ImGui::GetColorU32(theme.text_dim());
    ImGuiListClipper clipper;
    clipper.Begin(static_cast<int>(l->arrows.size()), row_h);
    char buf[48];
    while (clipper.Step()) {
        for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
            const Ladder::Arrow& a = l->arrows[static_cast<std::size_t>(i)];
            ImVec2 pos = ImGui::GetCursorScreenPos();
            ImGui::PushID(i);
            bool clicked = ImGui::InvisibleButton("arrow", ImVec2(time_w + col_w * static_cast<float>(l->nodes.size()) + cw * 40, row_h));
            bool hovered = ImGui::IsItemHovered();
            ImGui::PopID();
            if (clicked) m.select_packet(a.packet);
            if ((sel && *sel == a.packet) || hovered)
                dl->AddRectFilled(pos, ImVec2(pos.x + ImGui::GetWindowWidth() + ImGui::GetScrollX(), pos.y + row_h),
                                  ImGui::GetColorU32(hovered ? ImGuiCol_HeaderHovered : ImGuiCol_Header));
            for (std::size_t n = 0; n < l->nodes.size(); ++n) {
                float cx = pos.x + time_w + col_w * (static_cast<float>(n) + 0.5f);
                dl->AddLine(ImVec2(cx, pos.y), ImVec2(cx, pos.y + row_h), life);
            }
            std::snprintf(buf, sizeof buf, "%.6f", static_cast<double>(a.rel_ns) / 1e9);
            dl->AddText(ImVec2(pos.x, pos.y + row_h * 0.45f), life, buf);
            float x1 = pos.x + time_w + col_w * (static_cast<float>(a.from) + 0.5f);
            float x2 = pos.x + time_w + col_w * (static_cast<float>(a.to) + 0.5f);
            float y = pos.y + row_h * 0.72f;
            ImU32 c = kind_colour(a.kind, light);
            dl->AddLine(ImVec2(x1, y), ImVec2(x2, y), c, 2.0f);
            float dir = x2 >= x1 ? 1.0f : -1.0f;
            dl->AddTriangleFilled(ImVec2(x2, y), ImVec2(x2 - dir * 10, y - 5), ImVec2(x2 - dir * 10, y + 5), c);
            ImVec2 ls = ImGui::CalcTextSize(a.label.c_str());
            dl->AddText(ImVec2((x1 + x2) / 2 - ls.x / 2, y - ls.y - 2), c, a.label.c_str());
            float comment_x = pos.x + time_w + col_w * static_cast<float>(l->nodes.size()) + cw;
            std::string comment = "#" + std::to_string(a.packet + 1) + "  " + a.comment;
            dl->AddText(ImVec2(comment_x, pos.y + row_h * 0.45f), life, comment.c_str());
            if (hovered) ImGui::SetTooltip("Packet %zu: %s\n%s", a.packet + 1, a.label.c_str(), a.comment.c_str());
        }
    }
    ImGui::EndChild();
}

}  // namespace wirelab::viewer
