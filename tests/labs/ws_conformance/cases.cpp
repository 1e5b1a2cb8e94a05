// The conformance cases (RFC 6455), modelled on the Autobahn test suite: what each one sends,
// and what a conforming server must do in return. Numbers follow Autobahn's where a case has
// one; L.* are wirelab's message-size limits, which Autobahn leaves to the implementation.
#include "cases.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

namespace wsconf {

namespace {

constexpr int kReplyMs = 3000;      // how long a server may take to answer or to fail us
constexpr int kTcpCloseMs = 2000;   // after the close handshake, the server closes TCP

std::string codes_text(std::initializer_list<std::uint16_t> codes) {
    std::string s;
    for (auto c : codes) s += (s.empty() ? "" : " or ") + std::to_string(c);
    return s;
}

bool contains(std::initializer_list<std::uint16_t> codes, std::uint16_t code) {
    return std::find(codes.begin(), codes.end(), code) != codes.end();
}

void pause_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

}  // namespace

bool Judge::fail(const std::string& why) {
    if (why_.empty()) why_ = why;
    return false;
}

bool Judge::send(const Bytes& data, std::size_t chop) {
    if (peer_.send(data, chop)) return true;
    // The server closed early: say what it sent, that is the interesting part.
    Event e = peer_.next(200);
    return fail("the server closed while we were still sending valid data (it sent: " + e.describe() + ")");
}

bool Judge::echo(std::uint8_t opcode, const Bytes& message, int timeout_ms) {
    Event e = peer_.next(timeout_ms);
    if (e.kind != Event::Kind::message)
        return fail("expected the echo of a " + std::to_string(message.size()) + "-byte " +
                    (opcode == ws::kText ? "text" : "binary") + " message, got " + e.describe());
    if (e.opcode != opcode) return fail("the echo came back with opcode " + std::to_string(e.opcode));
    if (e.data != message) {
        std::size_t at = 0;
        while (at < e.data.size() && at < message.size() && e.data[at] == message[at]) ++at;
        return fail("the echo differs from what was sent (" + std::to_string(e.data.size()) + " bytes back, " +
                    std::to_string(message.size()) + " sent, first difference at byte " + std::to_string(at) + ")");
    }
    return true;
}

bool Judge::pong(const Bytes& payload) {
    Event e = peer_.next(kReplyMs);
    if (e.kind != Event::Kind::pong) return fail("expected a pong, got " + e.describe());
    if (e.data != payload) return fail("the pong's payload is not the ping's (RFC 6455 section 5.5.3): " + e.describe());
    return true;
}

bool Judge::expect_tcp_close_after_close() {
    // Whatever the server sends after its close frame is a violation (section 5.5.1: no data
    // frames after a close), except the TCP close itself.
    Event e = peer_.next(kTcpCloseMs);
    if (e.kind == Event::Kind::tcp_closed) return true;
    if (e.kind == Event::Kind::timeout)
        return fail("the server did not close TCP within 2 s after the close handshake (RFC 6455 section 7.1.1)");
    return fail("after its close frame the server sent " + e.describe());
}

bool Judge::fails(std::initializer_list<std::uint16_t> codes) { return fails_within(codes, kReplyMs); }

bool Judge::fails_within(std::initializer_list<std::uint16_t> codes, int ms) {
    Event e = peer_.next(ms);
    if (e.kind == Event::Kind::tcp_closed) return true;  // Autobahn accepts a dropped connection
    if (e.kind == Event::Kind::close) {
        if (!e.has_code || !contains(codes, e.code))
            return fail("failed the connection with " + e.describe() + ", expected close " + codes_text(codes));
        peer_.send(close_frame(e.code));  // answer the close (section 5.5.1), then TCP must close
        return expect_tcp_close_after_close();
    }
    if (e.kind == Event::Kind::timeout)
        return fail("the server did not fail the connection within " + std::to_string(ms) + " ms (expected close " +
                    codes_text(codes) + ")");
    return fail("the server answered the violation: " + e.describe() + " (expected close " + codes_text(codes) + ")");
}

bool Judge::closes(std::initializer_list<std::uint16_t> codes, bool empty_ok) {
    if (!peer_.send(close_frame(1000))) {
        Event e = peer_.next(200);
        return fail("the server closed before our close frame (it sent: " + e.describe() + ")");
    }
    return answers_close(codes, empty_ok);
}

bool Judge::answers_close(std::initializer_list<std::uint16_t> codes, bool empty_ok) {
    Event e = peer_.next(kReplyMs);
    if (e.kind != Event::Kind::close)
        return fail("expected the server's close " + codes_text(codes) + ", got " + e.describe());
    if (e.has_code ? !contains(codes, e.code) : !empty_ok)
        return fail("the server answered our close with " + e.describe() + ", expected " + codes_text(codes));
    return expect_tcp_close_after_close();
}

namespace {

// Ways of putting frames on the wire, as Autobahn does: all at once, frame by frame with a
// pause (so each frame arrives in its own read), or one byte per write.
enum class Chop { all, frames, octets };

bool send_frames(Judge& j, const std::vector<Bytes>& frames, Chop chop) {
    if (chop == Chop::frames) {
        for (const auto& f : frames) {
            if (!j.send(f)) return false;
            pause_ms(5);
        }
        return true;
    }
    Bytes all;
    for (const auto& f : frames) all.insert(all.end(), f.begin(), f.end());
    return j.send(all, chop == Chop::octets ? 1 : 0);
}

void send_frames_anyway(Judge& j, const std::vector<Bytes>& frames, Chop chop) {
    if (chop == Chop::frames) {
        for (const auto& f : frames) {
            if (!j.peer().send(f)) return;
            pause_ms(5);
        }
        return;
    }
    Bytes all;
    for (const auto& f : frames) all.insert(all.end(), f.begin(), f.end());
    j.send_anyway(all, chop == Chop::octets ? 1 : 0);
}

Bytes filled(std::size_t n, std::uint8_t c) { return Bytes(n, c); }

// Autobahn's filler for large messages: a short ASCII pattern repeated.
Bytes pattern(std::size_t n) {
    static const std::string kPattern = "BAsd7&jh23";
    Bytes b(n);
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(kPattern[i % kPattern.size()]);
    return b;
}

std::string size_text(std::size_t n) {
    if (n >= (1u << 20) && n % (1u << 20) == 0) return std::to_string(n >> 20) + " MiB";
    if (n >= 1024 && n % 1024 == 0) return std::to_string(n >> 10) + " KiB";
    return std::to_string(n) + " bytes";
}

// A message split into frames of `size` bytes (the last may be shorter).
std::vector<Bytes> fragmented(std::uint8_t opcode, const Bytes& message, std::size_t size) {
    std::vector<Bytes> frames;
    std::size_t at = 0;
    do {
        std::size_t n = std::min(size, message.size() - at);
        Bytes part(message.begin() + static_cast<std::ptrdiff_t>(at),
                   message.begin() + static_cast<std::ptrdiff_t>(at + n));
        at += n;
        frames.push_back(frame(frames.empty() ? opcode : std::uint8_t{ws::kContinuation}, part, at == message.size()));
    } while (at < message.size());
    return frames;
}

// UTF-8 of one code point (for the noncharacter cases).
Bytes utf8(std::uint32_t cp) {
    if (cp < 0x80) return {static_cast<std::uint8_t>(cp)};
    if (cp < 0x800) return {static_cast<std::uint8_t>(0xc0 | cp >> 6), static_cast<std::uint8_t>(0x80 | (cp & 0x3f))};
    if (cp < 0x10000)
        return {static_cast<std::uint8_t>(0xe0 | cp >> 12), static_cast<std::uint8_t>(0x80 | (cp >> 6 & 0x3f)),
                static_cast<std::uint8_t>(0x80 | (cp & 0x3f))};
    return {static_cast<std::uint8_t>(0xf0 | cp >> 18), static_cast<std::uint8_t>(0x80 | (cp >> 12 & 0x3f)),
            static_cast<std::uint8_t>(0x80 | (cp >> 6 & 0x3f)), static_cast<std::uint8_t>(0x80 | (cp & 0x3f))};
}

const std::string kKosme = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5";  // "κόσμε", Markus Kuhn's sample

class Builder {
public:
    explicit Builder(const Config& c) : config_(c) {}
    std::vector<Case> cases;

