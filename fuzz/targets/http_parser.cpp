// Fuzz target: the HTTP/1.1 parser the lab servers read requests with (http.hpp): the head
// (start line and header fields), how the body is delimited, and chunked bodies (RFC 9112).
// The input is the bytes a client sent.
#include <string>

#include "fuzz_support.hpp"
#include "wirelab/http.hpp"

namespace wirelab {

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    (void)http::looks_like_http(text);
    http::Message m;
    http::Limits limits;
    limits.max_head = 4096;  // small limits, so the fuzzer reaches them
    limits.max_headers = 16;
    http::Result r = http::parse_head(text, m, limits);
    if (r.status != http::Status::complete) return 0;
    (void)m.header("Host");
    (void)m.header_has_token("Connection", "upgrade");
    std::uint64_t content_length = 0;
    std::string error;
    http::BodyKind kind = http::body_kind(m, m.is_request ? std::string_view() : std::string_view("GET"),
                                          content_length, error);
    if (kind == http::BodyKind::chunked) {
        std::string_view body = text.substr(m.head_length);
        std::size_t encoded = 0;
        std::vector<http::Chunk> chunks;
        if (http::scan_chunked(body, encoded, &chunks).status == http::Status::complete) {
            std::string out;
            http::dechunk(body, chunks, out);
        }
    }
    return 0;
}

}  // namespace wirelab
