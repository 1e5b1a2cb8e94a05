// Engine.IO v4 / Socket.IO v5: the codecs (JSON, base64, Engine.IO packets and payloads,
// Socket.IO packets and binary reassembly) on literal packets, and the dissectors on the
// captures recorded by captures/record-socketio.sh from the official socket.io 4.x server and
// client and the `ws` package.
#include <catch2/catch.hpp>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "wirelab/capture.hpp"
#include "wirelab/decoder.hpp"
#include "wirelab/format.hpp"
#include "wirelab/socketio.hpp"

namespace {

namespace wl = wirelab;
namespace json = wirelab::json;
namespace eio = wirelab::eio;
namespace sio = wirelab::sio;

std::vector<std::uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

json::Value parse_ok(std::string_view text) {
    wl::CodecError err;
    auto v = json::parse(text, &err);
    INFO(text << " -> " << err.what);
    REQUIRE(v);
    return *v;
}

std::string parse_error(std::string_view text, const json::Limits& limits = {}) {
    wl::CodecError err;
    auto v = json::parse(text, &err, limits);
    CHECK_FALSE(v);
    return err.what;
}

sio::Packet decode_ok(std::string_view text) {
    sio::Packet p;
    wl::CodecError err;
    INFO(text);
    bool ok = sio::decode(text, p, &err);
    INFO(err.what);
    REQUIRE(ok);
    return p;
}

std::string decode_error(std::string_view text) {
    sio::Packet p;
    wl::CodecError err;
    INFO(text);
    CHECK_FALSE(sio::decode(text, p, &err));
    return err.what;
}

}  // namespace

// ---- JSON -----------------------------------------------------------------------------------

TEST_CASE("JSON reads every value type and writes it back as JSON.stringify does", "[codec][json]") {
    json::Value v = parse_ok(R"( {"a": [1, -2.5, 1e3, 1E+2, -0, true, false, null], "b": {"c": "d"}, "": []} )");
    REQUIRE(v.is(json::Type::object));
    REQUIRE(v.members.size() == 3);
    const json::Value* a = v.find("a");
    REQUIRE(a);
    REQUIRE(a->items.size() == 8);
    CHECK(a->items[0].number == 1);
    CHECK(a->items[1].number == -2.5);
    CHECK(a->items[2].number == 1000);
    CHECK(a->items[3].number == 100);
    CHECK(a->items[5].boolean);
    CHECK(a->items[7].is(json::Type::null));
    CHECK(v.find("b")->find("c")->text == "d");
    // Numbers keep their text; whitespace goes.
    CHECK(json::to_string(v) == R"({"a":[1,-2.5,1e3,1E+2,-0,true,false,null],"b":{"c":"d"},"":[]})");
    // Offsets point at each value in the text (for the hex pane).
    CHECK(a->offset == 7);
    CHECK(a->items[1].offset == 11);
    CHECK(a->items[1].length == 4);
    // Built values: numbers are written in their shortest form.
    CHECK(json::to_string(json::Value::array({json::Value::from_number(5), json::Value::from_number(0.1)})) == "[5,0.1]");
    // The last of two equal keys wins, as in JavaScript.
    CHECK(parse_ok(R"({"k":1,"k":2})").find("k")->number == 2);
}

TEST_CASE("JSON strings: escapes, uXXXX escape sequences and surrogate pairs", "[codec][json]") {
    CHECK(parse_ok(R"("a\"b\\c\/d\b\f\n\r\t")").text == "a\"b\\c/d\b\f\n\r\t");
    CHECK(parse_ok(R"("\u0041\u00e9\u20ac")").text == "A\xc3\xa9\xe2\x82\xac");          // A, e acute, euro
    CHECK(parse_ok(R"("\ud83d\ude00")").text == "\xf0\x9f\x98\x80");                     // U+1F600 from a pair
    CHECK(parse_ok(R"("\uD83D\uDE00")").text == "\xf0\x9f\x98\x80");                     // upper-case hex
    CHECK(parse_ok(R"("x\ud83dy")").text == "x\xef\xbf\xbdy");                           // lone high half: U+FFFD
    CHECK(parse_ok(R"("\ude00")").text == "\xef\xbf\xbd");                               // lone low half
    CHECK(parse_ok("\"h\xc3\xa9llo\"").text == "h\xc3\xa9llo");                           // raw UTF-8 stays
    // Writing escapes what JSON requires and leaves UTF-8 alone.
    std::string out;
    json::write_string(out, std::string("q\"\\\n\x01\xc3\xa9", 7));
    CHECK(out == "\"q\\\"\\\\\\n\\u0001\xc3\xa9\"");
}

