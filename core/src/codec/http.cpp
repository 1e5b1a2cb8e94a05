// HTTP/1.x message parsing (RFC 9112).
#include "wirelab/http.hpp"

#include <array>
#include <charconv>

namespace wirelab::http {

namespace {

// RFC 9110 section 5.6.2: token characters. A table, since every byte of every method and
// header name is looked up.
constexpr std::array<bool, 256> kTokenChars = [] {
    std::array<bool, 256> t{};
    for (int c = 0; c < 256; ++c)
        t[static_cast<std::size_t>(c)] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                                         std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) !=
                                             std::string_view::npos;
    return t;
}();

bool is_tchar(char c) { return kTokenChars[static_cast<unsigned char>(c)]; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

constexpr std::string_view kMethods[] = {"GET",     "POST",  "HEAD",  "PUT",      "DELETE", "OPTIONS",
                                         "CONNECT", "TRACE", "PATCH", "PROPFIND", "MKCOL",  "NOTIFY",
                                         "M-SEARCH", "SUBSCRIBE"};

Result fail(std::string msg, int code = 400) {
    Result r;
    r.status = Status::error;
    r.error = std::move(msg);
    r.http_status = code;
    return r;
}

}  // namespace

std::optional<std::string_view> Message::header(std::string_view name) const {
    for (const Header& h : headers)
        if (iequals(h.name, name)) return h.value;
    return std::nullopt;
}

bool Message::header_has_token(std::string_view name, std::string_view token) const {
    for (const Header& h : headers) {
        if (!iequals(h.name, name)) continue;
        std::string_view v = h.value;
        while (!v.empty()) {
            std::size_t comma = v.find(',');
            if (iequals(trim(v.substr(0, comma)), token)) return true;
            if (comma == std::string_view::npos) break;
            v.remove_prefix(comma + 1);
        }
    }
    return false;
}

bool looks_like_http(std::string_view data) {
    if (data.substr(0, 7) == "HTTP/1.") return true;
    if (data.size() < 7 && std::string_view("HTTP/1.").substr(0, data.size()) == data && !data.empty()) return true;
    for (std::string_view m : kMethods) {
        if (data.size() > m.size() && data.substr(0, m.size()) == m && data[m.size()] == ' ') return true;
    }
    return false;
}

Result parse_head(std::string_view data, Message& out, const Limits& limits) {
    // Reset, keeping the header vector's memory for the next message.
    out.headers.clear();
    std::vector<Header> headers = std::move(out.headers);
    out = Message{};
    out.headers = std::move(headers);
    // Find the end of the head: an empty line. Bare LF line ends are accepted when reading
    // (RFC 9112 section 2.2), CRLF is what is sent.
    std::size_t pos = 0;
    std::size_t line_no = 0;
    while (true) {
        std::size_t lf = data.find('\n', pos);
        if (lf == std::string_view::npos) {
            if (data.size() > limits.max_head)
                return fail("request header section larger than " + std::to_string(limits.max_head) + " bytes",
                            line_no == 0 ? 414 : 431);
            return {};
        }
        if (lf + 1 > limits.max_head)
            return fail("header section larger than " + std::to_string(limits.max_head) + " bytes",
                        line_no == 0 ? 414 : 431);
        std::size_t end = (lf > pos && data[lf - 1] == '\r') ? lf - 1 : lf;
        std::string_view line = data.substr(pos, end - pos);
        if (line_no == 0) {
            if (line.empty()) return fail("empty start line");
            out.start_line = line;
            if (line.substr(0, 5) == "HTTP/") {
                // status-line = HTTP-version SP status-code SP [ reason-phrase ]
                std::size_t sp = line.find(' ');
                if (sp == std::string_view::npos || line.size() < sp + 4)
                    return fail("malformed status line: '" + std::string(line) + "'");
                out.version = line.substr(0, sp);
                std::string_view code = line.substr(sp + 1, 3);
                int status = 0;
                auto [p, ec] = std::from_chars(code.data(), code.data() + 3, status);
                if (ec != std::errc() || p != code.data() + 3 || status < 100 || status > 999)
                    return fail("malformed status code '" + std::string(code) + "'");
                out.status = status;
                out.reason = line.size() > sp + 5 ? line.substr(sp + 5) : std::string_view{};
            } else {
                // request-line = method SP request-target SP HTTP-version
                out.is_request = true;
                std::size_t sp1 = line.find(' ');
                std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.rfind(' ');
                if (sp1 == std::string_view::npos || sp2 == sp1 || sp1 == 0)
                    return fail("malformed request line: '" + std::string(line.substr(0, 80)) + "'");
                out.method = line.substr(0, sp1);
                for (char c : out.method)
                    if (!is_tchar(c)) return fail("invalid character in method '" + std::string(out.method) + "'");
                out.uri = line.substr(sp1 + 1, sp2 - sp1 - 1);
                out.version = line.substr(sp2 + 1);
                if (out.uri.empty()) return fail("empty request target");
                if (out.version.substr(0, 5) != "HTTP/")
                    return fail("request line does not end with an HTTP version: '" + std::string(out.version) + "'");
            }
        } else if (line.empty()) {
            out.head_length = lf + 1;
            Result r;
            r.status = Status::complete;
            return r;
        } else {
            // field-line = field-name ":" OWS field-value OWS
            std::size_t colon = line.find(':');
            if (colon == std::string_view::npos || colon == 0)
                return fail("header line without a name and colon: '" + std::string(line.substr(0, 80)) + "'");
            std::string_view name = line.substr(0, colon);
            for (char c : name)
                if (!is_tchar(c))
                    return fail("invalid character in header name '" + std::string(name.substr(0, 80)) + "'");
            if (out.headers.size() >= limits.max_headers)
                return fail("more than " + std::to_string(limits.max_headers) + " header fields", 431);
            out.headers.push_back(Header{name, trim(line.substr(colon + 1)), pos, line.size()});
        }
        ++line_no;
        pos = lf + 1;
    }
}

BodyKind body_kind(const Message& m, std::string_view request_method, std::uint64_t& content_length,
                   std::string& error) {
    content_length = 0;
    if (!m.is_request) {
        if (iequals(request_method, "HEAD") || (m.status >= 100 && m.status < 200) || m.status == 204 ||
            m.status == 304)
            return BodyKind::none;
    }
    if (m.header_has_token("Transfer-Encoding", "chunked")) return BodyKind::chunked;
    if (auto cl = m.header("Content-Length")) {
        std::uint64_t v = 0;
        auto [p, ec] = std::from_chars(cl->data(), cl->data() + cl->size(), v);
        if (ec != std::errc() || p != cl->data() + cl->size()) {
            error = "invalid Content-Length '" + std::string(*cl) + "'";
            return BodyKind::none;
        }
        content_length = v;
        return BodyKind::length;
    }
    return m.is_request ? BodyKind::none : BodyKind::until_close;
}

Result scan_chunked(std::string_view data, std::size_t& encoded_length, std::vector<Chunk>* chunks) {
    std::size_t pos = 0;
    while (true) {
        std::size_t lf = data.find('\n', pos);
        if (lf == std::string_view::npos) {
            if (data.size() - pos > 1024) return fail("chunk-size line longer than 1024 bytes");
            return {};
        }
        std::size_t end = (lf > pos && data[lf - 1] == '\r') ? lf - 1 : lf;
        std::string_view line = data.substr(pos, end - pos);
        std::string_view hex = line.substr(0, line.find(';'));  // chunk extensions are ignored
        hex = trim(hex);
        std::uint64_t size = 0;
        auto [p, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), size, 16);
        if (hex.empty() || ec != std::errc() || p != hex.data() + hex.size())
            return fail("invalid chunk size '" + std::string(line.substr(0, 40)) + "'");
        if (size > (1ull << 40)) return fail("chunk size too large");
        Chunk c{pos, line.size(), size, lf + 1};
        if (chunks) chunks->push_back(c);
        pos = lf + 1;
        if (size == 0) {
            // Trailer section: field lines up to an empty line.
            while (true) {
                std::size_t tlf = data.find('\n', pos);
                if (tlf == std::string_view::npos) return {};
                std::size_t tend = (tlf > pos && data[tlf - 1] == '\r') ? tlf - 1 : tlf;
                bool empty = tend == pos;
                pos = tlf + 1;
                if (empty) {
                    encoded_length = pos;
                    Result r;
                    r.status = Status::complete;
                    return r;
                }
            }
        }
        if (data.size() < pos + size + 1) return {};
        pos += size;
        // CRLF after the chunk data (a bare LF is tolerated).
        if (data[pos] == '\r') {
            if (data.size() < pos + 2) return {};
            if (data[pos + 1] != '\n') return fail("chunk data not followed by CRLF");
            pos += 2;
        } else if (data[pos] == '\n') {
            pos += 1;
        } else {
            return fail("chunk data longer than its chunk size");
        }
    }
}

void dechunk(std::string_view data, const std::vector<Chunk>& chunks, std::string& out) {
    for (const Chunk& c : chunks) {
        if (c.data_offset >= data.size()) break;
        out.append(data.substr(c.data_offset, c.size));
    }
}

}  // namespace wirelab::http
