#!/usr/bin/env python3
"""Turns bench/run.sh's raw times (bench/out/raw.tsv) into the Markdown results table.

Speed is the median elapsed time of the runs, as packets per second and as a ratio against
the reference tool timed in the same run; memory is the largest peak RSS of the runs.
"""
import argparse
import datetime
import os
import platform
import statistics
import subprocess
import sys

# Targets from the benchmark issue.
DECODE_VS_FLOOR = 1.5      # decode every layer, no output: at most 1.5x the floor's time
SUMMARY_VS_TCPDUMP = 1.0   # summary lines: at least tcpdump's packets/s
FIELDS_VS_TSHARK = 25.0    # -T fields: at least 25x tshark's packets/s
VERBOSE_VS_TSHARK = 10.0   # -V: at least 10x tshark's packets/s
# Targets from the application-layer issue.
APP_FIELDS_VS_TSHARK = 20.0   # -T fields with HTTP and WebSocket fields: at least 20x tshark's
FILTER_VS_TSHARK = 20.0       # -Y 'http.request.method == "GET"': at least 20x tshark -Y's
RSS_LIMIT_MIB = 64.0       # every wirelab mode, on the 1M-packet file


def sh(*cmd):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        return (r.stdout + r.stderr).strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def mem_total_gib():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return 0.0


def depth_table(paths):
    """The deepest layer each tool decodes, from `-T fields -e frame.protocols` of the same
    packets: the work each tool did is only comparable where the two agree."""
    if not paths:
        return []
    stacks = []
    for p in paths:
        try:
            with open(p) as f:
                # Decoding depth only: a leading "frame:" is not a layer of the packet.
                stacks.append([line.rstrip("\n").removeprefix("frame:") for line in f])
        except OSError:
            return []
    ts, wl = stacks
    n = min(len(ts), len(wl))
    if n == 0:
        return []
    same = sum(1 for i in range(n) if ts[i] == wl[i])
    deepest = {}
    for col, lines in ((0, ts), (1, wl)):
        for line in lines[:n]:
            layer = line.rsplit(":", 1)[-1] or "(none)"
            deepest.setdefault(layer, [0, 0])[col] += 1
    out = ["", "Deepest layer decoded, from `-T fields -e frame.protocols` of the first %d "
           "packets (identical protocol stacks: %.1f%%):\n" % (n, 100.0 * same / n),
           "| deepest layer | tshark | wirelab |", "|---|---:|---:|"]
    for layer, (t, w) in sorted(deepest.items(), key=lambda kv: -(kv[1][0] + kv[1][1])):
        out.append("| %s | %d | %d |" % (layer, t, w))
    out.append("")
    return out


def load(raw):
    runs = {}
    with open(raw) as f:
        next(f)
        for line in f:
            name, run, sec, _time_e, rss, cpu, status = line.rstrip("\n").split("\t")
            runs.setdefault(name, []).append((float(sec), int(rss), int(status), float(cpu)))
    return runs


