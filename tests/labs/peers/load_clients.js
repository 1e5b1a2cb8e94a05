// The load test's clients: many official socket.io-client clients, on two lab-08 nodes that
// share one Redis, spread over worker processes. A sender emits numbered chat messages at a
// bounded rate; meanwhile random clients have their transport cut (engine.close(): the
// Manager sees the engine close, not a socket.disconnect(), and reconnects with its pid and
// offset), half of them moving to the other node; once, half-way, the test restarts Redis.
// At the end every client reports exactly which messages it got, and the totals go out on one
// RESULT line.
//
//   node load_clients.js PEERS_NODE_MODULES PORT_A PORT_B [--clients 1000] [--workers 2]
//        [--seconds 8] [--rate 12.5] [--cut-every 250] [--cuts 3] [--recovery on|off]
//        [--restart-redis on|off] [--seed 1]
//
// Talking to the test: the script prints "restart-redis" and waits for a line "redis-back" on
// its standard input (the test owns redis-server, so that it outlives the clients).
//
// Messages are "load N.A": number N, attempt A. The sender waits for each ack before the next
// message, so the stream holds them in number order; a refused attempt (Redis down: "not
// sent") is tried again and never reached anyone; an attempt whose ack timed out may have been
// published, and then a client sees N twice with different attempts ("copies", at-least-once).
// The same text twice would be a real duplicate: one stream entry delivered twice.
'use strict';

const path = require('path');
const http = require('http');
const readline = require('readline');
const { fork } = require('child_process');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const say = (text) => console.log(`load: ${text}`);

function parseArgs() {
  const a = { modules: process.argv[2], ports: [Number(process.argv[3]), Number(process.argv[4])], clients: 1000,
    workers: 2, seconds: 8, rate: 12.5, cutEvery: 250, cuts: 3, recovery: true, restart: true, seed: 1 };
  const argv = process.argv.slice(5);
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i], v = argv[i + 1];
    if (k === '--clients') a.clients = Number(v);
    else if (k === '--workers') a.workers = Number(v);
    else if (k === '--seconds') a.seconds = Number(v);
    else if (k === '--rate') a.rate = Number(v);
    else if (k === '--cut-every') a.cutEvery = Number(v);
    else if (k === '--cuts') a.cuts = Number(v);
    else if (k === '--recovery') a.recovery = v === 'on';
    else if (k === '--restart-redis') a.restart = v === 'on';
    else if (k === '--seed') a.seed = Number(v);
    else { console.error(`load_clients.js: unknown option ${k}`); process.exit(2); }
  }
  if (!a.modules || !(a.ports[0] > 0) || !(a.ports[1] > 0) || !(a.clients > 0) || !(a.workers > 0) || !(a.rate > 0)) {
    console.error('usage: node load_clients.js PEERS_NODE_MODULES PORT_A PORT_B [--clients N] [--workers N] ...');
    process.exit(2);
  }
  return a;
}

