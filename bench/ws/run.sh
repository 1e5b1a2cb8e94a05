#!/usr/bin/env bash
# The WebSocket echo benchmark: lab 04's echo server against an echo server written with
# Boost.Beast (tests/labs/peers/beast_echo_server.cpp) and one with the `ws` package for
# Node.js (bench/ws/ws_echo_server.js), loaded by the same generator (bench/ws/loadgen.cpp),
# and a floor (bench/ws/floor_echo.cpp: the least work an echo can do, to show how much of a
# round trip no server can remove):
# 1 and 100 connections, 64-byte and 64-KiB text messages, each connection sending a message
# and waiting for its echo. Messages per second and p99 latency, medians of several runs, and
# the ratios against the targets: at least Boost.Beast's throughput and at least 3x ws's.
# `bench/run.sh` runs this at its end; `bench/run.sh --only ws` runs only this.
#
#   bench/ws/run.sh [--runs N] [--seconds S] [--bin-dir DIR]
#
#   --runs N       runs of every combination (default 3); the table shows medians
#   --seconds S    measured seconds per run (default 3, after 0.5 s of warm-up)
#   --bin-dir DIR  where wirelab-lab04, wirelab-beast-echo-server and wirelab-ws-loadgen are
#                  (default build/bin)
#
# The runs take turns (run 1 of every server and combination, then run 2, ...), so a slow
# moment of the machine hits every server. The four servers run at the same time, idle
# except the one being measured. The table goes to stdout and to bench/out/ws-results.md, the
# runs to bench/out/ws-raw.tsv. A missed target prints MISSED; it is a benchmark, not a test.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
outdir="$root/bench/out"
runs=3
seconds=3
bindir="$root/build/bin"
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift ;;
    --seconds) seconds="$2"; shift ;;
    --bin-dir) bindir="$2"; shift ;;
    -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "ws/run.sh: unknown option $1 (try --help)" >&2; exit 1 ;;
  esac
  shift
done
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "ws/run.sh: --runs needs a positive number" >&2; exit 1; }

say() { printf 'bench ws: %s\n' "$*" >&2; }

loadgen="$bindir/wirelab-ws-loadgen"
for b in "$loadgen" "$bindir/wirelab-beast-echo-server"; do
  [ -x "$b" ] || { say "no $b (build first: ./wirelab bench)"; exit 1; }
done
command -v node >/dev/null 2>&1 || { say "needs node (Debian package nodejs)"; exit 1; }
[ -d "$root/tests/peers/node_modules/ws" ] || { say "needs tests/peers/node_modules/ws (./wirelab installs it)"; exit 1; }
mkdir -p "$outdir/logs"

# The servers, each on a free port it picks and prints. name<TAB>command
servers=()
pids=()
ports=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
start_server() {  # name command...
  local name="$1"; shift
  local log="$outdir/logs/ws-$name.log" port=""
  "$@" >"$log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    port="$(grep -o 'listening on 127\.0\.0\.1:[0-9]*' "$log" | head -n 1 | cut -d: -f2 || true)"
    [ -n "$port" ] && break
    sleep 0.1
  done
  if [ -z "$port" ]; then say "$name did not start (log: $log)"; return 1; fi
  servers+=("$name")
  ports+=("$port")
  say "$name listening on 127.0.0.1:$port"
}
if [ -x "$bindir/wirelab-lab04" ]; then
  start_server wirelab "$bindir/wirelab-lab04" echo-server --port 0 --quiet || true
else
  say "no $bindir/wirelab-lab04: lab 04 is not built; measuring the reference servers only"
fi
start_server beast "$bindir/wirelab-beast-echo-server" --port 0 --quiet
start_server ws node "$here/ws_echo_server.js" --port 0
# The floor: the least work an echo can do (see floor_echo.cpp); not a contestant.
if [ -x "$bindir/wirelab-ws-floor-echo" ]; then
  start_server floor "$bindir/wirelab-ws-floor-echo" --port 0
else
  say "no $bindir/wirelab-ws-floor-echo: the floor is not measured"
fi

raw="$outdir/ws-raw.tsv"
printf 'server\tconnections\tsize\trun\tmsgs_per_s\tp50_us\tp99_us\terrors\n' >"$raw"
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
say "$runs runs of ${#servers[@]} servers x 2 connection counts x 2 sizes, ${seconds} s each"
for run in $(seq "$runs"); do
  for conns in 1 100; do
    for size in 64 65536; do
      for i in "${!servers[@]}"; do
        name="${servers[$i]}"
        line="$("$loadgen" --port "${ports[$i]}" --connections "$conns" --size "$size" --seconds "$seconds" \
                 --warmup 0.5 2>>"$outdir/logs/ws-loadgen.stderr" | grep '^RESULT' || true)"
        val() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$line"; }
        if [ -z "$line" ] || [ "$(val ok)" != 1 ]; then
          say "run $run: $name, $conns connections, $size bytes: failed (${line:-no result}; see $outdir/logs)"
          printf '%s\t%s\t%s\t%s\t\t\t\t%s\n' "$name" "$conns" "$size" "$run" "$(val errors)" >>"$raw"
          continue
        fi
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$conns" "$size" "$run" "$(val msgs_per_s)" \
          "$(val p50_us)" "$(val p99_us)" "$(val errors)" >>"$raw"
        say "run $run: $(printf '%-7s' "$name") $(printf '%3s' "$conns") conn x $(printf '%5s' "$size") B: $(val msgs_per_s) msgs/s, p99 $(val p99_us) us"
      done
    done
  done
done

python3 "$here/report.py" --raw "$raw" --runs "$runs" --seconds "$seconds" \
  --load "$load_start / $(cut -d' ' -f1-3 /proc/loadavg)" \
  --source "commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')" >"$outdir/ws-results.md"
cat "$outdir/ws-results.md"
say "table written to $outdir/ws-results.md (runs: $raw)"
