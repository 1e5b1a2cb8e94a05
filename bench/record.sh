#!/usr/bin/env bash
# Records the benchmark capture, bench/out/loopback-1m.pcapng: 1,000,000 packets of real
# traffic on the loopback interface (127.0.0.1 and ::1 only), captured with dumpcap.
#
#   bench/record.sh                 records it unless it already exists with enough packets
#   bench/record.sh --force         records it again
#   bench/record.sh --packets N --out FILE   a capture of another size (quick checks)
#
# Needs root (dumpcap on lo; ports 20, 53 and 514), python3, curl, and node with the `ws` package
# in tests/peers/node_modules (./wirelab installs it). Takes about a minute on 2 cores. The
# traffic runs in rounds until dumpcap has the packets; in each round these run at the same time:
#   - HTTP (tcp/8080): python3 HTTP/1.1 server (bench/traffic.py) on 127.0.0.1 and ::1;
#     curl loads a page and its objects (HTML, CSS, JS, JSON, images up to 48 KB) over
#     parallel keep-alive connections, polls a JSON API opening a new connection per request
#     (handshake, request, response, close), and polls it over IPv6 keep-alive;
#   - bulk TCP (tcp/20, ftp-data): a 50 MB file sent between two python3 processes, as an FTP
#     server sends one in active mode;
#   - DNS (udp/53): A, AAAA, TXT, CNAME and MX queries with EDNS, 32 outstanding, and their
#     answers (1 to 8 records, 5% NXDOMAIN);
#   - syslog over IPv6 (udp/514): one-way messages of 80..1200 bytes;
#   - WebSocket (tcp/8088): a Node.js chat server (bench/ws_traffic.js, the `ws` package) on
#     127.0.0.1 and ::1; 16 clients at a time (a third over IPv6) in rooms of three send 9,000
#     masked text and binary messages of 20..2000 bytes, which the server relays to the room,
#     a few of 16..64 KB and a few in fragments, with pings both ways; each client closes with
#     a close frame after 40..400 messages and a new one opens. No permessage-deflate.
# The ports are the protocols' registered ones, and 8088 is in tshark's HTTP port range (it
# follows the Upgrade into WebSocket), so tshark dissects each packet through its port
# table, as in most captures (on unregistered ports it would try every heuristic
# dissector on every payload, which more than doubles its time on the bulk transfer).
# The TCP sockets that send data in bulk (the HTTP server's, the file sender's, the WebSocket
# server's) set TCP_MAXSEG 1460 and write at most one segment per send() (so do the WebSocket
# clients), so segments are Ethernet-sized (loopback's MTU is 65536); the interfaces are never changed.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
out="$here/out/loopback-1m.pcapng"
want=1000000
force=0
while [ $# -gt 0 ]; do
  case "$1" in
    --force) force=1 ;;
    --packets) want="$2"; shift ;;
    --out) out="$2"; shift ;;
    -h|--help) sed -n '2,32p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "record.sh: unknown option $1 (try --help)" >&2; exit 1 ;;
  esac
  shift
done

say() { printf 'record.sh: %s\n' "$*" >&2; }

count_packets() { capinfos -M -c -T -r "$1" 2>/dev/null | awk -F'\t' 'NR==1{print $2+0}'; }

if [ "$force" = 0 ] && [ -f "$out" ]; then
  have="$(count_packets "$out" || echo 0)"
  if [ "${have:-0}" -ge "$want" ]; then
    say "$out exists with $have packets (use --force to record it again)"
    exit 0
  fi
fi

for tool in dumpcap capinfos python3 curl node; do
  command -v "$tool" >/dev/null 2>&1 || { say "needs $tool"; exit 1; }
done

[ "$(id -u)" = 0 ] || { say "run me as root (dumpcap on lo, and ports 20, 53 and 514)"; exit 1; }
[ -d "$here/../tests/peers/node_modules/ws" ] ||
  { say "needs the ws package in tests/peers/node_modules (cd tests/peers && npm ci)"; exit 1; }

HTTP=8080 BULK=20 DNS=53 SYSLOG=514 WS=8088
if command -v ss >/dev/null 2>&1 && {
     ss -Htan "( sport = :$HTTP or sport = :$BULK or sport = :$WS )" 2>/dev/null | grep -q LISTEN ||
     ss -Huan "( sport = :$DNS or sport = :$SYSLOG )" 2>/dev/null | grep -q .; }; then
  say "tcp port $HTTP, $BULK or $WS, or udp port $DNS or $SYSLOG, is in use; stop what uses it first"
  exit 1
fi

