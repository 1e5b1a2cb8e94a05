// A real WebSocket server (the npm `ws` package) for lab 04's client to talk to: it echoes
// every message and logs what it received, so the test can check both sides. Prints
// "listening on 127.0.0.1:PORT" when ready; runs until killed.
//
//   node ws_server.js PEERS_DIR
'use strict';
const path = require('path');

const [peersDir] = process.argv.slice(2);
const { WebSocketServer } = require(path.join(path.resolve(peersDir), 'node_modules', 'ws'));

// ws rejects unmasked client frames, bad opcodes and invalid UTF-8 on its own (RFC 6455), so
// anything the lab's client gets wrong shows up here as an error or a close code.
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
wss.on('listening', () => console.log(`ws server listening on 127.0.0.1:${wss.address().port}`));
wss.on('connection', (ws, req) => {
  console.log(`ws server: connection, key ${req.headers['sec-websocket-key']}`);
  ws.on('message', (data, isBinary) => {
    console.log(`ws server got ${isBinary ? 'binary' : 'text'} ${data.length} bytes: ${isBinary ? '' : data.toString()}`);
    ws.send(data, { binary: isBinary });
  });
  ws.on('ping', (data) => console.log(`ws server got ping: ${data.toString()}`));
  ws.on('error', (e) => console.log(`ws server error: ${e.message}`));
  ws.on('close', (code, reason) => console.log(`ws server close ${code} ${reason.toString()}`));
});
process.on('SIGTERM', () => process.exit(0));
