// Lab 07: missed events. The server broadcasts numbered "tick" events; the lab cuts clients'
// transports while it does (on command, or at random for the chaos run); each client reports
// exactly which ticks it never got. Then the three fixes:
//   --fix ack       acknowledgements with retry: the server keeps every tick a client has not
//                   acknowledged and sends it again (at-least-once: duplicates to drop)
//   --fix recovery  Socket.IO's connection state recovery: offsets on broadcasts, the client
//                   reconnects with {pid, offset}, the server replays what it missed
//   (lab 08: a message queue, so that even another server can replay)
// See README.md for the exercise.
#include <csignal>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <sys/wait.h>
#include <thread>

#include "lab.hpp"
#include "socketio_server.hpp"

namespace lab = wirelab::lab;
namespace json = wirelab::json;
using lab::say;
using sioserver::Args;
using sioserver::SocketPtr;

namespace {

enum class Fix { none, ack, recovery };

struct Config {
    Fix fix = Fix::none;
    int clients = 4;
    int ticks = 40;
    int rate = 50;         // ticks per second
    int cut_every_ms = 0;  // chaos: cut a random client this often (0: the scripted cuts)
    int seed = 7;
    int ack_timeout_ms = 2000;
    std::string capture;
};

// What the server knows about one client (by the name it gives in its auth payload, which
// survives reconnects; its socket id does not, unless the state is recovered).
struct ClientState {
    SocketPtr socket;
    std::map<std::uint64_t, std::chrono::steady_clock::time_point> unacked;  // --fix ack
    std::set<std::uint64_t> away_ticks;  // ticks broadcast while it had no connection
    int cuts = 0, reconnects = 0, recovered = 0;
    bool reported = false;
    json::Value report;
};

class MissedEvents {
public:
    MissedEvents(boost::asio::io_context& io, sioserver::SocketServer& sio, const Config& cfg)
        : io_(io), sio_(sio), cfg_(cfg), tick_timer_(io), cut_timer_(io), retry_timer_(io), rng_(cfg.seed) {}

    void install() {
        sioserver::NamespaceHandlers h;
        h.on_connection = [this](const SocketPtr& s) { on_connection(s); };
        h.on_disconnect = [this](const SocketPtr& s, const std::string& reason) { on_disconnect(s, reason); };
        h.on_event = [this](const SocketPtr& s, const std::string& event, Args&, const sioserver::AckFn& ack) {
            if (event == "cut-me") {  // the demo's "cut on command"
                if (ack) ack({});
                cut(s);
            }
        };
        sio_.add_namespace("/", std::move(h));
    }

    int result() const { return result_; }

private:
    static std::string name_of(const SocketPtr& s) {
        const json::Value* c = s->auth.find("client");
        return c && c->is(json::Type::string) ? c->text : s->id;
    }

    void on_connection(const SocketPtr& s) {
        std::string name = name_of(s);
        ClientState& c = clients_[name];
        bool returning = c.socket != nullptr || c.cuts > 0;
        c.socket = s;
        if (returning) {
            ++c.reconnects;
            if (s->recovered) ++c.recovered;
            say("server", "%s is back (socket %s%s)", name.c_str(), s->id.c_str(),
                s->recovered ? (", recovered: " + std::to_string(s->replayed) + " missed ticks replayed").c_str()
                             : cfg_.fix == Fix::ack ? ", a new socket: the server sends again every tick it has not acknowledged"
                                                    : ", a new socket: what it missed is gone");
            if (cfg_.fix == Fix::ack) resend(c);  // every tick it has not acknowledged, again
        }
        if (!started_ && static_cast<int>(clients_.size()) == cfg_.clients) start();
    }

    void on_disconnect(const SocketPtr& s, const std::string& reason) {
        auto it = clients_.find(name_of(s));
        if (it == clients_.end() || it->second.socket != s) return;
        it->second.socket.reset();
        if (!finished_) say("server", "%s lost its connection (%s)", it->first.c_str(), reason.c_str());
    }

    void start() {
        started_ = true;
        say("server", "all %d clients are here: broadcasting %d ticks at %d a second, fix: %s", cfg_.clients, cfg_.ticks,
            cfg_.rate, cfg_.fix == Fix::none ? "none" : cfg_.fix == Fix::ack ? "acks and retry" : "connection state recovery");
        schedule_tick();
        if (cfg_.cut_every_ms > 0) schedule_cut();
        if (cfg_.fix == Fix::ack) schedule_retry();
    }

