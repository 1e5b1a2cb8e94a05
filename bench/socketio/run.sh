#!/usr/bin/env bash
# The Socket.IO fan-out benchmark: lab 06's chat server (wirelab-lab06 server, C++) against
# the reference server written with the official `socket.io` for Node.js
# (bench/socketio/node_server.js, the same chat), loaded by the same client
# (bench/socketio/fanout.js, official socket.io-client): 200 WebSocket connections, one
# sender emitting 20,000 small messages with at most 100 in flight, every client receiving
# every message. Deliveries per second and latency p50/p99, medians of several runs, the ratio
# lab06/node and the issue's targets (at least 5x the Node.js server's deliveries/s and a
# lower p99); then each server's memory per idle connection with 1,000 clients.
# `bench/run.sh` runs this at its end; `bench/run.sh --only socketio` runs only this.
#
#   bench/socketio/run.sh [--runs N] [--bin-dir DIR] [--clients N] [--messages M]
#                         [--window W] [--window-by delivered|ack] [--workers K] [--idle N]
#
#   --runs N       fan-out runs per server (default 3); the table shows medians
#   --bin-dir DIR  where wirelab-lab06 is (default build/bin)
#   --clients N    connections, the sender's included (default 200)
#   --messages M   messages the sender emits (default 20000)
#   --window W     messages in flight at most (default 100)
#   --window-by    when a message stops being in flight: delivered (to every client, and
#                  acked; the default) or ack (see fanout.js)
#   --workers K    node processes holding the receivers (default 2)
#   --idle N       idle clients for the memory measurement (default 1000; 0 skips it)
#
# The runs take turns (run 1 of each server, then run 2, ...), so a slow moment of the machine
# hits both. Both servers run at the same time, idle except the one being measured; the
# memory is measured on freshly started servers. Clients and server share the machine's cores.
# The table goes to stdout and bench/out/socketio.md, the results of every run to
# bench/out/socketio-raw.jsonl. A missed target prints MISSED; it is a benchmark, not a test.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
outdir="$root/bench/out"
runs=3
bindir="$root/build/bin"
clients=200
messages=20000
window=100
window_by=delivered
workers=2
idle=1000
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift ;;
    --bin-dir) bindir="$2"; shift ;;
    --clients) clients="$2"; shift ;;
    --messages) messages="$2"; shift ;;
    --window) window="$2"; shift ;;
    --window-by) window_by="$2"; shift ;;
    --workers) workers="$2"; shift ;;
    --idle) idle="$2"; shift ;;
    -h|--help) sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "socketio/run.sh: unknown option $1 (try --help)" >&2; exit 1 ;;
  esac
  shift
done
for v in "$runs" "$clients" "$messages" "$window" "$workers"; do
  [[ "$v" =~ ^[1-9][0-9]*$ ]] || { echo "socketio/run.sh: $v is not a positive number" >&2; exit 1; }
done
[[ "$idle" =~ ^[0-9]+$ ]] || { echo "socketio/run.sh: --idle needs a number" >&2; exit 1; }

say() { printf 'bench socketio: %s\n' "$*" >&2; }

command -v node >/dev/null 2>&1 || { say "needs node (Debian package nodejs)"; exit 1; }
for m in socket.io socket.io-client; do
  [ -d "$root/tests/peers/node_modules/$m" ] || { say "needs tests/peers/node_modules/$m (./wirelab installs it)"; exit 1; }
done
lab06="$bindir/wirelab-lab06"
[ -x "$lab06" ] || say "no $lab06: lab 06 is not built; measuring the Node.js server only"
mkdir -p "$outdir/logs"
# A thousand clients and the server each hold a descriptor per connection.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" || true

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
# start_server NAME LOG command...: sets server_pid and server_port
start_server() {
  local name="$1" log="$2"; shift 2
  server_port=""
  "$@" >"$log" 2>&1 &
  server_pid=$!
  pids+=("$server_pid")
  for _ in $(seq 100); do
    server_port="$(grep -o 'listening on 127\.0\.0\.1:[0-9]*' "$log" | head -n 1 | cut -d: -f2 || true)"
    [ -n "$server_port" ] && break
    sleep 0.1
  done
  [ -n "$server_port" ] || { say "$name did not start (log: $log)"; return 1; }
}
stop_server() {  # pid
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
server_cmd() {  # name -> the command words in the array cmd
  case "$1" in
    lab06) cmd=("$lab06" server --port 0 --quiet) ;;  # no line per message, as the Node.js server prints none
    node) cmd=(node "$here/node_server.js" --port 0) ;;
  esac
}

