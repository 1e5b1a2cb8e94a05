#!/usr/bin/env bash
# Makes the viewer screenshots of docs/viewer.md with the viewer's own headless option
# (--screenshot), under a virtual X display and Mesa's software OpenGL.
#
#   docs/screenshots/make-screenshots.sh [build/bin/wirelab-view]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VIEW="${1:-$ROOT/build/bin/wirelab-view}"
OUT="$ROOT/docs/screenshots"
CAP="$ROOT/captures"
[ -x "$VIEW" ] || { echo "make-screenshots: $VIEW is not built (./wirelab view builds it)" >&2; exit 1; }

# Our own X server on a free display (Xvfb writes its number to fd 3); stopped on exit.
NUMBER_FILE="$(mktemp)" CONFIG="$(mktemp)"
Xvfb -displayfd 3 -screen 0 1600x1000x24 -nolisten tcp 3>"$NUMBER_FILE" 2>/dev/null &
XVFB_PID=$!
trap 'kill "$XVFB_PID" 2>/dev/null || true; rm -f "$NUMBER_FILE" "$CONFIG"' EXIT
for _ in $(seq 100); do [ -s "$NUMBER_FILE" ] && break; sleep 0.1; done
[ -s "$NUMBER_FILE" ] || { echo "make-screenshots: Xvfb did not start" >&2; exit 1; }
export DISPLAY=":$(head -n1 "$NUMBER_FILE")" WIRELAB_VIEWER_CONFIG="$CONFIG"

shot() {  # NAME ARGS...
  local name="$1"; shift
  "$VIEW" "$@" --size 1400x900 --screenshot "$OUT/$name.png"
  echo "wrote docs/screenshots/$name.png"
}

shot model-panel   "$CAP/http_get_loopback.pcapng" --select 4 --field ip.ttl --panel model
shot bytes-pane    "$CAP/http_get_loopback.pcapng" --select 4 --field http.request.method --panel bytes
shot follow-stream "$CAP/http_get_loopback.pcapng" --select 4 --panel follow
shot ladder-tcp    "$CAP/http_get_loopback.pcapng" --select 1 --panel ladder --export-svg "$OUT/ladder-tcp.svg"
shot ladder-socketio "$CAP/socketio_websocket.pcapng" --select 12 --panel ladder --export-svg "$OUT/ladder-socketio.svg"
shot statistics    "$CAP/socketio_polling.pcapng" --panel stats
shot presentation  "$CAP/socketio_websocket.pcapng" --select 14 --field socketio.event --panel model --presentation
shot filter        "$CAP/socketio_polling.pcapng" --filter 'socketio' --select 20 --panel tree
