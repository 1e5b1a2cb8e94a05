// Engine.IO v4 and Socket.IO v5: the packet codecs the dissectors and the labs share, with the
// small JSON reader/writer they need.
//
// Engine.IO (https://socket.io/docs/v4/engine-io-protocol/) carries packets over HTTP
// long-polling bodies or WebSocket messages: a type digit and data, several packets in one
// polling body joined by the record separator 0x1e, binary data as a WebSocket binary message
// or, over polling, as 'b' and base64. Socket.IO (https://socket.io/docs/v4/socket-io-protocol/)
// rides in Engine.IO MESSAGE packets: a type digit, for binary packets the attachment count and
// '-', a namespace and ',', an acknowledgement id, and JSON data; each binary value of the data
// travels as a separate Engine.IO binary message and the JSON holds
// {"_placeholder":true,"num":N} in its place.
//
// Nothing here throws on input: decoders return false (or an Error) naming what is wrong and
// where.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wirelab {

// Where input broke the rules: the byte offset in the text given to the decoder, and what
// is wrong in words ("unterminated string", "ack id overflow").
struct CodecError {
    std::size_t offset = 0;
    std::string what;
};

// ---- JSON (RFC 8259) ----------------------------------------------------------------------

namespace json {

// `binary` is not JSON: it is a Socket.IO attachment put back in the place of its placeholder.
enum class Type : std::uint8_t { null, boolean, number, string, array, object, binary };

struct Value {
    // Declared so that Value is not an aggregate: clang 14 with libstdc++ 12 (the fuzz build)
    // checks aggregate initialisation of `members` while std::pair<std::string, Value> is still
    // incomplete and rejects this header; g++ does not mind either way.
    Value() = default;
    Type type = Type::null;
    bool boolean = false;
    double number = 0;
    // string: the decoded UTF-8 text; number: its text as written ("5", "1.5e3"), so that it is
    // written back unchanged; binary: the bytes.
    std::string text;
    std::vector<Value> items;                           // array
    std::vector<std::pair<std::string, Value>> members;  // object, in the order written
    // Where the value was in the parsed text (0, 0 for values built in code).
    std::size_t offset = 0;
    std::size_t length = 0;

    static Value null_value() { return {}; }
    static Value from_bool(bool b);
    static Value from_number(double d);
    static Value from_string(std::string_view s);
    static Value from_binary(std::span<const std::uint8_t> bytes);
    static Value array(std::vector<Value> items);
    static Value object(std::vector<std::pair<std::string, Value>> members);

    bool is(Type t) const { return type == t; }
    // The member called `key` (the last one, as JavaScript keeps), or nullptr.
    const Value* find(std::string_view key) const;
};

struct Limits {
    std::size_t max_depth = 64;          // arrays and objects inside each other
    std::size_t max_size = 16u << 20;    // bytes of input
    std::size_t max_values = 1u << 20;   // values in the whole document
};

// Parses one JSON document (whitespace around it allowed, nothing else). On failure returns
// nullopt and says where and why in `err`. A \u escape naming half of a UTF-16 surrogate pair
// without its other half becomes U+FFFD, as a JavaScript TextEncoder would write it.
std::optional<Value> parse(std::string_view text, CodecError* err = nullptr, const Limits& limits = {});

// Appends `v` as compact JSON, the way JavaScript's JSON.stringify writes it. A binary value,
// which JSON cannot hold, is written the way Node.js prints a Buffer: <Buffer de ad be ef> (at
// most 50 bytes, then "... N more bytes"), for people to read; sio::encode() replaces binary
// values by placeholders before it writes.
void write(std::string& out, const Value& v);
std::string to_string(const Value& v);
// Appends `s` as a JSON string literal with its quotes.
void write_string(std::string& out, std::string_view s);

}  // namespace json

// ---- base64 (RFC 4648 section 4) ---------------------------------------------------------

std::string base64_encode(std::span<const std::uint8_t> bytes);
// Decodes standard base64 with '=' padding; false for any other character, a bad length or
// misplaced padding ("bad base64 ...").
bool base64_decode(std::string_view text, std::vector<std::uint8_t>& out, CodecError* err = nullptr);

// ---- Engine.IO v4 -------------------------------------------------------------------------

namespace eio {

inline constexpr char kRecordSeparator = '\x1e';

enum class PacketType : std::uint8_t { open = 0, close = 1, ping = 2, pong = 3, message = 4, upgrade = 5, noop = 6 };
std::string_view packet_type_name(PacketType t);  // "OPEN", "CLOSE", "PING", ...

struct Packet {
    PacketType type = PacketType::message;
    bool binary = false;  // a binary MESSAGE: `data` holds bytes
    std::string data;     // text after the type digit, or the binary bytes

