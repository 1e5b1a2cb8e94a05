#!/usr/bin/env bash
# Records the sample captures wirelab ships, from real traffic on the loopback interface.
# Needs root (or CAP_NET_RAW) for dumpcap, python3 and curl.
#
#   captures/record.sh            remakes every capture below
#
# http_get_loopback.pcapng: curl fetches a small page from python3's http.server on
# 127.0.0.1: handshake, GET, 200 OK, the close. Linux records loopback as Ethernet with zero
# MAC addresses.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT

port=18080
mkdir -p "$tmp/site"
printf '<!doctype html>\n<title>wirelab</title>\n<p>Hello from the wirelab sample server.</p>\n' >"$tmp/site/index.html"
(cd "$tmp/site" && exec python3 -m http.server "$port" --bind 127.0.0.1 >/dev/null 2>&1) &
sleep 1
dumpcap -q -i lo -f "tcp port $port" -w "$tmp/http.pcapng" &
cap=$!
sleep 1
curl -s -o /dev/null "http://127.0.0.1:$port/index.html"
sleep 1
kill -INT "$cap"; wait "$cap" || true
cp "$tmp/http.pcapng" "$here/http_get_loopback.pcapng"
echo "wrote $here/http_get_loopback.pcapng"