TEST_CASE("JSON errors name the problem and where it is", "[codec][json][malformed]") {
    CHECK(parse_error(R"(["abc)") == "unterminated string");
    CHECK(parse_error(R"(["abc")") == "unterminated array");
    CHECK(parse_error(R"({"a":1)") == "unterminated object");
    CHECK(parse_error(R"("\x")") == "bad escape \\x in a string");
    CHECK(parse_error(R"("\u12g4")").find("bad \\u escape") == 0);
    CHECK(parse_error("\"a\nb\"").find("control character 0x0a") == 0);
    CHECK(parse_error("012") == "bad number: leading zero");
    CHECK(parse_error("1.") == "bad number: no digits after '.'");
    CHECK(parse_error("1e") == "bad number: no digits in the exponent");
    CHECK(parse_error("-") == "bad number: no digits");
    CHECK(parse_error("[1] x") == "unexpected 'x' after the JSON value");
    CHECK(parse_error("[1,]") == "unexpected ']' where a JSON value should start");
    CHECK(parse_error(R"({"a" 1})") == "expected ':' after an object key, found '1'");
    CHECK(parse_error(R"({a:1})") == "expected a string key in an object, found 'a'");
    CHECK(parse_error("[1 2]") == "expected ',' or ']' in an array, found '2'");
    CHECK(parse_error("tru") == "unknown word (expected true)");
    CHECK(parse_error("  ") == "empty JSON text");
    wl::CodecError err;
    CHECK_FALSE(json::parse(R"([1, "x)", &err));
    CHECK(err.offset == 4);  // where the string starts

    json::Limits limits;
    limits.max_depth = 3;
    CHECK(parse_ok("[[[1]]]").items.size() == 1);
    CHECK(parse_error("[[[[1]]]]", limits) == "arrays and objects nested deeper than 3");
    CHECK(parse_error(std::string(100000, '['), json::Limits{}).find("nested deeper than 64") != std::string::npos);
    limits = {};
    limits.max_size = 8;
    CHECK(parse_error(R"(["123456"])", limits).find("larger than the limit of 8") != std::string::npos);
    limits = {};
    limits.max_values = 3;
    CHECK(parse_error("[1,2,3]", limits) == "more than 3 JSON values");
}

// ---- base64 ---------------------------------------------------------------------------------

TEST_CASE("base64 encodes and decodes the RFC 4648 test vectors", "[codec][base64]") {
    const std::pair<std::string, std::string> vectors[] = {{"", ""},         {"f", "Zg=="},     {"fo", "Zm8="},
                                                           {"foo", "Zm9v"},  {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="},
                                                           {"foobar", "Zm9vYmFy"}};
    for (const auto& [plain, coded] : vectors) {
        CHECK(wl::base64_encode(bytes(plain)) == coded);
        std::vector<std::uint8_t> out;
        CHECK(wl::base64_decode(coded, out));
        CHECK(out == bytes(plain));
    }
    std::vector<std::uint8_t> out;
    CHECK(wl::base64_decode("3q2+7w==", out));
    CHECK(out == std::vector<std::uint8_t>{0xde, 0xad, 0xbe, 0xef});
}

TEST_CASE("bad base64 is named", "[codec][base64][malformed]") {
    std::vector<std::uint8_t> out;
    wl::CodecError err;
    CHECK_FALSE(wl::base64_decode("Zm9", out, &err));
    CHECK(err.what == "bad base64: length 3 is not a multiple of 4");
    CHECK_FALSE(wl::base64_decode("Zm9*", out, &err));
    CHECK(err.what == "bad base64: character '*'");
    CHECK(err.offset == 3);
    CHECK_FALSE(wl::base64_decode("Zg==Zm9v", out, &err));
    CHECK(err.what == "bad base64: character '='");
    CHECK_FALSE(wl::base64_decode("Z=g=", out, &err));
    CHECK(err.what == "bad base64: character '='");
    CHECK_FALSE(wl::base64_decode("Zg=a", out, &err));
    CHECK(err.what == "bad base64: data after '=' padding");
}

// ---- Engine.IO ------------------------------------------------------------------------------

TEST_CASE("Engine.IO: every packet type encodes and decodes", "[codec][engineio]") {
    struct Case {
        eio::PacketType type;
        std::string data;
        std::string wire;
        std::string_view name;
    };
    const Case cases[] = {
        {eio::PacketType::open, R"({"sid":"x"})", R"(0{"sid":"x"})", "OPEN"},
        {eio::PacketType::close, "", "1", "CLOSE"},
        {eio::PacketType::ping, "probe", "2probe", "PING"},
        {eio::PacketType::pong, "probe", "3probe", "PONG"},
        {eio::PacketType::message, "hello \xc3\xa9", "4hello \xc3\xa9", "MESSAGE"},
        {eio::PacketType::upgrade, "", "5", "UPGRADE"},
        {eio::PacketType::noop, "", "6", "NOOP"},
    };
    for (const Case& c : cases) {
        eio::Packet p{c.type, false, c.data};
        CHECK(eio::encode_websocket(p) == c.wire);
        CHECK(eio::encode_polling_packet(p) == c.wire);
        eio::Packet back;
        REQUIRE(eio::decode_packet(c.wire, back));
        CHECK(back.type == c.type);
        CHECK_FALSE(back.binary);
        CHECK(back.data == c.data);
        CHECK(eio::packet_type_name(c.type) == c.name);
    }
}

TEST_CASE("Engine.IO: binary over WebSocket has no prefix, over polling it is b + base64", "[codec][engineio]") {
    const std::uint8_t raw[] = {0x01, 0x02, 0x03, 0x04};
    eio::Packet p = eio::Packet::binary_message(raw);
    CHECK(eio::encode_websocket(p) == std::string("\x01\x02\x03\x04"));
    CHECK(eio::encode_polling_packet(p) == "bAQIDBA==");
    eio::Packet back;
    REQUIRE(eio::decode_packet("bAQIDBA==", back));
    CHECK(back.type == eio::PacketType::message);
    CHECK(back.binary);
    CHECK(back.data == std::string("\x01\x02\x03\x04"));
    eio::Packet ws = eio::decode_binary(raw);
    CHECK(ws.binary);
    CHECK(ws.data.size() == 4);
}

TEST_CASE("Engine.IO: polling payloads split at the 0x1e record separator", "[codec][engineio]") {
    const std::uint8_t raw[] = {0xde, 0xad};
    std::vector<eio::Packet> packets = {eio::Packet::text_message("2[\"a\"]"), {eio::PacketType::ping, false, ""},
                                        eio::Packet::binary_message(raw), {eio::PacketType::noop, false, ""}};
    std::string body = eio::encode_payload(packets);
    CHECK(body == "42[\"a\"]\x1e" "2\x1e" "b3q0=\x1e" "6");
    auto records = eio::split_payload(body);
    REQUIRE(records.size() == 4);
    CHECK(records[0].offset == 0);
    CHECK(records[0].length == 7);
    CHECK(records[2].offset == 10);
    CHECK(records[2].length == 5);
    std::vector<eio::Packet> back;
    REQUIRE(eio::decode_payload(body, back));
    REQUIRE(back.size() == 4);
    CHECK(back[0].data == "2[\"a\"]");
    CHECK(back[1].type == eio::PacketType::ping);
    CHECK(back[2].binary);
    CHECK(back[2].data == "\xde\xad");
    CHECK(back[3].type == eio::PacketType::noop);
    // One packet: no separator.
    CHECK(eio::split_payload("40").size() == 1);
}

TEST_CASE("Engine.IO: malformed packets are named", "[codec][engineio][malformed]") {
    eio::Packet p;
    wl::CodecError err;
    CHECK_FALSE(eio::decode_packet("7", p, &err));
    CHECK(err.what == "bad Engine.IO packet type '7'");
    CHECK_FALSE(eio::decode_packet("", p, &err));
    CHECK(err.what == "empty Engine.IO packet (no type)");
    CHECK_FALSE(eio::decode_packet("b3q2", p, &err));
    CHECK(err.what == "bad base64: length 3 is not a multiple of 4");
    CHECK_FALSE(eio::decode_packet("b3q2*7w==", p, &err));
    CHECK(err.what == "bad base64: character '*'");
    CHECK(err.offset == 4);  // in the packet: after the 'b'

    // Engine.IO v3 framed polling bodies as length:packet.
    CHECK_FALSE(eio::decode_packet("97:0{\"sid\":\"x\"}", p, &err));
    CHECK(err.what.find("Engine.IO v3") != std::string::npos);
    std::vector<eio::Packet> all;
    CHECK_FALSE(eio::decode_payload("4a\x1e" "9\x1e" "6", all, &err));
    CHECK(err.what == "packet 2 of the payload: bad Engine.IO packet type '9'");
    CHECK(err.offset == 3);
}

TEST_CASE("Engine.IO: the OPEN handshake JSON", "[codec][engineio]") {
    eio::Handshake h;
    REQUIRE(eio::parse_handshake(
        R"({"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000})",
        h));
    CHECK(h.sid == "lv_VI97HAXpY6yYWAAAC");
    CHECK(h.upgrades == std::vector<std::string>{"websocket"});
    CHECK(h.ping_interval == 25000);
    CHECK(h.ping_timeout == 20000);
    CHECK(h.max_payload == 1000000u);
    CHECK(eio::encode_handshake(h) ==
          R"({"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000})");

    wl::CodecError err;
    CHECK_FALSE(eio::parse_handshake(R"({"upgrades":[]})", h, &err));
    CHECK(err.what == "the OPEN packet has no \"sid\" string");
    CHECK_FALSE(eio::parse_handshake(R"({"sid":"a","pingInterval":"25000","pingTimeout":1})", h, &err));
    CHECK(err.what == "\"pingInterval\" is not a whole number of milliseconds");
    CHECK_FALSE(eio::parse_handshake(R"({"sid":"a","upgrades":[1],"pingInterval":1,"pingTimeout":1})", h, &err));
    CHECK(err.what == "an entry of \"upgrades\" is not a string");
    CHECK_FALSE(eio::parse_handshake(R"([1])", h, &err));
    CHECK(err.what == "the OPEN packet's data is not a JSON object");
    CHECK_FALSE(eio::parse_handshake(R"({"sid":"a")", h, &err));
    CHECK(err.what == "unterminated object");
    CHECK(eio::error_code_name(1) == "Session ID unknown");
}