// A small seeded generator (mulberry32): the same seed cuts the same clients.
function random(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---- a worker: some of the clients -------------------------------------------------------

// How client i comes in: half long-polling only, 35% WebSocket only, 15% the default
// (polling, then the upgrade to WebSocket); even ones start on node A, odd ones on node B.
function kindOf(i) {
  const r = i % 20;
  return r < 10 ? 'polling' : r < 17 ? 'websocket' : 'upgrade';
}
const kTransports = { polling: ['polling'], websocket: ['websocket'], upgrade: undefined };

function worker() {
  const clients = [];
  let lists = 0, names = 0;
  const cpu0 = process.cpuUsage();
  let rng = Math.random;
  let urls = [];
  process.on('disconnect', () => process.exit(0));  // the parent is gone

  function connectOne(modules, i) {
    const { io } = require(path.join(modules, 'socket.io-client'));
    const kind = kindOf(i);
    const c = { i, kind, node: i % 2, texts: new Set(), got: new Set(), last: 0, deliveries: 0, duplicates: 0, bufferedReplays: 0, beforeConnect: new Set(), copies: 0,
      reorders: 0, cuts: 0, moves: 0, reconnects: 0, recovered: 0, gaps: [], gapFrom: -1, closing: false, away: false, agent: null, socket: null, log: [] };
    // Polling from Node.js opens a new TCP connection per request unless given an agent; a
    // keep-alive agent of two sockets is what a browser tab would use.
    if (kind !== 'websocket') c.agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
    c.socket = io(urls[c.node], {
      forceNew: true, transports: kTransports[kind], agent: c.agent || false, auth: { nickname: `c${i}` },
      // Reconnect after 0.8-1.2 s (socket.io-client's default delay, 1 s, with less jitter).
      // Recovery on another node needs the node that lost the client to have stored its
      // session in Redis first, and nothing orders the two: on a busy machine a quicker
      // reconnect can win that race and start afresh (see docs/reliability.md).
      reconnectionDelay: 1000, randomizationFactor: 0.2, reconnectionDelayMax: 2000, timeout: 30000,
    });
    let first = true;
    // Each Engine.IO session in the log: its id when it opens, and its transport changes (an
    // example in the result shows what happened to a client that lost messages).
    c.socket.io.on('open', () => {
      const e = c.socket.io.engine;
      c.log.push(`open@${c.last}:${e.id}:${e.transport.name}`);
      e.on('upgrade', (t) => c.log.push(`upgrade@${c.last}:${t.name}`));
      e.on('upgradeError', (err) => c.log.push(`upgradeError@${c.last}:${err.message}`));
      e.on('close', (reason) => c.log.push(`close@${c.last}:${reason}`));
    });
    // The gap opens when the socket is really disconnected: an engine asked to close while it
    // still has packets to write, or while it upgrades, closes only after that.
    c.socket.on('disconnect', () => {
      c.closing = false;
      c.away = true;
      if (c.gapFrom < 0) c.gapFrom = c.last;
      c.log.push(`disconnect@${c.last}`);
    });
    c.socket.on('connect', () => {
      c.away = false;
      if (first) { first = false; return; }
      c.reconnects++;
      if (c.socket.recovered) c.recovered++;
      c.log.push(`connect@${c.last}${c.socket.recovered ? 'R' : ''}`);
    });
    // The chat sends everyone the list of who is online when someone comes or goes: counted,
    // since with a thousand clients it is most of what they read.
    c.socket.on('online', (list) => { lists++; names += Array.isArray(list) ? list.length : 0; });
    c.socket.on('chat message', (text) => {
      const m = /^load (\d+)\.(\d+)$/.exec(text);
      if (!m) return;
      const n = Number(m[1]);
      c.deliveries++;
      if (c.texts.has(text)) {
        // socket.io-client keeps the packets of an old transport's last read while it is
        // disconnected and hands them on at the next 'connect', after the CONNECT packet that
        // told the server its offset went out without them: a recovery replays them, and the
        // client gets them twice. The one duplicate Socket.IO's recovery allows; any other is
        // a server's fault.
        if (c.beforeConnect.delete(text) && c.socket.recovered) c.bufferedReplays++;
        else c.duplicates++;
        return;
      }
      c.texts.add(text);
      if (c.away) c.beforeConnect.add(text);
      if (c.got.has(n)) { c.copies++; return; }
      c.got.add(n);
      if (c.gapFrom >= 0 || c.log.length && !c.log[c.log.length - 1].startsWith('msg')) {
        const e = c.socket.io.engine;
        c.log.push(`msg${n}:${c.away ? 'before-connect' : e ? e.transport.name : '-'}`);
      }
      if (n < c.last) c.reorders++;
      // The first message after the reconnect closes the gap in which a client without
      // recovery may have lost messages. Not one handed out before the 'connect' event:
      // socket.io-client passes on the packets of an engine's last read after it has said
      // 'disconnect' (Manager.ondecoded emits on the next tick, after the close), keeps them
      // while disconnected and emits them just before the next 'connect'. They were sent
      // before the cut, and what was sent after them while the client was away is lost.
      if (c.gapFrom >= 0 && !c.away) { c.gaps.push([c.gapFrom, n]); c.gapFrom = -1; }
      c.last = Math.max(c.last, n);
    });
    clients.push(c);
    return new Promise((resolve, reject) => {
      c.socket.once('connect', () => resolve());
      c.socket.once('connect_error', (e) => reject(new Error(`client ${i}: ${e.message}`)));
    });
  }

  // A transport cut: the engine closes under the Socket.IO socket, which then reconnects by
  // itself (a socket.disconnect() would be a clean leave: no recovery, no reconnect). Half
  // the time it comes back on the other node.
  function cut(c) {
    if (!c.socket.connected || !c.socket.io.engine || c.closing) return false;
    c.closing = true;  // until the disconnect (a close can wait for an upgrade to finish)
    c.cuts++;
    if (rng() < 0.5) {
      c.node ^= 1;
      c.moves++;
      c.socket.io.uri = urls[c.node];
    }
    c.log.push(`cut@${c.last}${c.moves ? 'M' : ''}`);
    c.socket.io.engine.close();
    return true;
  }

  process.on('message', async (m) => {
    try {
      if (m.cmd === 'connect') {
        rng = random(m.seed);
        urls = m.ports.map((p) => `http://127.0.0.1:${p}`);
        // At most 50 handshakes under way (a thousand at once would only measure the listen
        // backlog), a new one as soon as one is done.
        let next = 0;
        const lane = async () => { while (next < m.ids.length) await connectOne(m.modules, m.ids[next++]); };
        await Promise.all(Array.from({ length: 50 }, lane));
        process.send({ ev: 'connected', count: clients.length });
      } else if (m.cmd === 'cut') {
        let done = 0;
        for (let tries = 0; done < m.count && tries < 10 * m.count; tries++) done += cut(clients[Math.floor(rng() * clients.length)]);
      } else if (m.cmd === 'status') {
        let connected = 0, have = 0;
        for (const c of clients) { connected += c.socket.connected; have += c.got.has(m.want); }
        process.send({ ev: 'status', connected, have });
      } else if (m.cmd === 'report') {
        process.send({ ev: 'report', ...report(m.total) });
      } else if (m.cmd === 'close') {
        // A clean leave for everyone. A polling client says goodbye in POSTs (Socket.IO's
        // DISCONNECT, then Engine.IO's close); until its close arrives the server keeps the
        // session, and if the client vanished between two polls (no request open to see
        // closing) it would keep it until the heartbeat gives up, 45 s later. So wait until
        // every agent has finished its requests (at most 10 s).
        for (const c of clients) c.socket.disconnect();
        const busy = (agent) => Object.keys(agent.requests).length + Object.values(agent.sockets).reduce((n, l) => n + l.length, 0);
        for (const end = Date.now() + 10000; Date.now() < end && clients.some((c) => c.agent && busy(c.agent));) await sleep(50);
        for (const c of clients) if (c.agent) c.agent.destroy();
        process.send({ ev: 'closed' });
      }
    } catch (e) {
      process.send({ ev: 'error', message: String(e && e.message || e) });
    }
  });

  // Every message 1..total, for every client: received, or missing; a missing one is
  // "explained" if it falls in a gap after a cut (which is all a client without recovery can
  // say about it), "unexplained" otherwise.
  function report(total) {
    const r = { clients: clients.length, deliveries: 0, unique: 0, duplicates: 0, bufferedReplays: 0, copies: 0, reorders: 0, cuts: 0, moves: 0,
      reconnects: 0, recovered: 0, missing: 0, unexplained: 0, unexplainedUpgrade: 0, clientsCut: 0, clientsLosing: 0, lossUncut: 0,
      kinds: { polling: 0, websocket: 0, upgrade: 0 }, examples: [], lists, names, cpu: 0 };
    const cpu = process.cpuUsage(cpu0);
    r.cpu = (cpu.user + cpu.system) / 1e6;
    for (const c of clients) {
      const gaps = c.gapFrom >= 0 ? [...c.gaps, [c.gapFrom, Infinity]] : c.gaps;
      let missing = 0, unexplained = 0;
      for (let n = 1; n <= total; n++) {
        if (c.got.has(n)) continue;
        missing++;
        if (!gaps.some(([lo, hi]) => n > lo && n < hi)) unexplained++;
      }
      r.kinds[c.kind]++;
      r.deliveries += c.deliveries;
      r.unique += c.got.size;
      r.duplicates += c.duplicates;
      r.bufferedReplays += c.bufferedReplays;
      r.copies += c.copies;
      r.reorders += c.reorders;
      r.cuts += c.cuts;
      r.moves += c.moves;
      r.reconnects += c.reconnects;
      r.recovered += c.recovered;
      r.missing += missing;
      r.unexplained += unexplained;
      if (c.kind === 'upgrade') r.unexplainedUpgrade += unexplained;
      r.clientsCut += c.cuts > 0;
      r.clientsLosing += missing > 0;
      if (c.cuts === 0) r.lossUncut += missing;
      if ((unexplained || c.duplicates || c.reorders) && r.examples.length < 5)
        r.examples.push(`c${c.i} (${c.kind}, ${c.cuts} cuts, ${c.moves} to the other node, ${c.recovered}/${c.reconnects} ` +
          `recovered): ${missing} missing (${unexplained} outside a gap), ${c.duplicates} duplicates, ${c.reorders} out ` +
          `of order; got ${[...c.got].sort((x, y) => x - y).join(',')}; gaps ${JSON.stringify(gaps)}; log ${c.log.join(' ')}`);
    }
    return r;
  }
}

// ---- the parent: workers, sender, cuts, the Redis restart, the totals ----------------------

async function main() {
  const a = parseArgs();
  const t0 = Date.now();
  const seconds = () => ((Date.now() - t0) / 1000).toFixed(1);
  const { io } = require(path.join(path.resolve(a.modules), 'socket.io-client'));
  const modules = path.resolve(a.modules);

  // Lines from the test on our standard input ("redis-back").
  const waiting = [];
  readline.createInterface({ input: process.stdin }).on('line', (line) => {
    const w = waiting.findIndex((x) => x.line === line.trim());
    if (w >= 0) waiting.splice(w, 1)[0].resolve();
  });
  const expectLine = (line) => new Promise((resolve) => waiting.push({ line, resolve }));

  // The workers and a way to ask all of them something.
  const workers = [];
  for (let w = 0; w < a.workers; w++) workers.push(fork(__filename, ['--worker'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  const ask = (msg, ev) => Promise.all(workers.map((w, k) => new Promise((resolve, reject) => {
    const on = (m) => {
      if (m.ev === 'error') { w.off('message', on); reject(new Error(`worker ${k}: ${m.message}`)); }
      else if (m.ev === ev) { w.off('message', on); resolve(m); }
    };
    w.on('message', on);
    w.send(typeof msg === 'function' ? msg(k) : msg);
  })));
  const everyone = async (want) => {
    const s = await ask({ cmd: 'status', want }, 'status');
    return { connected: s.reduce((n, x) => n + x.connected, 0), have: s.reduce((n, x) => n + x.have, 0) };
  };
  const until = async (cond, ms) => {
    for (const end = Date.now() + ms; Date.now() < end;) { if (await cond()) return true; await sleep(100); }
    return false;
  };

  // 1. Everyone connects.
  await ask((k) => ({ cmd: 'connect', modules, ports: a.ports, seed: a.seed * 1000 + k,
    ids: Array.from({ length: a.clients }, (_, i) => i).filter((i) => i % a.workers === k) }), 'connected');
  const tConnected = Date.now();
  say(`${a.clients} clients connected in ${((tConnected - t0) / 1000).toFixed(1)} s (${a.workers} worker processes)`);
  console.log('phase connected');

  // 2. The sender: one WebSocket client on each node, messages alternating between them.
  const senders = await Promise.all(a.ports.map((p, k) => new Promise((resolve) => {
    const s = io(`http://127.0.0.1:${p}`, { forceNew: true, transports: ['websocket'], auth: { nickname: `sender-${'AB'[k]}` } });
    s.once('connect', () => resolve(s));
  })));
  let attempts = 0, refused = 0, uncertain = 0;
  async function send(n) {
    for (let attempt = 1; ; attempt++) {
      attempts++;
      try {
        const reply = await senders[n % 2].timeout(5000).emitWithAck('chat message', `load ${n}.${attempt}`);
        if (reply === 'delivered') return;
        refused++;  // Redis unreachable: not published, nobody got it
      } catch (e) {
        uncertain++;  // no ack in time: maybe published, maybe not
      }
      await sleep(100);
    }
  }

  // 3. Cuts at random, every cutEvery ms, `cuts` a worker; paused around the Redis restart,
  // since recovery needs Redis both to keep a cut session and to give it back.
  let cutting = true, cutTicks = 0;
  const cutter = setInterval(() => {
    if (!cutting) return;
    cutTicks++;
    for (const w of workers) w.send({ cmd: 'cut', count: a.cuts });
  }, a.cutEvery);

  const total = Math.round(a.seconds * a.rate);
  let restartDone = Promise.resolve();
  let redisDown = 0;
  const tSend = Date.now();
  for (let n = 1; n <= total; n++) {
    const due = tSend + ((n - 1) * 1000) / a.rate;
    if (Date.now() < due) await sleep(due - Date.now());
    if (a.restart && n === Math.floor(total / 3)) {
      restartDone = (async () => {
        cutting = false;
        await until(async () => (await everyone(0)).connected === a.clients, 10000);
        say(`restarting Redis at message ${n} (${seconds()} s), cuts paused`);
        const down = Date.now();
        const back = expectLine('redis-back');
        console.log('restart-redis');
        await back;
        redisDown = Date.now() - down;
        say(`Redis is back after ${redisDown} ms`);
        await sleep(300);
        cutting = true;
      })();
    }
    await send(n);
  }
  await restartDone;
  cutting = false;
  clearInterval(cutter);
  const tSent = Date.now();
  say(`${total} messages sent in ${((tSent - tSend) / 1000).toFixed(1)} s (${attempts} attempts: ${refused} refused while ` +
      `Redis was away, ${uncertain} without an ack in time); ${cutTicks} rounds of cuts`);

  // 4. Everyone back; one last message, which every client must get in either mode; then
  // wait until they have it.
  const back = await until(async () => (await everyone(0)).connected === a.clients, 20000);
  if (!back) say('some clients did not reconnect within 20 s');
  await send(total + 1);
  const complete = await until(async () => (await everyone(total + 1)).have === a.clients, 20000);
  if (!complete) say('some clients did not get the last message within 20 s');
  const tSettled = Date.now();

  // 5. The reports.
  const reports = await ask({ cmd: 'report', total: total + 1 }, 'report');
  const sum = (k) => reports.reduce((n, r) => n + r[k], 0);
  const kinds = (k) => reports.reduce((n, r) => n + r.kinds[k], 0);
  for (const r of reports) for (const e of r.examples) say(`  ${e}`);
  const result = {
    clients: sum('clients'), polling: kinds('polling'), websocket: kinds('websocket'), upgrade: kinds('upgrade'),
    recovery: a.recovery ? 1 : 0, messages: total + 1, attempts, refused, uncertain, redis_down_ms: redisDown,
    deliveries: sum('deliveries'), unique: sum('unique'), duplicates: sum('duplicates'),
    buffered_replays: sum('bufferedReplays'), copies: sum('copies'),
    reorders: sum('reorders'), cuts: sum('cuts'), moves: sum('moves'), reconnects: sum('reconnects'),
    recovered: sum('recovered'), missing: sum('missing'), unexplained: sum('unexplained'),
    unexplained_upgrade: sum('unexplainedUpgrade'), clients_cut: sum('clientsCut'),
    clients_losing: sum('clientsLosing'), loss_uncut: sum('lossUncut'), all_back: back ? 1 : 0, complete: complete ? 1 : 0,
    connect_s: ((tConnected - t0) / 1000).toFixed(1), send_s: ((tSent - tSend) / 1000).toFixed(1),
    settle_s: ((tSettled - tSent) / 1000).toFixed(1), online_lists: sum('lists'), online_names: sum('names'),
    worker_cpu_s: sum('cpu').toFixed(1),
  };
  say(`every client: ${result.unique} of ${result.clients * result.messages} (client, message) pairs received, ` +
      `${result.missing} missing (${result.unexplained} outside a gap after a cut), ${result.duplicates} duplicates ` +
      `(and ${result.buffered_replays} replays of a message held until the reconnect), ` +
      `${result.copies} copies of retried messages, ${result.reorders} out of order`);
  say(`${result.cuts} cuts (${result.moves} to the other node), ${result.reconnects} reconnects, ${result.recovered} recovered`);
  console.log('RESULT ' + Object.entries(result).map(([k, v]) => `${k}=${v}`).join(' '));

  // 6. Everyone leaves cleanly.
  await ask({ cmd: 'close' }, 'closed');
  for (const s of senders) s.disconnect();
  await sleep(200);
  for (const w of workers) w.kill();
  process.exit(0);
}

if (process.argv[2] === '--worker') worker();
else {
  main().catch((e) => { console.log(`load: failed: ${e.stack || e}`); process.exit(1); });
  setTimeout(() => { console.log('load: gave up after 240 s'); process.exit(1); }, 240000).unref();
}
