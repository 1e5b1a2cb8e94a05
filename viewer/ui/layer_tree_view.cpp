// The layer tree: one collapsible node per layer, tagged with its OSI and TCP/IP layer, with
// its fields and their values below. Frame-number fields and reassembled buffers link to the
// packets they name.
#include <imgui.h>

#include <algorithm>

#include "ui/views.hpp"

namespace wirelab::viewer {

void LayerTreeView::draw(ViewerModel& m, UiState& ui, const Theme& theme) {
    const DecodedPacket* p = m.decoded();
    if (!p) {
        ImGui::TextDisabled(m.selected_packet() ? "Decoding packet %zu..." : "Select a packet to see its layers.",
                            m.selected_packet().value_or(0) + 1);
        return;
    }
    const auto& nodes = p->tree.nodes();
    if (!p->context_note.empty()) ImGui::TextColored(theme.error_text(), "%s", p->context_note.c_str());
    // Reassembled data sources name the frames they were built from.
    for (std::size_t s = 1; s < p->source_count(); ++s) {
        const DataSource& src = p->tree.source(s);
        ImGui::TextColored(theme.text_dim(), "%s: %zu bytes from frames", src.name.c_str(), src.bytes.size());
        for (std::uint32_t f : src.frames) {
            ImGui::SameLine();
            ImGui::PushID(static_cast<int>(s * 100000 + f));
            if (ImGui::SmallButton(std::to_string(f).c_str())) m.go_to_packet(f);
            if (ImGui::IsItemHovered()) ImGui::SetTooltip("Go to frame %u", f);
            ImGui::PopID();
        }
    }

    // The path to open: the selected node's ancestors, when it was chosen outside the tree.
    bool reveal = false;
    if (m.reveal_generation() != seen_reveal_) {
        seen_reveal_ = m.reveal_generation();
        if (m.selected_node()) {
            open_path_ = m.ancestors(*m.selected_node());
            reveal = true;
        }
    }
    bool new_packet = m.selection_generation() != seen_selection_;
    if (new_packet) seen_selection_ = m.selection_generation();
    const bool expand = ui.expand_layers;
    if (expand) {
        ui.expand_layers = false;
        ui.layers_expanded = true;
    } else if (new_packet) {
        ui.layers_expanded = false;
    }

    ImGui::BeginChild("tree", ImVec2(0, 0), false, ImGuiWindowFlags_HorizontalScrollbar);
    int open_depth = -1;     // depth of the innermost open node with children
    int skip_below = -1;     // inside a closed node: skip nodes deeper than this
    std::vector<int> stack;  // depths of open nodes (for TreePop)
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        const Node& n = nodes[i];
        if (n.flags & kHidden) continue;
        int depth = n.depth;
        if (skip_below >= 0) {
            if (depth > skip_below) continue;
            skip_below = -1;
        }
        while (!stack.empty() && depth <= stack.back()) {
            ImGui::TreePop();
            stack.pop_back();
        }
        open_depth = stack.empty() ? -1 : stack.back();
        (void)open_depth;
        std::size_t next = i + 1;
        while (next < nodes.size() && (nodes[next].flags & kHidden)) ++next;
        bool has_children = next < nodes.size() && nodes[next].depth > depth;
        bool is_layer = n.field->type == FieldType::protocol && n.field->proto;
        bool selected = m.selected_node() == i;

        ImGuiTreeNodeFlags flags = ImGuiTreeNodeFlags_OpenOnArrow | ImGuiTreeNodeFlags_OpenOnDoubleClick |
                                   ImGuiTreeNodeFlags_SpanAvailWidth;
        if (selected) flags |= ImGuiTreeNodeFlags_Selected;
        if (!has_children) flags |= ImGuiTreeNodeFlags_Leaf | ImGuiTreeNodeFlags_NoTreePushOnOpen;
        if (reveal && std::find(open_path_.begin(), open_path_.end(), i) != open_path_.end())
            ImGui::SetNextItemOpen(true);
        if (expand && is_layer && depth == 0) ImGui::SetNextItemOpen(true);
        if (is_layer) ImGui::PushStyleColor(ImGuiCol_Text, theme.layer_colour(n.field->proto->osi));
        if (n.flags & kMalformed) ImGui::PushStyleColor(ImGuiCol_Text, theme.error_text());
        bool open = ImGui::TreeNodeEx(reinterpret_cast<void*>(static_cast<std::intptr_t>(i)), flags, "%s",
                                      p->lines[i].c_str());
        if (n.flags & kMalformed) ImGui::PopStyleColor();
        if (is_layer) ImGui::PopStyleColor();
        if (ImGui::IsItemClicked() && !ImGui::IsItemToggledOpen()) m.select_node(i);
        if (ImGui::IsItemHovered()) m.hover_node(i);
        if (selected && reveal) ImGui::SetScrollHereY(0.4f);
        if (is_layer && n.field->proto->osi != OsiLayer::none) {
            ImGui::SameLine();
            ImGui::TextColored(theme.text_dim(), "[OSI %d %s | TCP/IP %s]", static_cast<int>(n.field->proto->osi),
                               std::string(osi_name(n.field->proto->osi)).c_str(),
                               std::string(tcpip_name(n.field->proto->tcpip)).c_str());
        }
        if (n.field->type == FieldType::framenum && n.value > 0) {
            ImGui::SameLine();
            ImGui::PushID(static_cast<int>(i));
            if (ImGui::SmallButton("go to")) m.go_to_packet(static_cast<std::size_t>(n.value));
            ImGui::PopID();
        }
        if (has_children) {
            if (open) stack.push_back(depth);
            else skip_below = depth;
        }
    }
    while (!stack.empty()) {
        ImGui::TreePop();
        stack.pop_back();
    }
    ImGui::EndChild();
}

}  // namespace wirelab::viewer
