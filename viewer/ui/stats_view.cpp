// Statistics: protocol hierarchy, conversations, and packets and bytes per second over time.
#include <imgui.h>

#include <algorithm>
#include <cstdio>

#include "ui/views.hpp"

namespace wirelab::viewer {

namespace {
std::string human_bytes(std::uint64_t b) {
    char buf[32];
    if (b >= (1u << 30)) std::snprintf(buf, sizeof buf, "%.1f GiB", static_cast<double>(b) / (1u << 30));
    else if (b >= (1u << 20)) std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(b) / (1u << 20));
    else if (b >= 1024) std::snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(b) / 1024);
    else std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(b));
    return buf;
}
}  // namespace

void StatsView::draw(ViewerModel& m, UiState& ui, const Theme& theme) {
    const Stats* s = m.stats();
    if (ImGui::Button("Refresh") || (!s && m.has_capture())) {
        m.compute_stats();
        s = m.stats();
    }
    if (!s) {
        ImGui::TextDisabled("Open a capture first.");
        return;
    }
    ImGui::SameLine();
    ImGui::Text("%llu packets, %s, %.3f s%s", static_cast<unsigned long long>(s->packets), human_bytes(s->bytes).c_str(),
                static_cast<double>(s->duration_ns) / 1e9, m.indexing() ? " (indexing: press Refresh for more)" : "");
    if (!ImGui::BeginTabBar("stats")) return;
    if (ImGui::BeginTabItem("Protocol hierarchy")) {
        if (ImGui::BeginTable("hier", 5, ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersV | ImGuiTableFlags_ScrollY |
                                             ImGuiTableFlags_Resizable)) {
            ImGui::TableSetupScrollFreeze(0, 1);
            ImGui::TableSetupColumn("Protocol", ImGuiTableColumnFlags_WidthStretch);
            ImGui::TableSetupColumn("% packets", ImGuiTableColumnFlags_WidthFixed, ImGui::CalcTextSize("m").x * 14);
            ImGui::TableSetupColumn("Packets");
            ImGui::TableSetupColumn("% bytes");
            ImGui::TableSetupColumn("Bytes");
            ImGui::TableHeadersRow();
            for (const Stats::Protocol& p : s->hierarchy) {
                ImGui::TableNextRow();
                ImGui::TableSetColumnIndex(0);
                ImGui::Indent(static_cast<float>(p.depth) * ImGui::GetFontSize());
                const ProtocolDef* def = m.registry().protocol(p.name);
                if (def) ImGui::PushStyleColor(ImGuiCol_Text, theme.layer_colour(def->osi));
                ImGui::TextUnformatted(def ? std::string(def->short_name).c_str() : p.name.c_str());
                if (def) ImGui::PopStyleColor();
                ImGui::Unindent(static_cast<float>(p.depth) * ImGui::GetFontSize());
                ImGui::TableSetColumnIndex(1);
                float share = s->packets ? static_cast<float>(p.packets) / static_cast<float>(s->packets) : 0;
                char pct[16];
                std::snprintf(pct, sizeof pct, "%.1f%%", share * 100);
                ImGui::ProgressBar(share, ImVec2(-1, 0), pct);
                ImGui::TableSetColumnIndex(2);
                ImGui::Text("%llu", static_cast<unsigned long long>(p.packets));
                ImGui::TableSetColumnIndex(3);
                ImGui::Text("%.1f%%", s->bytes ? 100.0 * static_cast<double>(p.bytes) / static_cast<double>(s->bytes) : 0.0);
                ImGui::TableSetColumnIndex(4);
                ImGui::TextUnformatted(human_bytes(p.bytes).c_str());
            }
            ImGui::EndTable();
        }
        ImGui::EndTabItem();
    }
    if (ImGui::BeginTabItem("Conversations")) {
        if (ImGui::BeginTable("conv", 8, ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersV | ImGuiTableFlags_ScrollY |
                                             ImGuiTableFlags_Resizable)) {
            ImGui::TableSetupScrollFreeze(0, 1);
            for (const char* h : {"Type", "Address A", "Port A", "Address B", "Port B", "Packets A\xe2\x86\x92" "B / B\xe2\x86\x92" "A",
                                  "Bytes", "Start / duration (s)"})
                ImGui::TableSetupColumn(h);
            ImGui::TableHeadersRow();
            ImGuiListClipper clipper;
            clipper.Begin(static_cast<int>(s->conversations.size()));
            while (clipper.Step()) {
                for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
                    const Stats::Conversation& c = s->conversations[static_cast<std::size_t>(i)];
                    ImGui::TableNextRow();
                    ImGui::TableSetColumnIndex(0);
                    ImGui::PushID(i);
                    if (ImGui::Selectable(c.transport.c_str(), false, ImGuiSelectableFlags_SpanAllColumns)) {
                        m.select_packet(c.first_packet);
                        if (c.stream != kNoStream) {
                            m.follow_stream(c.stream);
                            ui.tab = Tab::follow;
                            ui.select_tab = true;
                        }
                    }
                    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Click: select its first packet and follow it");
                    ImGui::PopID();
                    ImGui::TableSetColumnIndex(1);
                    ImGui::TextUnformatted(c.a.c_str());
                    ImGui::TableSetColumnIndex(2);
                    if (c.port_a || c.port_b) ImGui::Text("%u", c.port_a);
                    ImGui::TableSetColumnIndex(3);
                    ImGui::TextUnformatted(c.b.c_str());
                    ImGui::TableSetColumnIndex(4);
                    if (c.port_a || c.port_b) ImGui::Text("%u", c.port_b);
                    ImGui::TableSetColumnIndex(5);
                    ImGui::Text("%llu / %llu", static_cast<unsigned long long>(c.packets_ab), static_cast<unsigned long long>(c.packets_ba));
                    ImGui::TableSetColumnIndex(6);
                    ImGui::TextUnformatted(human_bytes(c.bytes_ab + c.bytes_ba).c_str());
                    ImGui::TableSetColumnIndex(7);
                    ImGui::Text("%.3f / %.3f", static_cast<double>(c.start_ns) / 1e9, static_cast<double>(c.end_ns - c.start_ns) / 1e9);
                }
            }
            ImGui::EndTable();
        }
        ImGui::EndTabItem();
    }
    if (ImGui::BeginTabItem("I/O graph")) {
        std::vector<float> pk(s->io_packets.begin(), s->io_packets.end()), by(s->io_bytes.begin(), s->io_bytes.end());
        float h = (ImGui::GetContentRegionAvail().y - ImGui::GetTextLineHeightWithSpacing() * 2) / 2;
        char title[64];
        std::snprintf(title, sizeof title, "packets per %.0f s", s->bucket_seconds);
        ImGui::PlotHistogram("##pk", pk.data(), static_cast<int>(pk.size()), 0, title, 0, FLT_MAX, ImVec2(-1, std::max(40.0f, h)));
        std::snprintf(title, sizeof title, "bytes per %.0f s", s->bucket_seconds);
        ImGui::PlotHistogram("##by", by.data(), static_cast<int>(by.size()), 0, title, 0, FLT_MAX, ImVec2(-1, std::max(40.0f, h)));
        ImGui::TextColored(theme.text_dim(), "0 s to %.0f s, %zu buckets of %.0f s", static_cast<double>(s->duration_ns) / 1e9,
                           pk.size(), s->bucket_seconds);
        ImGui::EndTabItem();
    }
    ImGui::EndTabBar();
}

}  // namespace wirelab::viewer
