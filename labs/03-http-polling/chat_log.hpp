// Lab 03's chat without any sockets: the numbered messages, the long-poll requests waiting for
// the next one, and the text format both travel in. The server (server.cpp) and the clients
// (client.cpp) put HTTP around this.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace lab03 {

struct ChatMessage {
    std::uint64_t id = 0;      // 1, 2, 3 ... in the order the server received them
    std::int64_t sent_us = 0;  // when the server received it: microseconds since 1970 (UTC)
    std::string text;
};

// The messages in the order they arrived, and who is waiting for the next one. A poll says
// "everything after id N": the id, not a time, so no message is skipped or repeated however
// late the poll comes (the client's clock does not matter).
class ChatLog {
public:
    // A chat keeps its latest messages only; a poll that asks for older ones gets what is left.
    static constexpr std::size_t kMaxKept = 1000;

    using Waiter = std::function<void()>;

    // Stores a message. Returns its id. Call wake() next, to hand it to the held long polls.
    std::uint64_t post(std::string text, std::int64_t now_us);
    // Runs every waiting long poll's `wake`, once, and forgets them.
    void wake();
    // One answer carries at most this many; a client that is further behind asks again at once
    // (its `since` has moved on), so no answer grows to megabytes.
    static constexpr std::size_t kMaxPerAnswer = 100;

    // The messages with an id greater than `since`, oldest first, at most kMaxPerAnswer.
    std::vector<ChatMessage> after(std::uint64_t since) const;
    std::uint64_t last_id() const { return next_id_ - 1; }

    // A long poll that found nothing waits here; `wake` runs once, at the next post(). The
    // returned ticket lets the request give up when its wait runs out (cancel()).
    std::uint64_t wait(Waiter wake);
    void cancel(std::uint64_t ticket);
    std::size_t waiting() const { return waiters_.size(); }

private:
    std::deque<ChatMessage> messages_;
    std::uint64_t next_id_ = 1;
    std::map<std::uint64_t, Waiter> waiters_;
    std::uint64_t next_ticket_ = 1;
};

// The body of a 200 answer to GET /messages: one message a line,
//   id TAB sent_us TAB text LF
// Text with a tab or line break in it is refused when posted (see valid_text), so a line
// always splits into exactly three parts.
std::string format_messages(const std::vector<ChatMessage>& messages);
// Reads such a body back; returns false on a line that does not have that shape.
bool parse_messages(std::string_view body, std::vector<ChatMessage>& out);
// Whether a posted text can travel in that format (not empty, no TAB, CR or LF).
bool valid_text(std::string_view text);

// GET /messages?since=N&wait=S, split: `since` is required, `wait` (seconds) is optional and
// makes the request a long poll. Returns an error text, empty if fine.
struct PollQuery {
    std::uint64_t since = 0;
    unsigned wait_s = 0;  // 0: short poll, answer at once
};
std::string parse_poll_query(std::string_view query, PollQuery& out);

// Microseconds since 1970 by the system clock: what sent_us holds and what a client compares
// it with. Both ends use the same clock when they run on one machine.
std::int64_t now_us();

}  // namespace lab03
