// The Redis Streams adapter (see redis_adapter.hpp), with hiredis's synchronous API: one
// connection for the server's thread (XADD, SET, GETDEL, XRANGE, each well under a
// millisecond on loopback) and one for a reader thread that blocks in XREAD.
#include "redis_adapter.hpp"

#include <hiredis/hiredis.h>

#include "lab.hpp"

namespace lab08 {

namespace json = wirelab::json;
using wirelab::lab::say;

namespace {

struct Reply {
    redisReply* r;
    explicit Reply(void* p) : r(static_cast<redisReply*>(p)) {}
    ~Reply() {
        if (r) freeReplyObject(r);
    }
    Reply(const Reply&) = delete;
    Reply& operator=(const Reply&) = delete;
    bool ok() const { return r && r->type != REDIS_REPLY_ERROR; }
};

redisContext* connect(const RedisOptions& o, std::string& err) {
    timeval tv{1, 0};
    redisContext* c = redisConnectWithTimeout(o.host.c_str(), o.port, tv);
    if (!c || c->err) {
        err = "cannot reach Redis at " + o.host + ":" + std::to_string(o.port) + ": " + (c ? c->errstr : "out of memory");
        if (c) redisFree(c);
        return nullptr;
    }
    redisSetTimeout(c, timeval{2, 0});  // a command that takes longer means Redis is in trouble
    return c;
}

redisReply* command(redisContext* c, const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const auto& a : args) {
        argv.push_back(a.data());
        lens.push_back(a.size());
    }
    return static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(args.size()), argv.data(), lens.data()));
}

std::string str(const redisReply* r) { return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) ? std::string(r->str, r->len) : ""; }

}  // namespace

RedisAdapter::RedisAdapter(boost::asio::io_context& io, RedisOptions opts, bool recovery)
    : io_(io), opts_(std::move(opts)), recovery_(recovery) {}

RedisAdapter::~RedisAdapter() {
    stop();
    if (writer_) redisFree(writer_);
}

void RedisAdapter::stop() {
    stop_ = true;
    if (reader_.joinable()) reader_.join();
}

bool RedisAdapter::start(std::string& err) {
    writer_ = connect(opts_, err);
    if (!writer_) return false;
    // Start reading after the last entry already in the stream: this process delivers what
    // is broadcast from now on.
    Reply last(command(writer_, {"XREVRANGE", opts_.stream, "+", "-", "COUNT", "1"}));
    if (!last.ok()) {
        err = "Redis answered XREVRANGE with an error: " + std::string(last.r ? last.r->str : "no reply");
        return false;
    }
    if (last.r->type == REDIS_REPLY_ARRAY && last.r->elements == 1) last_id_ = str(last.r->element[0]->element[0]);
    reader_ = std::thread([this] { read_loop(); });
    return true;
}

bool RedisAdapter::ensure_writer() {
    if (writer_ && !writer_->err) return true;
    if (writer_) redisFree(writer_);
    std::string err;
    writer_ = connect(opts_, err);
    return writer_ != nullptr;
}

bool RedisAdapter::publish(const std::string& nsp, const sioserver::Target& to, const std::string& event,
                           const sioserver::Args& args) {
    if (!ensure_writer()) {
        ++failed_;
        return false;
    }
    std::string args_json;
    json::write(args_json, json::Value::array(args));
    // MAXLEN ~ keeps the stream bounded; Redis trims whole blocks, so "about" that many stay.
    Reply r(command(writer_, {"XADD", opts_.stream, "MAXLEN", "~", std::to_string(opts_.max_len), "*", "nsp", nsp, "room",
                              to.room, "except", to.except, "event", event, "args", args_json, "node", opts_.node}));
    if (!r.ok() || writer_->err) {
        ++failed_;
        return false;
    }
    ++published_;
    return true;  // delivered when the reader sees it come back from the stream
}

// One stream entry: [id, [field, value, ...]].
bool RedisAdapter::parse_entry(void* p, std::string& nsp, sioserver::Logged& out, std::string& node) {
    auto* e = static_cast<redisReply*>(p);
    if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 || e->element[1]->type != REDIS_REPLY_ARRAY) return false;
    out.offset = str(e->element[0]);
    std::string args_json;
    redisReply* f = e->element[1];
    for (std::size_t i = 0; i + 1 < f->elements; i += 2) {
        std::string k = str(f->element[i]), v = str(f->element[i + 1]);
        if (k == "nsp") nsp = v;
        else if (k == "room") out.to.room = v;
        else if (k == "except") out.to.except = v;
        else if (k == "event") out.event = v;
        else if (k == "args") args_json = v;
        else if (k == "node") node = v;
    }
    auto args = json::parse(args_json);
    if (!args || !args->is(json::Type::array)) return false;
    out.args = args->items;
    // With recovery on, the stream id rides as the broadcast's last argument: the offset.
    if (recovery_) out.args.push_back(json::Value::from_string(out.offset));
    return true;
}