// ---- Socket.IO ------------------------------------------------------------------------------

TEST_CASE("Socket.IO: every packet type encodes and decodes", "[codec][socketio]") {
    auto str = [](std::string_view s) { return json::Value::from_string(s); };
    auto num = [](double d) { return json::Value::from_number(d); };

    sio::Packet connect;
    connect.type = sio::PacketType::connect;
    CHECK(sio::encode(connect).text == "0");
    connect.nsp = "/custom";
    connect.data = json::Value::object({{"token", str("abc")}});
    CHECK(sio::encode(connect).text == R"(0/custom,{"token":"abc"})");

    sio::Packet disconnect;
    disconnect.type = sio::PacketType::disconnect;
    disconnect.nsp = "/custom";
    CHECK(sio::encode(disconnect).text == "1/custom,");

    CHECK(sio::encode(sio::Packet::event("/", "chat message", {str("hi")})).text == R"(2["chat message","hi"])");
    CHECK(sio::encode(sio::Packet::event("/admin", "sum", {num(2), num(3)}, 12)).text == R"(2/admin,12["sum",2,3])");
    CHECK(sio::encode(sio::Packet::ack("/", 12, {num(5)})).text == "312[5]");

    sio::Packet refused;
    refused.type = sio::PacketType::connect_error;
    refused.data = json::Value::object({{"message", str("Not authorized")}});
    CHECK(sio::encode(refused).text == R"(4{"message":"Not authorized"})");

    // Binary values become placeholders and attachments; the type follows.
    const std::uint8_t buf[] = {0xde, 0xad, 0xbe, 0xef};
    sio::Encoded bin = sio::encode(sio::Packet::event("/", "upload", {json::Value::from_binary(buf)}, 1));
    CHECK(bin.text == R"(51-1["upload",{"_placeholder":true,"num":0}])");
    REQUIRE(bin.attachments.size() == 1);
    CHECK(bin.attachments[0] == std::vector<std::uint8_t>(buf, buf + 4));
    sio::Encoded back = sio::encode(sio::Packet::ack("/custom", 7, {json::Value::from_binary(buf), json::Value::from_binary(buf)}));
    CHECK(back.text == R"(62-/custom,7[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])");
    CHECK(back.attachments.size() == 2);

    // And every one decodes to what it was.
    sio::Packet p = decode_ok("0");
    CHECK(p.type == sio::PacketType::connect);
    CHECK(p.nsp == "/");
    CHECK_FALSE(p.data);
    p = decode_ok(R"(0/custom,{"sid":"oSO0OpakMV_3jnilAAAA"})");
    CHECK(p.nsp == "/custom");
    CHECK(p.data->find("sid")->text == "oSO0OpakMV_3jnilAAAA");
    p = decode_ok("1/custom,");
    CHECK(p.type == sio::PacketType::disconnect);
    CHECK(p.nsp == "/custom");
    p = decode_ok("1/custom");  // socket.io-parser takes a namespace without its comma at the end
    CHECK(p.nsp == "/custom");
    p = decode_ok(R"(2["chat message","hi"])");
    CHECK(p.type == sio::PacketType::event);
    CHECK(p.event_name() == "chat message");
    REQUIRE(p.args().size() == 1);
    CHECK(p.args()[0].text == "hi");
    CHECK_FALSE(p.id);
    sio::Spans sp;
    REQUIRE(sio::decode(R"(2/admin,12["sum",2,3])", p, nullptr, &sp));
    CHECK(p.nsp == "/admin");
    CHECK(p.id == 12u);
    CHECK(p.args().size() == 2);
    CHECK(sp.nsp_offset == 1);
    CHECK(sp.nsp_length == 6);
    CHECK(sp.id_offset == 8);
    CHECK(sp.id_length == 2);
    CHECK(sp.data_offset == 10);
    p = decode_ok("312[5]");
    CHECK(p.type == sio::PacketType::ack);
    CHECK(p.id == 12u);
    CHECK(p.args()[0].number == 5);
    p = decode_ok(R"(4{"message":"Not authorized"})");
    CHECK(p.type == sio::PacketType::connect_error);
    p = decode_ok(R"(51-1["upload",{"_placeholder":true,"num":0}])");
    CHECK(p.type == sio::PacketType::binary_event);
    CHECK(p.attachments == 1);
    CHECK(p.id == 1u);
    p = decode_ok(R"(62-/custom,7[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])");
    CHECK(p.type == sio::PacketType::binary_ack);
    CHECK(p.attachments == 2);
    CHECK(p.nsp == "/custom");
    CHECK(p.id == 7u);
    // Event names may be numbers (socket.io-parser accepts them).
    CHECK(decode_ok("2[42]").event_name() == "42");
}