    void schedule_tick() {
        tick_timer_.expires_after(std::chrono::microseconds(1'000'000 / cfg_.rate));
        tick_timer_.async_wait([this](boost::system::error_code ec) {
            if (ec) return;
            tick();
            if (seq_ < static_cast<std::uint64_t>(cfg_.ticks)) return schedule_tick();
            say("server", "all %d ticks sent; waiting for every client to be back and up to date", cfg_.ticks);
            settle(std::chrono::steady_clock::now());
        });
    }

    void tick() {
        std::uint64_t seq = ++seq_;
        // The scripted demo cuts the second client a fifth of the way in, for a tenth.
        if (cfg_.cut_every_ms == 0 && cfg_.clients > 1) {
            if (seq == static_cast<std::uint64_t>(cfg_.ticks / 5)) {
                auto it = std::next(clients_.begin());
                if (it->second.socket) {
                    say("server", "cutting %s's transport now (tick %llu)", it->first.c_str(), static_cast<unsigned long long>(seq));
                    cut(it->second.socket);
                }
            }
        }
        for (auto& [name, c] : clients_)
            if (!c.socket) c.away_ticks.insert(seq);
        if (cfg_.fix == Fix::ack) {
            for (auto& [name, c] : clients_) {
                c.unacked[seq] = std::chrono::steady_clock::now();
                if (c.socket) send_with_ack(c, seq);
            }
        } else {
            sio_.broadcast("/", {}, "tick", {json::Value::from_number(double(seq))});
        }
    }

    void send_with_ack(ClientState& c, std::uint64_t seq) {
        ClientState* cp = &c;
        sio_.emit(c.socket, "tick", {json::Value::from_number(double(seq))}, [cp, seq](const Args&) { cp->unacked.erase(seq); });
    }

    void resend(ClientState& c) {
        auto now = std::chrono::steady_clock::now();
        for (auto& [seq, at] : c.unacked) {
            at = now;
            send_with_ack(c, seq);
        }
    }

    void schedule_retry() {
        // A tick not acknowledged in time is sent again, even on a connection that looks fine:
        // the ack may be what got lost.
        retry_timer_.expires_after(std::chrono::milliseconds(cfg_.ack_timeout_ms / 2));
        retry_timer_.async_wait([this](boost::system::error_code ec) {
            if (ec) return;
            auto now = std::chrono::steady_clock::now();
            for (auto& [name, c] : clients_) {
                if (!c.socket) continue;
                for (auto& [seq, at] : c.unacked) {
                    if (now - at < std::chrono::milliseconds(cfg_.ack_timeout_ms)) continue;
                    at = now;
                    send_with_ack(c, seq);
                }
            }
            schedule_retry();
        });
    }

    void cut(const SocketPtr& s) {
        auto session = s->session.lock();
        if (!session) return;
        ++clients_[name_of(s)].cuts;
        ++cuts_;
        session->cut();
    }

    void schedule_cut() {
        cut_timer_.expires_after(std::chrono::milliseconds(cfg_.cut_every_ms));
        cut_timer_.async_wait([this](boost::system::error_code ec) {
            if (ec || seq_ >= static_cast<std::uint64_t>(cfg_.ticks)) return;
            std::vector<SocketPtr> live;
            for (auto& [name, c] : clients_)
                if (c.socket) live.push_back(c.socket);
            if (!live.empty()) cut(live[rng_() % live.size()]);
            schedule_cut();
        });
    }

    // After the last tick: wait until every client is connected again (and, with acks, has
    // acknowledged everything), then ask each for its report.
    void settle(std::chrono::steady_clock::time_point since) {
        bool ready = true;
        for (auto& [name, c] : clients_) ready &= c.socket && (cfg_.fix != Fix::ack || c.unacked.empty());
        bool late = std::chrono::steady_clock::now() - since > std::chrono::seconds(15);
        if (!ready && !late) {
            tick_timer_.expires_after(std::chrono::milliseconds(50));
            tick_timer_.async_wait([this, since](boost::system::error_code ec) {
                if (!ec) settle(since);
            });
            return;
        }
        if (late) say("server", "some clients did not come back within 15 s");
        finished_ = true;
        retry_timer_.cancel();
        for (auto& [name, c] : clients_) {
            if (!c.socket) {
                c.reported = true;
                continue;
            }
            ClientState* cp = &c;
            // A direct emit, not a broadcast: it carries no offset.
            sio_.emit(c.socket, "done", {json::Value::from_number(double(cfg_.ticks))}, [this, cp](Args a) {
                cp->report = a.empty() ? json::Value{} : a[0];
                cp->reported = true;
                maybe_report();
            });
        }
        maybe_report();
    }

