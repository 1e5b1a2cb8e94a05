// The viewer's model (see viewer_model.hpp).
#include "model/viewer_model.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <numeric>
#include <thread>

#include "wirelab/format.hpp"

namespace wirelab::viewer {

RowColour row_colour(const PacketRecord& r, std::string_view protocol) {
    if (r.flags & (kRecMalformed | kRecTruncated)) return RowColour::malformed;
    if (r.flags & kRecRst) return RowColour::tcp_rst;
    if (r.flags & (kRecSyn | kRecFin)) return RowColour::tcp_syn_fin;
    if (protocol == "HTTP") return RowColour::http;
    if (protocol == "WebSocket") return RowColour::websocket;
    if (protocol == "Socket.IO" || protocol == "Engine.IO") return RowColour::socketio;
    if (r.flags & kRecTcp) return RowColour::tcp;
    if (protocol == "DNS" || protocol == "MDNS" || protocol == "LLMNR") return RowColour::dns;
    if (protocol == "ARP") return RowColour::arp;
    if (protocol.substr(0, 4) == "ICMP") return RowColour::icmp;
    if (protocol == "UDP" || protocol == "DHCP" || protocol == "NTP") return RowColour::udp;
    if (protocol == "IPv6") return RowColour::ipv6;
    return RowColour::none;
}

std::string_view row_colour_name(RowColour c) {
    switch (c) {
    case RowColour::malformed: return "Malformed or truncated";
    case RowColour::tcp_rst: return "TCP RST";
    case RowColour::tcp_syn_fin: return "TCP SYN/FIN";
    case RowColour::http: return "HTTP";
    case RowColour::websocket: return "WebSocket";
    case RowColour::socketio: return "Socket.IO / Engine.IO";
    case RowColour::tcp: return "TCP";
    case RowColour::dns: return "DNS";
    case RowColour::udp: return "UDP";
    case RowColour::arp: return "ARP";
    case RowColour::icmp: return "ICMP";
    case RowColour::ipv6: return "IPv6";
    default: return "other";
    }
}

std::string json_quote(std::string_view s) {
    std::string o;
    append_json_string(o, s);
    return o;
}

ViewerModel::ViewerModel() { settings_.load(); }

ViewerModel::~ViewerModel() {
    live_.stop();
    pass_.reset();
    if (data_) data_->stop();
}

void ViewerModel::add_message(UserMessage::Level level, std::string text) {
    messages_.push_back({level, std::move(text)});
}

void ViewerModel::dismiss_message(std::size_t i) {
    if (i < messages_.size()) messages_.erase(messages_.begin() + static_cast<long>(i));
}

void ViewerModel::reset_view_state() {
    pass_.reset();
    order_.clear();
    sorted_count_ = 0;
    selected_.reset();
    ++selection_gen_;
    decoded_.reset();
    selected_node_.reset();
    hovered_node_.reset();
    shown_source_ = 0;
    info_cache_.clear();
    follow_.reset();
    ladder_.reset();
    stats_.reset();
    capture_error_reported_ = false;
}

void ViewerModel::close() {
    live_.stop();
    reset_view_state();
    if (data_) data_->stop();
    data_.reset();
}

bool ViewerModel::open_file(const std::string& path) {
    std::string err;
    std::unique_ptr<MappedBytes> bytes = MappedBytes::open(path, err);
    if (!bytes) {
        add_message(UserMessage::Level::error, "Cannot open " + err);
        return false;
    }
    close();
    data_ = std::make_shared<CaptureData>(path, std::move(bytes), decoder_.registry(), false);
    data_->start_indexing();
    settings_.add_recent_file(path);
    settings_.save();
    restart_filter();
    return true;
}

bool ViewerModel::start_live(const std::string& iface, const std::string& capture_filter) {
    close();
    std::string err;
    data_ = live_.start(iface, decoder_.registry(), err, capture_filter);
    if (!data_) {
        add_message(UserMessage::Level::error, err);
        return false;
    }
    restart_filter();
    return true;
}

void ViewerModel::stop_live() { live_.stop(); }

bool ViewerModel::save_capture(const std::string& path) {
    if (!data_) return false;
    std::string err;
    bool ok = save_pcapng(*data_, path, err);
    if (!ok) add_message(UserMessage::Level::error, "Cannot save: " + err);
    else add_message(err.empty() ? UserMessage::Level::info : UserMessage::Level::warning,
                     "Saved " + std::to_string(data_->index().size()) + " packets to " + path +
                         (err.empty() ? "" : " (" + err + ")"));
    return ok;
}

void ViewerModel::update() {
    if (data_ && data_->done() && !capture_error_reported_) {
        capture_error_reported_ = true;
        std::string e = data_->error();
        if (!e.empty()) {
            std::size_t n = data_->index().size();
            add_message(UserMessage::Level::warning,
                        (data_->live() ? e : "The file is damaged or cut short; showing the " + std::to_string(n) +
                                                 " packets read before the problem.\n" + e));
        }
    }
    if (auto r = worker_.result(); r && r != decoded_ && selected_ && r->index == *selected_) {
        decoded_ = std::move(r);
        if (shown_source_ >= decoded_->source_count()) shown_source_ = 0;
    }
    // A sort keeps new rows (still arriving from the passes) at the end until they are done.
    if (!order_.empty() && displayed_count() != sorted_count_ && !indexing() && !filtering()) rebuild_order();
}

bool ViewerModel::busy() const {
    return indexing() || filtering() || worker_.busy() || (selected_ && !decoded());
}

bool ViewerModel::wait_idle(double seconds) {
    auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    for (;;) {
        update();
        if (!busy() || live_running()) {
            update();
            return !busy();
        }
        if (std::chrono::steady_clock::now() > end) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

// ---- Rows ----

std::size_t ViewerModel::displayed_count() const {
    if (!data_) return 0;
    return pass_ ? pass_->size() : data_->index().size();
}

std::size_t ViewerModel::displayed_at(std::size_t i) const { return pass_ ? (*pass_)[i] : i; }

std::size_t ViewerModel::row_count() const { return displayed_count(); }

std::size_t ViewerModel::packet_at(std::size_t row) const {
    if (row < order_.size()) return displayed_at(order_[row]);
    return displayed_at(row);
}

std::optional<std::size_t> ViewerModel::row_of(std::size_t packet) const {
    std::size_t n = displayed_count();
    if (!order_.empty()) {
        for (std::size_t r = 0; r < n; ++r)
            if (packet_at(r) == packet) return r;
        return std::nullopt;
    }
    if (!pass_) return packet < n ? std::optional<std::size_t>(packet) : std::nullopt;
    // Matches are in file order: binary search.
    std::size_t lo = 0, hi = n;
    while (lo < hi) {
        std::size_t mid = (lo + hi) / 2;
        if ((*pass_)[mid] < packet) lo = mid + 1;
        else hi = mid;
    }
    if (lo < n && (*pass_)[lo] == packet) return lo;
    return std::nullopt;
}

std::string ViewerModel::cell_text(std::size_t packet, Column c) {
    if (!data_ || packet >= data_->index().size()) return {};
    const PacketIndex& index = data_->index();
    const PacketRecord& r = index[packet];
    switch (c) {
    case Column::number: return std::to_string(packet + 1);
    case Column::time: {
        std::string t;
        if (time_format_ == TimeFormat::absolute) {
            std::time_t secs = static_cast<std::time_t>(r.ts_ns / 1'000'000'000);
            std::tm tm{};
            gmtime_r(&secs, &tm);
            char buf[48];
            std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d.%06lld", tm.tm_year + 1900, tm.tm_mon + 1,
                          tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                          static_cast<long long>((r.ts_ns % 1'000'000'000) / 1000));
            return buf;
        }
        std::int64_t base = time_format_ == TimeFormat::relative ? index.first_ts()
                            : packet > 0                        ? index[packet - 1].ts_ns
                                                                : r.ts_ns;
        append_seconds(t, r.ts_ns - base, 6);
        return t;
    }
    case Column::source: return std::string(index.address(r.src));
    case Column::destination: return std::string(index.address(r.dst));
    case Column::protocol: return std::string(index.protocol(r.protocol));
    case Column::length: return std::to_string(r.wire_len);
    case Column::info: return std::string(info_cache_.get(index, packet));
    default: return {};
    }
}

void ViewerModel::row_text(std::size_t row, RowText& out) {
    std::size_t packet = packet_at(row);
    out.packet = packet;
    out.number = cell_text(packet, Column::number);
    out.time = cell_text(packet, Column::time);
    out.source = cell_text(packet, Column::source);
    out.destination = cell_text(packet, Column::destination);
    out.protocol = cell_text(packet, Column::protocol);
    out.length = cell_text(packet, Column::length);
    out.info = data_ ? info_cache_.get(data_->index(), packet) : std::string_view();
    out.colour = data_ ? row_colour(data_->index()[packet], out.protocol) : RowColour::none;
}

void ViewerModel::sort(Column c, bool ascending) {
    sort_column_ = c;
    sort_ascending_ = ascending;
    rebuild_order();
}

void ViewerModel::rebuild_order() {
    order_.clear();
    sorted_count_ = displayed_count();
    if (!data_ || (sort_column_ == Column::number && sort_ascending_)) return;
    const PacketIndex& index = data_->index();
    std::size_t n = sorted_count_;
    order_.resize(n);
    std::iota(order_.begin(), order_.end(), 0u);
    auto pk = [&](std::uint32_t i) { return displayed_at(i); };
    // Names sort by their text: rank the (few) distinct strings once, then compare ranks.
    auto ranks = [](std::size_t count, auto&& get) {
        std::vector<std::uint32_t> ids(count), rank(count);
        std::iota(ids.begin(), ids.end(), 0u);
        std::sort(ids.begin(), ids.end(), [&](std::uint32_t a, std::uint32_t b) { return get(a) < get(b); });
        for (std::uint32_t k = 0; k < count; ++k) rank[ids[k]] = k;
        return rank;
    };
    auto stable = [&](auto&& key) {
        std::stable_sort(order_.begin(), order_.end(), [&](std::uint32_t a, std::uint32_t b) {
            return sort_ascending_ ? key(pk(a)) < key(pk(b)) : key(pk(b)) < key(pk(a));
        });
    };
    switch (sort_column_) {
    case Column::number: stable([](std::size_t p) { return p; }); break;
    case Column::time:
        if (time_format_ == TimeFormat::delta)
            stable([&](std::size_t p) { return p ? index[p].ts_ns - index[p - 1].ts_ns : 0; });
        else
            stable([&](std::size_t p) { return index[p].ts_ns; });
        break;
    case Column::source:
    case Column::destination: {
        std::size_t count = 0;
        for (std::size_t i = 0; i < n; ++i) count = std::max<std::size_t>(count, std::max(index[pk(static_cast<std::uint32_t>(i))].src, index[pk(static_cast<std::uint32_t>(i))].dst) + 1);
        auto rank = ranks(count, [&](std::uint32_t id) { return index.address(id); });
        bool src = sort_column_ == Column::source;
        stable([&](std::size_t p) { return rank[src ? index[p].src : index[p].dst]; });
        break;
    }
    case Column::protocol: {
        auto rank = ranks(index.protocol_count(), [&](std::uint32_t id) { return index.protocol(static_cast<std::uint16_t>(id)); });
        stable([&](std::size_t p) { return index[p].protocol < rank.size() ? rank[index[p].protocol] : 0u; });
        break;
    }
    case Column::length: stable([&](std::size_t p) { return index[p].wire_len; }); break;
    case Column::info: {
        // Info texts are inflated once, in file order, into one buffer.
        std::string all;
        std::vector<std::uint64_t> at(n + 1);
        InfoCache cache;
        for (std::size_t i = 0; i < n; ++i) {
            at[i] = all.size();
            all += cache.get(index, pk(static_cast<std::uint32_t>(i)));
        }
        at[n] = all.size();
        std::string_view v(all);
        std::stable_sort(order_.begin(), order_.end(), [&](std::uint32_t a, std::uint32_t b) {
            std::string_view x = v.substr(at[a], at[a + 1] - at[a]), y = v.substr(at[b], at[b + 1] - at[b]);
            return sort_ascending_ ? x < y : y < x;
        });
        break;
    }
    default: break;
    }
}

// ---- Selection ----

void ViewerModel::select_packet(std::size_t packet) {
    if (!data_ || packet >= data_->index().size()) return;
    if (selected_ == packet) return;
    selected_ = packet;
    ++selection_gen_;
    selected_node_.reset();
    hovered_node_.reset();
    shown_source_ = 0;
    worker_.request(data_, packet);
}

void ViewerModel::select_row(std::size_t row) {
    if (row < row_count()) select_packet(packet_at(row));
}

std::optional<std::size_t> ViewerModel::selected_row() const {
    if (!selected_) return std::nullopt;
    return row_of(*selected_);
}

void ViewerModel::move_selection(long rows) {
    std::size_t n = row_count();
    if (n == 0) return;
    std::optional<std::size_t> cur = selected_row();
    long target = cur ? static_cast<long>(*cur) + rows : (rows >= 0 ? 0 : static_cast<long>(n) - 1);
    target = std::clamp<long>(target, 0, static_cast<long>(n) - 1);
    select_row(static_cast<std::size_t>(target));
}

void ViewerModel::select_first_row() {
    if (row_count()) select_row(0);
}

void ViewerModel::select_last_row() {
    if (row_count()) select_row(row_count() - 1);
}

bool ViewerModel::go_to_packet(std::size_t number) {
    if (number == 0 || !data_ || number > data_->index().size()) return false;
    if (!row_of(number - 1)) return false;  // hidden by the filter
    select_packet(number - 1);
    return true;
}

const DecodedPacket* ViewerModel::decoded() const {
    if (!decoded_ || !selected_ || decoded_->index != *selected_) return nullptr;
    return decoded_.get();
}

bool ViewerModel::decoding() const { return selected_ && !decoded(); }

void ViewerModel::select_node(std::size_t node) {
    const DecodedPacket* p = decoded();
    if (!p || node >= p->tree.nodes().size()) return;
    selected_node_ = node;
    ++reveal_gen_;
    std::uint8_t s = p->tree.nodes()[node].source;
    if (s < p->source_count() && p->tree.nodes()[node].length > 0) shown_source_ = s;
}

void ViewerModel::clear_node() { selected_node_.reset(); }

void ViewerModel::select_layer(std::size_t layer) {
    const DecodedPacket* p = decoded();
    if (!p || layer >= p->layers.size()) return;
    select_node(p->layers[layer].node);
}

void ViewerModel::select_byte(std::uint8_t source, std::uint32_t offset) {
    const DecodedPacket* p = decoded();
    if (!p || source >= p->byte_node.size() || offset >= p->byte_node[source].size()) return;
    std::int32_t n = p->byte_node[source][offset];
    if (n >= 0) select_node(static_cast<std::size_t>(n));
}

std::vector<std::size_t> ViewerModel::ancestors(std::size_t node) const {
    std::vector<std::size_t> out;
    const DecodedPacket* p = decoded();
    if (!p || node >= p->tree.nodes().size()) return out;
    const auto& nodes = p->tree.nodes();
    std::uint16_t depth = nodes[node].depth;
    for (std::size_t i = node; i-- > 0 && depth > 0;) {
        if (nodes[i].depth < depth) {
            out.push_back(i);
            depth = nodes[i].depth;
        }
    }
    std::reverse(out.begin(), out.end());
    return out;
}

void ViewerModel::hover_node(std::size_t node) {
    const DecodedPacket* p = decoded();
    if (p && node < p->tree.nodes().size()) hovered_node_ = node;
}

void ViewerModel::hover_byte(std::uint8_t source, std::uint32_t offset) {
    const DecodedPacket* p = decoded();
    hovered_node_.reset();
    if (!p || source >= p->byte_node.size() || offset >= p->byte_node[source].size()) return;
    std::int32_t n = p->byte_node[source][offset];
    if (n >= 0) hovered_node_ = static_cast<std::size_t>(n);
}

void ViewerModel::clear_hover() { hovered_node_.reset(); }

ByteRange ViewerModel::highlight() const {
    const DecodedPacket* p = decoded();
    if (!p || !selected_node_) return {};
    return p->node_range(*selected_node_);
}

ByteRange ViewerModel::hover_range() const {
    const DecodedPacket* p = decoded();
    if (!p || !hovered_node_) return {};
    return p->node_range(*hovered_node_);
}

int ViewerModel::selected_layer() const {
    const DecodedPacket* p = decoded();
    if (!p || !selected_node_) return -1;
    return p->layer_of_node(*selected_node_);
}

// ---- Filter ----

void ViewerModel::edit_filter(std::string text) {
    filter_text_ = std::move(text);
    FilterError err;
    if (DisplayFilter::compile(filter_text_, decoder_.registry(), err)) filter_error_.reset();
    else filter_error_ = err;
}

bool ViewerModel::apply_filter() {
    FilterError err;
    std::optional<DisplayFilter> f = DisplayFilter::compile(filter_text_, decoder_.registry(), err);
    if (!f) {
        filter_error_ = err;
        return false;
    }
    filter_error_.reset();
    filter_ = std::move(*f);
    applied_filter_ = filter_text_;
    if (!applied_filter_.empty()) {
        settings_.add_filter(applied_filter_);
        settings_.save();
    }
    restart_filter();
    return true;
}

bool ViewerModel::apply_filter(std::string text) {
    edit_filter(std::move(text));
    return apply_filter();
}

void ViewerModel::restart_filter() {
    pass_.reset();
    order_.clear();
    sorted_count_ = 0;
    if (data_ && !filter_.empty()) pass_ = std::make_unique<FilterPass>(data_, filter_);
    ++selection_gen_;  // the selected row moved: scroll to it again
    if (sort_column_ != Column::number || !sort_ascending_) rebuild_order();
}

double ViewerModel::filter_progress() const {
    if (!pass_ || !data_) return 1.0;
    if (pass_->done()) return 1.0;
    // Both passes read the whole file: the filter's share of it.
    double total = static_cast<double>(std::max<std::size_t>(1, data_->index().size()));
    return static_cast<double>(pass_->scanned()) / total * data_->progress();
}

// ---- Follow, ladder, stats ----

std::uint32_t ViewerModel::selected_stream() const {
    if (!data_ || !selected_) return kNoStream;
    return data_->index()[*selected_].tcp_stream;
}

void ViewerModel::follow_stream(std::uint32_t stream) {
    if (!data_ || stream == kNoStream) {
        follow_.reset();
        return;
    }
    follow_ = std::make_unique<FollowData>(follow_tcp_stream(*data_, stream));
}

void ViewerModel::ladder_tcp(std::uint32_t stream) {
    if (!data_ || stream == kNoStream) {
        ladder_.reset();
        return;
    }
    ladder_ = std::make_unique<Ladder>(tcp_ladder(*data_, stream));
}

void ViewerModel::ladder_socketio() {
    if (!data_) return;
    ladder_ = std::make_unique<Ladder>(socketio_ladder(*data_));
}

bool ViewerModel::export_ladder_svg(const std::string& path, std::string& err) const {
    if (!ladder_) {
        err = "no ladder diagram to export";
        return false;
    }
    std::ofstream out(path, std::ios::trunc | std::ios::binary);
    out << ladder_svg(*ladder_);
    if (!out) {
        err = path + ": cannot write";
        return false;
    }
    return true;
}

void ViewerModel::compute_stats() {
    if (!data_) return;
    stats_ = std::make_unique<Stats>(viewer::compute_stats(data_->index()));
}

// ---- State ----

std::string ViewerModel::state_json(std::string_view panel, std::string_view extra) const {
    std::string o = "{\n";
    auto field = [&](std::string_view name, const std::string& value, bool comma = true) {
        o += "  ";
        o += json_quote(name);
        o += ": ";
        o += value;
        if (comma) o += ",";
        o += "\n";
    };
    field("file", data_ ? json_quote(data_->name()) : "null");
    field("packets", std::to_string(packet_count()));
    field("indexing_done", data_ && data_->done() ? "true" : "false");
    field("capture_error", data_ && data_->done() && !data_->error().empty() ? json_quote(data_->error()) : "null");
    field("index_bytes", std::to_string(data_ ? data_->index().memory() : 0));
    std::string f = "{\"text\": " + json_quote(applied_filter_) + ", \"editing\": " + json_quote(filter_text_) +
                    ", \"done\": " + (filtering() ? "false" : "true") + ", \"error\": ";
    if (filter_error_)
        f += "{\"column\": " + std::to_string(filter_error_->column) + ", \"message\": " + json_quote(filter_error_->message) + "}";
    else
        f += "null";
    f += ", \"engine\": ";
    f += DisplayFilter::full_engine() ? "\"core\"" : "\"interim subset\"";
    f += "}";
    field("filter", f);
    field("displayed", std::to_string(row_count()));
    field("panel", json_quote(panel));
    std::string msgs = "[";
    for (std::size_t i = 0; i < messages_.size(); ++i) {
        if (i) msgs += ", ";
        msgs += json_quote(messages_[i].text);
    }
    field("messages", msgs + "]");
    if (follow_)
        field("follow", "{\"stream\": " + std::to_string(follow_->stream) + ", \"ascii_lines\": " +
                            std::to_string(follow_->ascii.size()) + ", \"http_lines\": " + std::to_string(follow_->http.size()) +
                            ", \"websocket_messages\": " + std::to_string(follow_->websocket.size()) +
                            ", \"socketio_packets\": " + std::to_string(follow_->socketio.size()) + "}");
    if (ladder_)
        field("ladder", "{\"title\": " + json_quote(ladder_->title) + ", \"nodes\": " + std::to_string(ladder_->nodes.size()) +
                            ", \"arrows\": " + std::to_string(ladder_->arrows.size()) + "}");
    if (!extra.empty()) {
        o += "  ";
        o += extra;
        o += ",\n";
    }
    const DecodedPacket* p = decoded();
    if (!p) {
        field("selected", selected_ ? "{\"number\": " + std::to_string(*selected_ + 1) + ", \"decoded\": false}" : "null", false);
        o += "}\n";
        return o;
    }
    std::string s = "{\n    \"number\": " + std::to_string(p->index + 1) + ",\n    \"protocol\": " + json_quote(p->protocol) +
                    ",\n    \"info\": " + json_quote(p->info) + ",\n    \"exact\": " + (p->exact ? "true" : "false") +
                    ",\n    \"tcp_stream\": " +
                    (selected_stream() == kNoStream ? std::string("null") : std::to_string(selected_stream())) +
                    ",\n    \"layers\": [";
    for (std::size_t l = 0; l < p->layers.size(); ++l) {
        const LayerBand& b = p->layers[l];
        s += l ? ",\n      " : "\n      ";
        s += "{\"abbrev\": " + json_quote(b.proto->abbrev) + ", \"name\": " + json_quote(b.proto->name) +
             ", \"osi\": " + std::to_string(static_cast<int>(b.proto->osi)) + ", \"osi_name\": " + json_quote(osi_name(b.proto->osi)) +
             ", \"tcpip\": " + json_quote(tcpip_name(b.proto->tcpip)) + ", \"source\": " + std::to_string(b.source) +
             ", \"offset\": " + std::to_string(b.start) + ", \"header_length\": " + std::to_string(b.header_end - b.start) +
             ", \"length\": " + std::to_string(b.end - b.start) + "}";
    }
    s += "\n    ],\n    \"field\": ";
    if (selected_node_) {
        const Node& n = p->tree.nodes()[*selected_node_];
        std::string value;
        if (n.field->type != FieldType::protocol && n.field->type != FieldType::none)
            append_display_value(value, p->tree, p->frame, n);
        s += "{\"abbrev\": " + json_quote(n.field->abbrev) + ", \"label\": " + json_quote(n.field->label) +
             ", \"value\": " + json_quote(value) + ", \"layer\": " +
             (n.field->proto ? json_quote(n.field->proto->abbrev) : std::string("null")) + "}";
    } else {
        s += "null";
    }
    ByteRange h = highlight();
    s += ",\n    \"highlight\": ";
    s += h.empty() ? "null"
                   : "{\"source\": " + std::to_string(h.source) + ", \"offset\": " + std::to_string(h.offset) +
                         ", \"length\": " + std::to_string(h.length) + "}";
    ByteRange hv = hover_range();
    s += ",\n    \"hover\": ";
    s += hv.empty() ? "null"
                    : "{\"source\": " + std::to_string(hv.source) + ", \"offset\": " + std::to_string(hv.offset) +
                          ", \"length\": " + std::to_string(hv.length) + "}";
    s += "\n  }";
    field("selected", s, false);
    o += "}\n";
    return o;
}

}  // namespace wirelab::viewer
