// The official socket.io-client (and engine.io-client) against wirelab's lab-06 server, as an
// application would use them. Prints "ok - NAME" or "not ok - NAME: why" per case and exits
// non-zero if any failed.
//   node sio_suite.js PEERS_NODE_MODULES PORT MODE     (MODE: socketio | chat | engineio)
const path = require('path');
const modules = path.resolve(process.argv[2]);
const port = Number(process.argv[3]);
const mode = process.argv[4];
const { io } = require(path.join(modules, 'socket.io-client'));
const { Socket: EngineSocket } = require(path.join(modules, 'engine.io-client'));
const url = `http://127.0.0.1:${port}`;

let failures = 0;
const results = [];
function report(name, err) {
  if (err) { failures++; console.log(`not ok - ${name}: ${err.message || err}`); }
  else console.log(`ok - ${name}`);
}
const timeout = (ms, what) => new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out: ${what}`)), ms));
const once = (emitter, event, ms = 3000) => Promise.race([new Promise((resolve) => emitter.once(event, (...a) => resolve(a))), timeout(ms, event)]);
function deepEqual(a, b) {
  if (Buffer.isBuffer(a) || a instanceof ArrayBuffer) a = Buffer.from(a);
  if (Buffer.isBuffer(b) || b instanceof ArrayBuffer) b = Buffer.from(b);
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return a === b;
  const ka = Object.keys(a), kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
}
function expectEqual(got, want, what) {
  if (!deepEqual(got, want)) throw new Error(`${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
}
async function run(name, fn) {
  try { await Promise.race([fn(), timeout(8000, name)]); report(name); } catch (e) { report(name, e); }
}
function client(nsp = '/', opts = {}) {
  return io(url + nsp, { reconnection: false, forceNew: true, ...opts });
}

const transportsCases = [
  ['polling only', { transports: ['polling'] }, 'polling'],
  ['WebSocket only', { transports: ['websocket'] }, 'websocket'],
  ['default (polling, then upgrade)', {}, 'websocket'],
];

async function socketioMode() {
  for (const [label, opts, finalTransport] of transportsCases) {
    await run(`${label}: connect with auth, server emits it back`, async () => {
      const s = client('/', { ...opts, auth: { token: 'abc', n: 1 } });
      const [auth] = await once(s, 'auth');
      expectEqual(auth, { token: 'abc', n: 1 }, 'auth payload');
      if (finalTransport === 'websocket' && s.io.engine.transport.name !== 'websocket') await once(s.io.engine, 'upgrade');
      expectEqual(s.io.engine.transport.name, finalTransport, 'transport');
      s.disconnect();
    });
    await run(`${label}: emit, server echoes with text, numbers, objects and binary`, async () => {
      const s = client('/', opts);
      await once(s, 'connect');
      const bin = Buffer.from([1, 2, 3, 250]);
      s.emit('message', 1, '2', { 3: [4], five: null }, bin);
      const back = await once(s, 'message-back');
      expectEqual(back, [1, '2', { 3: [4], five: null }, bin], 'message-back');
      s.disconnect();
    });
    await run(`${label}: acknowledgement carries the arguments back, binary included`, async () => {
      const s = client('/', opts);
      await once(s, 'connect');
      // The ack callback gets every argument the server acknowledged with.
      const reply = await new Promise((resolve, reject) => s.timeout(3000).emit('message-with-ack', 'x', 42,
        Buffer.from('bytes'), (err, ...args) => (err ? reject(err) : resolve(args))));
      expectEqual(reply, ['x', 42, Buffer.from('bytes')], 'ack arguments');
      s.disconnect();
    });
  }
  await run('namespace /custom: CONNECT with auth, events work there', async () => {
    const s = client('/custom', { auth: { room: 'c' } });
    const [auth] = await once(s, 'auth');
    expectEqual(auth, { room: 'c' }, 'auth on /custom');
    s.emit('message', 'in custom');
    expectEqual(await once(s, 'message-back'), ['in custom'], 'message-back on /custom');
    s.disconnect();
  });
  await run('an unknown namespace gets CONNECT_ERROR "Invalid namespace"', async () => {
    const s = client('/nope');
    const [err] = await once(s, 'connect_error');
    expectEqual(err.message, 'Invalid namespace', 'error message');
    s.close();
  });
  await run('one connection multiplexes two namespaces', async () => {
    const manager = new (require(path.join(modules, 'socket.io-client')).Manager)(url, { reconnection: false });
    const a = manager.socket('/'), b = manager.socket('/custom');
    await Promise.all([once(a, 'connect'), once(b, 'connect')]);
    const backs = Promise.all([once(a, 'message-back'), once(b, 'message-back')]);
    a.emit('message', 'to root');
    b.emit('message', 'to custom');
    expectEqual(await backs, [['to root'], ['to custom']], 'each namespace answers its own');
    a.disconnect(); b.disconnect();
  });
  await run('a client that stops answering pings is dropped (ping timeout) and reconnects', async () => {
    const s = io(url, { forceNew: true, transports: ['websocket'], reconnectionDelay: 100, reconnectionDelayMax: 200 });
    await once(s, 'connect');
    const first = s.id;
    // Swallow our pongs: the server's pong timer runs out.
    const engine = s.io.engine;
    const send = engine._sendPacket.bind(engine);
    engine._sendPacket = (type, ...rest) => { if (type !== 'pong') send(type, ...rest); };
    const [reason] = await once(s, 'disconnect', 4000);
    if (!['transport close', 'ping timeout', 'transport error'].includes(reason)) throw new Error(`disconnect reason ${reason}`);
    await once(s, 'connect', 4000);  // the Manager reconnects with a new engine (real pongs)
    if (s.id === first) throw new Error('same socket id after a reconnect without recovery');
    s.emit('message', 'after reconnect');
    expectEqual(await once(s, 'message-back'), ['after reconnect'], 'echo after reconnect');
    s.disconnect();
  });
}

