// Lab 03's chat log and its text format (see chat_log.hpp).
#include "chat_log.hpp"

#include <charconv>
#include <chrono>

namespace lab03 {

std::uint64_t ChatLog::post(std::string text, std::int64_t now) {
    std::uint64_t id = next_id_++;
    messages_.push_back(ChatMessage{id, now, std::move(text)});
    if (messages_.size() > kMaxKept) messages_.pop_front();
    return id;
}

void ChatLog::wake() {
    // Wake the waiting long polls. Take the list first: a woken request answers and its
    // client may come straight back with a new wait() while we are still in this loop.
    std::map<std::uint64_t, Waiter> woken;
    woken.swap(waiters_);
    for (auto& [ticket, waiter] : woken) waiter();
}

std::vector<ChatMessage> ChatLog::after(std::uint64_t since) const {
    std::vector<ChatMessage> out;
    for (const ChatMessage& m : messages_) {
        if (out.size() == kMaxPerAnswer) break;
        if (m.id > since) out.push_back(m);
    }
    return out;
}

std::uint64_t ChatLog::wait(Waiter wake) {
    std::uint64_t ticket = next_ticket_++;
    waiters_.emplace(ticket, std::move(wake));
    return ticket;
}

void ChatLog::cancel(std::uint64_t ticket) { waiters_.erase(ticket); }

std::string format_messages(const std::vector<ChatMessage>& messages) {
    std::string body;
    for (const ChatMessage& m : messages) {
        body += std::to_string(m.id);
        body += '\t';
        body += std::to_string(m.sent_us);
        body += '\t';
        body += m.text;
        body += '\n';
    }
    return body;
}

namespace {

template <typename T>
bool to_number(std::string_view s, T& out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return !s.empty() && ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

bool parse_messages(std::string_view body, std::vector<ChatMessage>& out) {
    while (!body.empty()) {
        std::size_t lf = body.find('\n');
        if (lf == std::string_view::npos) return false;  // every line ends with LF
        std::string_view line = body.substr(0, lf);
        body.remove_prefix(lf + 1);
        std::size_t t1 = line.find('\t');
        std::size_t t2 = t1 == std::string_view::npos ? t1 : line.find('\t', t1 + 1);
        if (t2 == std::string_view::npos) return false;
        ChatMessage m;
        if (!to_number(line.substr(0, t1), m.id) || !to_number(line.substr(t1 + 1, t2 - t1 - 1), m.sent_us))
            return false;
        m.text = std::string(line.substr(t2 + 1));
        out.push_back(std::move(m));
    }
    return true;
}

bool valid_text(std::string_view text) {
    return !text.empty() && text.find_first_of("\t\r\n") == std::string_view::npos;
}

std::string parse_poll_query(std::string_view query, PollQuery& out) {
    out = PollQuery{};
    bool have_since = false;
    while (!query.empty()) {
        std::size_t amp = query.find('&');
        std::string_view pair = query.substr(0, amp);
        query.remove_prefix(amp == std::string_view::npos ? query.size() : amp + 1);
        std::size_t eq = pair.find('=');
        std::string_view key = pair.substr(0, eq);
        std::string_view value = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
        if (key == "since") {
            if (!to_number(value, out.since)) return "since= wants the id of the last message you have (0 for all)";
            have_since = true;
        } else if (key == "wait") {
            unsigned seconds = 0;
            if (!to_number(value, seconds) || seconds == 0 || seconds > 120)
                return "wait= wants whole seconds from 1 to 120";
            out.wait_s = seconds;
        } else {
            return "unknown query parameter '" + std::string(key.substr(0, 40)) + "'";
        }
    }
    if (!have_since) return "say since=N: the id of the last message you have (0 for all)";
    return {};
}

std::int64_t now_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace lab03
