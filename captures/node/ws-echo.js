// A WebSocket echo session with the `ws` package, on 127.0.0.1: a text message, a binary
// message, a ping with its pong, and a close handshake. captures/record-socketio.sh runs it
// while dumpcap records the port.
//
//   node ws-echo.js PORT
"use strict";
const { WebSocketServer, WebSocket } = require("ws");

const port = Number(process.argv[2]);
if (!port) {
  console.error("Usage: node ws-echo.js PORT");
  console.error("Example: node ws-echo.js 18091");
  process.exit(2);
}

function log(...args) {
  console.log("ws-echo:", ...args);
}

// The server sends every message back as it came (text stays text, binary stays binary).
const wss = new WebSocketServer({ host: "127.0.0.1", port, perMessageDeflate: false });
wss.on("connection", (ws) => {
  ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
});

wss.on("listening", () => {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/echo`, { perMessageDeflate: false });
  const next = () => new Promise((resolve) => ws.once("message", resolve));
  ws.on("open", async () => {
    ws.send("hello");
    log("echoed text:", (await next()).toString());
    ws.send(Buffer.from([0x00, 0x01, 0x02, 0xff]));
    log("echoed binary:", await next());
    const pong = new Promise((resolve) => ws.once("pong", resolve));
    ws.ping("are you there?");
    log("pong:", (await pong).toString());
    ws.close(1000, "bye");
  });
  ws.on("close", (code, reason) => {
    log("closed", code, reason.toString());
    wss.close();
  });
});