    void add(std::string id, std::string what, std::function<bool(Judge&)> run) {
        cases.push_back({std::move(id), std::move(what), std::move(run)});
    }

    // A message that must come back unchanged, sent as `frames` with `chop`.
    void echo_case(std::string id, std::string what, std::uint8_t opcode, Bytes message, std::vector<Bytes> frames,
                   Chop chop = Chop::all, std::size_t write_size = 0) {
        add(std::move(id), std::move(what),
            [opcode, message = std::move(message), frames = std::move(frames), chop, write_size](Judge& j) {
                bool sent = write_size ? j.send(frames.front(), write_size) : send_frames(j, frames, chop);
                return sent && j.echo(opcode, message, 10000) && j.closes();
            });
    }

    // Frames that break a rule: `good` replies expected first (echoes of the messages before
    // the violation), then the connection fails with one of `codes`.
    void violation_case(std::string id, std::string what, std::vector<Bytes> frames, Chop chop,
                        std::vector<Bytes> echoes_first = {}, std::initializer_list<std::uint16_t> codes = {1002}) {
        std::vector<std::uint16_t> allowed(codes);
        add(std::move(id), std::move(what), [frames = std::move(frames), chop, echoes = std::move(echoes_first),
                                             allowed](Judge& j) {
            send_frames_anyway(j, frames, chop);
            for (const auto& m : echoes)
                if (!j.echo(ws::kText, m)) return false;
            if (allowed.size() == 1) return j.fails({allowed[0]});
            return j.fails({allowed[0], allowed[1]});
        });
    }

