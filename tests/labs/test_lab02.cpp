// Lab 02, UDP datagrams: the demo, the sender and receiver in two processes, and the fragments
// part, run as a student runs them; their captures decoded by `wirelab dump` and by tshark.
#include "lab_support.hpp"

#include <fstream>
#include <map>
#include <regex>

namespace {

// tshark adds a warning about running as root to its output; that says nothing about the capture.
std::string capture_problems(const std::string& capture) {
    std::string out = labtest::tshark_problems(capture), problems;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);)
        if (line.rfind("Running as user", 0) != 0) problems += line + "\n";
    return problems;
}

// The text between the first line containing `from` and the next containing `to` (or the end).
std::string between(const std::string& text, const std::string& from, const std::string& to) {
    std::size_t a = text.find(from);
    if (a == std::string::npos) return {};
    std::size_t b = to.empty() ? std::string::npos : text.find(to, a);
    return text.substr(a, b == std::string::npos ? std::string::npos : b - a);
}

// The ports of the "listening on 127.0.0.1:PORT" lines, in order.
std::vector<int> listening_ports(const std::string& text) {
    std::vector<int> ports;
    std::regex re("listening on 127\\.0\\.0\\.1:([0-9]+)");
    for (std::sregex_iterator i(text.begin(), text.end(), re), end; i != end; ++i) ports.push_back(std::stoi((*i)[1]));
    return ports;
}

// "VERB lost N: a b c" and its two siblings, as {what: "N: a b c"}; the sender prints them with
// "injected", the receiver with "observed".
std::map<std::string, std::string> faults(const std::string& text, const std::string& verb) {
    std::map<std::string, std::string> out;
    std::regex re(verb + " (lost|duplicated|out of order) ([0-9]+:[0-9 ]*)");
    for (std::sregex_iterator i(text.begin(), text.end(), re), end; i != end; ++i) out[(*i)[1]] = (*i)[2];
    return out;
}

int count_of(const std::string& listed) { return std::stoi(listed.substr(0, listed.find(':'))); }

// Runs, as two terminals would, a receiver (`receiver --port 0 --runs 1 --idle-ms IDLE`) in
// the background and then `then`, a shell snippet that finds the receiver's port in $port.
// Returns the receiver's transcript; `then` writes its own files.
std::string with_receiver(const std::string& dir, int idle_ms, const std::string& then, int timeout_s) {
    std::string recv_txt = dir + "/recv.txt", script = dir + "/run.sh";
    std::ofstream(script) << "set -e\n"
                          << labtest::lab(2) << " receiver --port 0 --runs 1 --idle-ms " << idle_ms << " > " << recv_txt
                          << " 2>&1 &\n"
                          << "for i in $(seq 50); do grep -q 'listening on' " << recv_txt << " && break; sleep 0.1; done\n"
                          << "port=$(grep -o 'listening on 127.0.0.1:[0-9]*' " << recv_txt << " | cut -d: -f2)\n"
                          << then << "wait\n";
    labtest::Run r = labtest::run("bash " + script, timeout_s);
    std::ifstream in(recv_txt);
    std::string recv((std::istreambuf_iterator<char>(in)), {});
    INFO(r.out << "\n" << recv);
    REQUIRE(r.status == 0);
    return recv;
}

labtest::Run demo(const std::string& dir) {
    labtest::Run r = labtest::run(labtest::lab(2) + " demo --port 0 --capture " + dir + "/demo.pcapng", 30);
    INFO(r.out);
    REQUIRE(r.status == 0);
    REQUIRE(r.out.find("done: every part behaved as the README says") != std::string::npos);
    return r;
}

}  // namespace

