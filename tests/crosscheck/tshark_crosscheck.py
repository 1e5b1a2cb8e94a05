#!/usr/bin/env python3
"""Compares `wirelab dump -T fields` with `tshark -T fields`, cell by cell.

For every capture file under the given folders and every Wireshark field name in the field
list (restricted to the given prefixes), both tools print one line per packet; each cell
(packet x field) where either tool printed something is compared as text. Differences that
are tshark's own quirks are listed, with their reason, in the exceptions file; they still
count as differences in the agreement figure, but the test fails only on agreement below
the threshold or on a difference that is not listed.

Usage: tshark_crosscheck.py WIRELAB FIELDS_FILE EXCEPTIONS_FILE MIN_AGREEMENT PREFIXES DIR...
  PREFIXES: comma-separated field prefixes to cover ("*" for all)
"""
import fnmatch
import os
import subprocess
import sys


def read_fields(path, prefixes):
    names = []
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if prefixes == ["*"] or any(line == p or line.startswith(p + ".") for p in prefixes):
            names.append(line)
    return names


def read_exceptions(path):
    """Lines: capture-glob <TAB> frame (or *) <TAB> field-glob <TAB> reason."""
    rules = []
    for line in open(path, encoding="utf-8"):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.rstrip("\n").split("\t")
        if len(parts) < 4 or not parts[3].strip():
            sys.exit(f"{path}: every exception needs capture, frame, field and a reason: {line!r}")
        rules.append(parts[:4])
    return rules


def excepted(rules, capture, frame, field):
    for cap_glob, frame_rule, field_glob, reason in rules:
        if fnmatch.fnmatch(capture, cap_glob) and fnmatch.fnmatch(field, field_glob) and \
                (frame_rule == "*" or frame_rule == str(frame)):
            return reason
    return None


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def main():
    wirelab, fields_file, exc_file, min_agree, prefixes = sys.argv[1:6]
    dirs = sys.argv[6:]
    fields = read_fields(fields_file, prefixes.split(","))
    rules = read_exceptions(exc_file)
    captures = []
    for d in dirs:
        for root, _, files in os.walk(d):
            for f in sorted(files):
                if f.endswith((".pcap", ".pcapng")):
                    captures.append(os.path.join(root, f))
    captures.sort()
    total = equal = 0
    unlisted = []
    listed = 0
    args = []
    for f in fields:
        args += ["-e", f]
    for cap in captures:
        rel = os.path.relpath(cap, os.path.commonpath(dirs) if len(dirs) > 1 else dirs[0])
        name = os.path.basename(cap)
        _, t_out, _ = run(["tshark", "-n", "-r", cap, "-T", "fields", "-E", "occurrence=a"] + args)
        code, w_out, w_err = run([wirelab, "dump", "-n", "-r", cap, "-T", "fields"] + args)
        if code not in (0, 2):
            print(f"FAIL {rel}: wirelab exited {code}: {w_err.strip()}")
            unlisted.append((name, 0, "(exit)", "", str(code)))
            continue
        t_lines = t_out.split("\n")[:-1] if t_out else []
        w_lines = w_out.split("\n")[:-1] if w_out else []
        if len(t_lines) != len(w_lines):
            print(f"DIFF {rel}: tshark printed {len(t_lines)} packets, wirelab {len(w_lines)}")
        for i in range(max(len(t_lines), len(w_lines))):
            t_cells = t_lines[i].split("\t") if i < len(t_lines) else [""] * len(fields)
            w_cells = w_lines[i].split("\t") if i < len(w_lines) else [""] * len(fields)
            for j, field in enumerate(fields):
                t = t_cells[j] if j < len(t_cells) else ""
                w = w_cells[j] if j < len(w_cells) else ""
                if not t and not w:
                    continue
                total += 1
                if t == w:
                    equal += 1
                    continue
                reason = excepted(rules, name, i + 1, field)
                if reason:
                    listed += 1
                    print(f"  known  {name} frame {i + 1} {field}: tshark={t!r} wirelab={w!r} ({reason})")
                else:
                    unlisted.append((name, i + 1, field, t, w))
    for name, frame, field, t, w in unlisted:
        print(f"  DIFF   {name} frame {frame} {field}: tshark={t!r} wirelab={w!r}")
    agreement = 100.0 * equal / total if total else 0.0
    print(f"captures: {len(captures)}, fields: {len(fields)}, non-empty cells: {total}, equal: {equal}, "
          f"known tshark quirks: {listed}, unlisted differences: {len(unlisted)}")
    print(f"agreement: {agreement:.3f}% (required: {float(min_agree):.1f}%)")
    ok = total > 0 and agreement >= float(min_agree) and not unlisted
    print(f"{1 if ok else 0} passed, {0 if ok else 1} failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
