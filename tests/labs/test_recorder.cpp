// The labs' recorder (labs/common): what --capture uses. It must stop in bounded time even when
// the traffic it records never pauses (lab 08's Redis readers poll every 200 ms), and keep
// what it saw.
#include "lab_support.hpp"

#include <atomic>
#include <thread>

#include "lab.hpp"

TEST_CASE("the lab recorder stops within its drain bound while traffic keeps flowing", "[lab][recorder]") {
    // A UDP socket on loopback that a background thread keeps sending to, every 40 ms.
    int rx = ::socket(AF_INET, SOCK_DGRAM, 0);
    REQUIRE(rx >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(rx, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(rx, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    int port = ntohs(addr.sin_port);

    std::string dir = labtest::temp_dir("recorder");
    wirelab::lab::Recorder recorder;
    if (!recorder.start(dir + "/busy.pcapng", "udp port " + std::to_string(port))) {
        WARN("no permission to capture on lo here: the recorder's drain bound is not exercised");
        ::close(rx);
        return;
    }
    std::atomic<bool> done{false};
    std::atomic<int> sent{0};
    std::thread sender([&] {
        int tx = ::socket(AF_INET, SOCK_DGRAM, 0);
        while (!done) {
            ::sendto(tx, "tick", 4, 0, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
            ++sent;
            std::this_thread::sleep_for(std::chrono::milliseconds(40));
        }
        ::close(tx);
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    auto t0 = std::chrono::steady_clock::now();
    std::uint64_t packets = recorder.stop();
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    done = true;
    sender.join();
    ::close(rx);
    INFO("stop took " << seconds << " s, " << packets << " packets of " << sent.load() << " sent");
    // One second of drain, plus a read timeout (150 ms) and scheduling slack on a busy machine.
    CHECK(seconds < 2.0);
    CHECK(packets >= 5);  // half a second of ticks before stop() was asked
    auto rows = labtest::fields(dir + "/busy.pcapng", "udp", {"udp.dstport"});
    CHECK(rows.size() == packets);
    for (const auto& row : rows) CHECK(row.at(0) == std::to_string(port));
    std::filesystem::remove_all(dir);
}