    void maybe_report() {
        for (auto& [name, c] : clients_)
            if (!c.reported) return;
        if (reported_) return;
        reported_ = true;
        print_report();
        io_.stop();
    }

    static double num(const json::Value& v, std::string_view key) {
        const json::Value* f = v.find(key);
        return f && f->is(json::Type::number) ? f->number : 0;
    }

    void print_report() {
        say("server", "client   cuts  back  recovered  received  lost  away(server)  duplicates  out-of-order");
        long lost = 0, dups = 0, reorders = 0, away = 0, missing_reports = 0;
        bool exact = true;
        for (auto& [name, c] : clients_) {
            if (c.report.type != json::Type::object) {
                ++missing_reports;
                say("server", "%-8s no report (never came back)", name.c_str());
                continue;
            }
            long l = static_cast<long>(num(c.report, "lost")), d = static_cast<long>(num(c.report, "duplicates")),
                 o = static_cast<long>(num(c.report, "reorders")), r = static_cast<long>(num(c.report, "received"));
            say("server", "%-8s %4d  %4d  %9d  %8ld  %4ld  %12zu  %10ld  %12ld", name.c_str(), c.cuts, c.reconnects, c.recovered,
                r, l, c.away_ticks.size(), d, o);
            lost += l;
            dups += d;
            reorders += o;
            away += static_cast<long>(c.away_ticks.size());
            // Every tick is either received or lost: the client's own accounting must add up.
            exact &= r + l == cfg_.ticks;
            // What the client lost includes everything sent while it was away (a tick can
            // also die in flight, in the connection that was cut).
            if (cfg_.fix == Fix::none) exact &= l >= static_cast<long>(c.away_ticks.size());
        }
        say("server", "total: %d cuts, %ld ticks lost, %ld broadcast while a client was away, %ld duplicates, %ld out of order",
            cuts_, lost, away, dups, reorders);
        say("server", "lost and received add up to %d ticks for every client: %s", cfg_.ticks, exact ? "yes" : "NO");
        switch (cfg_.fix) {
        case Fix::none:
            result_ = exact && missing_reports == 0 ? 0 : 1;
            say("server", "without a fix, a client that was away simply never gets those ticks");
            break;
        case Fix::ack:
            result_ = exact && lost == 0 && reorders == 0 && missing_reports == 0 ? 0 : 1;
            say("server", "acks and retry: %s lost; %ld duplicates the clients had to drop (at-least-once)",
                lost == 0 ? "nothing" : "SOME", dups);
            break;
        case Fix::recovery:
            result_ = exact && lost == 0 && dups == 0 && reorders == 0 && missing_reports == 0 ? 0 : 1;
            say("server", "connection state recovery: %s", result_ == 0 ? "nothing lost, nothing duplicated, order kept"
                                                                      : "FAILED: something was lost, duplicated or reordered");
            break;
        }
    }