    static Packet text_message(std::string_view s) { return {PacketType::message, false, std::string(s)}; }
    static Packet binary_message(std::span<const std::uint8_t> b) {
        return {PacketType::message, true, std::string(b.begin(), b.end())};
    }
};

// Over WebSocket every packet is one message: a text message "<type><data>", and a binary
// MESSAGE packet is a binary WebSocket message holding just the bytes (no type prefix).
std::string encode_websocket(const Packet& p);  // check p.binary to pick the frame opcode
// One packet in a long-polling body: as over WebSocket, but binary data is 'b' + base64.
std::string encode_polling_packet(const Packet& p);
// A long-polling body: the packets joined by the record separator 0x1e.
std::string encode_payload(std::span<const Packet> packets);

// Decodes one packet from text: a WebSocket text message, or one record of a polling body
// ('b' + base64 gives a binary message).
bool decode_packet(std::string_view text, Packet& out, CodecError* err = nullptr);
// A WebSocket binary message is a binary MESSAGE packet.
Packet decode_binary(std::span<const std::uint8_t> bytes);

// Where each packet of a polling body is: its offset and length (separators excluded).
struct Record {
    std::size_t offset = 0;
    std::size_t length = 0;
};
std::vector<Record> split_payload(std::string_view body);
// Decodes every packet of a polling body; stops at the first bad one (err says which).
bool decode_payload(std::string_view body, std::vector<Packet>& out, CodecError* err = nullptr);

// The OPEN packet's data (section "Handshake"): the session id, the transports the client may
// upgrade to, the heartbeat timing in milliseconds, and the largest payload the server takes.
struct Handshake {
    std::string sid;
    std::vector<std::string> upgrades;
    std::uint64_t ping_interval = 25000;
    std::uint64_t ping_timeout = 20000;
    std::optional<std::uint64_t> max_payload;
};
bool parse_handshake(std::string_view json_text, Handshake& out, CodecError* err = nullptr);
std::string encode_handshake(const Handshake& h);

// The JSON an Engine.IO server answers a bad HTTP request with ({"code":1,"message":"Session
// ID unknown"}); code names: 0 Transport unknown, 1 Session ID unknown, 2 Bad handshake method,
// 3 Bad request, 4 Forbidden, 5 Unsupported protocol version.
std::string_view error_code_name(std::uint64_t code);

}  // namespace eio

// ---- Socket.IO v5 -------------------------------------------------------------------------

namespace sio {

enum class PacketType : std::uint8_t {
    connect = 0,
    disconnect = 1,
    event = 2,
    ack = 3,
    connect_error = 4,
    binary_event = 5,
    binary_ack = 6,
};
std::string_view packet_type_name(PacketType t);  // "CONNECT", "BINARY_EVENT", ...
bool is_binary(PacketType t);

// Event names the client and server keep for themselves: a packet may not carry them.
bool is_reserved_event(std::string_view name);

// JavaScript numbers hold integers exactly up to 2^53 - 1: larger ack ids cannot round-trip.
inline constexpr std::uint64_t kMaxAckId = (std::uint64_t(1) << 53) - 1;

struct Packet {
    PacketType type = PacketType::event;
    std::string nsp = "/";
    std::optional<std::uint64_t> id;  // acknowledgement id
    std::optional<json::Value> data;  // absent for DISCONNECT and a CONNECT without auth
    std::size_t attachments = 0;      // BINARY_*: binary messages that follow the packet

    // EVENT/BINARY_EVENT: the event name (data[0]) and the arguments after it; ACK: all of data.
    std::optional<std::string> event_name() const;
    std::span<const json::Value> args() const;

    static Packet event(std::string_view nsp, std::string_view name, std::vector<json::Value> args,
                        std::optional<std::uint64_t> id = std::nullopt);
    static Packet ack(std::string_view nsp, std::uint64_t id, std::vector<json::Value> args);
};

// Where the parts of a decoded packet were in the text (for highlighting); length 0: absent.
struct Spans {
    std::size_t attachments_offset = 0, attachments_length = 0;
    std::size_t nsp_offset = 0, nsp_length = 0;
    std::size_t id_offset = 0, id_length = 0;
    std::size_t data_offset = 0, data_length = 0;
};

struct Limits {
    std::size_t max_attachments = 10;  // socket.io-parser's default
    json::Limits json;
};

// The result of encoding: the text packet and the binary attachments to send after it, each
// as its own Engine.IO binary message. A packet whose data holds binary values is sent as
// BINARY_EVENT / BINARY_ACK with placeholders, whatever its type said.
struct Encoded {
    std::string text;
    std::vector<std::vector<std::uint8_t>> attachments;
};
Encoded encode(const Packet& p);

// Decodes the text of one Engine.IO MESSAGE packet. For binary packets, `data` still holds the
// placeholders; reconstruct() (or Reassembler) puts the attachments in.
bool decode(std::string_view text, Packet& out, CodecError* err = nullptr, Spans* spans = nullptr,
            const Limits& limits = {});

// Replaces each {"_placeholder":true,"num":N} in `data` by attachments[N].
bool reconstruct(json::Value& data, std::span<const std::vector<std::uint8_t>> attachments, CodecError* err = nullptr);

// Puts binary packets back together from the Engine.IO messages of one direction of one
// connection, the way socket.io-parser's Decoder does: a BINARY_* packet waits for its
// attachments, which come as the next binary messages.
class Reassembler {
public:
    enum class Status : std::uint8_t {
        packet,      // `packet()` holds a complete packet
        waiting,     // a binary packet needs more attachments
        attachment,  // took an attachment; still waiting for more
        error,       // `error()` says what; the state was reset
    };
    explicit Reassembler(Limits limits = {}) : limits_(limits) {}

    Status add_text(std::string_view text);
    Status add_binary(std::span<const std::uint8_t> bytes);

    const Packet& packet() const { return packet_; }
    const CodecError& error() const { return error_; }
    bool waiting() const { return waiting_; }
    std::size_t received() const { return received_.size(); }
    void reset();

private:
    Limits limits_;
    Packet packet_;
    bool waiting_ = false;
    std::vector<std::vector<std::uint8_t>> received_;
    CodecError error_;
};

}  // namespace sio

}  // namespace wirelab
