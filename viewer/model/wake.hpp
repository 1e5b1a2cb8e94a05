// Waking the window's frame loop from a background thread.
//
// The loop sleeps between frames while only background work shows progress (a tenth of a
// second). A pass that ends calls wake_frame_loop(), so that its end shows at once. The window
// sets the function (glfwPostEmptyEvent, which any thread may call); without one, nothing is
// called (the tests, the headless paths).
#pragma once

#include <atomic>

namespace wirelab::viewer {

inline std::atomic<void (*)()> frame_loop_wake{nullptr};

inline void set_frame_loop_wake(void (*wake)()) { frame_loop_wake.store(wake, std::memory_order_release); }

inline void wake_frame_loop() {
    if (auto wake = frame_loop_wake.load(std::memory_order_acquire)) wake();
}

}  // namespace wirelab::viewer
