#!/usr/bin/env bash
# The viewer benchmark: how fast `wirelab view` makes the 1M-packet capture usable, beside
# tshark's pass over the same file (Wireshark reads a whole file the same way before it shows
# it), in the same run.
#
#   bench/viewer/run.sh [--runs N] [--file F] [--bin-dir DIR] [--frames N]
#
#   --runs N       runs of each command (default 3); the table shows medians
#   --file F       the capture (default bench/out/loopback-1m.pcapng, made by bench/record.sh)
#   --bin-dir DIR  where wirelab-view is (default build/bin)
#   --frames N     frames of the scroll through the whole list (default 300)
#
# Each viewer run is `wirelab-view F --bench-report R.json` in a virtual display (xvfb-run:
# Xvfb, and Mesa's llvmpipe as the software OpenGL renderer), which records, in seconds since
# the process started:
#   - first rows: the end of the first frame that drew a packet row;
#   - index complete: the end of the first frame with the whole file indexed;
# then scrolls the list from its top to its bottom in N frames (every frame a new part of
# the 1M rows) and records each frame's time, and the peak RSS. A second run opens a 1-packet
# capture: its peak RSS is what the window and the software renderer take before any packet.
# tshark is `tshark -n -r F` (summary lines to /dev/null), under `/usr/bin/time`.
# `bench/run.sh` runs this after the decoder benchmark; `bench/run.sh --only viewer` runs only
# this. The table goes to stdout and bench/out/viewer-results.md, every run to
# bench/out/viewer-raw.tsv. A missed target prints MISSED; it is a benchmark, not a test.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
outdir="$root/bench/out"
runs=3
file="$outdir/loopback-1m.pcapng"
bindir="$root/build/bin"
frames=300
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift ;;
    --file) file="$2"; shift ;;
    --bin-dir) bindir="$2"; shift ;;
    --frames) frames="$2"; shift ;;
    -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "viewer/run.sh: unknown option $1 (try --help)" >&2; exit 1 ;;
  esac
  shift
done
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "viewer/run.sh: --runs needs a positive number" >&2; exit 1; }

say() { printf 'bench viewer: %s\n' "$*" >&2; }

view="$bindir/wirelab-view"
[ -x "$view" ] || { say "no $view (build first: ./wirelab bench)"; exit 1; }
[ -f "$file" ] || { say "no capture $file (bench/record.sh makes it)"; exit 1; }
for tool in xvfb-run tshark python3; do
  command -v "$tool" >/dev/null 2>&1 || { say "needs $tool"; exit 1; }
done
[ -x /usr/bin/time ] || { say "needs GNU time (/usr/bin/time, Debian package time)"; exit 1; }
mkdir -p "$outdir/logs"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# A capture of one packet: the viewer's memory with nothing to index.
one="$tmp/one.pcapng"
editcap -r "$file" "$one" 1 >/dev/null

# The window's size is the default one; the virtual screen is larger so nothing is cut.
viewer_run() {  # capture report.json
  xvfb-run -a -s '-screen 0 1600x1000x24' "$view" "$1" --bench-report "$2" --bench-frames "$frames" \
    >>"$outdir/logs/viewer-bench.log" 2>&1
}

raw="$outdir/viewer-raw.tsv"
printf 'what\trun\tfirst_rows_s\tindex_done_s\tindex_pass_s\tframe_ms_median\tframe_ms_p95\tframe_ms_max\tframe_build_ms\tpeak_rss_kib\telapsed_s\tcpu_s\tpackets\n' >"$raw"
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
say "$runs runs of: the viewer on $(basename "$file"), the viewer on one packet, tshark -n -r"
for run in $(seq "$runs"); do
  for what in viewer empty; do
    report="$tmp/$what-$run.json"
    capture="$file"; [ "$what" = empty ] && capture="$one"
    if ! viewer_run "$capture" "$report" || [ ! -s "$report" ]; then
      say "run $run: $what: the viewer failed (log: $outdir/logs/viewer-bench.log)"
      continue
    fi
    python3 - "$report" "$what" "$run" >>"$raw" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print("\t".join(str(x) for x in [sys.argv[2], sys.argv[3], r["first_rows_s"], r["index_done_s"], r["index_pass_s"],
      r["frame_ms_median"], r["frame_ms_p95"], r["frame_ms_max"], r["frame_build_ms_median"], r["peak_rss_kib"], "",
      round(r["cpu_user_s"] + r["cpu_system_s"], 3), r["packets"]]))
PY
    say "run $run: $what: $(tail -n 1 "$raw" | cut -f3-10 | tr '\t' ' ')"
  done
  start="$EPOCHREALTIME"
  /usr/bin/time -o "$tmp/time" -f '%M %U %S' tshark -n -r "$file" >/dev/null 2>>"$outdir/logs/viewer-bench.log"
  elapsed="$(python3 -c "print(round($EPOCHREALTIME - $start, 3))")"
  read -r rss user sys <"$tmp/time"
  printf 'tshark\t%s\t\t\t\t\t\t\t\t%s\t%s\t%s\t\n' "$run" "$rss" "$elapsed" "$(python3 -c "print(round($user + $sys, 3))")" >>"$raw"
  say "run $run: tshark -n -r: $elapsed s, $((rss / 1024)) MiB"
done

python3 "$here/report.py" --raw "$raw" --runs "$runs" --frames "$frames" --file "$file" \
  --load "$load_start / $(cut -d' ' -f1-3 /proc/loadavg)" \
  --source "commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')" >"$outdir/viewer-results.md"
cat "$outdir/viewer-results.md"
say "table written to $outdir/viewer-results.md (runs: $raw)"
