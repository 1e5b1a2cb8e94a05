// One scripted Socket.IO session between the official server and client, on 127.0.0.1.
// captures/record-socketio.sh runs it while dumpcap records the port.
//
//   node socketio-session.js PORT polling|websocket|upgrade
//
// Every step waits for the answer to the one before, so the packets always come in the order
// tests/test_socketio.cpp expects:
//   1. the client connects to the main namespace "/"
//   2. it emits "chat message" "hello"; the server broadcasts it to everyone (io.emit)
//   3. it emits "sum" 2 3 with an acknowledgement; the server answers 5
//   4. it emits "upload" with a 4-byte Buffer and an acknowledgement; the server answers
//      with a Buffer too (BINARY_EVENT one way, BINARY_ACK the other)
//   5. it connects to the namespace "/custom"; the server greets it there ("welcome")
//   6. it leaves "/custom", then "/", and the connection closes
"use strict";
const http = require("http");
const { Server } = require("socket.io");
const { io } = require("socket.io-client");

const port = Number(process.argv[2]);
const mode = process.argv[3];
if (!port || !["polling", "websocket", "upgrade"].includes(mode)) {
  console.error("Usage: node socketio-session.js PORT polling|websocket|upgrade");
  console.error("Example: node socketio-session.js 18090 upgrade");
  process.exit(2);
}

function log(...args) {
  console.log(`socketio-session (${mode}):`, ...args);
}

// ---- the server -------------------------------------------------------------------------
const httpServer = http.createServer();
// pingInterval is long enough that no heartbeat falls inside the session, so the packet list
// is the same on every run.
const server = new Server(httpServer, { pingInterval: 25000, pingTimeout: 20000 });
server.on("connection", (socket) => {
  socket.on("chat message", (msg) => server.emit("chat message", msg));
  socket.on("sum", (a, b, ack) => ack(a + b));
  socket.on("upload", (buf, ack) => ack(Buffer.from(`got ${buf.length} bytes`)));
});
server.of("/custom").on("connection", (socket) => socket.emit("welcome", "hi /custom"));

// ---- the client -------------------------------------------------------------------------
function once(emitter, event) {
  return new Promise((resolve) => emitter.once(event, resolve));
}

async function session() {
  const transports = mode === "polling" ? ["polling"] : mode === "websocket" ? ["websocket"] : ["polling", "websocket"];
  const url = `http://127.0.0.1:${port}`;
  const main = io(url, { transports, upgrade: mode === "upgrade", reconnection: false });
  await once(main, "connect");
  log("connected, sid", main.id, "over", main.io.engine.transport.name);
  if (mode === "upgrade" && main.io.engine.transport.name !== "websocket") {
    // Wait for the switch to WebSocket, so that the events below all go over it.
    await once(main.io.engine, "upgrade");
    log("upgraded to", main.io.engine.transport.name);
  }

  const echoed = once(main, "chat message");
  main.emit("chat message", "hello");
  log("server broadcast:", await echoed);

  log("sum acknowledged:", await main.emitWithAck("sum", 2, 3));

  const reply = await main.emitWithAck("upload", Buffer.from([0xde, 0xad, 0xbe, 0xef]));
  log("upload acknowledged:", Buffer.from(reply).toString());

  // The manager opens the namespace at once, over the same Engine.IO connection.
  const custom = main.io.socket("/custom");
  const welcome = once(custom, "welcome");
  log("/custom says:", await welcome);

  custom.disconnect();
  main.disconnect();
  // Let the last packets reach the server before it goes away.
  await new Promise((r) => setTimeout(r, 300));
}

httpServer.listen(port, "127.0.0.1", () => {
  session()
    .then(() => {
      server.close();
      log("done");
    })
    .catch((err) => {
      console.error("socketio-session:", err);
      process.exit(1);
    });
});
