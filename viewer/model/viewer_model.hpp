// The packet viewer's model: everything the window shows, with no ImGui in it.
//
// It owns the opened capture (file or live), the background passes (index, display filter),
// the worker that decodes the selected packet, and the state the views share: the selected
// packet, the selected and hovered field (as byte ranges), the filter being typed and the one
// applied, the followed stream, the ladder diagram and the statistics. The views read it and
// call its methods; they never talk to each other. update() is called once a frame to pick up
// what the workers finished.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/capture_data.hpp"
#include "model/conversation_data.hpp"
#include "model/decoded_packet.hpp"
#include "model/display_filter.hpp"
#include "model/filter_pass.hpp"
#include "model/live_capture.hpp"
#include "model/packet_decoder.hpp"
#include "model/settings.hpp"
#include "wirelab/decoder.hpp"

namespace wirelab::viewer {

enum class TimeFormat : std::uint8_t { absolute, relative, delta };
enum class Column : std::uint8_t { number, time, source, destination, protocol, length, info, count };

// Colouring rules of the packet list, as Wireshark's default ones (first match wins).
enum class RowColour : std::uint8_t {
    none, malformed, tcp_rst, tcp_syn_fin, http, websocket, socketio, tcp, dns, udp, arp, icmp, ipv6,
    count
};
RowColour row_colour(const PacketRecord& r, std::string_view protocol);
std::string_view row_colour_name(RowColour c);  // "TCP SYN/FIN", for the legend in Help

// The text of one packet list row.
struct RowText {
    std::size_t packet = 0;
    std::string number, time, source, destination, protocol, length;
    std::string_view info;  // valid until the next call
    RowColour colour = RowColour::none;
};

struct UserMessage {
    enum class Level : std::uint8_t { info, warning, error } level = Level::info;
    std::string text;
};

class ViewerModel {
public:
    ViewerModel();
    ~ViewerModel();
    ViewerModel(const ViewerModel&) = delete;
    ViewerModel& operator=(const ViewerModel&) = delete;

    // ---- Opening ----
    // Opens a capture file and starts indexing it in the background. False (and a message)
    // if it cannot be opened at all; a damaged file opens with what could be read.
    bool open_file(const std::string& path);
    bool start_live(const std::string& iface, const std::string& capture_filter = {});
    void stop_live();
    bool live_running() const { return live_.running(); }
    bool save_capture(const std::string& path);  // pcapng
    void close();
    const CaptureData* capture() const { return data_.get(); }
    bool has_capture() const { return data_ != nullptr; }

    // Things to tell the user: what was wrong with a file, why a capture was refused.
    const std::vector<UserMessage>& messages() const { return messages_; }
    void add_message(UserMessage::Level level, std::string text);
    void dismiss_message(std::size_t i);

    // ---- Once a frame ----
    void update();
    // Background work still going on (index, filter, decode): the frame loop keeps drawing.
    bool busy() const;
    // Waits (calling update()) until nothing is busy or `seconds` passed. Tests, headless mode.
    bool wait_idle(double seconds);

    bool indexing() const { return data_ && !data_->done(); }
    double index_progress() const { return data_ ? data_->progress() : 0.0; }
    std::size_t packet_count() const { return data_ ? data_->index().size() : 0; }

    // ---- Packet list ----
    std::size_t row_count() const;
    std::size_t packet_at(std::size_t row) const;  // 0-based packet index
    std::optional<std::size_t> row_of(std::size_t packet) const;
    void row_text(std::size_t row, RowText& out);
    std::string cell_text(std::size_t packet, Column c);
    TimeFormat time_format() const { return time_format_; }
    void set_time_format(TimeFormat f) { time_format_ = f; }
    void sort(Column c, bool ascending);
    Column sort_column() const { return sort_column_; }
    bool sort_ascending() const { return sort_ascending_; }

    // ---- Selection ----
    void select_packet(std::size_t packet);   // 0-based index; decodes it on the worker
    void select_row(std::size_t row);
    void move_selection(long rows);           // arrows, PgUp/PgDn (clamped to the list)
    void select_first_row();
    void select_last_row();
    bool go_to_packet(std::size_t number);    // 1-based number, as Ctrl+G asks; false if absent
    std::optional<std::size_t> selected_packet() const { return selected_; }
    std::optional<std::size_t> selected_row() const;
    // Changes whenever the selection moves: the list scrolls to it when this changes.
    std::uint64_t selection_generation() const { return selection_gen_; }
    // The selected packet in full, once the worker has decoded it (nullptr until then).
    const DecodedPacket* decoded() const;
    bool decoding() const;

