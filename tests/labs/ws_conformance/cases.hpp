// The conformance cases, numbered as in the Autobahn test suite's categories 1-7, 9 and 10,
// plus wirelab's message-size limit cases (L.*), and the judge that decides each one.
#pragma once

#include <cstddef>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

#include "peer.hpp"

namespace wsconf {

struct Config {
    std::string host = "127.0.0.1";
    int port = 0;
    bool reduced = false;                   // category 9 up to 1 MiB instead of 16 MiB
    std::size_t max_message = 16u << 20;    // the server's limit, for the L.* cases
};

// Judges one case the way Autobahn does: the server's answers must be exactly the expected
// ones, in order; a protocol violation must fail the connection (a close frame with one of the
// allowed codes, or a plain TCP close) and never be answered; each case that does not fail the
// connection ends with a clean close handshake that the server answers and then closes TCP.
class Judge {
public:
    explicit Judge(Peer& peer) : peer_(peer) {}

    // Sends bytes that must all reach the server (the server has no reason to close yet).
    bool send(const Bytes& data, std::size_t chop = 0);
    // Sends bytes the server may stop reading halfway (it may already have failed the
    // connection): no verdict.
    void send_anyway(const Bytes& data, std::size_t chop = 0) { peer_.send(data, chop); }

    bool echo(std::uint8_t opcode, const Bytes& message, int timeout_ms = 5000);
    bool pong(const Bytes& payload);
    // The server fails the connection: a close frame with one of `codes` (then we answer it
    // and TCP must close), or TCP closes at once. Nothing may come before that.
    bool fails(std::initializer_list<std::uint16_t> codes);
    // Like fails(), but the close must arrive within `ms` of the last bytes sent: fail-fast.
    bool fails_within(std::initializer_list<std::uint16_t> codes, int ms);
    // We start the close handshake with 1000; the server answers with one of `codes` and
    // closes TCP (RFC 6455 sections 5.5.1 and 7.1.1).
    bool closes(std::initializer_list<std::uint16_t> codes = {1000}, bool empty_ok = false);
    // We have already sent our close (and maybe more after it): the next thing must be the
    // server's close with one of `codes`, then TCP closes; nothing after it is answered.
    bool answers_close(std::initializer_list<std::uint16_t> codes, bool empty_ok = false);

    bool fail(const std::string& why);
    const std::string& why() const { return why_; }
    Peer& peer() { return peer_; }

private:
    bool expect_tcp_close_after_close();
    Peer& peer_;
    std::string why_;
};

struct Case {
    std::string id;     // Autobahn's number where there is one: "5.19"
    std::string what;   // one line
    std::function<bool(Judge&)> run;
};

std::vector<Case> all_cases(const Config& config);

}  // namespace wsconf