TEST_CASE("lab 02 demo: each recvmsg() returns one whole datagram, and nothing comes before the data",
          "[lab][lab02]") {
    std::string dir = labtest::temp_dir("lab02-boundaries");
    labtest::Run r = demo(dir);
    std::vector<int> ports = listening_ports(r.out);
    REQUIRE(ports.size() >= 3);
    std::string cap = dir + "/demo.pcapng";

    // The transcript: five reads, each exactly one of the datagrams, in the order sent, although
    // all five were waiting in the buffer together.
    std::string part1 = between(r.out, "--- 1.", "--- 2.");
    std::vector<int> got;
    std::regex re("recvmsg\\(\\): one datagram of ([0-9]+) bytes");
    for (std::sregex_iterator i(part1.begin(), part1.end(), re), end; i != end; ++i) got.push_back(std::stoi((*i)[1]));
    CHECK(got == std::vector<int>{64, 1400, 20, 8000, 300});

    // On the wire: one UDP datagram per sendto(), its length the size sent plus the 8-byte UDP
    // header (RFC 768); then the 20-byte end-of-run datagram.
    auto rows = labtest::fields(cap, "udp.dstport == " + std::to_string(ports[0]), {"udp.length", "data.len"});
    std::vector<std::string> lengths, payloads;
    for (auto& row : rows) {
        REQUIRE(row.size() == 2);
        lengths.push_back(row[0]);
        payloads.push_back(row[1]);
    }
    CHECK(lengths == std::vector<std::string>{"72", "1408", "28", "8008", "308", "28"});
    CHECK(payloads == std::vector<std::string>{"64", "1400", "20", "8000", "300", "20"});

    // No connection: every packet recorded is UDP, and the very first one already carries the
    // data (magic "W2", kind 1, sequence number 0): no handshake, no teardown.
    CHECK(labtest::fields(cap, "not udp", {"frame.number"}).empty());
    auto first = labtest::fields(cap, "", {"ip.proto", "udp.dstport", "data.data"});
    REQUIRE(!first.empty());
    CHECK(first[0][0] == "17");
    CHECK(first[0][1] == std::to_string(ports[0]));
    CHECK(first[0][2].rfind("573201" "00" "00000000", 0) == 0);
    // Part 1 + part 2 (40 sequence numbers, 5 lost, 6 twice, plus the end) + part 3 (400 + end).
    CHECK(labtest::fields(cap, "udp", {"frame.number"}).size() == 6 + 42 + 401);
    CHECK(capture_problems(cap).empty());
}

TEST_CASE("lab 02 demo: the receiver reports exactly the loss, duplicates and reordering the sender injected",
          "[lab][lab02]") {
    std::string dir = labtest::temp_dir("lab02-faults");
    labtest::Run r = demo(dir);
    std::string part2 = between(r.out, "--- 2.", "--- 3.");
    auto injected = faults(part2, "injected"), observed = faults(part2, "observed");
    INFO(part2);
    REQUIRE(injected.size() == 3);
    CHECK(observed == injected);
    // The demo's seed makes all three kinds happen; a run without them would prove nothing.
    for (const auto& [what, listed] : injected) CHECK(count_of(listed) > 0);
    // On the wire the duplicates are there twice and the lost ones not at all.
    std::vector<int> ports = listening_ports(r.out);
    auto rows = labtest::fields(dir + "/demo.pcapng", "udp.dstport == " + std::to_string(ports[1]), {"data.len"});
    CHECK(static_cast<int>(rows.size()) ==
          40 - count_of(injected["lost"]) + count_of(injected["duplicated"]) + 1);
}

TEST_CASE("lab 02 sender and receiver in two processes: with a seed the receiver's report equals the injection",
          "[lab][lab02]") {
    std::string dir = labtest::temp_dir("lab02-two");
    // Two programs as in two terminals: the receiver prints its port, the sender is pointed at it.
    std::string recv = with_receiver(dir, 3000,
                                     labtest::lab(2) + " sender --port $port --count 300 --interval-ms 0.25 --size 100,700"
                                     " --loss 0.05 --dup 0.05 --reorder 0.05 --seed 7 --capture " + dir +
                                     "/two.pcapng > " + dir + "/send.txt 2>&1\n", 30);
    std::ifstream sf(dir + "/send.txt");
    std::string send((std::istreambuf_iterator<char>(sf)), {});
    INFO(recv << "\n----\n" << send);
    auto injected = faults(send, "injected"), observed = faults(recv, "observed");
    REQUIRE(injected.size() == 3);
    CHECK(observed == injected);
    for (const auto& [what, listed] : injected) CHECK(count_of(listed) > 0);
    CHECK(recv.find("the end-of-run datagram: the sender has sent everything") != std::string::npos);
    // Sizes alternate 100, 700 by sequence number: on the wire, udp.length is 108 or 708.
    auto rows = labtest::fields(dir + "/two.pcapng", "udp.length != 28", {"udp.length"});
    CHECK(static_cast<int>(rows.size()) == 300 - count_of(injected["lost"]) + count_of(injected["duplicated"]));
    for (auto& row : rows) CHECK((row[0] == "108" || row[0] == "708"));
    CHECK(capture_problems(dir + "/two.pcapng").empty());
}

