// WebSocket traffic for bench/record.sh: a chat server and its clients, written with the `ws`
// package (Node.js), on the loopback interface only (127.0.0.1 and ::1).
//
//   node bench/ws_traffic.js server FD...                  the chat server, on listening sockets
//                                                          it inherits (traffic.py ws-server)
//   node bench/ws_traffic.js clients PORT CLIENTS MESSAGES [SEED]
//                                                          CLIENTS connections at a time send
//                                                          MESSAGES messages in all, then stop
//
// What goes over the wire, as a chat application's would (RFC 6455):
//   - each client connects to ws://127.0.0.1:PORT/chat/roomN (one in three over [::1]), joins a
//     room of about three, and gets a welcome message;
//   - it sends text messages of 20 to 2,000 bytes (most of them short, some non-ASCII UTF-8),
//     and now and then a binary "attachment"; the server relays each to the others in the
//     room inside a small JSON envelope (text) or as it came (binary), and answers a binary
//     message with a binary receipt, so data flows both ways;
//   - one message in 400 is a long paste or an image of 16 to 64 KB, many TCP segments long,
//     and one in 150 is sent as three fragments (a text or binary frame, then continuation
//     frames, RFC 6455 5.4);
//   - the client pings now and then, the server pings each client every 250 ms (with a payload
//     up to 16 bytes); ws answers every ping with a pong;
//   - after 40 to 400 messages a client closes its connection with a close frame (1000 "bye", or
//     1001 "going away"), the server answers with its own, and a new client takes its place.
// Clients mask their frames, as RFC 6455 5.3 requires; perMessageDeflate is off, so payloads
// stay readable in the capture.
//
// Segment sizes: loopback's MTU is 65536 and its segmentation offload would put a whole long
// message into one captured packet. As in bench/traffic.py, every socket here writes at most
// 1,448 bytes (one Ethernet-sized segment with TCP timestamps) per write(), and the server's
// listening sockets carry TCP_MAXSEG 1460 (set by traffic.py, which Node cannot do), so the
// handshake announces an Ethernet MSS. ws corks a frame's header and payload together; the
// shim below keeps that (one frame, one write when it fits) and only cuts what is longer.
'use strict';
const http = require('http');
const net = require('net');
const path = require('path');
const ws = require(path.join(__dirname, '..', 'tests', 'peers', 'node_modules', 'ws'));

const kSegment = 1448;
const kRoomSize = 3;
const kServerPingMs = 250;

// ---------------------------------------------------------------------------------------------
// Writes of at most one segment.

// Replaces socket.write/cork/uncork on one socket: while corked, writes are gathered; a write
// (or the gathered writes at uncork) leaves as one write() call per 1,448 bytes.
function segmentWrites(socket) {
  const write = socket.write.bind(socket);
  let corked = 0;
  let pending = [];
  let callbacks = [];
  let ok = true;
  const flush = () => {
    if (pending.length === 0) return;
    const data = pending.length === 1 ? pending[0] : Buffer.concat(pending);
    const done = callbacks;
    pending = [];
    callbacks = [];
    for (let at = 0; at < data.length; at += kSegment) {
      const last = at + kSegment >= data.length;
      ok = write(data.subarray(at, at + kSegment),
                 last && done.length ? (err) => done.forEach((cb) => cb(err)) : undefined);
    }
  };
  socket.cork = () => { corked++; };
  socket.uncork = () => { if (corked > 0 && --corked === 0) flush(); };
  socket.write = (chunk, encoding, cb) => {
    if (typeof encoding === 'function') { cb = encoding; encoding = undefined; }
    pending.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk, encoding));
    if (cb) callbacks.push(cb);
    if (corked === 0) flush();
    return ok;
  };
  return socket;
}

// ---------------------------------------------------------------------------------------------
// Chat-like content from a seeded generator, so each round's messages are reproducible.

