#!/usr/bin/env bash
# wirelab's benchmark: times `wirelab dump` against tshark, `tcpdump -nn -r` and a plain
# libpcap read loop (the floor) on the same 1M-packet loopback capture, in the same run:
# decode only, summary lines, `-T fields` link to transport, `-V`, and the application layer
# (`-T fields` with HTTP and WebSocket fields, and the display filter
# `-Y 'http.request.method == "GET"'`, against tshark with the same fields and filter).
# `./wirelab bench` builds wirelab into build/ and runs this.
#
#   bench/run.sh [--runs N] [--wirelab BIN [--source TEXT]] [--file F] [--force-record]
#                [--only decoder|viewer|ws|socketio]
#
#   --runs N         timed runs per command (default 3); the table shows the median time and
#                    the largest peak RSS of the N runs
#   --wirelab BIN    the wirelab binary (default build/bin/wirelab)
#   --source TEXT    what that binary was built from, for the table (default: this checkout's
#                    commit, and whether core/ has uncommitted changes)
#   --file F         another capture instead of bench/out/loopback-1m.pcapng (not recorded)
#   --force-record   record the capture again (bench/record.sh --force)
#   --only decoder   only the decoder benchmark above; --only viewer: only the viewer
#                    benchmark (bench/viewer/run.sh: first rows, index, memory and scrolling
#                    of `wirelab view` on the capture, beside tshark's pass over it), which
#                    otherwise runs after the decoder's; --only ws: only the WebSocket echo
#                    benchmark (bench/ws/run.sh: lab 04's echo server against Boost.Beast and
#                    ws), which otherwise runs after the decoder's, with the same --runs;
#                    --only socketio: only the Socket.IO fan-out benchmark (bench/socketio/run.sh:
#                    lab 06's chat server against the Node.js socket.io server), which
#                    otherwise runs last, with the same --runs
#
# Each run is `/usr/bin/time -f '%e %M %U %S'` (elapsed seconds, max RSS KiB, user and
# system CPU seconds) with stdout sent to /dev/null; its elapsed time is also taken with bash's microsecond clock ($EPOCHREALTIME),
# finer than %e's 10 ms steps. The commands take turns: run 1 of every command, then run 2,
# and so on. The table goes to stdout and to bench/out/results.md, the raw times to
# bench/out/raw.tsv. A missed target prints MISSED; the script still finishes (it is a
# benchmark, not a test).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
outdir="$here/out"
runs=3
wirelab="$root/build/bin/wirelab"
file=""
source_desc=""
force_record=0
only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift ;;
    --wirelab) wirelab="$2"; shift ;;
    --source) source_desc="$2"; shift ;;
    --file) file="$2"; shift ;;
    --force-record) force_record=1 ;;
    --only) only="$2"; shift ;;
    -h|--help) sed -n '2,31p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown option $1 (try --help)" >&2; exit 1 ;;
  esac
  shift
done
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --runs needs a positive number" >&2; exit 1; }

say() { printf 'bench: %s\n' "$*" >&2; }

# The WebSocket echo benchmark uses the binaries built beside wirelab.
case "$only" in
  ""|decoder) ;;
  viewer) ;;  # after the capture is there (below)
  ws) exec "$here/ws/run.sh" --runs "$runs" --bin-dir "$(dirname "$wirelab")" ;;
  socketio) exec "$here/socketio/run.sh" --runs "$runs" --bin-dir "$(dirname "$wirelab")" ;;
  *) echo "run.sh: --only takes decoder, viewer, ws or socketio" >&2; exit 1 ;;
esac

for tool in tshark tcpdump capinfos cc python3; do
  command -v "$tool" >/dev/null 2>&1 || { say "needs $tool"; exit 1; }
done
[ -x /usr/bin/time ] || { say "needs /usr/bin/time (Debian package 'time')"; exit 1; }
[ -x "$wirelab" ] || { say "no wirelab binary at $wirelab (build first: ./wirelab bench)"; exit 1; }
wirelab="$(cd "$(dirname "$wirelab")" && pwd)/$(basename "$wirelab")"
mkdir -p "$outdir/logs"
if [ -z "$source_desc" ]; then
  source_desc="commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')"
  [ -z "$(git -C "$root" status --porcelain -- core 2>/dev/null)" ] \
    || source_desc="$source_desc plus uncommitted changes in core/"
fi

# 1. The capture.
if [ -z "$file" ]; then
  file="$outdir/loopback-1m.pcapng"
  if [ "$force_record" = 1 ]; then "$here/record.sh" --force; else "$here/record.sh"; fi