TEST_CASE("Socket.IO: malformed packets are named", "[codec][socketio][malformed]") {
    CHECK(decode_error("7[\"x\"]") == "bad Socket.IO packet type '7'");
    CHECK(decode_error("") == "empty Socket.IO packet (no type)");
    CHECK(decode_error("2[\"x\"") == "bad JSON data: unterminated array");
    CHECK(decode_error("2[\"x") == "bad JSON data: unterminated string");
    CHECK(decode_error("29007199254740992[\"x\"]").find("ack id overflow") == 0);
    CHECK(decode_ok("29007199254740991[\"x\"]").id == sio::kMaxAckId);
    CHECK(decode_error("5[\"x\",{\"_placeholder\":true,\"num\":0}]") ==
          "binary packet without its attachment count and '-'");
    CHECK(decode_error("51[\"x\"]") == "binary packet without its attachment count and '-'");
    CHECK(decode_error("511-[\"x\"]") == "too many attachments (more than 10)");
    CHECK(decode_error("2\"x\"") == "EVENT data must be an array starting with the event name");
    CHECK(decode_error("2[]") == "EVENT data must be an array starting with the event name");
    CHECK(decode_error("2[{}]") == "the event name must be a string");
    CHECK(decode_error("2[\"disconnect\"]") == "the event name \"disconnect\" is reserved by Socket.IO");
    CHECK(decode_error("1[1]") == "DISCONNECT carries no data");
    CHECK(decode_error("0[1]") == "CONNECT data must be a JSON object");
    CHECK(decode_error("3[5]") == "ACK without an ack id");
    CHECK(decode_error("31{}") == "ACK data must be an array");
    CHECK(decode_error("4") == "CONNECT_ERROR data must be an object (or a string)");
    sio::Packet p;
    wl::CodecError err;
    CHECK_FALSE(sio::decode("2/a,[\"x\",tru]", p, &err));
    CHECK(err.offset == 9);  // where "tru" starts in the packet
}

