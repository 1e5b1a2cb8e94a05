// Lab 05's receivers: one of each transport, written as straight-line code (connect, read a
// message, read the next...) because that is how a receiver reads best. Every wait has a
// deadline all the same, so a receiver whose hub went silent gives up instead of hanging.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "message.hpp"

namespace lab05 {

// How the demo sends one receiver of each transport away and calls it back: the receiver
// leaves after a given message and says so here; the demo publishes the messages of the
// "away" stretch, then opens the gate and the receivers return.
class AwayGate {
public:
    void left();
    int gone() const;
    void open();
    // Blocks until open() or the deadline; false on the deadline.
    bool wait_open(std::chrono::steady_clock::time_point deadline);

private:
    mutable std::mutex m_;
    std::condition_variable cv_;
    int gone_ = 0;
    bool open_ = false;
};

struct ReceiverPlan {
    Transport kind = Transport::tcp;
    std::string who;            // "tcp#1", for the transcript
    std::string host = "127.0.0.1";
    unsigned short port = 0;    // of this transport on the hub
    std::uint64_t last_seq = 0;   // stop after the message with this number (0: see `count`)
    std::uint64_t count = 0;      // or after this many messages (0: only last_seq, or never)
    std::uint64_t leave_after = 0;  // leave after this message and come back at the gate (0: stay)
    AwayGate* gate = nullptr;
    int poll_ms = 100;          // short polling: time between requests
    int wait_s = 10;            // long polling: how long the hub may hold a request
    bool narrate_each = false;  // a line per message (the receive mode), not only the milestones
    std::chrono::steady_clock::time_point give_up;
};

struct Arrival {
    std::uint64_t seq = 0;
    double latency_ms = 0;
    bool after_return = false;  // arrived after the receiver came back
};

struct ReceiverLog {
    std::vector<Arrival> arrivals;   // in the order they arrived
    std::uint64_t left_after = 0;    // the last message before it went away
    std::uint64_t connections = 0;   // TCP connections it opened (0 for UDP)
    bool finished = false;           // got what the plan asked for
    std::string error;
};

// Runs one receiver until its plan is done, the give-up time passes or an error; any thread.
ReceiverLog run_receiver(const ReceiverPlan& plan);

}  // namespace lab05
