// HTTP/1.x message parsing (RFC 9112): start line, header fields, and where the body ends
// (Content-Length, chunked transfer coding, or the end of the connection). One parser for the
// dissector and the lab servers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wirelab::http {

struct Header {
    std::string_view name;
    std::string_view value;   // without surrounding whitespace
    std::size_t offset = 0;   // of the line, in the message
    std::size_t length = 0;   // of the line, without CRLF
};

enum class BodyKind { none, length, chunked, until_close };

struct Message {
    bool is_request = false;
    std::string_view start_line;
    // Requests.
    std::string_view method, uri;
    // Requests and responses.
    std::string_view version;
    // Responses.
    int status = 0;
    std::string_view reason;
    std::vector<Header> headers;
    std::size_t head_length = 0;  // start line + headers + the empty line

    // Value of the first header called `name` (case-insensitive).
    std::optional<std::string_view> header(std::string_view name) const;
    // True if a comma-separated header contains `token` (case-insensitive): Connection: Upgrade.
    bool header_has_token(std::string_view name, std::string_view token) const;
};

struct Limits {
    std::size_t max_head = 64 * 1024;   // start line + headers
    std::size_t max_headers = 100;
};

enum class Status { complete, incomplete, error };

struct Result {
    Status status = Status::incomplete;
    std::string error;   // for Status::error, names the problem
    int http_status = 400;  // what a server should answer: 400, 414, 431, 501
};

// Parses the start line and the header fields at the start of `data`. Views in `out` point
// into `data`.
Result parse_head(std::string_view data, Message& out, const Limits& limits = {});

// Whether `data` starts the way an HTTP/1.x message does (a request method and a space, or
// "HTTP/1."), for detecting HTTP on any port.
bool looks_like_http(std::string_view data);

// How the body of `m` is delimited (RFC 9112 section 6.3). `request_method` is the method of
// the request a response answers (a response to HEAD has no body).
BodyKind body_kind(const Message& m, std::string_view request_method, std::uint64_t& content_length,
                   std::string& error);

// One chunk of a chunked body.
struct Chunk {
    std::size_t size_offset = 0;  // of the chunk-size line
    std::size_t size_line = 0;    // length of that line without CRLF
    std::uint64_t size = 0;
    std::size_t data_offset = 0;
};

// Scans a chunked body at the start of `data`: on complete, `encoded_length` is the length of
// all chunks, the last chunk and the trailer section; `chunks` lists them.
Result scan_chunked(std::string_view data, std::size_t& encoded_length, std::vector<Chunk>* chunks = nullptr);

// Appends the decoded bytes of a chunked body scanned by scan_chunked().
void dechunk(std::string_view data, const std::vector<Chunk>& chunks, std::string& out);

// ASCII case-insensitive equality (header names). Inline: most comparisons of a header list
// end at the sizes.
inline bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

}  // namespace wirelab::http