TEST_CASE("Socket.IO: attachments take the place of their placeholders", "[codec][socketio]") {
    sio::Reassembler r;
    CHECK(r.add_text(R"(52-/custom,3["files",{"a":{"_placeholder":true,"num":1}},[{"_placeholder":true,"num":0}]])") ==
          sio::Reassembler::Status::waiting);
    CHECK(r.waiting());
    const std::uint8_t first[] = {1, 2}, second[] = {3};
    CHECK(r.add_binary(first) == sio::Reassembler::Status::attachment);
    CHECK(r.received() == 1);
    REQUIRE(r.add_binary(second) == sio::Reassembler::Status::packet);
    const sio::Packet& p = r.packet();
    CHECK(p.event_name() == "files");
    REQUIRE(p.args().size() == 2);
    CHECK(p.args()[0].find("a")->is(json::Type::binary));
    CHECK(p.args()[0].find("a")->text == "\x03");
    CHECK(json::to_string(p.args()[1]) == "[<Buffer 01 02>]");
    CHECK_FALSE(r.waiting());

    // A packet without attachments is whole at once.
    CHECK(r.add_text(R"(2["x"])") == sio::Reassembler::Status::packet);
    // Text where an attachment is due, an attachment nobody waits for, a placeholder too far.
    CHECK(r.add_text(R"(51-["x",{"_placeholder":true,"num":0}])") == sio::Reassembler::Status::waiting);
    CHECK(r.add_text(R"(2["y"])") == sio::Reassembler::Status::error);
    CHECK(r.error().what == "text packet while 1 attachment(s) of a binary packet were due");
    CHECK(r.add_binary(first) == sio::Reassembler::Status::error);
    CHECK(r.error().what == "binary message with no binary packet waiting for it");
    CHECK(r.add_text(R"(51-["x",{"_placeholder":true,"num":3}])") == sio::Reassembler::Status::waiting);
    CHECK(r.add_binary(first) == sio::Reassembler::Status::error);
    CHECK(r.error().what == "placeholder refers to attachment 3 but the packet has 1");

    // Round trip through the encoder.
    std::vector<std::uint8_t> big(60, 0xab);
    sio::Encoded e = sio::encode(sio::Packet::event("/", "blob", {json::Value::from_binary(big)}));
    REQUIRE(r.add_text(e.text) == sio::Reassembler::Status::waiting);
    REQUIRE(r.add_binary(e.attachments[0]) == sio::Reassembler::Status::packet);
    CHECK(r.packet().args()[0].text.size() == 60);
    std::string shown = json::to_string(r.packet().args()[0]);
    CHECK(shown.find("<Buffer ab ab") == 0);
    CHECK(shown.find("... 10 more bytes>") != std::string::npos);
}

