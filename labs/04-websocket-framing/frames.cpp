// Reading frames off a byte stream, and drawing their headers (RFC 6455 section 5.2).
#include "frames.hpp"

#include <algorithm>
#include <cstdio>

namespace lab04 {

std::size_t FrameReader::fail(std::size_t used, const ws::Violation& v, FrameEvents& events) {
    failed_ = true;
    events.on_violation(v);
    return used;
}

std::size_t FrameReader::feed(std::span<std::uint8_t> data, FrameEvents& events) {
    std::size_t pos = 0;
    while (!failed_ && !stopped_ && pos < data.size()) {
        if (!in_frame_) {
            ws::FrameHeader h;
            std::string error;
            ws::Parse got = ws::parse_header(data.subspan(pos), h, &error);
            if (got == ws::Parse::incomplete) break;
            if (got == ws::Parse::error) return fail(pos, {ws::kProtocolError, error}, events);
            // No extension is ever agreed here, so RSV1 is as forbidden as RSV2 and RSV3.
            if (auto v = ws::check_frame(h, from_client_, in_message_, false)) return fail(pos, *v, events);

            if (h.opcode & 0x08) {
                // A control frame (section 5.5) may arrive between the fragments of a message.
                // Its payload is at most 125 bytes, so wait until all of it is here.
                if (data.size() - pos < h.header_length + h.payload_length) break;
                events.on_frame(h, data.subspan(pos, h.header_length));
                auto payload = data.subspan(pos + h.header_length, h.payload_length);
                if (h.masked) ws::apply_mask(payload, h.mask);
                pos += h.header_length + h.payload_length;
                if (h.opcode == ws::kClose)
                    if (auto v = ws::check_close_payload(payload)) return fail(pos, *v, events);
                if (!events.on_control(h, payload)) stopped_ = true;
                continue;
            }

            if (h.opcode != ws::kContinuation) {
                in_message_ = true;
                message_opcode_ = h.opcode;
                message_.clear();
                utf8_.reset();
            }
            // Refuse a message that would grow past the limit before reading its payload: a
            // header alone can announce 2^63 bytes.
            if (h.payload_length > max_message_ - message_.size())
                return fail(pos, {ws::kMessageTooBig, "message longer than " + std::to_string(max_message_) + " bytes"},
                            events);
            events.on_frame(h, data.subspan(pos, h.header_length));
            pos += h.header_length;

            // The common case: a whole message in one frame, all of it in this read. Unmask it
            // where it lies and hand it over without copying it.
            if (h.fin && h.opcode != ws::kContinuation && data.size() - pos >= h.payload_length) {
                auto payload = data.subspan(pos, h.payload_length);
                if (h.masked) ws::apply_mask(payload, h.mask);
                pos += h.payload_length;
                in_message_ = false;
                if (h.opcode == ws::kText && !ws::valid_utf8(payload))
                    return fail(pos, {ws::kInvalidPayload, "text message is not valid UTF-8"}, events);
                events.on_message(h.opcode, payload);
                continue;
            }
            frame_ = h;
            frame_read_ = 0;
            in_frame_ = true;
        }

        // The payload of a data frame, in as many pieces as the reads bring.
        std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(frame_.payload_length - frame_read_,
                                                                         data.size() - pos));
        auto piece = data.subspan(pos, n);
        if (frame_.masked) ws::apply_mask(piece, frame_.mask, frame_read_);
        // Check the text as it comes: a server should not read megabytes of a message whose
        // first bytes are already not UTF-8 (section 8.1).
        if (message_opcode_ == ws::kText && !utf8_.feed(piece))
            return fail(pos, {ws::kInvalidPayload, "text message is not valid UTF-8"}, events);
        message_.insert(message_.end(), piece.begin(), piece.end());
        frame_read_ += n;
        pos += n;
        if (frame_read_ < frame_.payload_length) break;
        in_frame_ = false;
        if (frame_.fin) {
            in_message_ = false;
            if (message_opcode_ == ws::kText && !utf8_.complete())
                return fail(pos, {ws::kInvalidPayload, "text message ends inside a UTF-8 character"}, events);
            events.on_message(message_opcode_, message_);
            // A connection that once sent 16 MiB should not keep 16 MiB for the rest of its life.
            if (message_.capacity() > (1u << 20)) message_ = {};
            message_.clear();
        }
    }
    return pos;
}

namespace {

// One field of the header drawing: where it starts, how many bits, and its name.
struct Cell {
    int first_bit;
    int bits;
};

int bit_at(std::span<const std::uint8_t> bytes, int i) { return (bytes[i / 8] >> (7 - i % 8)) & 1; }

std::string bits_of(std::uint64_t value, int width) {
    std::string s;
    for (int i = width - 1; i >= 0; --i) s += ((value >> i) & 1) ? '1' : '0';
    return s;
}

std::string hex(std::span<const std::uint8_t> data, std::size_t max) {
    std::string s;
    char b[4];
    for (std::size_t i = 0; i < data.size() && i < max; ++i) {
        std::snprintf(b, sizeof b, "%s%02x", i ? " " : "", data[i]);
        s += b;
    }
    if (data.size() > max) s += " ...";
    return s;
}

// The border between two rows of the box: '+' wherever a cell of either row starts or ends.
std::string border(const std::vector<int>& above, const std::vector<int>& below, int width) {
    std::string line(static_cast<std::size_t>(2 * width + 1), '-');
    for (int b : above) line[2 * static_cast<std::size_t>(b)] = '+';
    for (int b : below) line[2 * static_cast<std::size_t>(b)] = '+';
    return line;
}

}  // namespace

