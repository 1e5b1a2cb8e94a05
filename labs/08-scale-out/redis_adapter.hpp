// A Socket.IO adapter on Redis Streams: every server process appends its broadcasts to one
// stream (XADD) and reads the stream (XREAD from the last id it has seen), so each broadcast
// reaches the clients of every process. The stream id is the offset connection state recovery
// hands to clients, and sessions of cut clients are kept in Redis (SET with an expiry), so a
// client that comes back to a *different* process still gets what it missed (XRANGE).
// https://redis.io/docs/latest/develop/data-types/streams/
#pragma once

#include <atomic>
#include <boost/asio.hpp>
#include <string>
#include <thread>

#include "socketio_server.hpp"

struct redisContext;

namespace lab08 {

struct RedisOptions {
    std::string host = "127.0.0.1";
    int port = 6379;
    std::string stream = "wirelab:chat";
    std::string node = "A";               // this process's name, carried on each entry
    std::size_t max_len = 100000;         // XADD MAXLEN ~: the stream is trimmed, not unbounded
    int max_disconnection_ms = 120000;    // how long a cut session is kept (SET ... PX)
};

class RedisAdapter : public sioserver::Adapter {
public:
    RedisAdapter(boost::asio::io_context& io, RedisOptions opts, bool recovery);
    ~RedisAdapter() override;
    // Connects both connections and starts reading; false with `err` if Redis cannot be
    // reached (within one second, never a hang).
    bool start(std::string& err);
    // Stops the reader thread (before Redis goes away for good).
    void stop();

    bool publish(const std::string& nsp, const sioserver::Target& to, const std::string& event,
                 const sioserver::Args& args) override;
    std::string last_offset(const std::string& nsp) override;
    void persist(const std::string& nsp, const std::string& pid, const sioserver::Persisted& p) override;
    bool restore(const std::string& nsp, const std::string& pid, const std::string& offset, sioserver::Persisted& out,
                 std::vector<sioserver::Logged>& missed) override;

    std::uint64_t published() const { return published_; }
    std::uint64_t failed() const { return failed_; }
    std::uint64_t received() const { return received_; }

private:
    void read_loop();
    bool ensure_writer();
    bool parse_entry(void* entry, std::string& nsp, sioserver::Logged& out, std::string& node);

    boost::asio::io_context& io_;
    RedisOptions opts_;
    bool recovery_;
    redisContext* writer_ = nullptr;  // used on the server's thread
    std::string last_id_ = "0-0";     // the reader's position in the stream
    std::atomic<bool> stop_{false};
    std::thread reader_;
    std::uint64_t published_ = 0, failed_ = 0;
    std::atomic<std::uint64_t> received_{0};
};

}  // namespace lab08