TEST_CASE("lab 02 demo: a stalled receiver loses datagrams in its buffer and the kernel's count agrees",
          "[lab][lab02]") {
    std::string dir = labtest::temp_dir("lab02-drops");
    labtest::Run r = demo(dir);
    std::string part3 = between(r.out, "--- 3.", "--- 4.");
    INFO(part3);
    std::smatch m;
    REQUIRE(std::regex_search(part3, m, std::regex("([0-9]+) sequence numbers missing, the kernel counted ([0-9]+) drops")));
    int gaps = std::stoi(m[1]), kernel = std::stoi(m[2]);
    CHECK(gaps > 0);
    CHECK(gaps == kernel);
    REQUIRE(std::regex_search(part3, m, std::regex("announced 400 datagrams; ([0-9]+) arrived")));
    CHECK(std::stoi(m[1]) + gaps == 400);
    // The drops happen in the receiving socket, after the point where the recording taps the
    // interface: the capture holds all 400 datagrams of 200 bytes.
    std::vector<int> ports = listening_ports(r.out);
    auto rows = labtest::fields(dir + "/demo.pcapng",
                                "udp.dstport == " + std::to_string(ports[2]) + " && udp.length == 208", {"frame.number"});
    CHECK(rows.size() == 400);
}

TEST_CASE("lab 02 fragments: a 4000-byte datagram crosses a 1500-byte link as three IP fragments, delivered whole",
          "[lab][lab02]") {
    std::string dir = labtest::temp_dir("lab02-frag");
    std::string cap = dir + "/frag.pcapng";
    labtest::Run r = labtest::run(labtest::lab(2) + " fragments --capture " + cap, 30);
    INFO(r.out);
    REQUIRE(r.status == 0);
    CHECK(r.out.find("recvmsg(): one datagram of 4000 bytes") != std::string::npos);
    CHECK(r.out.find("sendto() of 4000 bytes fails: Message too long") != std::string::npos);

    std::vector<std::string> names = {"ip.flags.mf", "ip.flags.df", "ip.frag_offset", "ip.len", "udp.length",
                                      "ip.reassembled.length", "ip.fragment.count"};
    auto rows = labtest::fields(cap, "", names);
    REQUIRE(rows.size() == 5);  // the 1000-byte datagram, three fragments, the end datagram
    // Not fragmented, and Don't Fragment set: Linux sets DF on UDP packets that fit (RFC 1191).
    CHECK(rows[0] == std::vector<std::string>{"0", "1", "0", "1028", "1008", "", ""});
    // Two full fragments (MF set), 1480 data bytes each, then the last one; only the first has
    // the UDP header, and the last completes the reassembly of 4008 bytes of UDP.
    CHECK(rows[1][0] == "1");
    CHECK(rows[1][2] == "0");
    CHECK(rows[1][3] == "1500");
    CHECK(rows[2][0] == "1");
    CHECK(rows[2][2] != "0");
    CHECK(rows[2][3] == "1500");
    CHECK(rows[3][0] == "0");
    CHECK(rows[3][1] == "0");
    CHECK(rows[3][4] == "4008");
    CHECK(rows[3][5] == "4008");
    CHECK(rows[3][6] == "3");
    CHECK(rows[3][3] == std::to_string(20 + 4008 - 2 * 1480));

    // tshark reads the same capture the same way (its port tables kept off ports the kernel
    // happened to give the lab), and finds nothing malformed.
    std::string cmd = "tshark -n -r '" + cap + "'" + labtest::tshark_port_guard(cap) + " -T fields";
    for (const auto& n : names) cmd += " -e " + n;
    labtest::Run t = labtest::run(cmd);
    std::string theirs, ours;
    std::istringstream in(t.out);
    for (std::string line; std::getline(in, line);)
        if (line.rfind("Running as user", 0) != 0) theirs += line + "\n";
    for (auto& row : rows) {
        for (std::size_t i = 0; i < row.size(); ++i) ours += (i ? "\t" : "") + row[i];
        ours += "\n";
    }
    CHECK(theirs == ours);
    CHECK(capture_problems(cap).empty());
}