std::string draw_frame(const ws::FrameHeader& h, std::span<const std::uint8_t> header,
                       std::span<const std::uint8_t> payload) {
    // The fields of section 5.2, in the order they are on the wire.
    std::vector<Cell> cells = {{0, 1}, {1, 1}, {2, 1}, {3, 1}, {4, 4}, {8, 1}, {9, 7}};
    int bit = 16;
    if (h.length_code == 126) cells.push_back({bit, 16}), bit += 16;
    if (h.length_code == 127) cells.push_back({bit, 64}), bit += 64;
    if (h.masked) cells.push_back({bit, 32}), bit += 32;
    const int total = bit;

    const std::string indent = "    ";
    std::string out = indent + " 0                   1                   2                   3\n" + indent +
                      " 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1\n";
    std::vector<int> previous;  // cell boundaries of the row above, relative to its first bit
    int previous_width = 0;
    for (int row = 0; row * 32 < total; ++row) {
        int a = row * 32, b = std::min(total, a + 32);
        std::vector<int> bounds;
        std::string line = "|";
        for (const Cell& c : cells) {
            int from = std::max(a, c.first_bit), to = std::min(b, c.first_bit + c.bits);
            if (from >= to) continue;
            bounds.push_back(from - a);
            for (int i = from; i < to; ++i) {
                line += static_cast<char>('0' + bit_at(header, i));
                line += i + 1 < to ? ' ' : '|';
            }
        }
        bounds.push_back(b - a);
        out += indent + border(previous, bounds, std::max(previous_width, b - a)) + "\n";
        out += indent + line + "\n";
        previous = bounds;
        previous_width = b - a;
    }
    out += indent + border(previous, {}, previous_width) + "\n";

    // The legend: each field's bits and what they mean.
    char text[512];
    std::snprintf(text, sizeof text, "%sFIN=%d%s  RSV1-3=%d%d%d  opcode=%s (%u, %.*s)\n", indent.c_str(), h.fin,
                  h.fin ? " (the last frame of its message)" : " (more frames of this message follow)", h.rsv1, h.rsv2,
                  h.rsv3, bits_of(h.opcode, 4).c_str(), h.opcode, int(ws::opcode_name(h.opcode).size()),
                  ws::opcode_name(h.opcode).data());
    out += text;
    std::snprintf(text, sizeof text, "%sMASK=%d%s  payload len=%s (%u%s)\n", indent.c_str(), h.masked,
                  h.masked ? " (a masking key follows)" : " (no masking key)", bits_of(h.length_code, 7).c_str(),
                  h.length_code,
                  h.length_code == 126 ? ": the length is in the next 16 bits"
                  : h.length_code == 127 ? ": the length is in the next 64 bits"
                                         : ": the length itself");
    out += text;
    if (h.length_code >= 126) {
        std::snprintf(text, sizeof text, "%sextended payload length (%d bits) = %llu\n", indent.c_str(),
                      h.length_code == 126 ? 16 : 64, static_cast<unsigned long long>(h.payload_length));
        out += text;
    }
    if (h.masked) out += indent + "masking key = " + hex(h.mask, 4) + "\n";
    if (!payload.empty()) {
        if (h.masked) {
            // Mask a copy of the first bytes again to show what actually crossed the wire.
            auto shown = payload.first(std::min<std::size_t>(payload.size(), 16));
            std::vector<std::uint8_t> wire(shown.begin(), shown.end());
            ws::apply_mask(wire, h.mask);
            out += indent + "payload on the wire (masked): " + hex(wire, 16) + (payload.size() > 16 ? " ..." : "") + "\n";
        }
        out += indent + "payload (" + std::to_string(payload.size()) + " bytes): " + preview(payload) + "\n";
        if (h.opcode == ws::kClose && payload.size() >= 2)
            out += indent + "close code = " + std::to_string(payload[0] << 8 | payload[1]) + ", reason = " +
                   preview(payload.subspan(2), 123) + "\n";
    }
    return out;
}

std::string frame_summary(const ws::FrameHeader& h) {
    std::string s(ws::opcode_name(h.opcode));
    s += " " + std::to_string(h.payload_length) + " bytes";
    if (h.fin) s += " FIN";
    if (h.masked) s += " MASK " + hex(h.mask, 4);
    return s;
}

std::string preview(std::span<const std::uint8_t> data, std::size_t max) {
    // Text if it is UTF-8 without control characters, else hex.
    std::size_t n = std::min(data.size(), max);
    while (n < data.size() && n > 0 && (data[n] & 0xc0) == 0x80) --n;  // do not cut a character
    auto shown = data.first(n);
    bool printable = std::all_of(shown.begin(), shown.end(), [](std::uint8_t c) { return c >= 0x20 && c != 0x7f; });
    if (!printable || !ws::valid_utf8(shown)) return hex(data, std::min<std::size_t>(max, 16));
    std::string s = "\"" + std::string(shown.begin(), shown.end()) + "\"";
    if (data.size() > n) s += "...";
    return s;
}

}  // namespace lab04