    void category1() {
        const std::size_t lengths[] = {0, 125, 126, 127, 128, 65535, 65536};
        for (int binary = 0; binary < 2; ++binary) {
            std::uint8_t op = binary ? ws::kBinary : ws::kText;
            std::string kind = binary ? "binary" : "text";
            std::string sub = binary ? "1.2." : "1.1.";
            for (int i = 0; i < 7; ++i) {
                Bytes m = filled(lengths[i], binary ? 0xfe : '*');
                echo_case(sub + std::to_string(i + 1), kind + " message of " + std::to_string(lengths[i]) + " bytes",
                          op, m, {frame(op, m)});
            }
            Bytes m = filled(65535, binary ? 0xfe : '*');
            echo_case(sub + "8", kind + " message of 65535 bytes, written in chops of 997 bytes", op, m,
                      {frame(op, m)}, Chop::all, 997);
        }
    }

    void category2() {
        auto ping_case = [&](std::string id, std::string what, Bytes payload, std::size_t chop) {
            add(std::move(id), std::move(what), [payload, chop](Judge& j) {
                return j.send(frame(ws::kPing, payload), chop) && j.pong(payload) && j.closes();
            });
        };
        ping_case("2.1", "ping without payload", {}, 0);
        ping_case("2.2", "ping with a small text payload", bytes("Hello, wirelab!"), 0);
        ping_case("2.3", "ping with a small binary payload", Bytes{0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff}, 0);
        ping_case("2.4", "ping with a payload of 125 bytes", filled(125, 0xfe), 0);
        violation_case("2.5", "ping with a payload of 126 bytes (control frames carry at most 125)",
                       {frame(ws::kPing, filled(126, 0xfe))}, Chop::all);
        ping_case("2.6", "ping with a payload of 125 bytes, written one byte at a time", filled(125, 0xfe), 1);
        add("2.7", "unsolicited pong without payload: ignored", [](Judge& j) {
            return j.send(frame(ws::kPong, Bytes{})) && j.closes();
        });
        add("2.8", "unsolicited pong with payload: ignored", [](Judge& j) {
            return j.send(frame(ws::kPong, "unsolicited pong payload")) && j.closes();
        });
        add("2.9", "unsolicited pong, then a ping: only the ping is answered", [](Judge& j) {
            return send_frames(j, {frame(ws::kPong, "unsolicited pong payload"), frame(ws::kPing, "ping payload")},
                               Chop::all) &&
                   j.pong(bytes("ping payload")) && j.closes();
        });
        for (int octets = 0; octets < 2; ++octets) {
            add(octets ? "2.11" : "2.10",
                octets ? "10 pings with payloads, written one byte at a time" : "10 pings with payloads",
                [octets](Judge& j) {
                    std::vector<Bytes> pings;
                    for (int i = 0; i < 10; ++i) pings.push_back(frame(ws::kPing, "payload-" + std::to_string(i)));
                    if (!send_frames(j, pings, octets ? Chop::octets : Chop::all)) return false;
                    for (int i = 0; i < 10; ++i)
                        if (!j.pong(bytes("payload-" + std::to_string(i)))) return false;
                    return j.closes();
                });
        }
    }

    void category3() {
        // RSV bits mean something only when an extension defines them (section 5.2); none
        // was negotiated, so any of them set fails the connection.
        violation_case("3.1", "text frame with RSV = 1 (RSV3)", {frame(ws::kText, "Hello, wirelab!", true, 1)},
                       Chop::all);
        const Chop chops[] = {Chop::all, Chop::frames, Chop::octets};
        const char* how[] = {"all at once", "frame by frame", "one byte at a time"};
        for (int i = 0; i < 3; ++i) {
            std::uint8_t rsv = static_cast<std::uint8_t>(2 + i);
            violation_case("3." + std::to_string(2 + i),
                           "text, then text with RSV = " + std::to_string(rsv) + ", then a ping, " + how[i] +
                               ": the first is echoed, then the connection fails",
                           {frame(ws::kText, "Hello, wirelab!"), frame(ws::kText, "Hello, wirelab!", true, rsv),
                            frame(ws::kPing, "ping payload")},
                           chops[i], {bytes("Hello, wirelab!")});
        }
        violation_case("3.5", "binary frame with RSV = 5", {frame(ws::kBinary, filled(8, 0xfe), true, 5)}, Chop::all);
        violation_case("3.6", "ping with RSV = 6", {frame(ws::kPing, "ping payload", true, 6)}, Chop::all);
        violation_case("3.7", "close with RSV = 7", {frame(ws::kClose, ws::close_payload(1000, {}), true, 7)},
                       Chop::all);
    }