names=()
[ -x "$lab06" ] && names+=(lab06)
names+=(node)
declare -A port pid
for name in "${names[@]}"; do
  server_cmd "$name"
  start_server "$name" "$outdir/logs/socketio-$name.log" "${cmd[@]}"
  port[$name]=$server_port
  pid[$name]=$server_pid
  say "$name listening on 127.0.0.1:$server_port (pid $server_pid)"
done

raw="$outdir/socketio-raw.jsonl"
: >"$raw"
# record NAME RUN: the RESULT line of fanout.js (on stdin) into the raw file, with the
# server's name and the run
record() {
  local line
  line="$(grep '^RESULT ' | tail -n 1 | cut -c8- || true)"
  [ -n "$line" ] || return 1
  printf '{"server":"%s","run":%s,%s\n' "$1" "$2" "${line#\{}" >>"$raw"
  printf '%s\n' "$line"
}
val() { sed -n "s/.*\"$1\":\([^,}]*\).*/\1/p" <<<"$2"; }

load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
if awk -v l="${load_start%% *}" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
  say "warning: load average $load_start on $(nproc) cores: other work competes with the timings"
fi
say "$runs runs of ${#names[@]} servers: $clients clients, $messages messages, window $window ($window_by), $workers workers"
for run in $(seq "$runs"); do
  for name in "${names[@]}"; do
    line="$(node "$here/fanout.js" --url "http://127.0.0.1:${port[$name]}" --clients "$clients" \
             --messages "$messages" --window "$window" --window-by "$window_by" --workers "$workers" \
             --server-pid "${pid[$name]}" 2>>"$outdir/logs/socketio-fanout.stderr" | record "$name" "$run" || true)"
    if [ -z "$line" ]; then
      say "run $run: $name failed (see $outdir/logs/socketio-fanout.stderr)"
      continue
    fi
    say "run $run: $(printf '%-5s' "$name") $(python3 "$here/report.py" --progress "$line")"
  done
done
for name in "${names[@]}"; do stop_server "${pid[$name]}"; done

# Memory per idle connection, on a fresh server each.
if [ "$idle" -gt 0 ]; then
  for name in "${names[@]}"; do
    server_cmd "$name"
    start_server "$name" "$outdir/logs/socketio-$name-idle.log" "${cmd[@]}" || continue
    sleep 1
    line="$(node "$here/fanout.js" --url "http://127.0.0.1:$server_port" --idle "$idle" --workers "$workers" \
             --server-pid "$server_pid" 2>>"$outdir/logs/socketio-fanout.stderr" | record "$name" 0 || true)"
    stop_server "$server_pid"
    if [ -z "$line" ]; then say "$name: the idle clients failed"; continue; fi
    say "$name: $idle idle clients: $(val per_conn_kib "$line" | cut -c1-6) KiB per connection"
  done
fi

source_desc="commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')"
[ -z "$(git -C "$root" status --porcelain -- labs/socketio labs/06-chat 2>/dev/null)" ] \
  || source_desc="$source_desc plus uncommitted changes in labs/socketio or labs/06-chat"
python3 "$here/report.py" --raw "$raw" --runs "$runs" \
  --load "$load_start / $(cut -d' ' -f1-3 /proc/loadavg)" --source "$source_desc" \
  --command "bench/socketio/run.sh --runs $runs --clients $clients --messages $messages --window $window --window-by $window_by --workers $workers --idle $idle" \
  >"$outdir/socketio.md"
cat "$outdir/socketio.md"
say "table written to $outdir/socketio.md (runs: $raw)"