TEST_CASE("Socket.IO and Engine.IO: every cut of a packet fails cleanly or decodes", "[codec][socketio][truncated]") {
    const std::string samples[] = {
        R"(0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000})",
        R"(462-/custom,7[{"_placeholder":true,"num":0},{"k":["\ud83d\ude00",1.5e-3,null]}])",
        R"(42/admin,12["sum",2,3])",
        "bAQIDBA==",
    };
    for (const std::string& s : samples) {
        for (std::size_t n = 0; n < s.size(); ++n) {
            std::string_view cut(s.data(), n);
            eio::Packet e;
            wl::CodecError err;
            bool ok = eio::decode_packet(cut, e, &err);
            if (!ok) CHECK_FALSE(err.what.empty());
            if (ok && !e.binary && e.type == eio::PacketType::message) {
                sio::Packet p;
                if (!sio::decode(e.data, p, &err)) CHECK_FALSE(err.what.empty());
            }
            if (ok && e.type == eio::PacketType::open) {
                eio::Handshake h;
                // Every cut of the handshake JSON is incomplete.
                CHECK_FALSE(eio::parse_handshake(e.data, h, &err));
            }
        }
    }
}

// ---- the dissectors on recorded captures ------------------------------------------------------

namespace {

// What the decoder found in a capture: one line per Socket.IO layer, in order, with the side
// that sent it ("client" or "server", by the server's port), how it travelled and what it
// says. An attachment's line says which placeholder it filled and the completed packet.
struct Seen {
    std::vector<std::string> socketio;
    std::vector<std::string> engineio;  // Engine.IO packets that carry no Socket.IO packet
    std::vector<std::string> websocket;  // WebSocket opcodes, for ws_echo
    std::size_t malformed = 0;
};

Seen decode_capture(const std::string& name, std::uint32_t server_port) {
    Seen seen;
    wl::CaptureError cerr;
    auto file = wl::CaptureFile::open(std::string(WIRELAB_REPO_DIR) + "/captures/" + name, cerr);
    INFO(cerr.message());
    REQUIRE(file);
    wl::Decoder decoder;
    wl::Tree tree;
    wl::PacketInfo pinfo;
    wl::Frame frame;
    while (file->next(frame)) {
        decoder.decode(frame, file->interfaces()[frame.interface].link_type, tree, pinfo, true);
        std::string side = pinfo.src_port == server_port ? "server" : "client";
        std::string transport;
        std::string* line = nullptr;
        bool eio_message = false;
        auto value = [&](const wl::Node& n) {
            std::string v;
            wl::append_display_value(v, tree, frame, n);
            return v;
        };
        for (const wl::Node& n : tree.nodes()) {
            std::string_view f = n.field->abbrev;
            if (n.flags & wl::kMalformed) ++seen.malformed;
            if (f == "websocket.opcode") seen.websocket.push_back(side + " " + value(n));
            if (f == "engineio") {
                line = nullptr;
                eio_message = false;
            }
            if (f == "engineio.transport") {
                auto t = value(n);
                transport = t.find("polling") != std::string::npos ? "polling" : "websocket";
            }
            if (f == "engineio.packet_type") {
                std::string type(wl::value_name(*n.field, n.value));
                eio_message = type == "MESSAGE";
                if (!eio_message) seen.engineio.push_back(side + " " + transport + " " + type);
            }
            if (f == "engineio.ok") seen.engineio.push_back(side + " " + transport + " ok");
            if (f == "socketio") {
                seen.socketio.push_back(side + " " + transport + ":");
                line = &seen.socketio.back();
            }
            if (!line) continue;
            if (f == "socketio.attachment_num") *line += " attachment " + value(n) + " ->";
            if (f == "socketio.packet_type") *line += " " + std::string(wl::value_name(*n.field, n.value));
            if (f == "socketio.nsp") *line += " " + value(n);
            if (f == "socketio.ack_id") *line += " id=" + value(n);
            if (f == "socketio.event") *line += " \"" + value(n) + "\"";
            if (f == "socketio.args") *line += " " + value(n);
            if (f == "socketio.sid") *line += " sid";
        }
    }
    REQUIRE_FALSE(file->error());
    return seen;
}

// The same session in every Socket.IO capture (captures/node/socketio-session.js), over
// WebSocket frames; the polling capture sends the same packets in HTTP bodies.
std::vector<std::string> session(const std::string& t) {
    return {
        "client " + t + ": CONNECT /",
        "server " + t + ": CONNECT / sid",
        "client " + t + ": EVENT / \"chat message\" \"hello\"",
        "server " + t + ": EVENT / \"chat message\" \"hello\"",
        "client " + t + ": EVENT / id=0 \"sum\" 2 3",
        "server " + t + ": ACK / id=0 5",
        "client " + t + ": BINARY_EVENT / id=1 \"upload\" {\"_placeholder\":true,\"num\":0}",
        "client " + t + ": attachment 0 -> BINARY_EVENT / id=1 \"upload\" <Buffer de ad be ef>",
        "server " + t + ": BINARY_ACK / id=1 {\"_placeholder\":true,\"num\":0}",
        "server " + t + ": attachment 0 -> BINARY_ACK / id=1 <Buffer 67 6f 74 20 34 20 62 79 74 65 73>",
        "client " + t + ": CONNECT /custom",
        "server " + t + ": CONNECT /custom sid",
        "server " + t + ": EVENT /custom \"welcome\" \"hi /custom\"",
        "client " + t + ": DISCONNECT /custom",
        "client " + t + ": DISCONNECT /",
    };
}

}  // namespace

