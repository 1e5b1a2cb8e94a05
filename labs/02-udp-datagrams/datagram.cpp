// Lab 02: the lab's datagram header, addresses, and how both sides print sequence faults.
#include <algorithm>
#include <arpa/inet.h>
#include <chrono>

#include "lab.hpp"
#include "lab02.hpp"

namespace lab02 {

namespace {
constexpr std::uint8_t kMagic0 = 'W', kMagic1 = '2';

void put_be(std::span<std::uint8_t> out, std::size_t at, std::uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i, v >>= 8) out[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v);
}
std::uint64_t get_be(std::span<const std::uint8_t> in, std::size_t at, int bytes) {
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | in[at + static_cast<std::size_t>(i)];
    return v;
}
}  // namespace

void put_header(std::span<std::uint8_t> out, const Header& h) {
    out[0] = kMagic0;
    out[1] = kMagic1;
    out[2] = static_cast<std::uint8_t>(h.kind);
    out[3] = 0;
    put_be(out, 4, h.seq, 4);
    put_be(out, 8, h.count, 4);
    put_be(out, 12, h.sent_us, 8);
}

std::optional<Header> get_header(std::span<const std::uint8_t> in, std::string& why) {
    // Check the length before reading a single field: a datagram can be any size from 0 bytes.
    if (in.size() < kHeaderSize) {
        why = "too short for the " + std::to_string(kHeaderSize) + "-byte lab header";
        return std::nullopt;
    }
    if (in[0] != kMagic0 || in[1] != kMagic1) {
        why = "it does not start with the lab's magic bytes 'W' '2'";
        return std::nullopt;
    }
    Header h;
    if (in[2] != static_cast<std::uint8_t>(Kind::data) && in[2] != static_cast<std::uint8_t>(Kind::end)) {
        why = "unknown kind " + std::to_string(in[2]);
        return std::nullopt;
    }
    h.kind = static_cast<Kind>(in[2]);
    h.seq = static_cast<std::uint32_t>(get_be(in, 4, 4));
    h.count = static_cast<std::uint32_t>(get_be(in, 8, 4));
    h.sent_us = get_be(in, 12, 8);
    if (h.count == 0 || h.count > kMaxCount) {
        why = "count " + std::to_string(h.count) + " is outside 1.." + std::to_string(kMaxCount);
        return std::nullopt;
    }
    if (h.kind == Kind::data && h.seq >= h.count) {
        why = "sequence number " + std::to_string(h.seq) + " is not below the count " + std::to_string(h.count);
        return std::nullopt;
    }
    return h;
}

std::uint64_t now_us() {
    // The wall clock, not a steady one: the send time travels to another process (or machine),
    // and only the wall clock means the same thing there.
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
}

void say_faults(const char* who, const char* verb, Faults f) {
    auto line = [&](const char* what, std::vector<std::uint32_t>& seqs) {
        std::sort(seqs.begin(), seqs.end());
        // Long lists (a flood) are cut: the count is what matters there.
        constexpr std::size_t kShown = 40;
        std::string text;
        for (std::size_t i = 0; i < seqs.size() && i < kShown; ++i) text += " " + std::to_string(seqs[i]);
        if (seqs.size() > kShown) text += " ... (" + std::to_string(seqs.size() - kShown) + " more)";
        wirelab::lab::say(who, "%s %s %zu:%s", verb, what, seqs.size(), text.c_str());
    };
    line("lost", f.lost);
    line("duplicated", f.duplicated);
    line("out of order", f.out_of_order);
}

bool ipv4_address(const std::string& text, int port, sockaddr_in& out) {
    out = {};
    out.sin_family = AF_INET;
    // htons(): port numbers travel in network byte order, whatever this machine's order is.
    out.sin_port = htons(static_cast<std::uint16_t>(port));
    // inet_pton() turns the dotted text into the 4 bytes of the address ("presentation to network").
    return port >= 0 && port <= 65535 && ::inet_pton(AF_INET, text.c_str(), &out.sin_addr) == 1;
}

std::string to_string(const sockaddr_in& a) {
    char host[INET_ADDRSTRLEN] = "?";
    ::inet_ntop(AF_INET, &a.sin_addr, host, sizeof host);
    return std::string(host) + ":" + std::to_string(ntohs(a.sin_port));
}

}  // namespace lab02