def main():
    ap = argparse.ArgumentParser()
    for opt in ("raw", "mix", "file", "packets", "runs", "wirelab", "source", "same-fields",
                "fields", "load"):
        ap.add_argument("--" + opt, required=True)
    # The application-layer measurements (absent from raw.tsv files written before them).
    for opt in ("app-fields", "app-filter", "same-app", "same-match"):
        ap.add_argument("--" + opt, default="")
    ap.add_argument("--protocols", nargs=2, metavar=("TSHARK", "WIRELAB"))
    a = ap.parse_args()
    packets = int(a.packets)
    runs = load(a.raw)

    def med(name):
        ok = [s for s, _, st, _ in runs.get(name, []) if st == 0]
        return statistics.median(ok) if ok else None

    def med_cpu(name):
        ok = [c for _, _, st, c in runs.get(name, []) if st == 0]
        return statistics.median(ok) if ok else None

    def failed(name):
        return any(st != 0 for _, _, st, _ in runs.get(name, [])) or med(name) is None

    def rss_mib(name):
        r = [m for _, m, _, _ in runs.get(name, [])]
        return max(r) / 1024 if r else None

    def pps(name, n=packets):
        t = med(name)
        return n / t if t else None

    def fmt_pps(v):
        if v is None:
            return "-"
        if v >= 1e6:
            return "%.2fM" % (v / 1e6)
        return "%.0fk" % (v / 1e3)

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    rel = os.path.relpath(a.file, root) if a.file.startswith(root) else a.file
    size_mb = os.path.getsize(a.file) / 1e6

    missed = []
    rows = []

    def verdict(ok, what):
        if ok is None:
            missed.append(what + " (command failed)")
            return "**FAILED**"
        if not ok:
            missed.append(what)
            return "**MISSED**"
        return "PASS"

    def spread(name):
        ok = [s for s, _, st, _ in runs.get(name, []) if st == 0]
        return "%.2f-%.2f" % (min(ok), max(ok)) if ok else "-"

    def row(what, name, cmd, ratio="", target="", result=""):
        t = med(name)
        c = med_cpu(name)
        rows.append("| %s | `%s` | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            what, cmd, "%.2f" % t if t else "failed", spread(name),
            "%.2f" % c if c is not None else "-",
            fmt_pps(pps(name)),
            "%.1f" % rss_mib(name) if rss_mib(name) is not None else "-", ratio, target, result))

    def speed_ratio(name, ref):
        if failed(name) or failed(ref):
            return None
        return med(ref) / med(name)

    def cpu(name, ref, fmt="%.1fx"):
        # The same ratio from CPU time (user + system), steadier when other work competes.
        a, b = med_cpu(name), med_cpu(ref)
        if failed(name) or failed(ref) or not a or not b:
            return ""
        return " (CPU time: " + fmt % (b / a) + ")"

    # Floor and decode-only: time ratio.
    row("read every packet (floor)", "floor", "pcap_floor F", "reference")
    r = None if failed("wl_decode") or failed("floor") else med("wl_decode") / med("floor")
    row("decode every layer, no output", "wl_decode", "wirelab dump -r F --decode-only",
        ("%.2fx the floor's time" % r if r else "-") +
        (" (CPU time: %.2fx)" % (med_cpu("wl_decode") / med_cpu("floor"))
         if r and med_cpu("floor") else ""),
        "at most %.1fx" % DECODE_VS_FLOOR,
        verdict(None if r is None else r <= DECODE_VS_FLOOR, "decode-only vs floor"))
    # Summary lines.
    row("summary lines", "tcpdump_summary", "TZ=UTC tcpdump -nn -r F", "reference")
    row("summary lines", "tshark_summary", "tshark -n -r F", "reference (for information)")
    r = speed_ratio("wl_summary", "tcpdump_summary")
    r2 = speed_ratio("wl_summary", "tshark_summary")
    row("summary lines", "wl_summary", "wirelab dump -r F",
        ("%.2fx tcpdump's packets/s" % r if r else "-") +
        cpu("wl_summary", "tcpdump_summary", "%.2fx") + (", %.1fx tshark's" % r2 if r2 else ""),
        "at least %.0fx tcpdump" % SUMMARY_VS_TCPDUMP,
        verdict(None if r is None else r >= SUMMARY_VS_TCPDUMP, "summary vs tcpdump"))
    def against_tshark(what, name, ref, cmd, ref_cmd, target, label):
        # A reference row for tshark, then wirelab's row with its ratio to it.
        row(what, ref, ref_cmd, "reference")
        r = speed_ratio(name, ref)
        row(what, name, cmd, ("%.1fx tshark's packets/s" % r if r else "-") + cpu(name, ref),
            "at least %.0fx" % target, verdict(None if r is None else r >= target, label))

    against_tshark("`-T fields`, link to transport", "wl_fields", "tshark_fields",
                   "wirelab dump -r F -T fields -e ...", "tshark -n -r F -T fields -e ...",
                   FIELDS_VS_TSHARK, "-T fields vs tshark")
    against_tshark("`-V` layer tree", "wl_verbose", "tshark_verbose", "wirelab dump -r F -V",
                   "tshark -n -r F -V", VERBOSE_VS_TSHARK, "-V vs tshark")
    # The application layer: HTTP and WebSocket fields, and a display filter.
    if "wl_app" in runs or "tshark_app" in runs:
        against_tshark("`-T fields`, HTTP and WebSocket", "wl_app", "tshark_app",
                       "wirelab dump -r F -T fields -e ... (app)",
                       "tshark -n -r F -T fields -e ... (app)",
                       APP_FIELDS_VS_TSHARK, "-T fields (HTTP, WebSocket) vs tshark")
    if "wl_filter" in runs or "tshark_filter" in runs:
        shown = a.app_filter.replace("|", "\\|")
        against_tshark("display filter", "wl_filter", "tshark_filter",
                       "wirelab dump -r F -Y '%s'" % shown, "tshark -n -r F -Y '%s'" % shown,
                       FILTER_VS_TSHARK, "-Y vs tshark -Y")

    mem_rows = []
    for name, mode in (("wl_decode", "decode every layer, no output"),
                       ("wl_summary", "summary lines"), ("wl_fields", "`-T fields`"),
                       ("wl_verbose", "`-V`"), ("wl_app", "`-T fields`, HTTP and WebSocket"),
                       ("wl_filter", "`-Y` display filter")):
        if name not in runs:
            continue
        m = rss_mib(name)
        mem_rows.append("| %s | %d | %s | under %.0f MiB | %s |" % (
            mode, packets, "%.1f" % m if m is not None else "-", RSS_LIMIT_MIB,
            verdict(None if m is None or failed(name) else m < RSS_LIMIT_MIB,
                    "peak RSS of %s" % name)))
    for name, n in (("wl_decode_100k", 100000), ("wl_decode_500k", 500000)):
        m = rss_mib(name)
        if m is not None and n < packets:
            mem_rows.append("| decode every layer, first %d packets (`-c %d`) | %d | %.1f | "
                            "(how it grows with the file) | |" % (n, n, n, m))
    ref_rss = {n: rss_mib(n) for n in ("tcpdump_summary", "tshark_summary", "tshark_fields",
                                        "tshark_verbose", "tshark_app", "tshark_filter")}

    mix = []
    with open(a.mix) as f:
        for line in f:
            what, n = line.rstrip("\n").split("\t")
            mix.append((what, int(n)))

    tshark_v = sh("tshark", "--version").splitlines()[:1]
    tcpdump_v = " / ".join(sh("tcpdump", "--version").splitlines()[:2])
    # The time of the last timed run (raw.tsv's last write), so a re-rendered table keeps it.
    now = datetime.datetime.fromtimestamp(os.path.getmtime(a.raw), datetime.timezone.utc) \
        .strftime("%Y-%m-%d %H:%M UTC")

    out = []
    out.append("## wirelab benchmark results\n")
    out.append("- date: %s" % now)
    out.append("- machine: %s cores (`nproc`), %s, %.1f GiB RAM, Linux %s" % (
        sh("nproc") or "?", cpu_model(), mem_total_gib(), platform.release()))
    out.append("- load average (1, 5, 15 min) before / after the timed runs: %s" % a.load)
    out.append("- tools: %s; %s" % (tshark_v[0] if tshark_v else "tshark ?", tcpdump_v))
    out.append("- wirelab: `%s`, built from %s" % (
        os.path.relpath(a.wirelab, root) if a.wirelab.startswith(root) else a.wirelab, a.source))
    out.append("- capture: F = `%s`, %d packets, %.0f MB" % (rel, packets, size_mb))
    out.append("- mix: " + "; ".join("%s: %d (%.1f%%)" % (w, n, 100.0 * n / packets)
                                      for w, n in mix if not w.startswith("tcp SYN")) +
               "; TCP connections (SYNs): " + "; ".join(str(n) for w, n in mix
                                                        if w.startswith("tcp SYN")))
    out.append("- runs: %s per command, taking turns; median elapsed time (packets/s and "
               "ratios come from it) and the range of the runs, median CPU time (user + "
               "system), largest peak RSS; "
               "stdout to /dev/null; the file is in the page cache" % a.runs)
    out.append("- `-e ...` is `%s`" % a.fields.strip())
    if a.app_fields:
        out.append("- `-e ... (app)` is `%s`" % a.app_fields.strip())
    out.append("- wirelab's `-T fields` output is identical to tshark's on the first 100,000 "
               "packets: %s" % a.same_fields +
               ("; with the HTTP and WebSocket fields: %s" % a.same_app if a.same_app else ""))
    if a.same_match:
        out.append("- the same packets match `-Y '%s'` in both, on the first 100,000 packets "
                   "(`-T fields -e frame.number`): %s" % (a.app_filter, a.same_match))
    out.append("")
    out.append("| measurement | command | median s | range s | CPU s | packets/s | peak RSS MiB "
               "| ratio | target | result |")
    out.append("|---|---|---:|---:|---:|---:|---:|---|---|---|")
    out.extend(rows)
    out.append("")
    out.append("Peak memory of wirelab (`/usr/bin/time` max RSS; the capture file is "
               "memory-mapped, so pages of it that are resident count):\n")
    out.append("| wirelab mode | packets | peak RSS MiB | target | result |")
    out.append("|---|---:|---:|---|---|")
    out.extend(mem_rows)
    out.append("")
    out.append("Reference tools' peak RSS: " + ", ".join(
        "%s %.0f MiB" % (n.replace("_", " "), v) for n, v in ref_rss.items() if v is not None) + ".")
    out.append("")
    out.extend(depth_table(a.protocols))
    if missed:
        out.append("**MISSED: %s**" % "; ".join(missed))
    else:
        out.append("All targets met.")
    print("\n".join(out))
    if missed:
        print("bench: MISSED: " + "; ".join(missed), file=sys.stderr)


if __name__ == "__main__":
    main()