TEST_CASE("socketio_polling.pcapng: the session over HTTP long-polling", "[core][socketio][capture]") {
    Seen seen = decode_capture("socketio_polling.pcapng", 18090);
    CHECK(seen.socketio == session("polling"));
    // Engine.IO: the handshake, the server's "ok" to each of the nine POSTs, the client's CLOSE
    // and the NOOP that ends the last GET.
    std::vector<std::string> eio = {"server polling OPEN"};
    eio.insert(eio.end(), 8, "server polling ok");
    eio.insert(eio.end(), {"client polling CLOSE", "server polling NOOP", "server polling ok"});
    CHECK(seen.engineio == eio);
    CHECK(seen.malformed == 0);
}

TEST_CASE("socketio_websocket.pcapng: the session over a WebSocket from the start", "[core][socketio][capture]") {
    Seen seen = decode_capture("socketio_websocket.pcapng", 18090);
    CHECK(seen.socketio == session("websocket"));
    CHECK(seen.engineio == std::vector<std::string>{"server websocket OPEN"});
    CHECK(seen.malformed == 0);
}

TEST_CASE("socketio_upgrade.pcapng: long-polling, the upgrade, then WebSocket", "[core][socketio][capture]") {
    Seen seen = decode_capture("socketio_upgrade.pcapng", 18090);
    std::vector<std::string> expected = session("websocket");
    // CONNECT and its answer go over polling: the client sends CONNECT as soon as the session
    // opens, before the upgrade finishes (a new recording may see the answer win or lose that race).
    expected[0] = "client polling: CONNECT /";
    expected[1] = "server polling: CONNECT / sid";
    CHECK(seen.socketio == expected);
    // The upgrade (Engine.IO protocol, "Upgrade"): the client probes the WebSocket with a PING,
    // the server answers PONG, the pending GET is released with NOOP, the client says UPGRADE.
    CHECK(seen.engineio == std::vector<std::string>{"server polling OPEN", "server polling ok", "client websocket PING",
                                                    "server websocket PONG", "server polling NOOP",
                                                    "client websocket UPGRADE"});
    CHECK(seen.malformed == 0);
}

TEST_CASE("ws_echo.pcapng: text, binary, ping and close between ws peers", "[core][websocket][capture]") {
    Seen seen = decode_capture("ws_echo.pcapng", 18091);
    CHECK(seen.socketio.empty());
    CHECK(seen.engineio.empty());
    CHECK(seen.websocket == std::vector<std::string>{"client 1 (Text)", "server 1 (Text)", "client 2 (Binary)",
                                                     "server 2 (Binary)", "client 9 (Ping)", "server 10 (Pong)",
                                                     "client 8 (Connection Close)", "server 8 (Connection Close)"});
    CHECK(seen.malformed == 0);
}

TEST_CASE("Engine.IO and Socket.IO fill the Info and Protocol columns", "[core][socketio][capture]") {
    wl::CaptureError cerr;
    auto file = wl::CaptureFile::open(std::string(WIRELAB_REPO_DIR) + "/captures/socketio_websocket.pcapng", cerr);
    REQUIRE(file);
    wl::Decoder decoder;
    wl::Tree tree;
    wl::PacketInfo pinfo;
    wl::Frame frame;
    // Frames whose top protocol is Engine.IO or Socket.IO, in order, and where each ACK points.
    std::vector<std::uint64_t> numbers;
    std::vector<std::string> infos;
    std::map<std::uint64_t, std::uint64_t> ack_of;
    while (file->next(frame)) {
        decoder.decode(frame, file->interfaces()[frame.interface].link_type, tree, pinfo, true);
        if (pinfo.protocol != "Socket.IO" && pinfo.protocol != "Engine.IO") continue;
        numbers.push_back(frame.number);
        infos.push_back(std::string(pinfo.protocol) + " | " + pinfo.info);
        for (const wl::Node& n : tree.nodes())
            if (n.field->abbrev == "socketio.ack_of") ack_of[frame.number] = n.value;
    }
    REQUIRE(infos.size() == 16);
    CHECK(infos[0].find("Engine.IO | Engine.IO OPEN sid=") == 0);
    CHECK(infos[0].find(" upgrades=[] pingInterval=25000 pingTimeout=20000") != std::string::npos);
    CHECK(infos[2].find("Socket.IO | Socket.IO CONNECT / {\"sid\":\"") == 0);
    auto frame_of = [&](std::size_t i) { return std::to_string(numbers[i]); };
    const std::vector<std::string> expected = {
        "Socket.IO | Socket.IO CONNECT /",
        infos[2],
        "Socket.IO | Socket.IO EVENT \"chat message\" [\"hello\"]",
        "Socket.IO | Socket.IO EVENT \"chat message\" [\"hello\"]",
        "Socket.IO | Socket.IO EVENT \"sum\" [2,3] id=0",
        "Socket.IO | Socket.IO ACK [5] id=0",
        "Socket.IO | Socket.IO BINARY_EVENT \"upload\" [{\"_placeholder\":true,\"num\":0}] id=1 (1 attachment follows)",
        "Socket.IO | Socket.IO BINARY_EVENT \"upload\" [<Buffer de ad be ef>] id=1 (attachment 1/1 of frame " + frame_of(7) + ")",
        "Socket.IO | Socket.IO BINARY_ACK [{\"_placeholder\":true,\"num\":0}] id=1 (1 attachment follows)",
        "Socket.IO | Socket.IO BINARY_ACK [<Buffer 67 6f 74 20 34 20 62 79 74 65 73>] id=1 (attachment 1/1 of frame " +
            frame_of(9) + ")",
        "Socket.IO | Socket.IO CONNECT /custom",
        infos[12],
        "Socket.IO | Socket.IO EVENT /custom \"welcome\" [\"hi /custom\"]",
        "Socket.IO | Socket.IO DISCONNECT /custom",
        "Socket.IO | Socket.IO DISCONNECT /",
    };
    CHECK(std::vector<std::string>(infos.begin() + 1, infos.end()) == expected);
    CHECK(infos[12].find("Socket.IO | Socket.IO CONNECT /custom {\"sid\":\"") == 0);
    // Each ACK points back at the event it answers.
    CHECK(ack_of == std::map<std::uint64_t, std::uint64_t>{{numbers[6], numbers[5]}, {numbers[9], numbers[7]}});
}