async function chatMode() {
  const names = ['ann', 'ben', 'cat'];
  const connectAll = async (optsList) => {
    const socks = names.map((n, i) => client('/', { ...(optsList[i] || {}), auth: { nickname: n } }));
    await Promise.all(socks.map((s) => once(s, 'connect')));
    return socks;
  };
  await run('chat message is broadcast to every client, the sender included, unchanged', async () => {
    const socks = await connectAll([{ transports: ['polling'] }, { transports: ['websocket'] }, {}]);
    const got = socks.map(() => []);
    socks.forEach((s, i) => s.on('chat message', (m) => got[i].push(m)));
    const msg = { text: 'héllo ✓', n: 7 };
    const ack = await socks[0].timeout(3000).emitWithAck('chat message', msg);
    expectEqual(ack, 'delivered', 'ack');
    await new Promise((r) => setTimeout(r, 300));
    got.forEach((g, i) => expectEqual(g, [msg], `client ${names[i]}`));
    socks.forEach((s) => s.disconnect());
  });
  await run('rooms: a message in a room reaches its members only', async () => {
    const socks = await connectAll([{}, {}, {}]);
    await socks[0].timeout(2000).emitWithAck('join', 'r1');
    await socks[1].timeout(2000).emitWithAck('join', 'r1');
    const got = socks.map(() => []);
    socks.forEach((s, i) => s.on('chat message', (m) => got[i].push(m)));
    socks[0].emit('chat message', 'in r1');
    await new Promise((r) => setTimeout(r, 300));
    expectEqual(got, [['in r1'], ['in r1'], []], 'who got it');
    await socks[1].timeout(2000).emitWithAck('leave');
    socks[0].emit('chat message', 'r1 again');
    await new Promise((r) => setTimeout(r, 300));
    expectEqual(got, [['in r1', 'r1 again'], ['in r1'], []], 'after leave');
    socks.forEach((s) => s.disconnect());
  });
  await run('typing goes to everyone but the sender; online lists the nicknames', async () => {
    const socks = await connectAll([{}, {}, {}]);
    const typed = socks.map(() => 0);
    socks.forEach((s, i) => s.on('typing', () => typed[i]++));
    socks[2].emit('typing');
    await new Promise((r) => setTimeout(r, 300));
    expectEqual(typed, [1, 1, 0], 'typing received');
    // A fourth client joins: everyone gets the new list of who is online.
    // (Lists from the earlier joins may still be on their way: wait for the one with dan.)
    const online = new Promise((resolve) => socks[0].on('online', (l) => { if (l.includes('dan')) resolve(l); }));
    const dan = client('/', { auth: { nickname: 'dan' } });
    const list = await online;
    expectEqual(list.slice().sort(), ['ann', 'ben', 'cat', 'dan'], 'online list');
    dan.disconnect();
    socks.forEach((s) => s.disconnect());
  });
}