void RedisAdapter::read_loop() {
    redisContext* c = nullptr;
    bool down = false;
    while (!stop_) {
        if (!c) {
            std::string err;
            c = connect(opts_, err);
            if (!c) {
                if (!down) say(opts_.node, "lost Redis (%s); retrying every 200 ms", err.c_str());
                down = true;
                std::this_thread::sleep_for(std::chrono::milliseconds(200));
                continue;
            }
            if (down) say(opts_.node, "Redis is back; reading the stream again after %s", last_id_.c_str());
            down = false;
        }
        // Block up to 200 ms for entries after the last one seen: the id is our offset.
        Reply r(command(c, {"XREAD", "COUNT", "1000", "BLOCK", "200", "STREAMS", opts_.stream, last_id_}));
        if (!r.r || c->err) {
            redisFree(c);
            c = nullptr;
            continue;
        }
        if (r.r->type != REDIS_REPLY_ARRAY || r.r->elements == 0) continue;  // nothing new
        redisReply* entries = r.r->element[0]->element[1];
        for (std::size_t i = 0; i < entries->elements; ++i) {
            std::string nsp, node;
            sioserver::Logged packet;
            if (!parse_entry(entries->element[i], nsp, packet, node)) continue;
            last_id_ = packet.offset;
            ++received_;
            boost::asio::post(io_, [this, nsp, packet = std::move(packet)] {
                if (deliver_) deliver_(nsp, packet);
            });
        }
    }
    if (c) redisFree(c);
}

std::string RedisAdapter::last_offset(const std::string&) {
    // The newest id in the stream (read on this thread, so it does not race the reader).
    if (!ensure_writer()) return {};
    Reply last(command(writer_, {"XREVRANGE", opts_.stream, "+", "-", "COUNT", "1"}));
    if (!last.ok() || last.r->type != REDIS_REPLY_ARRAY || last.r->elements != 1) return {};
    return str(last.r->element[0]->element[0]);
}

void RedisAdapter::persist(const std::string& nsp, const std::string& pid, const sioserver::Persisted& p) {
    if (!ensure_writer()) return;
    json::Value rooms = json::Value::array({});
    for (const auto& room : p.rooms) rooms.items.push_back(json::Value::from_string(room));
    json::Value data = json::Value::object({});
    for (const auto& [k, v] : p.data) data.members.emplace_back(k, json::Value::from_string(v));
    json::Value v = json::Value::object({{"id", json::Value::from_string(p.id)},
                                         {"rooms", rooms},
                                         {"data", data},
                                         {"first", json::Value::from_string(p.first_offset)}});
    // Kept for maxDisconnectionDuration, then Redis forgets it by itself.
    Reply r(command(writer_, {"SET", "wirelab:session:" + nsp + ":" + pid, json::to_string(v), "PX",
                              std::to_string(opts_.max_disconnection_ms)}));
}

bool RedisAdapter::restore(const std::string& nsp, const std::string& pid, const std::string& offset,
                           sioserver::Persisted& out, std::vector<sioserver::Logged>& missed) {
    if (!ensure_writer()) return false;
    Reply got(command(writer_, {"GETDEL", "wirelab:session:" + nsp + ":" + pid}));
    if (!got.ok() || got.r->type != REDIS_REPLY_STRING) return false;
    auto v = json::parse(std::string(got.r->str, got.r->len));
    if (!v || !v->is(json::Type::object)) return false;
    auto text = [&](const char* k) {
        const json::Value* f = v->find(k);
        return f && f->is(json::Type::string) ? f->text : std::string();
    };
    out.id = text("id");
    out.first_offset = text("first");
    if (const json::Value* rooms = v->find("rooms"))
        for (const auto& r : rooms->items) out.rooms.insert(r.text);
    if (const json::Value* data = v->find("data"))
        for (const auto& [k, val] : data->members) out.data[k] = val.text;
    if (out.id.empty()) return false;
    std::string from = offset.empty() ? out.first_offset : offset;
    if (!from.empty()) {
        // The client's offset must still be in the stream: trimmed away, or lost when Redis
        // restarted without persistence, means we cannot know what it missed.
        Reply at(command(writer_, {"XRANGE", opts_.stream, from, from}));
        if (!at.ok() || at.r->type != REDIS_REPLY_ARRAY || at.r->elements != 1) return false;
    }
    Reply rest(command(writer_, {"XRANGE", opts_.stream, from.empty() ? "-" : "(" + from, "+"}));
    if (!rest.ok() || rest.r->type != REDIS_REPLY_ARRAY) return false;
    for (std::size_t i = 0; i < rest.r->elements; ++i) {
        std::string entry_nsp, node;
        sioserver::Logged packet;
        if (parse_entry(rest.r->element[i], entry_nsp, packet, node) && entry_nsp == nsp) missed.push_back(std::move(packet));
    }
    return true;
}

}  // namespace lab08
