// The model panel: the 7 OSI layers beside the 4 TCP/IP layers, drawn as a stack; the layers
// present in the selected packet light up with their protocol names. Below, the encapsulation:
// one band per layer over the frame's bytes (Ethernet's header wraps IP, which wraps TCP...),
// each as wide as its bytes. Clicking a layer selects it in the tree and in the bytes.
#include <imgui.h>

#include <algorithm>

#include "ui/views.hpp"

namespace wirelab::viewer {

const char* osi_layer_explanation(OsiLayer l) {
    switch (l) {
    case OsiLayer::physical: return "Bits as signals on a wire or radio; here, the frame as it was captured.";
    case OsiLayer::data_link: return "Frames between neighbours on one link, addressed by MAC address.";
    case OsiLayer::network: return "Packets across networks, hop by hop, addressed by IP address.";
    case OsiLayer::transport: return "Data between two programs, addressed by port; TCP makes it reliable and ordered.";
    case OsiLayer::session: return "A conversation kept up over time (Engine.IO's session, heartbeats).";
    case OsiLayer::presentation: return "How data is represented: encoding, compression, encryption.";
    case OsiLayer::application: return "What the programs say to each other: HTTP requests, chat events.";
    default: return "";
    }
}

namespace {

struct LayerHit {
    int layer = -1;  // index into DecodedPacket::layers
};

// The layers of `p` at an OSI layer, innermost last.
std::vector<int> layers_at(const DecodedPacket& p, OsiLayer osi) {
    std::vector<int> out;
    for (std::size_t l = 0; l < p.layers.size(); ++l)
        if (p.layers[l].proto->osi == osi) out.push_back(static_cast<int>(l));
    return out;
}

std::vector<int> layers_at(const DecodedPacket& p, TcpIpLayer t) {
    std::vector<int> out;
    for (std::size_t l = 0; l < p.layers.size(); ++l)
        if (p.layers[l].proto->tcpip == t && p.layers[l].proto->abbrev != "frame") out.push_back(static_cast<int>(l));
    return out;
}

std::string names_of(const DecodedPacket& p, const std::vector<int>& ls) {
    std::string s;
    for (int l : ls) {
        std::string_view n = p.layers[static_cast<std::size_t>(l)].proto->short_name;
        if (s.find(n) != std::string::npos) continue;
        if (!s.empty()) s += ", ";
        s += n;
    }
    return s;
}

}  // namespace

void ModelPanelView::draw(ViewerModel& m, UiState& ui, const Theme& theme) {
    (void)ui;
    const DecodedPacket* p = m.decoded();
    ImGui::PushFont(theme.heading());
    if (p) ImGui::Text("Packet %zu in the OSI and TCP/IP models", p->index + 1);
    else ImGui::TextUnformatted("OSI and TCP/IP models");
    ImGui::PopFont();

    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    const float width = ImGui::GetContentRegionAvail().x;
    const float row = ImGui::GetTextLineHeight() * 1.75f;
    const float gap = 6;
    const float osi_w = width * 0.58f, tcp_x = origin.x + osi_w + gap, tcp_w = width - osi_w - gap;
    const int selected_layer = m.selected_layer();
    const ImU32 dim_fill = ImGui::GetColorU32(ImGuiCol_FrameBg);
    const ImU32 border = ImGui::GetColorU32(ImGuiCol_Border);
    const ImU32 text = ImGui::GetColorU32(ImGuiCol_Text);
    const ImU32 dim_text = ImGui::GetColorU32(theme.text_dim());
    const ImU32 lit_text = theme.presentation() ? IM_COL32(0, 0, 0, 255) : IM_COL32(255, 255, 255, 255);
    const ImU32 select_border = theme.presentation() ? IM_COL32(0, 0, 0, 255) : IM_COL32(255, 255, 255, 255);

    ImGui::TextColored(theme.text_dim(), "OSI model");
    ImGui::SameLine(osi_w + gap + ImGui::GetStyle().WindowPadding.x);
    ImGui::TextColored(theme.text_dim(), "TCP/IP model");
    const float top = ImGui::GetCursorScreenPos().y;

    // OSI: 7 at the top, 1 at the bottom.
    for (int k = 7; k >= 1; --k) {
        auto osi = static_cast<OsiLayer>(k);
        float y = top + static_cast<float>(7 - k) * row;
        ImVec2 a(origin.x, y), b(origin.x + osi_w, y + row - 3);
        std::vector<int> ls = p ? layers_at(*p, osi) : std::vector<int>{};
        bool lit = !ls.empty();
        bool sel = lit && std::find(ls.begin(), ls.end(), selected_layer) != ls.end();
        dl->AddRectFilled(a, b, lit ? theme.layer_colour(osi, sel ? 1.0f : 0.75f) : dim_fill, 4);
        dl->AddRect(a, b, sel ? select_border : border, 4, 0, sel ? 2.5f : 1.0f);
        std::string label = std::to_string(k) + "  " + std::string(osi_name(osi));
        dl->AddText(ImVec2(a.x + 8, y + (row - 3 - ImGui::GetTextLineHeight()) / 2), lit ? lit_text : dim_text, label.c_str());
        if (lit) {
            // The protocols at the right; when they do not fit beside the layer's name, the
            // innermost ones are kept.
            float room = osi_w - ImGui::CalcTextSize(label.c_str()).x - 28;
            std::vector<int> shown = ls;
            std::string names = names_of(*p, shown);
            while (shown.size() > 1 && ImGui::CalcTextSize(names.c_str()).x > room) {
                shown.erase(shown.begin());
                names = names_of(*p, shown);
            }
            ImVec2 sz = ImGui::CalcTextSize(names.c_str());
            if (sz.x <= room) dl->AddText(ImVec2(b.x - sz.x - 8, y + (row - 3 - sz.y) / 2), lit_text, names.c_str());
        }
        ImGui::SetCursorScreenPos(a);
        ImGui::PushID(k);
        ImGui::InvisibleButton("osi", ImVec2(osi_w, row - 3));
        if (ImGui::IsItemHovered()) {
            ImGui::SetTooltip("OSI layer %d, %s: %s%s", k, std::string(osi_name(osi)).c_str(), osi_layer_explanation(osi),
                              lit ? "\nClick to select this layer in the tree and the bytes." : "\nNot in this packet.");
            if (lit) m.hover_node(p->layers[static_cast<std::size_t>(ls.back())].node);
        }
        if (ImGui::IsItemClicked() && lit) {
            // Clicking again walks through the layers at this level (IPv4 inside IPv4...).
            auto it = std::find(ls.begin(), ls.end(), selected_layer);
            int pick = (it == ls.end() || it + 1 == ls.end()) ? ls.front() : *(it + 1);
            m.select_layer(static_cast<std::size_t>(pick));
        }
        ImGui::PopID();
    }
    // TCP/IP: Application spans OSI 5-7, Transport 4, Internet 3, Link 1-2 (RFC 1122 1.1.3).
    struct Span {
        TcpIpLayer layer;
        int top_osi, bottom_osi;
    };
    const Span spans[] = {{TcpIpLayer::application, 7, 5}, {TcpIpLayer::transport, 4, 4},
                          {TcpIpLayer::internet, 3, 3}, {TcpIpLayer::link, 2, 1}};
    for (const Span& s : spans) {
        float y0 = top + static_cast<float>(7 - s.top_osi) * row;
        float y1 = top + static_cast<float>(8 - s.bottom_osi) * row - 3;
        ImVec2 a(tcp_x, y0), b(tcp_x + tcp_w, y1);
        std::vector<int> ls = p ? layers_at(*p, s.layer) : std::vector<int>{};
        bool lit = !ls.empty();
        bool sel = lit && std::find(ls.begin(), ls.end(), selected_layer) != ls.end();
        OsiLayer hue = lit ? p->layers[static_cast<std::size_t>(ls.back())].proto->osi : OsiLayer::none;
        dl->AddRectFilled(a, b, lit ? theme.layer_colour(hue, sel ? 1.0f : 0.75f) : dim_fill, 4);
        dl->AddRect(a, b, sel ? select_border : border, 4, 0, sel ? 2.5f : 1.0f);
        std::string label(tcpip_name(s.layer));
        float cy = (y0 + y1) / 2, lh = ImGui::GetTextLineHeight();
        if (s.top_osi == s.bottom_osi) {
            // One row: the name and the protocols side by side.
            dl->AddText(ImVec2(a.x + 8, cy - lh / 2), lit ? lit_text : dim_text, label.c_str());
            if (lit) {
                std::string names = names_of(*p, ls);
                dl->AddText(ImVec2(b.x - ImGui::CalcTextSize(names.c_str()).x - 8, cy - lh / 2), lit_text, names.c_str());
            }
        } else {
            // Taller cells: the name, then one protocol a line (as many as fit).
            std::vector<std::string> lines{label};
            if (lit)
                for (int l : ls) {
                    std::string n(p->layers[static_cast<std::size_t>(l)].proto->short_name);
                    if (std::find(lines.begin() + 1, lines.end(), n) == lines.end()) lines.push_back(n);
                }
            std::size_t fit = std::max<std::size_t>(1, static_cast<std::size_t>((y1 - y0 - 4) / lh));
            if (lines.size() > fit) lines.resize(fit);
            float ty = cy - lh * static_cast<float>(lines.size()) / 2;
            for (std::size_t k = 0; k < lines.size(); ++k)
                dl->AddText(ImVec2(a.x + 8, ty + lh * static_cast<float>(k)), lit ? lit_text : dim_text, lines[k].c_str());
        }
        ImGui::SetCursorScreenPos(a);
        ImGui::PushID(100 + static_cast<int>(s.layer));
        ImGui::InvisibleButton("tcpip", ImVec2(tcp_w, y1 - y0));
        if (ImGui::IsItemHovered() && lit) m.hover_node(p->layers[static_cast<std::size_t>(ls.back())].node);
        if (ImGui::IsItemClicked() && lit) {
            auto it = std::find(ls.begin(), ls.end(), selected_layer);
            int pick = (it == ls.end() || it + 1 == ls.end()) ? ls.front() : *(it + 1);
            m.select_layer(static_cast<std::size_t>(pick));
        }
        ImGui::PopID();
    }
    ImGui::SetCursorScreenPos(ImVec2(origin.x, top + 7 * row + 4));
    if (!p) {
        ImGui::TextDisabled("Select a packet: its layers light up here.");
        return;
    }

    // Encapsulation: innermost layer on top, the frame at the bottom, x = byte offset.
    ImGui::Spacing();
    ImGui::TextColored(theme.text_dim(), "Encapsulation: each header wraps everything after it (width = bytes)");
    const float band_h = ImGui::GetTextLineHeight() + 6;
    const ImVec2 start = ImGui::GetCursorScreenPos();
    std::vector<int> frame_layers;
    for (std::size_t l = 0; l < p->layers.size(); ++l)
        if (p->layers[l].source == 0) frame_layers.push_back(static_cast<int>(l));
    const float total = static_cast<float>(std::max<std::size_t>(1, p->frame.data.size()));
    const float scale = width / total;
    int drawn = 0;
    for (auto it = frame_layers.rbegin(); it != frame_layers.rend(); ++it, ++drawn) {
        const LayerBand& b = p->layers[static_cast<std::size_t>(*it)];
        float y = start.y + static_cast<float>(drawn) * band_h;
        float x0 = start.x + static_cast<float>(b.start) * scale;
        float xh = start.x + static_cast<float>(b.header_end) * scale;
        float x1 = start.x + static_cast<float>(b.end) * scale;
        if (b.header_end > b.start) xh = std::max(xh, x0 + 3);  // a 14-byte header of 1500 stays visible
        x1 = std::max(x1, xh);
        bool sel = *it == selected_layer;
        OsiLayer osi = b.proto->osi;
        dl->AddRectFilled(ImVec2(x0, y), ImVec2(x1, y + band_h - 2), theme.layer_colour(osi, 0.30f), 3);
        if (xh > x0) dl->AddRectFilled(ImVec2(x0, y), ImVec2(xh, y + band_h - 2), theme.layer_colour(osi, 0.95f), 3);
        dl->AddRect(ImVec2(x0, y), ImVec2(x1, y + band_h - 2), sel ? select_border : border, 3, 0, sel ? 2.5f : 1.0f);
        std::string label = std::string(b.proto->short_name);
        std::string sizes = b.header_end > b.start ? std::to_string(b.header_end - b.start) + " B header" : "";
        if (b.end > b.header_end) sizes += (sizes.empty() ? "" : " + ") + std::to_string(b.end - b.header_end) + " B";
        std::string full = label + "  " + sizes;
        float avail = x1 - x0 - 8;
        const std::string& shown = ImGui::CalcTextSize(full.c_str()).x <= avail ? full : label;
        if (ImGui::CalcTextSize(shown.c_str()).x <= avail)
            dl->AddText(ImVec2(x0 + 5, y + 2), xh - x0 > avail * 0.5f ? lit_text : text, shown.c_str());
        else
            dl->AddText(ImVec2(x1 + 4, y + 2), text, shown.c_str());
        ImGui::SetCursorScreenPos(ImVec2(x0, y));
        ImGui::PushID(1000 + *it);
        ImGui::InvisibleButton("band", ImVec2(std::max(4.0f, x1 - x0), band_h - 2));
        if (ImGui::IsItemHovered()) {
            m.hover_node(b.node);
            ImGui::SetTooltip("%s: bytes %u-%u (%u header bytes)\nOSI %d %s, TCP/IP %s", std::string(b.proto->name).c_str(),
                              b.start, b.end ? b.end - 1 : 0, b.header_end - b.start, static_cast<int>(osi),
                              std::string(osi_name(osi)).c_str(), std::string(tcpip_name(b.proto->tcpip)).c_str());
        }
        if (ImGui::IsItemClicked()) m.select_layer(static_cast<std::size_t>(*it));
        ImGui::PopID();
    }
    // Byte ruler under the bands.
    float ry = start.y + static_cast<float>(drawn) * band_h + 2;
    dl->AddLine(ImVec2(start.x, ry), ImVec2(start.x + width, ry), dim_text);
    std::string end_label = std::to_string(p->frame.data.size()) + " bytes";
    dl->AddText(ImVec2(start.x, ry + 2), dim_text, "0");
    dl->AddText(ImVec2(start.x + width - ImGui::CalcTextSize(end_label.c_str()).x, ry + 2), dim_text, end_label.c_str());
    ImGui::SetCursorScreenPos(ImVec2(start.x, ry + ImGui::GetTextLineHeight() + 6));
    // Layers decoded from reassembled bytes (an HTTP response over several TCP segments).
    for (std::size_t l = 0; l < p->layers.size(); ++l) {
        const LayerBand& b = p->layers[l];
        if (b.source == 0) continue;
        const DataSource& src = p->tree.source(b.source);
        ImGui::PushID(static_cast<int>(2000 + l));
        ImGui::PushStyleColor(ImGuiCol_Text, theme.layer_colour(b.proto->osi));
        if (ImGui::Selectable((std::string(b.proto->short_name) + ": " + std::to_string(b.end - b.start) +
                               " bytes reassembled from " + std::to_string(src.frames.size()) + " frames (" + src.name + ")")
                                  .c_str(),
                              static_cast<int>(l) == selected_layer))
            m.select_layer(l);
        ImGui::PopStyleColor();
        ImGui::PopID();
    }
}

}  // namespace wirelab::viewer