mkdir -p "$(dirname "$out")"
tmp="$(mktemp -d)"
server="" wsserver="" cap="" gens=()
cleanup() {
  local p
  for p in "${gens[@]}" $cap $server $wsserver; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

python3 "$here/traffic.py" make-site "$tmp/site"
python3 "$here/traffic.py" http-server "$HTTP" "$tmp/site" >"$tmp/server.log" 2>&1 &
server=$!
for _ in $(seq 50); do
  curl -s -o /dev/null "http://127.0.0.1:$HTTP/index.html" && \
    curl -s -o /dev/null "http://[::1]:$HTTP/index.html" && break
  sleep 0.1
done
# The WebSocket chat server: traffic.py makes its listening sockets (TCP_MAXSEG) and execs node.
python3 "$here/traffic.py" ws-server "$WS" node "$here/ws_traffic.js" server >"$tmp/ws.log" 2>&1 &
wsserver=$!
for _ in $(seq 50); do grep -q 'listening' "$tmp/ws.log" && break; sleep 0.1; done
grep -q 'listening' "$tmp/ws.log" || { cat "$tmp/ws.log" >&2; say "the WebSocket server did not start"; exit 1; }

# Only packets between 127.0.0.1 and itself or ::1 and itself (not, say, a DNS stub resolver
# on 127.0.0.53), on the five ports.
filter="((src host 127.0.0.1 and dst host 127.0.0.1) or (src host ::1 and dst host ::1))"
filter="$filter and (tcp port $HTTP or tcp port $BULK or tcp port $WS or udp port $DNS"
filter="$filter or udp port $SYSLOG)"
# -c stops at exactly $want packets; -a is a safety net if the traffic stops early.
dumpcap -i lo -B 256 -f "$filter" -c "$want" -a duration:900 -w "$tmp/cap.pcapng" \
  2>"$tmp/dumpcap.log" &
cap=$!
for _ in $(seq 100); do grep -q '^Capturing on' "$tmp/dumpcap.log" && break; sleep 0.1; done
sleep 0.5
if ! kill -0 "$cap" 2>/dev/null || ! grep -q '^Capturing on' "$tmp/dumpcap.log"; then
  cat "$tmp/dumpcap.log" >&2
  say "dumpcap could not capture on lo (it needs root or CAP_NET_RAW)"
  exit 1
fi
say "capturing $want packets on lo ($filter)"

start=$SECONDS
round=0
while kill -0 "$cap" 2>/dev/null; do
  round=$((round + 1))
  [ "$round" -le 40 ] || { say "the traffic did not reach $want packets in 40 rounds"; exit 1; }
  u="http://127.0.0.1:$HTTP"
  gens=()
  # Page loads: 7 objects each, 6 parallel keep-alive connections.
  objects="{index.html,style.css,app.js,api/items.json,img/logo.png,img/photo.jpg,img/icon.png}"
  curl -s -Z --parallel-max 6 "$u/$objects?r=$round&n=[1-400]" >/dev/null 2>&1 &
  gens+=($!)
  # API polling, a new connection per request.
  curl -s -H 'Connection: close' "$u/api/status.json?r=$round&n=[1-2000]" >/dev/null 2>&1 &
  gens+=($!)
  # API polling over IPv6 keep-alive.
  curl -s "http://[::1]:$HTTP/api/{status,items}.json?r=$round&n=[1-1500]" >/dev/null 2>&1 &
  gens+=($!)
  python3 "$here/traffic.py" bulk "$BULK" 50000000 "$round" &
  gens+=($!)
  python3 "$here/traffic.py" dns "$DNS" 22000 "$round" &
  gens+=($!)
  python3 "$here/traffic.py" syslog "$SYSLOG" 10000 "$round" &
  gens+=($!)
  # WebSocket chat: 16 clients at a time, 9,000 messages.
  node "$here/ws_traffic.js" clients "$WS" 16 9000 "$round" 2>>"$tmp/ws.log" &
  gens+=($!)
  # Wait for this round's traffic, or for dumpcap to have all the packets.
  while kill -0 "$cap" 2>/dev/null; do
    alive=0
    for p in "${gens[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ "$alive" = 1 ] || break
    sleep 0.2
  done
  say "round $round done ($((SECONDS - start)) s)"
done
for p in "${gens[@]}"; do kill "$p" 2>/dev/null || true; done
gens=()
wait "$cap" || true
cap=""

tr '\r' '\n' <"$tmp/dumpcap.log" | grep -E 'captured|dropped' >&2 || true
have="$(count_packets "$tmp/cap.pcapng" || echo 0)"
if [ "${have:-0}" -lt "$want" ]; then
  say "captured only ${have:-0} packets, wanted $want"
  exit 1
fi
if tr '\r' '\n' <"$tmp/dumpcap.log" | grep -E 'dropped' | grep -qvE ': [0-9]+/0 '; then
  say "warning: dumpcap dropped packets (see above); the capture still has $have packets"
fi
mv "$tmp/cap.pcapng" "$out"
say "wrote $out: $have packets in $((SECONDS - start)) s"
capinfos -c -d -u -z "$out" | sed 's/^/  /' >&2
