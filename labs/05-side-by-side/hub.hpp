// Lab 05's hub: one source of messages and five ways out of it, side by side on five ports.
//   tcp    a connection per receiver; each message as a 4-byte big-endian length and the bytes
//   udp    a receiver says "hello" in a datagram; each message is one datagram to each
//   short  HTTP/1.1, GET /messages?since=N answered at once (keep-alive, RFC 9112 section 9.3)
//   long   the same endpoint; GET /messages?since=N&wait=S is held until there is news
//   ws     HTTP/1.1 Upgrade to WebSocket (RFC 6455), each message one text frame
// The two polling ports and the WebSocket port run the same HTTP code; they are separate ports
// only so that a capture can tell the five transports apart by port alone.
// One thread runs everything (Boost.Asio); publish() may be called from any thread.
#pragma once

#include <boost/asio.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "message.hpp"

namespace lab05 {

namespace asio = boost::asio;

struct HubConfig {
    std::string bind = "127.0.0.1";
    std::array<int, kTransportCount> ports{};  // 0: the kernel picks a free one
    std::size_t max_connections = 64;          // TCP connections of all kinds together
    std::size_t max_udp_receivers = 64;
    std::size_t max_head = 8 * 1024;           // HTTP request line and headers; more is answered 431
    int idle_timeout_s = 30;                   // an HTTP connection with no request for this long is closed
    int max_wait_s = 60;                       // the longest a long poll may ask to be held
    std::size_t max_queued = 1024;             // messages waiting for one slow push receiver; more drops it
    std::size_t max_queued_bytes = 4u << 20;   // bytes waiting for one receiver (a poller that pipelines
                                               // requests and never reads queues whole answers); more drops it
    int send_buffer = 0;                       // SO_SNDBUF of each TCP connection (0: the kernel tunes it)
    std::size_t max_kept = 100000;             // messages the log keeps for the pollers
};

class Connection;

// What the sessions share. Lives in the Hub; only the hub's thread touches it.
struct HubState {
    HubConfig config;
    std::deque<Message> log;        // the pollers read from here: nothing is lost while they are away
    std::uint64_t last_seq = 0;
    std::array<std::set<std::shared_ptr<Connection>>, kTransportCount> subscribers;  // tcp and ws pushes
    std::vector<std::weak_ptr<Connection>> held;  // long polls waiting for the next message
    std::vector<std::weak_ptr<Connection>> all;   // every open connection, for stop()
    std::size_t open = 0;
    std::uint64_t accepted = 0;
    // Counts the demo reads from its own thread to know when everyone is connected or gone.
    std::array<std::atomic<int>, kTransportCount> present{};
};

class Hub {
public:
    Hub(asio::io_context& io, HubConfig config);
    ~Hub();
    // Binds the five ports. Returns an error text, empty on success.
    std::string listen();
    unsigned short port(Transport t) const { return ports_[index_of(t)]; }
    // Stores the message and sends it out every way at once. Any thread.
    void publish(std::string text);
    // Push receivers (tcp, udp, ws) connected right now. Any thread.
    int present(Transport t) const { return state_.present[index_of(t)].load(); }
    // Closes the listeners and every connection. Any thread.
    void stop();

private:
    void do_accept(std::size_t which);
    void on_accept(std::size_t which, boost::system::error_code ec, asio::ip::tcp::socket socket);
    void do_receive();
    void on_receive(boost::system::error_code ec, std::size_t n);
    void send_datagram(const std::shared_ptr<const std::string>& bytes, const asio::ip::udp::endpoint& to);
    void deliver(const Message& m);

    asio::io_context& io_;
    HubState state_;
    std::vector<asio::ip::tcp::acceptor> acceptors_;  // tcp, short, long, ws (udp has none)
    std::vector<Transport> acceptor_kind_;
    asio::ip::udp::socket udp_;
    std::array<char, 512> datagram_{};
    asio::ip::udp::endpoint from_;
    std::set<asio::ip::udp::endpoint> udp_receivers_;
    std::array<unsigned short, kTransportCount> ports_{};
};

}  // namespace lab05
