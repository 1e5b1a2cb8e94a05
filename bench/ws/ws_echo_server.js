// A WebSocket echo server written with the `ws` package (Node.js), the third server of the
// WebSocket echo benchmark (bench/ws/run.sh). Same rules as the lab's and the Boost.Beast one:
// 127.0.0.1, port 0 picks a free one and `listening on 127.0.0.1:PORT` is printed, no
// permessage-deflate, messages up to 16 MiB, every text or binary message sent back as it came.
//
//   node bench/ws/ws_echo_server.js [--port P] [--max-message BYTES]
//
// `ws` comes from tests/peers/node_modules (pinned by tests/peers/package-lock.json; ./wirelab
// installs it).
'use strict';
const path = require('path');
const { WebSocketServer } = require(path.join(__dirname, '..', '..', 'tests', 'peers', 'node_modules', 'ws'));

let port = 0;
let maxMessage = 16 * 1024 * 1024;
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--port') port = Number(args[++i]);
  else if (args[i] === '--max-message') maxMessage = Number(args[++i]);
  else if (args[i] === '--help' || args[i] === '-h') {
    console.log('Usage: node ws_echo_server.js [--port P] [--max-message BYTES]\n' +
                'Example: node bench/ws/ws_echo_server.js --port 0');
    process.exit(0);
  } else {
    console.error(`ws_echo_server.js: unknown argument ${args[i]}`);
    process.exit(2);
  }
}

const server = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false, maxPayload: maxMessage });
server.on('listening', () => {
  console.log(`ws-echo: listening on 127.0.0.1:${server.address().port}`);
});
server.on('connection', (socket) => {
  // ws hands over the message and whether it was binary; send it back the same way.
  socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  socket.on('error', () => {});  // a peer that breaks the protocol; ws has already closed it
});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