TEST_CASE("lab 02 fragments without root: a user namespace of its own gives the same fragments", "[lab][lab02]") {
    // As an ordinary user (nobody, no capabilities): the lab enters a user namespace first, in
    // which it may set up a network namespace and even record it.
    std::string dir = labtest::temp_dir("lab02-user");
    std::filesystem::permissions(dir, std::filesystem::perms::all);
    std::string cap = dir + "/frag.pcapng";
    labtest::Run r = labtest::run("setpriv --reuid 65534 --regid 65534 --clear-groups --inh-caps=-all " +
                                  labtest::lab(2) + " fragments --capture " + cap, 20);
    INFO(r.out);
    REQUIRE(r.status == 0);
    CHECK(r.out.find("not root: in a user namespace of our own") != std::string::npos);
    CHECK(r.out.find("recvmsg(): one datagram of 4000 bytes") != std::string::npos);
    auto rows = labtest::fields(cap, "ip.flags.mf == 1", {"ip.len"});
    CHECK(rows == std::vector<std::vector<std::string>>{{"1500"}, {"1500"}});
    CHECK(labtest::fields(cap, "ip.reassembled.length == 4008", {"udp.length"}).size() == 1);
}

TEST_CASE("lab 02 receiver: datagrams that are not the lab's are reported and the receiver keeps running",
          "[lab][lab02]") {
    std::string dir = labtest::temp_dir("lab02-bad");
    // 3 bytes, 20 bytes without the magic, a header with count 0, then a real run of 3.
    std::string recv = with_receiver(dir, 1000,
                                     "printf 'hi!' > /dev/udp/127.0.0.1/$port\n"
                                     "printf 'xxxxxxxxxxxxxxxxxxxx' > /dev/udp/127.0.0.1/$port\n"
                                     "printf 'W2\\001\\000\\000\\000\\000\\000\\000\\000\\000\\000xxxxxxxx' > "
                                     "/dev/udp/127.0.0.1/$port\n" +
                                         labtest::lab(2) + " sender --port $port --count 3 > /dev/null 2>&1\n", 20);
    INFO(recv);
    CHECK(labtest::count_lines(recv, "ignored a 3-byte datagram from 127.0.0.1:") == 1);
    CHECK(labtest::count_lines(recv, "too short for the 20-byte lab header") == 1);
    CHECK(labtest::count_lines(recv, "does not start with the lab's magic bytes") == 1);
    CHECK(labtest::count_lines(recv, "count 0 is outside 1..1000000") == 1);
    // The lab's own datagrams that followed were all received.
    CHECK(recv.find("announced 3 datagrams; 3 arrived, 3 recvmsg() calls returned lab datagrams, 3 were ignored") !=
          std::string::npos);
}

TEST_CASE("lab 02 --help prints usage and an example, bad options are refused", "[lab][lab02]") {
    labtest::Run help = labtest::run(labtest::lab(2) + " --help");
    CHECK(help.status == 0);
    CHECK(help.out.find("Usage: wirelab lab 2 receiver|sender|demo|fragments") != std::string::npos);
    CHECK(help.out.find("Example:") != std::string::npos);
    for (const char* args : {"sender --loss 2", "sender --size 10", "sender --port 0", "receiver --port 70000",
                             "sender --count 0", "demo --interval-ms -1"}) {
        labtest::Run r = labtest::run(labtest::lab(2) + " " + args);
        INFO(args << "\n" << r.out);
        CHECK(r.status == 2);
        CHECK(r.out.find("Usage:") != std::string::npos);
    }
}
