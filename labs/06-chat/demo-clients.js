// Lab 06 demo: three official socket.io-client clients, one per way in (polling then the
// upgrade to WebSocket, WebSocket only, polling only). Each says hello in the chat; every
// client must receive every "chat message" exactly once, its own included.
//   node demo-clients.js PEERS_NODE_MODULES PORT
const path = require('path');
const { io } = require(path.join(process.argv[2], 'socket.io-client'));
const port = process.argv[3];
const url = `http://127.0.0.1:${port}`;

const who = [
  { name: 'alice', opts: {} },                            // polling, then upgrade
  { name: 'bob', opts: { transports: ['websocket'] } },   // WebSocket from the start
  { name: 'carol', opts: { transports: ['polling'] } },   // HTTP long-polling only
];
const say = (name, text) => console.log(`         ${name.padEnd(7)} ${text}`);

const clients = who.map(({ name, opts }) => {
  const socket = io(url, { ...opts, auth: { nickname: name }, reconnection: false });
  const c = { name, socket, got: [] };
  socket.on('connect', () => say(name, `connected as ${socket.id} over ${socket.io.engine.transport.name}`));
  socket.io.engine.on('upgrade', (t) => say(name, `upgraded to ${t.name}`));
  socket.on('chat message', (msg) => { c.got.push(msg); say(name, `got chat message: ${msg}`); });
  socket.on('connect_error', (e) => { say(name, `connect_error: ${e.message}`); process.exitCode = 1; });
  return c;
});

const connected = () => clients.every((c) => c.socket.connected);
const deadline = Date.now() + 10000;
(function wait() {
  if (!connected()) return Date.now() > deadline ? finish('not every client connected') : setTimeout(wait, 20);
  // Give alice a moment to finish her upgrade, so the capture shows both transports.
  setTimeout(() => {
    clients.forEach((c, i) => setTimeout(() => {
      const text = `hello from ${c.name}`;
      c.socket.emit('chat message', text, (ack) => say(c.name, `server acknowledged: ${ack}`));
      say(c.name, `emit chat message: ${text}`);
    }, i * 50));
    (function check() {
      if (clients.every((c) => c.got.length >= clients.length)) return finish();
      if (Date.now() > deadline) return finish('messages missing');
      setTimeout(check, 20);
    })();
  }, 300);
})();

function finish(problem) {
  for (const c of clients) {
    const want = clients.map((o) => `hello from ${o.name}`).sort();
    const ok = JSON.stringify([...c.got].sort()) === JSON.stringify(want);
    say(c.name, `received ${c.got.length} chat messages${ok ? ', every one exactly once' : ': WRONG ' + JSON.stringify(c.got)}`);
    if (!ok) problem = problem || 'wrong messages';
    c.socket.disconnect();
  }
  if (problem) { console.log(`         demo    FAILED: ${problem}`); process.exitCode = 1; }
  setTimeout(() => process.exit(), 100);
}