    void category4() {
        // Opcodes 3-7 are reserved for data frames, 11-15 for control frames (section 5.2).
        for (int control = 0; control < 2; ++control) {
            std::string sub = control ? "4.2." : "4.1.";
            int base = control ? 11 : 3;
            violation_case(sub + "1", "frame with reserved opcode " + std::to_string(base),
                           {frame(static_cast<std::uint8_t>(base), Bytes{})}, Chop::all);
            violation_case(sub + "2", "frame with reserved opcode " + std::to_string(base + 1) + " and a payload",
                           {frame(static_cast<std::uint8_t>(base + 1), "reserved opcode payload")}, Chop::all);
            for (int k = 2; k < 5; ++k) {
                int op = base + k;
                violation_case(sub + std::to_string(k + 1),
                               "text, then reserved opcode " + std::to_string(op) +
                                   ", then a ping: the text is echoed, then the connection fails",
                               {frame(ws::kText, "Hello, wirelab!"),
                                frame(static_cast<std::uint8_t>(op), k == 2 ? "" : "reserved opcode payload"),
                                frame(ws::kPing, "ping payload")},
                               Chop::all, {bytes("Hello, wirelab!")});
            }
        }
    }

    void category5() {
        violation_case("5.1", "ping in 2 fragments (control frames are never fragmented)",
                       {frame(ws::kPing, "fragment1", false), frame(ws::kContinuation, "fragment2", true)}, Chop::all);
        violation_case("5.2", "pong in 2 fragments",
                       {frame(ws::kPong, "fragment1", false), frame(ws::kContinuation, "fragment2", true)}, Chop::all);
        const Chop chops[] = {Chop::all, Chop::octets, Chop::frames};
        const char* how[] = {"", ", one byte at a time", ", frame by frame"};
        for (int i = 0; i < 3; ++i) {
            echo_case("5." + std::to_string(3 + i), std::string("text in 2 fragments") + how[i], ws::kText,
                      bytes("fragment1fragment2"),
                      {frame(ws::kText, "fragment1", false), frame(ws::kContinuation, "fragment2", true)}, chops[i]);
        }
        for (int i = 0; i < 3; ++i) {
            add("5." + std::to_string(6 + i), std::string("text in 2 fragments with a ping between them") + how[i],
                [chop = chops[i]](Judge& j) {
                    return send_frames(j,
                                       {frame(ws::kText, "fragment1", false), frame(ws::kPing, "ping payload"),
                                        frame(ws::kContinuation, "fragment2", true)},
                                       chop) &&
                           j.pong(bytes("ping payload")) && j.echo(ws::kText, bytes("fragment1fragment2")) &&
                           j.closes();
                });
        }
        for (int i = 0; i < 3; ++i) {
            violation_case("5." + std::to_string(9 + i),
                           std::string("continuation (FIN set) with nothing to continue, then text") + how[i],
                           {frame(ws::kContinuation, "non-continuation payload", true), frame(ws::kText, "Hello, wirelab!")},
                           chops[i]);
        }
        for (int i = 0; i < 3; ++i) {
            violation_case("5." + std::to_string(12 + i),
                           std::string("continuation (FIN clear) with nothing to continue, then text") + how[i],
                           {frame(ws::kContinuation, "non-continuation payload", false),
                            frame(ws::kText, "Hello, wirelab!")},
                           chops[i]);
        }
        violation_case("5.15",
                       "text in 2 fragments, then a continuation with nothing to continue: the first message is "
                       "echoed, then the connection fails",
                       {frame(ws::kText, "fragment1", false), frame(ws::kContinuation, "fragment2", true),
                        frame(ws::kContinuation, "fragment3", false), frame(ws::kText, "fragment4", true)},
                       Chop::all, {bytes("fragment1fragment2")});
        for (int fin_first = 0; fin_first < 2; ++fin_first) {
            std::vector<Bytes> frames;
            for (int k = 0; k < 2; ++k) {
                frames.push_back(frame(ws::kContinuation, "fragment1", fin_first == 1));
                frames.push_back(frame(ws::kText, "fragment2", false));
                frames.push_back(frame(ws::kContinuation, "fragment3", true));
            }
            violation_case(fin_first ? "5.17" : "5.16",
                           std::string("message starting with a continuation (FIN ") + (fin_first ? "set" : "clear") +
                               "), twice",
                           frames, Chop::all);
        }
        violation_case("5.18", "text in 2 fragments where the second is a text frame, not a continuation",
                       {frame(ws::kText, "fragment1", false), frame(ws::kText, "fragment2", true)}, Chop::all);
        for (int octets = 0; octets < 2; ++octets) {
            // Autobahn waits 1 s at each pause; 100 ms shows the same thing faster.
            add(octets ? "5.20" : "5.19",
                std::string("text in 5 fragments with 2 pings between them and pauses") +
                    (octets ? ", one byte at a time" : ", frame by frame"),
                [octets](Judge& j) {
                    Chop c = octets ? Chop::octets : Chop::frames;
                    auto part = [&](std::vector<Bytes> f) { return send_frames(j, f, c); };
                    if (!part({frame(ws::kText, "fragment1", false), frame(ws::kContinuation, "fragment2", false),
                               frame(ws::kPing, "pongme 1!")}))
                        return false;
                    pause_ms(100);
                    if (!part({frame(ws::kContinuation, "fragment3", false),
                               frame(ws::kContinuation, "fragment4", false), frame(ws::kPing, "pongme 2!")}))
                        return false;
                    pause_ms(100);
                    if (!part({frame(ws::kContinuation, "fragment5", true)})) return false;
                    return j.pong(bytes("pongme 1!")) && j.pong(bytes("pongme 2!")) &&
                           j.echo(ws::kText, bytes("fragment1fragment2fragment3fragment4fragment5")) && j.closes();
                });
        }
    }

