#!/usr/bin/env python3
"""The WebSocket echo benchmark's table (bench/ws/run.sh): medians of the runs in ws-raw.tsv,
the ratios of lab 04's server (wirelab) to Boost.Beast's and to ws's, and the targets: at least
Beast's messages per second and at least 3x ws's. The floor server (bench/ws/floor_echo.cpp)
does the least work an echo can do; floor / ws is the most any server could reach against ws
on this machine with this load generator."""
import argparse
import csv
import os
import statistics
import sys

SERVERS = [("wirelab", "lab 04 (`wirelab-lab04 echo-server`)"), ("beast", "Boost.Beast"), ("ws", "ws (Node.js)"),
           ("floor", "floor (`wirelab-ws-floor-echo`)")]
TARGET_BEAST = 1.0
TARGET_WS = 3.0


def size_name(size):
    return "64 KiB" if size == 65536 else f"{size} B"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--raw", required=True)
    ap.add_argument("--runs", required=True)
    ap.add_argument("--seconds", required=True)
    ap.add_argument("--load", default="")
    ap.add_argument("--source", default="")
    a = ap.parse_args()

    runs = {}  # (server, conns, size) -> list of (msgs, p50, p99)
    failed = {}
    with open(a.raw) as f:
        for row in csv.DictReader(f, delimiter="\t"):
            key = (row["server"], int(row["connections"]), int(row["size"]))
            if row["msgs_per_s"]:
                runs.setdefault(key, []).append(
                    (float(row["msgs_per_s"]), float(row["p50_us"]), float(row["p99_us"])))
            else:
                failed[key] = failed.get(key, 0) + 1

    def med(key, i):
        values = [r[i] for r in runs.get(key, [])]
        return statistics.median(values) if values else None

    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass

    out = []
    out.append("## WebSocket echo: lab 04 against Boost.Beast and ws\n")
    out.append(f"- {a.runs} run{'' if a.runs == '1' else 's'} of {a.seconds} s per server and combination (after 0.5 s of warm-up); "
               "medians; the runs took turns")
    out.append(f"- machine: {os.cpu_count()} cores, {cpu}; load average before / after: {a.load}")
    out.append(f"- built from {a.source}; load generator `wirelab-ws-loadgen` (one thread), text messages, "
               "each connection sends one message and waits for its echo\n")
    out.append("| connections | message | server | msgs/s | range of runs | p50 µs | p99 µs |")
    out.append("|---:|---|---|---:|---|---:|---:|")
    combos = [(c, s) for c in (1, 100) for s in (64, 65536)]
    for conns, size in combos:
        for server, label in SERVERS:
            key = (server, conns, size)
            values = [r[0] for r in runs.get(key, [])]
            if not values:
                note = "not built" if server == "wirelab" and not failed.get(key) else f"failed ({failed.get(key, 0)} runs)"
                out.append(f"| {conns} | {size_name(size)} | {label} | {note} | | | |")
                continue
            out.append(f"| {conns} | {size_name(size)} | {label} | {med(key, 0):,.0f} | "
                       f"{min(values):,.0f}-{max(values):,.0f} | {med(key, 1):,.0f} | {med(key, 2):,.0f} |")
    out.append("")
    out.append("| connections | message | wirelab / Beast msgs/s | wirelab / ws msgs/s | p99: wirelab / Beast | "
               "p99: wirelab / ws | floor / ws msgs/s | target | result |")
    out.append("|---:|---|---:|---:|---:|---:|---:|---|---|")
    missed = []
    for conns, size in combos:
        w, b, s = (("wirelab", conns, size), ("beast", conns, size), ("ws", conns, size))
        target = f"at least {TARGET_BEAST:g}x Beast and {TARGET_WS:g}x ws"
        if med(w, 0) is None or med(b, 0) is None or med(s, 0) is None:
            out.append(f"| {conns} | {size_name(size)} | | | | | | {target} | not measured |")
            missed.append(f"{conns} x {size_name(size)} not measured")
            continue
        rb, rw = med(w, 0) / med(b, 0), med(w, 0) / med(s, 0)
        ok = rb >= TARGET_BEAST and rw >= TARGET_WS
        if not ok:
            missed.append(f"{conns} x {size_name(size)}")
        f = ("floor", conns, size)
        floor = f"{med(f, 0) / med(s, 0):.2f}x" if med(f, 0) is not None else "not measured"
        out.append(f"| {conns} | {size_name(size)} | {rb:.2f}x | {rw:.2f}x | {med(w, 2) / med(b, 2):.2f}x | "
                   f"{med(w, 2) / med(s, 2):.2f}x | {floor} | {target} | {'PASS' if ok else '**MISSED**'} |")
    out.append("")
    out.append("A p99 ratio below 1 means wirelab's slowest 1% of round trips were faster. The floor server "
               "skips everything a real server must do (UTF-8, limits, control frames, fragments): where "
               "floor / ws is under 3, no WebSocket server can reach 3x ws here, and the round trip through "
               "the kernel and the load generator is what is measured.")
    print("\n".join(out))
    for m in missed:
        print(f"bench ws: MISSED target: {m}", file=sys.stderr)


if __name__ == "__main__":
    main()
