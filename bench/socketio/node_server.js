#!/usr/bin/env node
// The reference for the Socket.IO fan-out benchmark: the same chat as lab 06's server
// (labs/06-chat/main.cpp), written with the official `socket.io` 4.8.4 server for Node.js.
//
//   node bench/socketio/node_server.js [--port P]     (port 0, the default, picks a free one)
//
// What a client sees is what lab 06 does:
// - on connect, the socket's nickname is its auth payload's `nickname` (at most 32 characters)
//   or "guest-" and the first 4 characters of its id, and everyone gets "online" with the
//   list of nicknames (again on every disconnect);
// - "chat message" is broadcast unchanged to every client, the sender included (io.emit),
//   and acknowledged with "delivered" when the client asked for an ack.
// Engine.IO's defaults are the same on both servers: ping every 25 s, 20 s for the pong,
// 1,000,000 bytes maxPayload, polling and WebSocket, no permessage-deflate.
'use strict';

const http = require('http');
const path = require('path');

const peers = path.resolve(__dirname, '../../tests/peers/node_modules');
const { Server } = require(path.join(peers, 'socket.io'));

let port = 0;
for (let i = 2; i < process.argv.length; i++) {
  if (process.argv[i] === '--port') port = Number(process.argv[++i]);
  else if (process.argv[i] === '--help' || process.argv[i] === '-h') {
    console.log('usage: node_server.js [--port P]   (the reference chat server of bench/socketio)');
    process.exit(0);
  } else {
    console.error(`node_server.js: unknown option ${process.argv[i]}`);
    process.exit(1);
  }
}

const httpServer = http.createServer((req, res) => {
  res.writeHead(404, { 'content-type': 'text/plain' });
  res.end('not found\n');
});
const io = new Server(httpServer, { cors: { origin: '*' } });

function online() {
  const names = [];
  for (const s of io.of('/').sockets.values()) names.push(s.data.nickname);
  io.emit('online', names);
}

io.on('connection', (socket) => {
  const nick = socket.handshake.auth && socket.handshake.auth.nickname;
  socket.data.nickname = typeof nick === 'string' && nick !== '' ? nick.slice(0, 32) : 'guest-' + socket.id.slice(0, 4);
  online();
  socket.on('chat message', (...args) => {
    // The last argument is the client's ack callback when it asked for one.
    const ack = typeof args[args.length - 1] === 'function' ? args.pop() : null;
    io.emit('chat message', ...args);
    if (ack) ack('delivered');
  });
  socket.on('disconnect', () => online());
});

httpServer.listen(port, '127.0.0.1', () => {
  console.log(`listening on 127.0.0.1:${httpServer.address().port}`);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
