#!/usr/bin/env python3
"""The Markdown table of the Socket.IO fan-out benchmark (bench/socketio/run.sh).

Reads the RESULT lines run.sh collected (one JSON object a line, with "server" and "run"
added) and prints medians, the ratio lab06/node and whether the issue's targets are met:
at least 5x the Node.js server's deliveries per second and a lower p99 latency.
"""
import argparse
import os
import json
import statistics
import sys


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def fmt_k(x):
    return f"{x / 1000:.1f}k" if x == x else "-"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--raw")
    ap.add_argument("--runs", type=int, default=0)
    ap.add_argument("--progress", help="one RESULT object: print it as one short line and stop")
    ap.add_argument("--load", default="?")
    ap.add_argument("--source", default="?")
    ap.add_argument("--command", default="bench/socketio/run.sh")
    a = ap.parse_args()
    if a.progress:
        r = json.loads(a.progress)
        print(f"{r['deliveries_per_s']:,.0f} deliveries/s, p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, "
              f"server CPU {r['server_cpu_pct']}%, clients CPU {r['client_cpu_pct']}%, ok {r['ok']}")
        return

    fan, idle = {}, {}
    with open(a.raw) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            r = json.loads(line)
            (fan if r.get("mode") == "fanout" else idle).setdefault(r["server"], []).append(r)

    names = {"lab06": "lab 06 (`wirelab-lab06 server`, C++)", "node": "reference `socket.io` 4.8.4 (Node.js)"}
    out = []
    p = out.append
    any_r = next((rs[0] for rs in fan.values() if rs), None)
    p("## Socket.IO fan-out: lab 06 against the reference Node.js server\n")
    p(f"Command: `{a.command}`; {a.source}; load average before / after: {a.load}.")
    if any_r:
        p(f"{any_r['clients']} socket.io-client 4.8.4 connections (WebSocket only), one of them the sender, which "
          f"emits {any_r['messages']:,} \"chat message\" events with an ack, at most {any_r['window']} in flight "
          f"(in flight until {'every client has it and its ack is back' if any_r['window_by'] == 'delivered' else 'its ack is back'}); "
          f"receivers in {any_r['workers']} worker processes. Medians of {a.runs} runs; a failed run is left out "
          f"and counted.\n")

    p("| server | runs ok | deliveries/s | range | p50 ms | p99 ms | ack p50 ms | server CPU | deliveries per server CPU s | client CPU (sender, workers) |")
    p("|---|---:|---:|---|---:|---:|---:|---:|---:|---|")
    med = {}
    for key in ("lab06", "node"):
        rs = fan.get(key, [])
        good = [r for r in rs if r.get("ok")]
        if not good:
            p(f"| {names[key]} | 0 of {len(rs)} | - | - | - | - | - | - | - | - |")
            continue
        dps = [r["deliveries_per_s"] for r in good]
        cpu = [r["server_cpu_s"] for r in good if r.get("server_cpu_s")]
        per_cpu = [r["deliveries"] / r["server_cpu_s"] for r in good if r.get("server_cpu_s")]
        m = {
            "dps": median(dps),
            "p50": median([r["p50_ms"] for r in good]),
            "p99": median([r["p99_ms"] for r in good]),
            "ack50": median([r["ack_p50_ms"] for r in good]),
            "cpu_pct": median([r["server_cpu_pct"] for r in good if r.get("server_cpu_pct") is not None]),
            "per_cpu": median(per_cpu),
            # The clients' CPU seconds per delivery: the same client code for both servers.
            "client_cpu_per_delivery": median([sum(r["client_cpu_s"]) / r["deliveries"] for r in good
                                               if r.get("client_cpu_s") and r.get("deliveries")] or [0]),
        }
        med[key] = m
        ccpu = [median([r["client_cpu_pct"][i] for r in good]) for i in range(len(good[0]["client_cpu_pct"]))]
        p(f"| {names[key]} | {len(good)} of {len(rs)} | {fmt_k(m['dps'])} | {fmt_k(min(dps))}-{fmt_k(max(dps))} "
          f"| {m['p50']:.1f} | {m['p99']:.1f} | {m['ack50']:.1f} | {m['cpu_pct']:.0f}% of a core "
          f"| {fmt_k(m['per_cpu'])} | {', '.join(f'{c:.0f}%' for c in ccpu)} |")
    p("")

    missed = []
    if "lab06" in med and "node" in med:
        l, n = med["lab06"], med["node"]
        ratio = l["dps"] / n["dps"]
        ok1 = ratio >= 5
        ok2 = l["p99"] < n["p99"]
        if not ok1:
            missed.append("deliveries/s")
        if not ok2:
            missed.append("p99")
        p("| target (from the issue) | lab 06 | Node.js | ratio lab06/node | result |")
        p("|---|---:|---:|---:|---|")
        p(f"| at least 5x the Node.js server's deliveries/s | {fmt_k(l['dps'])} | {fmt_k(n['dps'])} | {ratio:.2f}x "
          f"| {'PASS' if ok1 else '**MISSED**'} |")
        p(f"| a lower p99 latency | {l['p99']:.1f} ms | {n['p99']:.1f} ms | {l['p99'] / n['p99']:.2f}x "
          f"| {'PASS' if ok2 else '**MISSED**'} |")
        p(f"| (for information) deliveries per CPU second of the server | {fmt_k(l['per_cpu'])} | {fmt_k(n['per_cpu'])} "
          f"| {l['per_cpu'] / n['per_cpu']:.2f}x | |")
        p("")
        # The ceiling: the clients alone, given every core of the machine and a server that
        # cost nothing, could take in at most cores / (client CPU per delivery) deliveries/s.
        cpd = l["client_cpu_per_delivery"]
        if cpd > 0:
            cores = os.cpu_count() or 1
            ceiling = cores / cpd
            p(f"The clients spent {cpd * 1e6:.2f} µs of CPU per delivery (socket.io-client, the same for both "
              f"servers). With all {cores} cores and a server that cost nothing they could take at most "
              f"{fmt_k(ceiling)} deliveries/s: {ceiling / n['dps']:.2f}x the Node.js server's figure is the most "
              f"any server can show on this machine with this client"
              f"{' (under the 5x target: it cannot be met here)' if ceiling / n['dps'] < 5 else ''}.\n")
    else:
        p("No ratio: a server has no successful run.\n")
        missed.append("no comparison")

    if idle:
        p("Memory per idle connection: the server's VmRSS before the first and 3 s after the last of "
          "the idle clients connected (a freshly started server), divided by their number.\n")
        p("| server | clients | RSS before MiB | RSS after MiB | KiB per connection | connect time s |")
        p("|---|---:|---:|---:|---:|---:|")
        per = {}
        for key in ("lab06", "node"):
            for r in idle.get(key, []):
                per[key] = r["per_conn_kib"]
                p(f"| {names[key]} | {r['clients']:,} | {r['rss_before_kib'] / 1024:.1f} | {r['rss_after_kib'] / 1024:.1f} "
                  f"| {r['per_conn_kib']:.1f} | {r['connect_s']:.1f} |")
        if "lab06" in per and "node" in per and per["node"]:
            p(f"\nlab 06 uses {per['lab06'] / per['node']:.2f}x the Node.js server's memory per idle connection.")
        p("")
    print("\n".join(out))
    if missed:
        print(f"bench socketio: MISSED: {', '.join(missed)}", file=sys.stderr)


if __name__ == "__main__":
    main()
