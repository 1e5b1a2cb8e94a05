#!/usr/bin/env bash
# Records the Socket.IO and WebSocket sample captures from real peers on the loopback
# interface: the official socket.io 4.x server and socket.io-client 4.x, and the `ws` package.
# Needs root (or CAP_NET_RAW) for dumpcap, node and npm (the packages come from the npm
# registry at the versions pinned in captures/node/package-lock.json).
#
#   captures/record-socketio.sh            remakes every capture below
#
# socketio_polling.pcapng    Engine.IO over HTTP long-polling only (transports: ["polling"])
# socketio_websocket.pcapng  Engine.IO over a WebSocket from the start (transports: ["websocket"])
# socketio_upgrade.pcapng    the default: long-polling first, then the upgrade to WebSocket
#                            (2probe / 3probe / 5), and the events over the WebSocket
# ws_echo.pcapng             `ws` client and server: text, binary, ping/pong, close
#
# Each Socket.IO session does the same steps (captures/node/socketio-session.js): connect to
# "/", emit "chat message" "hello" and get it back from the server's broadcast, emit "sum"
# with an acknowledgement, emit a Buffer with an acknowledgement answered by a Buffer, connect
# to "/custom" and get its "welcome", leave "/custom" and "/". tests/test_socketio.cpp holds
# the Socket.IO packets wirelab must find in each capture.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
chmod 755 "$tmp"  # dumpcap may drop privileges and must still write here
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT

echo "record-socketio: installing the pinned npm packages into captures/node/node_modules"
npm ci --prefix "$here/node" --no-audit --no-fund >/dev/null

# Records `node SCRIPT ARGS...` talking over 127.0.0.1:PORT into captures/NAME.
record() {
    local name=$1 port=$2
    shift 2
    dumpcap -q -i lo -f "tcp port $port" -w "$tmp/$name" 2>"$tmp/dumpcap.log" &
    local cap=$!
    # dumpcap needs a moment before it sees packets.
    sleep 1
    node "$@"
    sleep 0.5
    kill -INT "$cap"
    wait "$cap" || true
    install -m 644 "$tmp/$name" "$here/$name"
    echo "record-socketio: wrote $here/$name ($(stat -c %s "$here/$name") bytes)"
}

record socketio_polling.pcapng 18090 "$here/node/socketio-session.js" 18090 polling
record socketio_websocket.pcapng 18090 "$here/node/socketio-session.js" 18090 websocket
record socketio_upgrade.pcapng 18090 "$here/node/socketio-session.js" 18090 upgrade
record ws_echo.pcapng 18091 "$here/node/ws-echo.js" 18091
