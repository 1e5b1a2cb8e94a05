// The explain pane: what a student reads. For the selected field: what it is in plain words,
// what its value means in this packet, where its bytes are, its layer in both models and the
// RFC that defines it, and the filter that finds packets like it.
#include <imgui.h>

#include "ui/views.hpp"
#include "wirelab/format.hpp"

namespace wirelab::viewer {

namespace {
void heading(const Theme& theme, const char* text) {
    ImGui::Spacing();
    ImGui::TextColored(theme.text_dim(), "%s", text);
}
}  // namespace

void ExplainView::draw(ViewerModel& m, UiState& ui, const Theme& theme) {
    (void)ui;
    const DecodedPacket* p = m.decoded();
    if (!p) {
        ImGui::TextWrapped("Select a packet, then click a field in the layer tree, a layer in the model panel or a "
                           "byte in the hex pane: its explanation appears here.");
        return;
    }
    std::optional<std::size_t> node = m.selected_node();
    if (!node) {
        ImGui::PushFont(theme.heading());
        ImGui::TextWrapped("Packet %zu: %s", p->index + 1, p->protocol.c_str());
        ImGui::PopFont();
        ImGui::TextWrapped("%s", p->info.c_str());
        heading(theme, "Its layers, outermost first");
        for (const LayerBand& b : p->layers) {
            ImGui::PushStyleColor(ImGuiCol_Text, theme.layer_colour(b.proto->osi));
            ImGui::BulletText("%s", std::string(b.proto->name).c_str());
            ImGui::PopStyleColor();
            ImGui::SameLine();
            ImGui::TextColored(theme.text_dim(), "OSI %d, %s", static_cast<int>(b.proto->osi),
                               std::string(b.proto->rfc).c_str());
        }
        ImGui::Spacing();
        ImGui::TextWrapped("Click a field in the layer tree, a layer in the model panel, or a byte to read about it.");
        return;
    }
    const Node& n = p->tree.nodes()[*node];
    const FieldDef& f = *n.field;
    const ProtocolDef* proto = f.proto;
    bool is_layer = f.type == FieldType::protocol;

    ImGui::PushFont(theme.heading());
    ImGui::TextWrapped("%s", is_layer && proto ? std::string(proto->name).c_str() : std::string(f.label).c_str());
    ImGui::PopFont();
    ImGui::PushFont(theme.mono());
    ImGui::TextColored(theme.text_dim(), "%s", std::string(f.abbrev).c_str());
    ImGui::PopFont();

    heading(theme, "What it is");
    if (!f.explain.empty()) ImGui::TextWrapped("%s", std::string(f.explain).c_str());
    else if (proto && !is_layer) ImGui::TextWrapped("A field of %s.", std::string(proto->name).c_str());

    if (!is_layer && f.type != FieldType::none) {
        heading(theme, "In this packet");
        std::string value;
        append_display_value(value, p->tree, p->frame, n);
        ImGui::TextWrapped("%s", p->lines[*node].c_str());
        if (!f.names.empty()) {
            std::string_view name = value_name(f, (n.value & (f.mask ? f.mask : ~std::uint64_t(0))) >> mask_shift(f.mask));
            if (!name.empty()) ImGui::TextWrapped("The value means: %s", std::string(name).c_str());
        }
        if (n.flags & kGenerated)
            ImGui::TextColored(theme.text_dim(), "Computed by the decoder, not read from the packet's bytes.");
    } else if (n.flags & kHasText) {
        heading(theme, "In this packet");
        ImGui::TextWrapped("%s", p->lines[*node].c_str());
    }
    if (n.flags & kMalformed) ImGui::TextColored(theme.error_text(), "This part breaks the protocol's rules.");

    heading(theme, "Where");
    if (n.length > 0) {
        ImGui::TextWrapped("Bytes %u to %u of the %s (%u byte%s)%s", n.offset, n.offset + n.length - 1,
                           n.source ? p->tree.source(n.source).name.c_str() : "frame", n.length, n.length == 1 ? "" : "s",
                           f.mask ? ", only the bits of the mask" : "");
    } else {
        ImGui::TextWrapped("No bytes of its own.");
    }

    if (proto) {
        heading(theme, "Layer");
        ImGui::PushStyleColor(ImGuiCol_Text, theme.layer_colour(proto->osi));
        ImGui::TextWrapped("%s: OSI layer %d (%s), TCP/IP %s layer", std::string(proto->short_name).c_str(),
                           static_cast<int>(proto->osi), std::string(osi_name(proto->osi)).c_str(),
                           std::string(tcpip_name(proto->tcpip)).c_str());
        ImGui::PopStyleColor();
        ImGui::TextWrapped("%s", osi_layer_explanation(proto->osi));
        if (!proto->rfc.empty()) {
            heading(theme, "Defined in");
            ImGui::TextWrapped("%s", std::string(proto->rfc).c_str());
        }
    }

    heading(theme, "Filter");
    std::string filter(f.abbrev);
    if (!is_layer && f.type != FieldType::none && f.type != FieldType::bytes && !(n.flags & kHasText)) {
        std::string v;
        append_field_value(v, p->tree, p->frame, n);
        if (!v.empty() && v.find(',') == std::string::npos) filter += " == " + v;
    }
    ImGui::PushFont(theme.mono());
    ImGui::TextWrapped("%s", filter.c_str());
    ImGui::PopFont();
    if (ImGui::SmallButton("Apply as filter")) m.apply_filter(filter);
    ImGui::SameLine();
    if (ImGui::SmallButton("Prepare filter")) m.edit_filter(filter);
}

}  // namespace wirelab::viewer
