// Lab 02, UDP datagrams (RFC 768): what the sender, the receiver and the demo share. The lab's
// own little header at the front of every datagram, the list of faults both sides print, and
// the two sides as functions, so the demo can run them in one process.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <netinet/in.h>

namespace lab02 {

// Every datagram of this lab starts with 20 bytes, written byte by byte in network byte order
// (big-endian), never as a struct laid over the buffer (padding and endianness would differ
// between machines):
//    0  2  magic 'W' '2'    tells the lab's datagrams from anything else sent to the port
//    2  1  kind             1 = data, 2 = end of the run
//    3  1  zero
//    4  4  sequence number  0 .. count-1: the receiver sees gaps, repeats and late arrivals
//    8  4  count            how many data datagrams the sender means to send, so the
//                           receiver knows about losses at the end of the run too
//   12  8  sent at          microseconds since the Unix epoch, for the one-way delay
// The rest of the datagram, up to the size asked for, is filler.
constexpr std::size_t kHeaderSize = 20;
// The most a UDP datagram over IPv4 can carry: the IPv4 total length is 16 bits (65535), minus
// 20 bytes of IP header and 8 of UDP header (RFC 768).
constexpr std::size_t kMaxPayload = 65507;
// The receiver keeps one flag per sequence number; this bounds that memory.
constexpr std::uint32_t kMaxCount = 1'000'000;

enum class Kind : std::uint8_t { data = 1, end = 2 };

struct Header {
    Kind kind = Kind::data;
    std::uint32_t seq = 0;
    std::uint32_t count = 0;
    std::uint64_t sent_us = 0;
};

void put_header(std::span<std::uint8_t> out, const Header& h);  // out.size() >= kHeaderSize
// The header at the front of `in`, or nothing with the reason in `why`.
std::optional<Header> get_header(std::span<const std::uint8_t> in, std::string& why);
std::uint64_t now_us();

// Sequence numbers that went missing, came twice, or came after a later one. The sender fills
// it with what it did on purpose, the receiver with what it saw; they print it the same way.
struct Faults {
    std::vector<std::uint32_t> lost, duplicated, out_of_order;
};
void say_faults(const char* who, const char* verb, Faults f);  // sorts the lists and prints them

struct SenderConfig {
    sockaddr_in to{};
    std::uint32_t count = 10;
    std::vector<int> sizes{64};  // used in turn: datagram i has sizes[i % sizes.size()] bytes
    double interval_ms = 0;  // fractions work: 0.25 is 250 microseconds
    double loss = 0, dup = 0, reorder = 0;
    std::uint32_t seed = 1;
    int end_delay_ms = 0;  // wait before the end-of-run datagram (lets a stalled receiver drain)
    bool narrate_each = true;
};
struct SenderResult {
    bool ok = false;
    Faults injected;
    std::uint32_t sent = 0;  // datagrams handed to sendto(), duplicates included
};
SenderResult send_run(const SenderConfig& cfg);

struct ReceiverConfig {
    int idle_ms = 2000;   // a run ends this long after its last datagram (or at its end datagram)
    int wait_ms = -1;     // how long to wait for a run to begin; -1 for ever
    int stall_ms = 0;     // when the first datagram arrives, be busy this long before reading
};
struct RunReport {
    bool started = false;
    std::uint32_t count = 0;      // what the sender's header announced
    std::uint32_t received = 0;   // distinct sequence numbers that arrived
    std::uint32_t datagrams = 0;  // recvmsg() calls that returned a lab datagram
    std::uint32_t bad = 0;        // datagrams that were not the lab's, or inconsistent
    std::uint32_t kernel_drops = 0;  // the socket's drop counter (SO_RXQ_OVFL, SO_MEMINFO)
    std::vector<std::size_t> sizes;  // size of each datagram as recvmsg() returned it
    Faults seen;
};

// Makes the receiving socket: bound to bind_addr:port (port 0: the kernel picks one), with
// SO_RCVBUF set if rcvbuf > 0. Returns the descriptor and the bound port, or -1.
int open_receiver(const std::string& bind_addr, int port, int rcvbuf, int& bound_port);
RunReport receive_run(int fd, const ReceiverConfig& cfg);
void say_report(const RunReport& r);

// Parses "127.0.0.1" and a port into an address; false if it is not an IPv4 address.
bool ipv4_address(const std::string& text, int port, sockaddr_in& out);
std::string to_string(const sockaddr_in& a);  // "127.0.0.1:5002"

// The fragments part, in a private network namespace (root, or an unprivileged user namespace).
// `capture` may be empty. `skipped` (having said why) when no namespace could be made.
enum class FragResult { ok = 0, failed = 1, skipped = 2 };
FragResult run_fragments(int size, const std::string& capture);

}  // namespace lab02
