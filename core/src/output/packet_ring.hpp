// A ring of decoded packets, handed in order from the thread that decodes them to one thread
// that writes them out (`wirelab dump -V` and -x spend about three quarters of their time
// writing text, so on two cores the text of one packet is written while the next ones are
// decoded; JSON too with --threads 2).
//
// One producer, one consumer. Each side takes the other's counter with an atomic load; the
// mutex and the condition variables are touched only when a side has to sleep (the ring is
// empty, or full), and a full ring wakes its producer only once half of it is free again, so
// the thread that keeps the pace is not woken, nor does it wake the other, for every packet.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "wirelab/capture.hpp"
#include "wirelab/dissect.hpp"
#include "wirelab/tree.hpp"

namespace wirelab {

class PacketRing {
public:
    struct Slot {
        Frame frame;
        Tree tree;
        PacketInfo pinfo;
        bool first = false;  // the first packet written (JSON puts no comma before it)
    };

    explicit PacketRing(std::size_t slots) {
        slots_.reserve(slots);
        for (std::size_t i = 0; i < slots; ++i) slots_.push_back(std::make_unique<Slot>());
    }

    // Producer: the slot to decode the next packet into. Waits while the ring is full. The
    // slot is the consumer's only after publish(); until then it may be filled again.
    Slot& slot() {
        std::uint64_t made = made_.load(std::memory_order_relaxed);
        if (made - done_.load(std::memory_order_acquire) >= slots_.size()) wait_for_room(made);
        return *slots_[made % slots_.size()];
    }
    void publish() {
        made_.store(made_.load(std::memory_order_relaxed) + 1, std::memory_order_seq_cst);
        if (consumer_asleep_.load(std::memory_order_seq_cst)) wake(consumer_wake_);
    }
    // Producer: no packet will follow.
    void close() {
        std::lock_guard<std::mutex> lock(mutex_);
        closed_ = true;
        consumer_wake_.notify_one();
    }

    // Consumer: the next packet, or null once the producer closed the ring and every packet
    // was taken. Hands the previous one back.
    Slot* next() {
        std::uint64_t taken = done_.load(std::memory_order_relaxed);
        if (holding_) {
            holding_ = false;
            done_.store(++taken, std::memory_order_seq_cst);
            if (producer_asleep_.load(std::memory_order_seq_cst) &&
                made_.load(std::memory_order_acquire) - taken <= slots_.size() / 2)
                wake(producer_wake_);
        }
        if (made_.load(std::memory_order_acquire) == taken && !wait_for_packet(taken)) return nullptr;
        holding_ = true;
        return slots_[taken % slots_.size()].get();
    }

    // Producer: where in the file the oldest packet not yet handed back starts, or `otherwise`
    // if every published packet was handed back. The pages before it may be released.
    std::uint64_t oldest_offset(std::uint64_t otherwise) const {
        std::uint64_t done = done_.load(std::memory_order_acquire);
        if (done == made_.load(std::memory_order_relaxed)) return otherwise;
        return slots_[done % slots_.size()]->frame.file_offset;  // written by this thread
    }

private:
    void wake(std::condition_variable& cv) {
        std::lock_guard<std::mutex> lock(mutex_);
        cv.notify_one();
    }
    void wait_for_room(std::uint64_t made) {
        std::unique_lock<std::mutex> lock(mutex_);
        producer_asleep_.store(true, std::memory_order_seq_cst);
        // Half the ring free, so that the consumer wakes this thread once in many packets.
        producer_wake_.wait(lock, [&] {
            return made - done_.load(std::memory_order_seq_cst) <= slots_.size() / 2;
        });
        producer_asleep_.store(false, std::memory_order_relaxed);
    }
    bool wait_for_packet(std::uint64_t taken) {
        // The decoder is usually a little ahead: a short spin before sleeping.
        for (int i = 0; i < 256; ++i) {
            if (made_.load(std::memory_order_acquire) != taken) return true;
#if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();
#endif
        }
        std::unique_lock<std::mutex> lock(mutex_);
        consumer_asleep_.store(true, std::memory_order_seq_cst);
        consumer_wake_.wait(lock, [&] { return made_.load(std::memory_order_seq_cst) != taken || closed_; });
        consumer_asleep_.store(false, std::memory_order_relaxed);
        return made_.load(std::memory_order_acquire) != taken;
    }

    std::vector<std::unique_ptr<Slot>> slots_;
    alignas(64) std::atomic<std::uint64_t> made_{0};  // packets published
    std::atomic<bool> producer_asleep_{false};
    alignas(64) std::atomic<std::uint64_t> done_{0};  // packets handed back
    std::atomic<bool> consumer_asleep_{false};
    bool holding_ = false;  // consumer: the last packet next() returned is still in use
    alignas(64) std::mutex mutex_;
    std::condition_variable producer_wake_, consumer_wake_;
    bool closed_ = false;  // under mutex_
};

}  // namespace wirelab