    boost::asio::io_context& io_;
    sioserver::SocketServer& sio_;
    Config cfg_;
    boost::asio::steady_timer tick_timer_, cut_timer_, retry_timer_;
    std::mt19937 rng_;
    std::map<std::string, ClientState> clients_;
    std::uint64_t seq_ = 0;
    int cuts_ = 0;
    bool started_ = false, finished_ = false, reported_ = false;
    int result_ = 1;
};

int run(const Config& cfg, bool view) {
    boost::asio::io_context io;
    sioserver::SocketServer sio;
    sio.set_recovery({cfg.fix == Fix::recovery, 120000});
    MissedEvents app(io, sio, cfg);
    app.install();
    sioserver::EngineOptions eo;
    eo.ping_interval_ms = 1000;  // notice dead clients within 2 s
    eo.ping_timeout_ms = 1000;
    sioserver::Engine engine(io, eo, sio, [](const std::shared_ptr<sioserver::Connection>& c, sioserver::Request&) {
        sioserver::Response r;
        r.status = 404;
        c->respond(r);
    });
    sio.set_engine(&engine);
    sioserver::Listener listener(io, engine, {});
    std::string err;
    if (!listener.listen("127.0.0.1", 0, err)) {
        say("server", "%s", err.c_str());
        return 1;
    }
    int port = listener.port();
    say("server", "listening on 127.0.0.1:%d", port);
    lab::Recorder recorder;
    if (!cfg.capture.empty()) recorder.start(cfg.capture, "tcp port " + std::to_string(port));

    // The clients: the official socket.io-client, in Node.js.
    std::string cmd = "node '" + std::string(WIRELAB_REPO_DIR) + "/labs/07-missed-events/clients.js' '" +
                      std::string(WIRELAB_REPO_DIR) + "/tests/peers/node_modules' " + std::to_string(port) + " " +
                      std::to_string(cfg.clients) + (cfg.clients <= 8 ? " verbose" : " quiet");
    std::thread clients([cmd, &io] {
        int st = std::system(cmd.c_str());
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            say("demo", "the clients failed (exit %d): is Node.js installed and tests/peers set up (./wirelab)?",
                WIFEXITED(st) ? WEXITSTATUS(st) : -1);
            boost::asio::post(io, [&io] { io.stop(); });
        }
    });
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](boost::system::error_code, int) { io.stop(); });
    io.run();
    clients.join();
    if (recorder.running()) {
        recorder.stop();
        if (view) return lab::open_viewer(cfg.capture);
    }
    return app.result();
}

}  // namespace

static int lab_main(int argc, char** argv) {
    Config cfg;
    std::string fix = "none";
    bool view = false;
    lab::Options opts("7", "Lab 07: missed events, and acks, offsets and replay to recover them", {"demo", "chaos"},
                      "wirelab lab 7 demo --fix none          (a cut client misses ticks; which ones)\n"
                      "  wirelab lab 7 demo --fix recovery      (the same cut, nothing missed)\n"
                      "  wirelab lab 7 chaos --clients 50 --ticks 5000 --fix recovery");
    opts.add("--fix", &fix, "none, ack or recovery");
    opts.add("--clients", &cfg.clients, "clients (demo 4, chaos 50)");
    opts.add("--ticks", &cfg.ticks, "events the server broadcasts (demo 40, chaos 5000)");
    opts.add("--rate", &cfg.rate, "ticks per second (demo 50, chaos 1000)");
    opts.add("--cut-every", &cfg.cut_every_ms, "chaos: cut a random client's transport every this many ms (chaos 20)");
    opts.add("--seed", &cfg.seed, "seed for the random cuts");
    opts.add("--ack-timeout", &cfg.ack_timeout_ms, "--fix ack: ms before an unacknowledged tick is sent again");
    opts.add("--capture", &cfg.capture, "record the lab's traffic to this pcapng file");
    opts.flag("--view", &view, "open the capture in the viewer afterwards");
    bool chaos = argc > 1 && std::string_view(argv[1]) == "chaos";
    if (chaos) {
        cfg.clients = 50;
        cfg.ticks = 5000;
        cfg.rate = 1000;
        cfg.cut_every_ms = 20;
    }
    if (!opts.parse(argc, argv)) return opts.exit_code();
    if (fix == "none") cfg.fix = Fix::none;
    else if (fix == "ack") cfg.fix = Fix::ack;
    else if (fix == "recovery") cfg.fix = Fix::recovery;
    else {
        std::fprintf(stderr, "wirelab lab 7: --fix is none, ack or recovery, not '%s'\n", fix.c_str());
        return 2;
    }
    if (cfg.clients < 1 || cfg.clients > 2000 || cfg.ticks < 1 || cfg.rate < 1 || cfg.rate > 100000 || cfg.cut_every_ms < 0) {
        std::fprintf(stderr, "wirelab lab 7: --clients 1-2000, --ticks and --rate at least 1, --cut-every 0 or more\n");
        return 2;
    }
    std::signal(SIGPIPE, SIG_IGN);
    return run(cfg, view);
}

int main(int argc, char** argv) { return lab::run_main("07", argc, argv, lab_main); }