// xorshift32 (Marsaglia, "Xorshift RNGs", 2003): fast, and good enough to pick sizes and words.
function random(seed) {
  let x = Math.imul(seed, 0x9e3779b1) >>> 0 || 1;  // spread small seeds; never 0
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

const kWords = ['packet', 'frame', 'segment', 'socket', 'header', 'payload', 'window', 'stream',
                'handshake', 'latency', 'router', 'capture', 'mask', 'opcode', 'ping', 'lab',
                'tonight', 'works', 'why', 'the', 'a', 'is', 'on', 'my', 'see', 'ok', 'thanks',
                'café', 'naïve', 'über', '✓', '→', 'déjà'];

function chatText(rnd, bytes) {
  let s = '';
  while (Buffer.byteLength(s) < bytes) s += (s ? ' ' : '') + kWords[Math.floor(rnd() * kWords.length)];
  // Cut at a character boundary: a text message must stay valid UTF-8 (RFC 6455 8.1).
  while (Buffer.byteLength(s) > bytes) s = s.slice(0, -1);
  return s;
}

function chatSize(rnd) {  // most chat lines are short
  const r = rnd();
  if (r < 0.6) return 20 + Math.floor(rnd() * 180);
  if (r < 0.9) return 200 + Math.floor(rnd() * 600);
  return 800 + Math.floor(rnd() * 1201);
}

function binary(rnd, bytes) {
  const b = Buffer.allocUnsafe(bytes);
  for (let i = 0; i < bytes; i++) b[i] = Math.floor(rnd() * 256);
  return b;
}

// ---------------------------------------------------------------------------------------------
// The server.

function server(fds) {
  const rnd = random(7);
  const wss = new ws.WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 1 << 20 });
  const rooms = new Map();  // room name -> Set of sockets
  let seq = 0;

  // One HTTP server per listening socket; a request that is not an Upgrade gets 426.
  const onRequest = (req, res) => {
    res.writeHead(426, { 'Content-Type': 'text/plain', Upgrade: 'websocket' });
    res.end('this is a WebSocket chat: connect to ws://host:port/chat/ROOM\n');
  };
  const onUpgrade = (req, socket, head) => {
    segmentWrites(socket);
    const m = /^\/chat\/([a-z0-9-]{1,32})$/.exec(req.url);
    if (!m) { socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n'); return; }
    wss.handleUpgrade(req, socket, head, (peer) => join(peer, m[1]));
  };

  function join(peer, room) {
    if (!rooms.has(room)) rooms.set(room, new Set());
    const members = rooms.get(room);
    members.add(peer);
    peer.send(JSON.stringify({ type: 'welcome', room, members: members.size }));
    const pinger = setInterval(() => peer.ping(binary(rnd, Math.floor(rnd() * 17))), kServerPingMs);
    peer.on('message', (data, isBinary) => {
      seq++;
      const others = [...members].filter((o) => o !== peer && o.readyState === ws.WebSocket.OPEN);
      if (isBinary) {
        // An attachment: relayed as it came, and a receipt to the sender (sequence, length).
        for (const o of others) o.send(data, { binary: true });
        const receipt = Buffer.alloc(8);
        receipt.writeUInt32BE(seq, 0);
        receipt.writeUInt32BE(data.length, 4);
        peer.send(receipt, { binary: true });
      } else {
        const line = JSON.stringify({ type: 'say', room, seq, text: data.toString() });
        for (const o of others) o.send(line);
      }
    });
    peer.on('close', () => {
      clearInterval(pinger);
      members.delete(peer);
      if (members.size === 0) rooms.delete(room);
    });
    peer.on('error', () => {});  // a peer that broke the protocol; ws has closed it
  }

  let listening = 0;
  for (const fd of fds) {
    const web = http.createServer(onRequest);
    web.on('upgrade', onUpgrade);
    web.listen({ fd }, () => { if (++listening === fds.length) console.log('ws chat: listening'); });
  }
  process.on('SIGTERM', () => process.exit(0));
  process.on('SIGINT', () => process.exit(0));
}

// ---------------------------------------------------------------------------------------------
// The clients.

function clients(port, concurrent, total, seed) {
  const rnd = random(seed);
  let started = 0;   // messages handed to clients
  let opened = 0;    // connections opened
  let live = 0;

  function connect() {
    const id = opened++;
    const host = id % 3 === 2 ? '[::1]' : '127.0.0.1';
    const room = 'room' + Math.floor(id / kRoomSize) % Math.max(1, Math.floor(concurrent / kRoomSize));
    const budget = Math.min(total - started, 40 + Math.floor(rnd() * 361));
    started += budget;
    live++;
    const sock = new ws.WebSocket(`ws://${host}:${port}/chat/${room}`, {
      perMessageDeflate: false,
      createConnection: (opts) => segmentWrites(net.connect(opts)),
    });
    let sent = 0;
    const step = () => {
      if (sock.readyState !== ws.WebSocket.OPEN) return;
      if (sent >= budget) {
        if (rnd() < 0.9) sock.close(1000, 'bye'); else sock.close(1001, 'going away');
        return;
      }
      sent++;
      const r = rnd();
      if (r < 1 / 400) {
        // A long paste or an image: many segments.
        const bytes = 16384 + Math.floor(rnd() * 49153);
        if (rnd() < 0.5) sock.send(chatText(rnd, bytes)); else sock.send(binary(rnd, bytes));
      } else if (r < 1 / 400 + 1 / 150) {
        // One message in three fragments: first frame, continuation, continuation with FIN.
        const isBinary = rnd() < 0.3;
        for (let i = 0; i < 3; i++) {
          const bytes = chatSize(rnd);
          sock.send(isBinary ? binary(rnd, bytes) : chatText(rnd, bytes), { binary: isBinary, fin: i === 2 });
        }
      } else if (r < 0.09) {
        sock.send(binary(rnd, 100 + Math.floor(rnd() * 1901)));
      } else {
        sock.send(chatText(rnd, chatSize(rnd)));
      }
      if (rnd() < 0.03) sock.ping(Buffer.from(String(Date.now())));
      // A person types for a while before the next line; here a few milliseconds.
      setTimeout(step, 1 + Math.floor(rnd() * 8));
    };
    sock.on('open', step);
    sock.on('message', () => {});
    sock.on('error', (err) => { console.error(`ws_traffic.js: client ${id}: ${err.message}`); });
    sock.on('close', () => {
      live--;
      if (started < total) connect();
      else if (live === 0) process.exit(0);
    });
  }
  for (let i = 0; i < concurrent && started < total; i++) connect();
}

// ---------------------------------------------------------------------------------------------

function usage() {
  console.error('Usage: node ws_traffic.js server FD... | clients PORT CLIENTS MESSAGES [SEED]\n' +
                'Example: node bench/ws_traffic.js clients 8088 12 6000 1');
  process.exit(2);
}

const args = process.argv.slice(2);
if (args[0] === 'server' && args.length > 1) server(args.slice(1).map(Number));
else if (args[0] === 'clients' && args.length >= 4) clients(Number(args[1]), Number(args[2]), Number(args[3]), Number(args[4] || 1));
else usage();