fi
[ -f "$file" ] || { say "no capture $file"; exit 1; }
packets="$(capinfos -M -c -T -r "$file" | awk -F'\t' 'NR==1{print $2+0}')"
if [ "$only" = viewer ]; then
  exec "$here/viewer/run.sh" --runs "$runs" --bin-dir "$(dirname "$wirelab")" --file "$file"
fi

# 2. The floor.
cc -O2 -Wall -o "$outdir/pcap_floor" "$here/pcap_floor.c" -lpcap

"$wirelab" dump -r "$file" -c 5 >/dev/null \
  || { say "$wirelab dump -r $file -c 5 fails; nothing to measure"; exit 1; }

# The capture's mix (not timed).
mix="$outdir/mix.tsv"
: >"$mix"
while IFS='|' read -r label filter; do
  printf '%s\t%s\n' "$label" "$(tcpdump -nn -r "$file" "$filter" 2>/dev/null | wc -l)" >>"$mix"
done <<'EOF'
HTTP over IPv4 (tcp/8080)|ip and tcp port 8080
HTTP over IPv6 (tcp/8080)|ip6 and tcp port 8080
bulk TCP, ftp-data (tcp/20)|tcp port 20
DNS (udp/53)|udp port 53
syslog over IPv6 (udp/514)|udp port 514
WebSocket chat over IPv4 (tcp/8088)|ip and tcp port 8088
WebSocket chat over IPv6 (tcp/8088)|ip6 and tcp port 8088
tcp SYN (connections)|(ip and tcp[13] & 0x12 == 2) or (ip6 and tcp and ip6[53] & 0x12 == 2)
EOF

# 3. The commands. name<TAB>command words separated by \x1f (so arguments may hold spaces).
fields=(-e frame.number -e ip.src -e ip.dst -e tcp.srcport -e tcp.dstport -e tcp.seq -e tcp.ack
        -e tcp.stream -e tcp.len -e udp.srcport -e udp.dstport)
# The application layer: HTTP requests and responses, and the WebSocket frames after the
# Upgrade (tcp/8088). tshark gets the same fields and the same filter.
app_fields=(-e frame.number -e tcp.stream -e tcp.seq -e http.request.method -e http.request.uri
            -e http.response.code -e http.content_length -e websocket.opcode
            -e websocket.payload_length -e websocket.fin)
app_filter='http.request.method == "GET"'
names=() cmds=()
add() { local name="$1"; shift; names+=("$name"); cmds+=("$(printf '%s\x1f' "$@")"); }
add floor           "$outdir/pcap_floor" "$file"
add wl_decode       "$wirelab" dump -r "$file" --decode-only
add tcpdump_summary env TZ=UTC tcpdump -nn -r "$file"
add tshark_summary  tshark -n -r "$file"
add wl_summary      "$wirelab" dump -r "$file"
add tshark_fields   tshark -n -r "$file" -T fields "${fields[@]}"
add wl_fields       "$wirelab" dump -r "$file" -T fields "${fields[@]}"
add tshark_verbose  tshark -n -r "$file" -V
add wl_verbose      "$wirelab" dump -r "$file" -V
add tshark_app      tshark -n -r "$file" -T fields "${app_fields[@]}"
add wl_app          "$wirelab" dump -r "$file" -T fields "${app_fields[@]}"
add tshark_filter   tshark -n -r "$file" -Y "$app_filter"
add wl_filter       "$wirelab" dump -r "$file" -Y "$app_filter"

# Does wirelab print the same as tshark? (the first 100,000 packets; not timed)
# same_output DIFF ARGS...: runs both with ARGS; sets same ("yes", or "no" and the first
# differences in bench/out/DIFF) and same_lines (the lines tshark printed).
same_output() {
  local diff="$1"; shift
  "$wirelab" dump -r "$file" -c 100000 "$@" >"$outdir/same.wirelab" 2>/dev/null || true
  tshark -n -r "$file" -c 100000 "$@" >"$outdir/same.tshark" 2>/dev/null || true
  same_lines="$(wc -l <"$outdir/same.tshark")"
  if cmp -s "$outdir/same.wirelab" "$outdir/same.tshark"; then
    same="yes"
    rm -f "$outdir/$diff"
  else
    same="no (first differences: bench/out/$diff)"
    diff "$outdir/same.tshark" "$outdir/same.wirelab" | head -n 40 >"$outdir/$diff" || true
  fi
  rm -f "$outdir/same.wirelab" "$outdir/same.tshark"
}
same_output fields-diff.txt -T fields "${fields[@]}"
same_fields="$same"
same_output app-fields-diff.txt -T fields "${app_fields[@]}"
same_app="$same"
# Do the same packets match the filter?
same_output match-diff.txt -Y "$app_filter" -T fields -e frame.number
same_match="$same (tshark: $same_lines packets match)"
# How deep does each tool decode? frame.protocols of the same 100,000 packets (not timed).
"$wirelab" dump -r "$file" -c 100000 -T fields -e frame.protocols >"$outdir/protocols.wirelab" \
  2>/dev/null || true