TEST_CASE("docs/socketio-fields.md lists every field as the field tables define it", "[core][socketio][docs]") {
    std::FILE* f = std::fopen(WIRELAB_REPO_DIR "/docs/socketio-fields.md", "rb");
    REQUIRE(f);
    std::string doc;
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) doc.append(buf, n);
    std::fclose(f);
    wl::Decoder decoder;
    for (std::string_view proto : {"engineio", "socketio"}) {
        const wl::ProtocolDef* p = decoder.registry().protocol(proto);
        REQUIRE(p);
        for (const wl::FieldDef& field : p->fields) {
            std::string row = "| `" + std::string(field.abbrev) + "` | " + std::string(field.label) + " | " +
                              std::string(field.explain) + " |";
            INFO(row);
            CHECK(doc.find(row) != std::string::npos);
        }
    }
}

TEST_CASE("the Engine.IO dissector survives every cut and every odd byte of its sample packets",
          "[core][socketio][truncated]") {
    using Carrier = wl::PacketInfo::Carrier;
    const std::string samples[] = {
        R"(0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000})",
        "42[\"chat message\",\"h\\u00e9\\ud83d\\ude00\"]\x1e" "2\x1e" "451-/custom,3[\"up\",{\"_placeholder\":true,\"num\":0}]\x1e" "b3q2+7w==",
        R"(430[5])",
        R"({"code":1,"message":"Session ID unknown"})",
    };
    const char odd[] = {'"', '\\', '\x1e', '{', '}', '[', ']', '0', '9', 'b', '-', '/', ',', '=', '\0', '\xff'};
    wl::Decoder decoder;
    wl::Dissector* eio = decoder.registry().find_named("engineio");
    REQUIRE(eio);
    wl::Tree tree;
    wl::PacketInfo pinfo;
    wl::Frame frame;
    frame.number = 1;
    std::size_t runs = 0, malformed = 0;
    auto run = [&](const std::string& body, Carrier carrier) {
        decoder.registry().reset();
        tree.clear();
        pinfo.clear();
        pinfo.frame = &frame;
        pinfo.carrier = carrier;
        wl::Ctx ctx{decoder.registry(), tree, pinfo};
        std::vector<std::uint8_t> data(body.begin(), body.end());
        eio->dissect(wl::Tvb(data), ctx);
        ++runs;
        for (const wl::Node& n : tree.nodes()) {
            if (n.source == 0) CHECK(std::size_t(n.offset) + n.length <= data.size());
            if (n.flags & wl::kMalformed) {
                ++malformed;
                break;
            }
        }
    };
    for (const std::string& s : samples) {
        for (Carrier carrier : {Carrier::http_request, Carrier::http_response, Carrier::websocket_text}) {
            for (std::size_t n = 0; n <= s.size(); ++n) run(s.substr(0, n), carrier);
            for (std::size_t i = 0; i < s.size(); ++i)
                for (char c : odd) {
                    std::string m = s;
                    m[i] = c;
                    run(m, carrier);
                }
        }
        run(s, Carrier::websocket_binary);
    }
    CHECK(runs > 10000);
    CHECK(malformed > runs / 4);  // most damage is noticed and named
}