    void utf8_case(std::string id, const std::string& text, bool valid) {
        Bytes m = bytes(text);
        std::string shown;
        for (unsigned char c : text) {
            char hex[4];
            std::snprintf(hex, sizeof hex, "%02x", c);
            shown += (shown.empty() ? "" : " ") + std::string(hex);
            if (shown.size() > 60) {
                shown += " ...";
                break;
            }
        }
        if (valid)
            echo_case(std::move(id), "valid UTF-8 text: " + shown, ws::kText, m, {frame(ws::kText, m)});
        else
            violation_case(std::move(id), "invalid UTF-8 text: " + shown, {frame(ws::kText, m)}, Chop::all, {}, {1007});
    }

    void utf8_group(const std::string& sub, std::initializer_list<std::string> texts, bool valid) {
        int n = 0;
        for (const auto& t : texts) utf8_case(sub + std::to_string(++n), t, valid);
    }

    void category6() {
        echo_case("6.1.1", "empty text message", ws::kText, {}, {frame(ws::kText, Bytes{})});
        echo_case("6.1.2", "empty text message in 3 empty fragments", ws::kText, {},
                  {frame(ws::kText, "", false), frame(ws::kContinuation, "", false),
                   frame(ws::kContinuation, "", true)});
        echo_case("6.1.3", "text in 3 fragments, the first and last empty", ws::kText, bytes("middle frame payload"),
                  {frame(ws::kText, "", false), frame(ws::kContinuation, "middle frame payload", false),
                   frame(ws::kContinuation, "", true)});

        const std::string hello = "Hello-\xc2\xb5@\xc3\x9f\xc3\xb6\xc3\xa4\xc3\xbc\xc3\xa0\xc3\xa1-UTF-8!!";
        echo_case("6.2.1", "valid UTF-8 text in one frame", ws::kText, bytes(hello), {frame(ws::kText, hello)});
        // Split after "Hello-µ@ßöäü" (a code point boundary).
        std::size_t cut = std::string("Hello-\xc2\xb5@\xc3\x9f\xc3\xb6\xc3\xa4\xc3\xbc").size();
        echo_case("6.2.2", "valid UTF-8 text in 2 fragments split on a code point boundary", ws::kText, bytes(hello),
                  {frame(ws::kText, hello.substr(0, cut), false), frame(ws::kContinuation, hello.substr(cut), true)});
        echo_case("6.2.3", "valid UTF-8 text in fragments of 1 byte (boundaries inside code points)", ws::kText,
                  bytes(hello), fragmented(ws::kText, bytes(hello), 1));
        echo_case("6.2.4", "valid UTF-8 text (\"kosme\" in Greek) in fragments of 1 byte", ws::kText, bytes(kKosme),
                  fragmented(ws::kText, bytes(kKosme), 1));

        const std::string bad = kKosme + "\xed\xa0\x80" + "edited";  // a UTF-16 surrogate in the middle
        violation_case("6.3.1", "invalid UTF-8 text (a surrogate) in one frame", {frame(ws::kText, bad)}, Chop::all,
                       {}, {1007});
        violation_case("6.3.2", "invalid UTF-8 text (a surrogate) in fragments of 1 byte",
                       fragmented(ws::kText, bytes(bad), 1), Chop::all, {}, {1007});

        // Fail fast (section 8.1): the server must close as soon as the bytes cannot be UTF-8,
        // before the rest of the message is sent.
        struct FailFast {
            const char* id;
            const char* what;
            std::string a, b, c;
            bool frames;  // three frames, or one frame in three writes
        };
        const FailFast fast[] = {
            {"6.4.1", "3 fragments; the 2nd holds U+110000 (out of range)", kKosme, "\xf4\x90\x80\x80", "edited", true},
            {"6.4.2", "3 fragments; the 2nd is the byte that makes it invalid", kKosme + "\xf4", "\x90", "\x80\x80" "edited",
             true},
            {"6.4.3", "one frame in 3 writes; the 2nd holds U+110000", kKosme, "\xf4\x90\x80\x80", "edited", false},
            {"6.4.4", "one frame in 3 writes; the 2nd is the byte that makes it invalid", kKosme + "\xf4", "\x90",
             "\x80\x80" "edited", false},
        };
        for (const auto& f : fast) {
            add(f.id, std::string("fail-fast on invalid UTF-8: ") + f.what, [f](Judge& j) {
                std::vector<Bytes> parts;
                if (f.frames) {
                    parts = {frame(ws::kText, f.a, false), frame(ws::kContinuation, f.b, false),
                             frame(ws::kContinuation, f.c, true)};
                } else {
                    Bytes whole = frame(ws::kText, f.a + f.b + f.c);
                    std::size_t header = whole.size() - (f.a.size() + f.b.size() + f.c.size());
                    auto at = [&](std::size_t n) { return whole.begin() + static_cast<std::ptrdiff_t>(n); };
                    parts = {Bytes(whole.begin(), at(header + f.a.size())),
                             Bytes(at(header + f.a.size()), at(header + f.a.size() + f.b.size())),
                             Bytes(at(header + f.a.size() + f.b.size()), whole.end())};
                }
                if (!j.send(parts[0])) return false;
                pause_ms(20);
                j.send_anyway(parts[1]);
                // Autobahn waits 1 s here before it sends the rest; the close must come first.
                return j.fails_within({1007}, 1000);
            });
        }

        utf8_group("6.5.", {kKosme, "\xce\xba", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
                            "\xf0\x9d\x84\x9e music", "\xef\xbb\xbf" "BOM first"},
                   true);
        // Every prefix of "κόσμε": valid only where it ends on a code point boundary.
        for (std::size_t n = 1; n <= kKosme.size(); ++n) {
            bool boundary = n == 2 || n == 5 || n == 7 || n == 9 || n == 11;
            utf8_case("6.6." + std::to_string(n), kKosme.substr(0, n), boundary);
        }
        utf8_group("6.7.", {std::string(1, '\0'), "\xc2\x80", "\xe0\xa0\x80", "\xf0\x90\x80\x80"}, true);
        utf8_group("6.8.", {"\xf8\x88\x80\x80\x80", "\xfc\x84\x80\x80\x80\x80"}, false);
        utf8_group("6.9.", {"\x7f", "\xdf\xbf", "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf"}, true);
        utf8_group("6.10.", {"\xf7\xbf\xbf\xbf", "\xfb\xbf\xbf\xbf\xbf", "\xfd\xbf\xbf\xbf\xbf\xbf"}, false);
        utf8_group("6.11.", {"\xed\x9f\xbf", "\xee\x80\x80", "\xef\xbf\xbd", "\xf4\x8f\xbf\xbf"}, true);
        utf8_case("6.11.5", "\xf4\x90\x80\x80", false);
        std::string all_continuations;
        for (int c = 0x80; c <= 0xbf; ++c) all_continuations += static_cast<char>(c);
        utf8_group("6.12.", {"\x80", "\xbf", "\x80\xbf", "\x80\xbf\x80", "\x80\xbf\x80\xbf", "\x80\xbf\x80\xbf\x80",
                             "\x80\xbf\x80\xbf\x80\xbf", all_continuations},
                   false);
        // Lonely start bytes, each followed by a space.
        auto lonely = [](int from, int to) {
            std::string s;
            for (int c = from; c <= to; ++c) {
                s += static_cast<char>(c);
                s += ' ';
            }
            return s;
        };
        utf8_group("6.13.", {lonely(0xc0, 0xdf), lonely(0xe0, 0xef), lonely(0xf0, 0xf7), lonely(0xf8, 0xfb),
                             lonely(0xfc, 0xfd)},
                   false);
        const std::initializer_list<std::string> truncated = {
            "\xc0", "\xe0\x80", "\xf0\x80\x80", "\xf8\x80\x80\x80", "\xfc\x80\x80\x80\x80",
            "\xdf", "\xef\xbf", "\xf7\xbf\xbf", "\xfb\xbf\xbf\xbf", "\xfd\xbf\xbf\xbf\xbf"};
        utf8_group("6.14.", truncated, false);
        std::string concatenated;
        for (const auto& t : truncated) concatenated += t;
        utf8_case("6.15.1", concatenated, false);
        utf8_group("6.16.", {"\xfe", "\xff", "\xfe\xfe\xff\xff"}, false);
        utf8_group("6.17.", {"\xc0\xaf", "\xe0\x80\xaf", "\xf0\x80\x80\xaf", "\xf8\x80\x80\x80\xaf",
                             "\xfc\x80\x80\x80\x80\xaf"},
                   false);
        utf8_group("6.18.", {"\xc1\xbf", "\xe0\x9f\xbf", "\xf0\x8f\xbf\xbf", "\xf8\x87\xbf\xbf\xbf",
                             "\xfc\x83\xbf\xbf\xbf\xbf"},
                   false);
        utf8_group("6.19.", {"\xc0\x80", "\xe0\x80\x80", "\xf0\x80\x80\x80", "\xf8\x80\x80\x80\x80",
                             "\xfc\x80\x80\x80\x80\x80"},
                   false);
        utf8_group("6.20.", {"\xed\xa0\x80", "\xed\xad\xbf", "\xed\xae\x80", "\xed\xaf\xbf", "\xed\xb0\x80",
                             "\xed\xbe\x80", "\xed\xbf\xbf"},
                   false);
        utf8_group("6.21.", {"\xed\xa0\x80\xed\xb0\x80", "\xed\xa0\x80\xed\xbf\xbf", "\xed\xad\xbf\xed\xb0\x80",
                             "\xed\xad\xbf\xed\xbf\xbf", "\xed\xae\x80\xed\xb0\x80", "\xed\xae\x80\xed\xbf\xbf",
                             "\xed\xaf\xbf\xed\xb0\x80", "\xed\xaf\xbf\xed\xbf\xbf"},
                   false);
        // Noncharacters (U+FFFE, U+FFFF and the last two of every plane) are valid UTF-8: a
        // WebSocket text message may carry them.
        int n = 0;
        for (std::uint32_t plane = 0; plane <= 16; ++plane) {
            for (std::uint32_t last : {0xfffeu, 0xffffu}) {
                Bytes b = utf8(plane << 16 | last);
                utf8_case("6.22." + std::to_string(++n), std::string(b.begin(), b.end()), true);
            }
        }
        n = 0;
        for (std::uint32_t cp : {0xfff9u, 0xfffau, 0xfffbu, 0xfffcu, 0xfffdu, 0xfeffu, 0x200bu}) {
            Bytes b = utf8(cp);
            utf8_case("6.23." + std::to_string(++n), std::string(b.begin(), b.end()), true);
        }
    }