// Cuts a client's transport the way a dropped network does: the TCP connection dies without
// a close handshake (WebSocket), or the client gives up its polling transport.
function cut(socket) {
  const t = socket.io.engine.transport;
  if (t.name === 'websocket' && t.ws && t.ws._socket) t.ws._socket.destroy();
  else socket.io.engine.close();
}

async function recoveryMode(expectRecovery) {
  for (const transports of [['websocket'], ['polling']]) {
    await run(`${transports[0]}: a cut client ${expectRecovery ? 'recovers every missed broadcast, in order' : 'misses the broadcasts sent meanwhile'}`, async () => {
      // The reconnect waits 1 s, time enough to send m2-m4 while the client is away even on a
      // busy machine (checked below, so a slow run says so rather than miscounting).
      const a = client('/', { transports, reconnection: true, reconnectionDelay: 1000, reconnectionDelayMax: 1000,
        randomizationFactor: 0, auth: { nickname: 'away' } });
      const b = client('/', { transports: ['websocket'], auth: { nickname: 'sender' } });
      await Promise.all([once(a, 'connect'), once(b, 'connect')]);
      const got = [];
      a.on('chat message', (m) => got.push(m));
      const firstId = a.id;
      await b.timeout(3000).emitWithAck('chat message', 'm1');
      while (got.length < 1) await new Promise((r) => setTimeout(r, 10));
      const gone = once(a, 'disconnect');
      cut(a);
      await gone;
      // Listening for the reconnect before anything else is awaited: a 'connect' that came
      // while the sends below were under way would otherwise be missed.
      const back = once(a, 'connect', 5000);
      for (const m of ['m2', 'm3', 'm4']) await b.timeout(3000).emitWithAck('chat message', m);
      if (a.connected) throw new Error('the client was back before m2-m4 were sent (a slow machine): nothing was missed');
      await back;
      await b.timeout(3000).emitWithAck('chat message', 'm5');
      await new Promise((r) => setTimeout(r, 300));
      if (expectRecovery) {
        expectEqual(a.recovered, true, 'socket.recovered');
        expectEqual(a.id, firstId, 'socket id kept');
        expectEqual(got, ['m1', 'm2', 'm3', 'm4', 'm5'], 'messages');
      } else {
        expectEqual(Boolean(a.recovered), false, 'socket.recovered');
        if (a.id === firstId) throw new Error('same socket id without recovery');
        expectEqual(got, ['m1', 'm5'], 'messages (m2-m4 lost)');
      }
      a.disconnect(); b.disconnect();
    });
  }
}

async function engineioMode() {
  for (const transports of [['polling'], ['websocket'], ['polling', 'websocket']]) {
    await run(`engine.io-client (${transports.join('+')}): text and binary echoed`, async () => {
      const e = new EngineSocket(url, { transports });
      await once(e, 'open');
      e.send('hello');
      const [text] = await once(e, 'message');
      expectEqual(text, 'hello', 'text');
      e.send(Buffer.from([0, 1, 2, 255]));
      const [bin] = await once(e, 'message');
      expectEqual(Buffer.from(bin), Buffer.from([0, 1, 2, 255]), 'binary');
      e.close();
    });
  }
  await run('a message over maxPayload closes the session', async () => {
    const e = new EngineSocket(url, { transports: ['websocket'] });
    await once(e, 'open');
    e.send('x'.repeat(5000));
    await once(e, 'close', 4000);
  });
}

(async () => {
  if (mode === 'socketio') await socketioMode();
  else if (mode === 'chat') await chatMode();
  else if (mode === 'engineio') await engineioMode();
  else if (mode === 'recovery') await recoveryMode(true);
  else if (mode === 'no-recovery') await recoveryMode(false);
  else { console.log(`unknown mode ${mode}`); process.exit(2); }
  console.log(`${failures ? 'FAILED' : 'PASSED'}: ${failures} failure(s)`);
  process.exit(failures ? 1 : 0);
})();