    // ---- Field selection and hover (shared by tree, model panel, bytes, explain) ----
    void select_node(std::size_t node);
    void clear_node();
    void select_layer(std::size_t layer);    // a layer of decoded()->layers
    void select_byte(std::uint8_t source, std::uint32_t offset);  // selects the field of that byte
    std::optional<std::size_t> selected_node() const { return selected_node_; }
    // Changes when a selection is made outside the tree: the tree opens and scrolls to it.
    std::uint64_t reveal_generation() const { return reveal_gen_; }
    std::vector<std::size_t> ancestors(std::size_t node) const;  // outermost first
    void hover_node(std::size_t node);
    void hover_byte(std::uint8_t source, std::uint32_t offset);
    void clear_hover();
    std::optional<std::size_t> hovered_node() const { return hovered_node_; }
    ByteRange highlight() const;       // bytes of the selected field
    ByteRange hover_range() const;     // bytes of the hovered field
    std::uint8_t shown_source() const { return shown_source_; }  // data source the bytes pane shows
    void show_source(std::uint8_t s) { shown_source_ = s; }
    // The layer (index into decoded()->layers) of the selected field, -1 if none.
    int selected_layer() const;

    // ---- Display filter ----
    // The text in the filter bar: compiled as it is typed, so the bar can show where it is wrong.
    void edit_filter(std::string text);
    const std::string& filter_text() const { return filter_text_; }
    const std::optional<FilterError>& filter_error() const { return filter_error_; }
    // Applies the text in the bar (false if it does not compile).
    bool apply_filter();
    bool apply_filter(std::string text);
    const std::string& applied_filter() const { return applied_filter_; }
    bool filtering() const { return pass_ && !pass_->done(); }
    double filter_progress() const;

    // ---- Follow stream, ladder, statistics ----
    // The TCP stream of the selected packet (kNoStream if it is not TCP).
    std::uint32_t selected_stream() const;
    void follow_stream(std::uint32_t stream);
    const FollowData* follow() const { return follow_.get(); }
    void ladder_tcp(std::uint32_t stream);
    void ladder_socketio();
    const Ladder* ladder() const { return ladder_.get(); }
    bool export_ladder_svg(const std::string& path, std::string& err) const;
    void compute_stats();
    const Stats* stats() const { return stats_.get(); }

    Settings& settings() { return settings_; }
    const Registry& registry() const { return decoder_.registry(); }

    // The state tests and scripts check, as JSON: file, counts, filter, selected packet with
    // its layers and highlighted bytes. `panel` and `extra` (a JSON object body, may be empty)
    // come from the window.
    std::string state_json(std::string_view panel, std::string_view extra = {}) const;

private:
    void reset_view_state();
    void restart_filter();
    void rebuild_order();
    std::size_t displayed_count() const;
    std::size_t displayed_at(std::size_t i) const;

    Decoder decoder_;  // its registry names fields for the filter; it decodes nothing
    std::shared_ptr<CaptureData> data_;
    LiveCapture live_;
    PacketDecoder worker_;
    std::unique_ptr<FilterPass> pass_;
    DisplayFilter filter_;
    std::string filter_text_, applied_filter_;
    std::optional<FilterError> filter_error_;
    std::vector<UserMessage> messages_;
    Settings settings_;
    InfoCache info_cache_;
    std::string row_scratch_;

    TimeFormat time_format_ = TimeFormat::relative;
    Column sort_column_ = Column::number;
    bool sort_ascending_ = true;
    std::vector<std::uint32_t> order_;  // row -> position in the displayed list (empty: as is)
    std::size_t sorted_count_ = 0;

    std::optional<std::size_t> selected_;
    std::uint64_t selection_gen_ = 0;
    std::shared_ptr<const DecodedPacket> decoded_;
    std::optional<std::size_t> selected_node_, hovered_node_;
    std::uint64_t reveal_gen_ = 0;
    std::uint8_t shown_source_ = 0;
    bool capture_error_reported_ = false;

    std::unique_ptr<FollowData> follow_;
    std::unique_ptr<Ladder> ladder_;
    std::unique_ptr<Stats> stats_;
};

// A JSON string literal (quotes included) of `s`.
std::string json_quote(std::string_view s);

}  // namespace wirelab::viewer