    void category7() {
        add("7.1.1", "text message, then a clean close", [](Judge& j) {
            return j.send(frame(ws::kText, "Hello, wirelab!")) && j.echo(ws::kText, bytes("Hello, wirelab!")) &&
                   j.closes();
        });
        // After a close frame nothing more is read (section 5.5.1): a second close, a ping,
        // a text or the rest of a fragmented message sent after it must go unanswered.
        struct After {
            const char* id;
            const char* what;
            std::vector<Bytes> before, after;
        };
        const After afters[] = {
            {"7.1.2", "close sent twice: answered once", {}, {close_frame(1000)}},
            {"7.1.3", "ping after close: not answered", {}, {frame(ws::kPing, "ping payload")}},
            {"7.1.4", "text after close: not echoed", {}, {frame(ws::kText, "Hello, wirelab!")}},
            {"7.1.5", "first fragment, close, last fragment: nothing echoed", {frame(ws::kText, "fragment1", false)},
             {frame(ws::kContinuation, "fragment2", true)}},
        };
        for (const auto& a : afters) {
            add(a.id, a.what, [a](Judge& j) {
                Bytes all;
                for (const auto& f : a.before) all.insert(all.end(), f.begin(), f.end());
                Bytes c = close_frame(1000);
                all.insert(all.end(), c.begin(), c.end());
                for (const auto& f : a.after) all.insert(all.end(), f.begin(), f.end());
                j.send_anyway(all);
                return j.answers_close({1000});
            });
        }
        add("7.1.6", "256 KiB text, close, ping: the text may be echoed, the ping is not answered", [](Judge& j) {
            Bytes big = pattern(256 << 10);
            Bytes all = frame(ws::kText, big);
            for (const auto& f : {close_frame(1000), frame(ws::kPing, "ping payload")})
                all.insert(all.end(), f.begin(), f.end());
            j.send_anyway(all);
            Event e = j.peer().next(kReplyMs);
            if (e.kind == Event::Kind::message && (e.opcode != ws::kText || e.data != big))
                return j.fail("the echo of the 256 KiB message differs");
            if (e.kind == Event::Kind::message) return j.answers_close({1000});
            if (e.kind != Event::Kind::close || !e.has_code || e.code != 1000)
                return j.fail("expected the echo or the server's close 1000, got " + e.describe());
            Event after = j.peer().next(kTcpCloseMs);
            if (after.kind != Event::Kind::tcp_closed) return j.fail("after its close the server sent " + after.describe());
            return true;
        });
        add("7.3.1", "close without payload: answered with a close", [](Judge& j) {
            j.send_anyway(frame(ws::kClose, Bytes{}));
            return j.answers_close({1000}, /*empty_ok=*/true);
        });
        violation_case("7.3.2", "close with a payload of 1 byte (a code needs 2)", {frame(ws::kClose, Bytes{0x2a})},
                       Chop::all);
        add("7.3.3", "close 1000 without reason", [](Judge& j) {
            j.send_anyway(close_frame(1000));
            return j.answers_close({1000});
        });
        add("7.3.4", "close 1000 with a short reason", [](Judge& j) {
            j.send_anyway(close_frame(1000, "Ok"));
            return j.answers_close({1000});
        });
        add("7.3.5", "close 1000 with a reason of 123 bytes (payload 125)", [](Judge& j) {
            j.send_anyway(close_frame(1000, std::string(123, '*')));
            return j.answers_close({1000});
        });
        violation_case("7.3.6", "close with a payload of 126 bytes",
                       {frame(ws::kClose, ws::close_payload(1000, std::string(124, '*')))}, Chop::all);
        violation_case("7.5.1", "close 1000 whose reason is invalid UTF-8",
                       {frame(ws::kClose, ws::close_payload(1000, kKosme + "\xed\xa0\x80" + "edited"))}, Chop::all, {},
                       {1002, 1007});
        // Codes a peer may send (section 7.4.1 and 7.4.2): answered with 1000 or the same code.
        int n = 0;
        for (std::uint16_t code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999}) {
            add("7.7." + std::to_string(++n), "close with valid code " + std::to_string(code), [code](Judge& j) {
                j.send_anyway(close_frame(code));
                return j.answers_close({1000, code});
            });
        }
        // Codes that must never be sent: unused, reserved, or only for reporting (1005, 1006,
        // 1015). 1012-1014 are left out: they were registered after RFC 6455, and servers
        // disagree about them.
        n = 0;
        for (std::uint16_t code : {0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999}) {
            violation_case("7.9." + std::to_string(++n), "close with invalid code " + std::to_string(code),
                           {frame(ws::kClose, ws::close_payload(code, {}))}, Chop::all);
        }
    }

