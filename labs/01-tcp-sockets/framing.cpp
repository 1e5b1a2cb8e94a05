// Framing (see framing.hpp).
#include "framing.hpp"

#include <cstdio>

namespace lab01 {

bool parse_framing(std::string_view text, Framing& out) {
    if (text == "none") out = Framing::none;
    else if (text == "newline") out = Framing::newline;
    else if (text == "length") out = Framing::length;
    else return false;
    return true;
}

const char* framing_name(Framing f) {
    switch (f) {
    case Framing::none: return "none";
    case Framing::newline: return "newline";
    case Framing::length: return "length";
    }
    return "?";
}

std::string encode(Framing f, std::string_view message) {
    std::string out;
    if (f == Framing::length) {
        // Network byte order (big-endian), as every IETF protocol writes its lengths.
        auto n = static_cast<std::uint32_t>(message.size());
        out.push_back(static_cast<char>(n >> 24));
        out.push_back(static_cast<char>(n >> 16));
        out.push_back(static_cast<char>(n >> 8));
        out.push_back(static_cast<char>(n));
    }
    out.append(message);
    if (f == Framing::newline) out.push_back('\n');
    return out;
}

bool Splitter::feed(const char* data, std::size_t n) {
    // Drop what was already taken before growing the buffer, so it holds at most one
    // unfinished message plus one read.
    if (pos_ > 0) {
        buf_.erase(0, pos_);
        pos_ = 0;
    }
    buf_.append(data, n);
    if (framing_ == Framing::newline && buf_.find('\n') == std::string::npos && buf_.size() > max_) {
        error_ = "message longer than " + std::to_string(max_) + " bytes without a newline";
        return false;
    }
    if (framing_ == Framing::length && buf_.size() >= 4) {
        auto u = [&](std::size_t i) { return std::uint32_t(static_cast<unsigned char>(buf_[i])); };
        std::uint32_t len = u(0) << 24 | u(1) << 16 | u(2) << 8 | u(3);
        if (len > max_) {
            error_ = "length prefix says " + std::to_string(len) + " bytes, more than the limit of " +
                     std::to_string(max_);
            return false;
        }
    }
    return true;
}

bool Splitter::next(std::string& message) {
    std::string_view rest(buf_.data() + pos_, buf_.size() - pos_);
    switch (framing_) {
    case Framing::none:
        if (rest.empty()) return false;
        message.assign(rest);
        pos_ = buf_.size();
        return true;
    case Framing::newline: {
        std::size_t nl = rest.find('\n');
        if (nl == std::string_view::npos) return false;
        message.assign(rest.substr(0, nl));
        pos_ += nl + 1;
        return true;
    }
    case Framing::length: {
        if (rest.size() < 4) return false;
        auto u = [&](std::size_t i) { return std::uint32_t(static_cast<unsigned char>(rest[i])); };
        std::uint32_t len = u(0) << 24 | u(1) << 16 | u(2) << 8 | u(3);
        if (len > max_) return false;  // feed() reported it
        if (rest.size() < 4 + std::size_t(len)) return false;  // the rest has not arrived yet
        message.assign(rest.substr(4, len));
        pos_ += 4 + len;
        return true;
    }
    }
    return false;
}

std::string printable(std::string_view bytes, std::size_t max) {
    std::string out;
    for (std::size_t i = 0; i < bytes.size() && i < max; ++i) {
        unsigned char c = static_cast<unsigned char>(bytes[i]);
        if (c == '\n') out += "\\n";
        else if (c == '\r') out += "\\r";
        else if (c == '\\') out += "\\\\";
        else if (c >= 0x20 && c < 0x7f) out += static_cast<char>(c);
        else {
            char hex[8];
            std::snprintf(hex, sizeof hex, "\\x%02x", c);
            out += hex;
        }
    }
    if (bytes.size() > max) out += "...";
    return out;
}

}  // namespace lab01