tshark -n -r "$file" -c 100000 -T fields -e frame.protocols >"$outdir/protocols.tshark" \
  2>/dev/null || true

raw="$outdir/raw.tsv"
printf 'name\trun\tseconds\ttime_e\trss_kib\tcpu_s\tstatus\n' >"$raw"
timeit() {  # name run command...
  local name="$1" run="$2"; shift 2
  local t="$outdir/time.out" status=0 t0 t1 e rss user sys sec
  t0=$EPOCHREALTIME
  /usr/bin/time -f '%e %M %U %S' -o "$t" "$@" >/dev/null 2>"$outdir/logs/$name.stderr" || status=$?
  t1=$EPOCHREALTIME
  read -r e rss user sys < <(tail -n 1 "$t")
  # %e has 10 ms steps; the same interval from bash's microsecond clock is what the table uses.
  sec="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$run" "$sec" "$e" "$rss" \
    "$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')" "$status" >>"$raw"
  awk -v n="$name" -v r="$run" -v s="$sec" -v m="$rss" -v st="$status" 'BEGIN {
    printf "  %-16s run %s: %7.2f s %8.1f MiB%s\n", n, r, s, m / 1024, st ? "  (exit status " st ")" : "" }' >&2
}

cat "$file" >/dev/null   # into the page cache: every command reads it from memory
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
if awk -v l="${load_start%% *}" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
  say "warning: load average $load_start on $(nproc) cores: other work competes with the timings"
fi
say "capture $file: $packets packets; $runs runs of ${#names[@]} commands"
# Memory against the length of the file: the same decode on its first 100,000 and 500,000
# packets (once each; only their peak RSS goes into the table).
timeit wl_decode_100k 1 "$wirelab" dump -r "$file" --decode-only -c 100000
timeit wl_decode_500k 1 "$wirelab" dump -r "$file" --decode-only -c 500000
for run in $(seq "$runs"); do
  for i in "${!names[@]}"; do
    IFS=$'\x1f' read -r -a argv <<<"${cmds[$i]}"
    timeit "${names[$i]}" "$run" "${argv[@]}"
  done
done

# 4. The table.
python3 "$here/report.py" --raw "$raw" --mix "$mix" --file "$file" --packets "$packets" \
  --runs "$runs" --wirelab "$wirelab" --source "$source_desc" --same-fields "$same_fields" \
  --load "$load_start / $(cut -d' ' -f1-3 /proc/loadavg)" \
  --fields "$(printf '%s ' "${fields[@]}")" \
  --app-fields "$(printf '%s ' "${app_fields[@]}")" --app-filter "$app_filter" \
  --same-app "$same_app" --same-match "$same_match" \
  --protocols "$outdir/protocols.tshark" "$outdir/protocols.wirelab" >"$outdir/results.md"
cat "$outdir/results.md"
say "table written to $outdir/results.md (raw times: $raw)"

# 5. The viewer benchmark (bench/viewer/run.sh), unless --only decoder.
if [ "$only" != decoder ]; then
  "$here/viewer/run.sh" --runs "$runs" --bin-dir "$(dirname "$wirelab")" --file "$file" || say "the viewer benchmark failed"
fi

# 6. The WebSocket echo benchmark (bench/ws/run.sh), unless --only decoder.
if [ "$only" != decoder ]; then
  "$here/ws/run.sh" --runs "$runs" --bin-dir "$(dirname "$wirelab")" || say "the WebSocket echo benchmark failed"
fi

# 7. The Socket.IO fan-out benchmark (bench/socketio/run.sh), unless --only decoder.
if [ "$only" != decoder ]; then
  "$here/socketio/run.sh" --runs "$runs" --bin-dir "$(dirname "$wirelab")" || say "the Socket.IO fan-out benchmark failed"
fi