    void category9() {
        // Autobahn's "limited performance" cases; --reduced keeps messages to 1 MiB so the
        // whole run fits in a test.
        std::vector<std::size_t> sizes = {64u << 10, 256u << 10, 1u << 20};
        if (!config_.reduced) sizes.insert(sizes.end(), {4u << 20, 8u << 20, 16u << 20});
        std::size_t big = config_.reduced ? 1u << 20 : 4u << 20;
        for (int binary = 0; binary < 2; ++binary) {
            std::uint8_t op = binary ? ws::kBinary : ws::kText;
            std::string kind = binary ? "binary" : "text";
            auto message = [&](std::size_t n) { return binary ? filled(n, 0xfe) : pattern(n); };
            int k = 0;
            for (std::size_t s : sizes) {
                Bytes m = message(s);
                echo_case((binary ? "9.2." : "9.1.") + std::to_string(++k), kind + " message of " + size_text(s), op,
                          m, {frame(op, m)});
            }
            k = 0;
            for (std::size_t f = 64; f <= big; f *= 4) {
                Bytes m = message(big);
                echo_case((binary ? "9.4." : "9.3.") + std::to_string(++k),
                          kind + " message of " + size_text(big) + " in frames of " + size_text(f), op, m,
                          fragmented(op, m, f));
            }
            k = 0;
            for (std::size_t chop = 64; chop <= 2048; chop *= 2) {
                Bytes m = message(1u << 20);
                echo_case((binary ? "9.6." : "9.5.") + std::to_string(++k),
                          kind + " message of 1 MiB written in chops of " + std::to_string(chop) + " bytes", op, m,
                          {frame(op, m)}, Chop::all, chop);
            }
            k = 0;
            for (std::size_t s : {0, 16, 64, 256, 1024, 4096}) {
                add((binary ? "9.8." : "9.7.") + std::to_string(++k),
                    "1000 " + kind + " messages of " + std::to_string(s) + " bytes, one at a time",
                    [op, m = message(s)](Judge& j) {
                        Bytes f = frame(op, m);
                        for (int i = 0; i < 1000; ++i)
                            if (!j.send(f) || !j.echo(op, m)) return false;
                        return j.closes();
                    });
            }
        }
    }

    void category10() {
        // The server must take a message in as many frames as the client chooses.
        Bytes text = pattern(65536);
        echo_case("10.1.1", "text message of 64 KiB in frames of 1300 bytes", ws::kText, text,
                  fragmented(ws::kText, text, 1300));
        Bytes binary = filled(65536, 0xfe);
        echo_case("10.1.2", "binary message of 64 KiB in frames of 1300 bytes (wirelab's addition)", ws::kBinary,
                  binary, fragmented(ws::kBinary, binary, 1300));
    }

    void limits() {
        // Section 10.4: a server limits the size of what it buffers, and answers a larger
        // message with 1009 (section 7.4.1). Not Autobahn's: each server picks its own limit.
        std::size_t max = config_.max_message;
        add("L.1.1", "text message of " + size_text(max) + " (the limit): echoed", [max](Judge& j) {
            Bytes m = pattern(max);
            return j.send(frame(ws::kText, m)) && j.echo(ws::kText, m, 20000) && j.closes();
        });
        add("L.1.2", "binary message of the limit + 1 byte in one frame: close 1009", [max](Judge& j) {
            j.send_anyway(frame(ws::kBinary, filled(max + 1, 0xfe)));
            return j.fails({1009});
        });
        add("L.1.3", "text message of the limit + 1 byte in frames of 1 MiB: close 1009", [max](Judge& j) {
            for (const auto& f : fragmented(ws::kText, pattern(max + 1), 1u << 20))
                if (!j.peer().send(f)) break;
            return j.fails({1009});
        });
    }

private:
    const Config& config_;
};

}  // namespace

std::vector<Case> all_cases(const Config& config) {
    Builder b(config);
    b.category1();
    b.category2();
    b.category3();
    b.category4();
    b.category5();
    b.category6();
    b.category7();
    b.category9();
    b.category10();
    b.limits();
    return std::move(b.cases);
}

}  // namespace wsconf
