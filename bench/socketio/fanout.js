#!/usr/bin/env node
// The Socket.IO fan-out load: N official socket.io-client connections (WebSocket transport
// only), one of them the sender, which emits M small "chat message" events with an ack
// callback while at most W are in flight; the server broadcasts each to every client (the
// sender included). Prints one `RESULT {json}` line: deliveries per second, latency p50/p99,
// and the CPU the clients and the server used. The same script loads lab 06's server and the
// reference Node.js server (node_server.js), so both get the identical client.
//
//   node bench/socketio/fanout.js --url http://127.0.0.1:PORT [--clients 200] [--messages 20000]
//        [--window 100] [--window-by delivered|ack] [--workers 2] [--server-pid PID]
//        [--timeout 600]   (seconds before a run that has not ended counts as failed)
//   node bench/socketio/fanout.js --url ... --idle 1000 --server-pid PID [--workers 2]
//
// In flight (--window-by delivered, the default): a message counts until every client has
// received it AND its ack is back. That bounds what waits anywhere (in the server's queues,
// the sockets and the clients), so the latency is the time a message spends in a system that
// holds at most W messages, and a server cannot look fast by acking at once while its write
// queues grow. --window-by ack frees the slot when the ack comes back, as a simple sender
// would; the run still ends when every client has every message.
//
// Receivers live in --workers child processes (a node process is single-threaded: one
// process could not read 200 connections as fast as a C++ server writes them); the sender and
// its own connection stay in this process. Every process stamps and reads time with
// process.hrtime(), CLOCK_MONOTONIC, one clock for the whole machine, so a message carries its
// send time and each receiver takes the difference. Latency = receive time - send time, over
// every delivery (N x M samples).
//
// --idle N: connects N clients and leaves them idle; prints the server's VmRSS (from
// /proc/PID/status) before the first and 3 s after the last connected, and the growth per
// connection. Use it on a freshly started server. These clients speak the protocol with the
// `ws` package instead of socket.io-client (see idleOne below for why).
'use strict';

const path = require('path');
const fs = require('fs');
const os = require('os');
const { fork } = require('child_process');

const peers = path.resolve(__dirname, '../../tests/peers/node_modules');
const { io } = require(path.join(peers, 'socket.io-client'));
const WebSocket = require(path.join(peers, 'ws'));

function nowUs() {
  const [s, ns] = process.hrtime();
  return s * 1e6 + ns / 1e3;
}

function connectOne(url, onChat) {
  return new Promise((resolve, reject) => {
    // forceNew: one Manager (one WebSocket) per client; without it, io() of the same URL
    // would multiplex every "client" over a single connection.
    const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, timeout: 60000 });
    if (onChat) socket.on('chat message', onChat);
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => reject(new Error(`connect_error: ${err.message}`)));
  });
}

// An idle client for the memory measurement: the same Engine.IO v4 / Socket.IO v5 handshake
// on the wire as socket.io-client's (WebSocket OPEN, then CONNECT to "/"), and a pong for each
// ping, but without decoding what else comes. Both chat servers send every client the list of
// nicknames on every connect, so the k-th client makes the server send k lists of k names:
// 1,000 clients of socket.io-client spent minutes parsing 4 GB of lists, which measured the
// clients, not the server.
function idleOne(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url.replace(/^http/, 'ws') + '/socket.io/?EIO=4&transport=websocket', { perMessageDeflate: false });
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data) => {
      const type = data[0];
      if (type === 0x30 /* "0" open */) ws.send('40');
      else if (type === 0x32 /* "2" ping */) ws.send('3');
      else if (type === 0x34 /* "4" message */ && data.length >= 2 && data[1] === 0x30 /* "0" CONNECT */) resolve(ws);
      else if (type === 0x34 && data.length >= 2 && data[1] === 0x34 /* CONNECT_ERROR */) reject(new Error('CONNECT_ERROR'));
    });
    ws.on('error', (err) => reject(err));
  });
}

// Opens `count` clients, `batch` handshakes at a time (a thousand at once would only measure
// the listen backlog).
async function connectMany(url, count, makeHandler, batch = 50) {
  const sockets = [];
  for (let i = 0; i < count; i += batch) {
    const part = [];
    for (let j = i; j < Math.min(count, i + batch); j++) part.push(makeHandler ? connectOne(url, makeHandler(j)) : idleOne(url));
    sockets.push(...(await Promise.all(part)));
  }
  return sockets;
}

// ---- a worker process: some of the receivers ---------------------------------------------

function worker() {
  let sockets = [];
  let messages = 0;
  let counts = null;        // per message: how many of this worker's clients have it
  let latencies = null;     // microseconds, one per delivery
  let n = 0;
  let received = null;      // per client: messages received
  let disorder = 0;         // a client got a message out of order
  let done = [];            // messages every client of this worker now has
  let flushing = false;
  let cpu0 = null;

  // The parent gone (it finished, or gave up): nothing left to report to.
  process.on('disconnect', () => process.exit(0));
  const flush = () => {
    flushing = false;
    if (done.length && process.connected) process.send({ ev: 'done', seqs: done });
    done = [];
  };

  process.on('message', async (m) => {
    try {
      if (m.cmd === 'connect') {
        messages = m.messages;
        const count = m.count;
        counts = new Uint16Array(messages);
        latencies = new Float32Array(count * messages);
        received = new Uint32Array(count);
        sockets = await connectMany(m.url, count, m.idle ? null : (k) => (text) => {
          const t = nowUs();
          const sp = text.indexOf(' ');
          const seq = Number(text.slice(0, sp));
          latencies[n++] = t - Number(text.slice(sp + 1));
          if (seq !== received[k]) disorder++;
          received[k]++;
          if (++counts[seq] === count) {
            done.push(seq);
            if (!flushing) { flushing = true; setImmediate(flush); }
          }
        });
        process.send({ ev: 'connected', count: sockets.length });
      } else if (m.cmd === 'start') {
        cpu0 = process.cpuUsage();
      } else if (m.cmd === 'finish') {
        const cpu = process.cpuUsage(cpu0 || undefined);
        fs.writeFileSync(m.file, Buffer.from(latencies.buffer, 0, n * 4));
        let short = 0;
        for (const r of received) if (r !== messages) short++;
        process.send({ ev: 'stats', deliveries: n, short, disorder, cpu_s: (cpu.user + cpu.system) / 1e6 });
      }
    } catch (err) {
      process.send({ ev: 'error', message: String(err && err.message || err) });
    }
  });
}

// ---- the main process: the sender, the window, the result --------------------------------

function parseArgs() {
  const a = { url: '', clients: 200, messages: 20000, window: 100, windowBy: 'delivered', workers: 2, serverPid: 0, idle: 0,
    timeout: 600 };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i], v = argv[i + 1];
    if (k === '--url') a.url = v;
    else if (k === '--clients') a.clients = Number(v);
    else if (k === '--messages') a.messages = Number(v);
    else if (k === '--window') a.window = Number(v);
    else if (k === '--window-by') a.windowBy = v;
    else if (k === '--workers') a.workers = Number(v);
    else if (k === '--server-pid') a.serverPid = Number(v);
    else if (k === '--idle') a.idle = Number(v);
    else if (k === '--timeout') a.timeout = Number(v);
    else if (k === '-h' || k === '--help') {
      const lines = fs.readFileSync(__filename, 'utf8').split('\n').slice(1);
      const end = lines.findIndex((l) => !l.startsWith('//'));
      console.log(lines.slice(0, end).map((l) => l.replace(/^\/\/ ?/, '')).join('\n'));
      process.exit(0);
    } else { console.error(`fanout.js: unknown option ${k} (try --help)`); process.exit(1); }
    i++;
  }
  if (!a.url) { console.error('fanout.js: --url is required'); process.exit(1); }
  if (!['delivered', 'ack'].includes(a.windowBy)) { console.error('fanout.js: --window-by takes delivered or ack'); process.exit(1); }
  if (a.messages > 65535 * 1000) { console.error('fanout.js: too many messages'); process.exit(1); }
  return a;
}

// CPU seconds (user + system) a process has used, from /proc/PID/stat; null without a pid.
function procCpu(pid) {
  if (!pid) return null;
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;  // utime, stime in clock ticks (USER_HZ 100)
}

function procRssKiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

// Starts the workers and splits `count` clients among them.
function startWorkers(a, count) {
  const workers = [];
  const per = Math.ceil(count / a.workers);
  for (let w = 0, left = count; w < a.workers && left > 0; w++, left -= per) {
    const child = fork(__filename, ['--worker'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    workers.push({ child, count: Math.min(per, left), handlers: [] });
  }
  for (const w of workers) {
    w.child.on('message', (m) => {
      if (m.ev === 'error') { console.error(`fanout.js: worker: ${m.message}`); process.exit(2); }
      for (const h of w.handlers) h(m);
    });
    w.child.on('exit', (code, sig) => {
      if (!w.finished) { console.error(`fanout.js: a worker exited (${code ?? sig})`); process.exit(2); }
    });
  }
  return workers;
}

function ask(w, cmd, ev) {
  return new Promise((resolve) => {
    const h = (m) => { if (m.ev === ev) { w.handlers.splice(w.handlers.indexOf(h), 1); resolve(m); } };
    w.handlers.push(h);
    w.child.send(cmd);
  });
}

function stopWorkers(workers) {
  for (const w of workers) { w.finished = true; w.child.kill('SIGKILL'); }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function idle(a) {
  if (!a.serverPid) { console.error('fanout.js: --idle needs --server-pid'); process.exit(1); }
  const before = procRssKiB(a.serverPid);
  const workers = startWorkers(a, a.idle);
  const t0 = nowUs();
  await Promise.all(workers.map((w) => ask(w, { cmd: 'connect', url: a.url, count: w.count, messages: 0, idle: true }, 'connected')));
  const connectS = (nowUs() - t0) / 1e6;
  await sleep(3000);  // the last "online" lists drain; nothing else moves until the 25 s ping
  const after = procRssKiB(a.serverPid);
  const r = { mode: 'idle', clients: a.idle, rss_before_kib: before, rss_after_kib: after,
    per_conn_kib: (after - before) / a.idle, connect_s: connectS };
  console.log('RESULT ' + JSON.stringify(r));
  stopWorkers(workers);
  process.exit(0);
}

async function fanout(a) {
  const M = a.messages;
  const receivers = a.clients - 1;  // besides the sender's own connection
  const workers = startWorkers(a, receivers);
  await Promise.all(workers.map((w) => ask(w, { cmd: 'connect', url: a.url, count: w.count, messages: M, idle: false }, 'connected')));

  // rest[seq]: workers still to report the message complete, plus the sender's own copy,
  // plus its ack.
  const rest = new Uint8Array(M).fill(workers.length + 2);
  const mine = new Float32Array(M);
  const ackUs = new Float32Array(M);
  const sentAt = new Float64Array(M);
  let mineN = 0, mineDisorder = 0, acked = 0, complete = 0, next = 0, inFlight = 0;
  let t0 = 0, tEnd = 0;
  let finish;
  const finished = new Promise((r) => { finish = r; });

  const free = () => { inFlight--; pump(); };
  const step = (seq) => {
    if (--rest[seq] === 0) {
      complete++;
      if (a.windowBy === 'delivered') free();
      if (complete === M) { tEnd = nowUs(); finish(); }
    }
  };
  const sender = await connectOne(a.url, (text) => {
    const t = nowUs();
    const sp = text.indexOf(' ');
    const seq = Number(text.slice(0, sp));
    if (seq !== mineN) mineDisorder++;
    mine[mineN++] = t - Number(text.slice(sp + 1));
    step(seq);
  });
  for (const w of workers) w.handlers.push((m) => { if (m.ev === 'done') for (const seq of m.seqs) step(seq); });

  const pump = () => {
    while (inFlight < a.window && next < M) {
      const seq = next++;
      inFlight++;
      const t = nowUs();
      sentAt[seq] = t;
      sender.emit('chat message', `${seq} ${t.toFixed(1)}`, (reply) => {
        ackUs[seq] = nowUs() - sentAt[seq];
        if (reply === 'delivered') acked++;
        if (a.windowBy === 'ack') free();
        step(seq);
      });
    }
  };

  await sleep(500);  // the "online" lists of the last connections drain first
  for (const w of workers) w.child.send({ cmd: 'start' });
  await sleep(50);
  const cpu0 = process.cpuUsage();
  const server0 = procCpu(a.serverPid);
  t0 = nowUs();
  pump();
  const timeout = setTimeout(() => {
    console.error(`fanout.js: no end after ${a.timeout} s (${complete} of ${M} messages complete)`);
    process.exit(3);
  }, a.timeout * 1000);
  await finished;
  clearTimeout(timeout);
  const elapsed = (tEnd - t0) / 1e6;
  const server1 = procCpu(a.serverPid);
  const cpuMain = process.cpuUsage(cpu0);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wl-fanout-'));
  const stats = await Promise.all(workers.map((w, i) => ask(w, { cmd: 'finish', file: path.join(dir, `w${i}.f32`) }, 'stats')));
  stopWorkers(workers);
  sender.close();

  let total = mineN;
  for (const s of stats) total += s.deliveries;
  const all = new Float32Array(total);
  all.set(mine.subarray(0, mineN), 0);
  let at = mineN;
  for (let i = 0; i < workers.length; i++) {
    const f = path.join(dir, `w${i}.f32`);
    const b = fs.readFileSync(f);
    all.set(new Float32Array(b.buffer, b.byteOffset, b.length / 4), at);
    at += b.length / 4;
    fs.unlinkSync(f);
  }
  fs.rmdirSync(dir);
  all.sort();
  const acks = ackUs.slice().sort();
  const clientCpu = [(cpuMain.user + cpuMain.system) / 1e6, ...stats.map((s) => s.cpu_s)];
  const r = {
    mode: 'fanout', clients: a.clients, messages: M, window: a.window, window_by: a.windowBy, workers: workers.length,
    deliveries: total, expected: a.clients * M,
    ok: total === a.clients * M && acked === M && mineN === M && stats.every((s) => s.short === 0),
    disorder: mineDisorder + stats.reduce((x, s) => x + s.disorder, 0), acked,
    elapsed_s: elapsed, deliveries_per_s: total / elapsed,
    p50_ms: percentile(all, 0.5) / 1e3, p99_ms: percentile(all, 0.99) / 1e3, max_ms: all[all.length - 1] / 1e3,
    ack_p50_ms: percentile(acks, 0.5) / 1e3, ack_p99_ms: percentile(acks, 0.99) / 1e3,
    client_cpu_s: clientCpu.map((x) => Number(x.toFixed(2))),
    client_cpu_pct: clientCpu.map((x) => Math.round((100 * x) / elapsed)),
    server_cpu_s: server0 === null ? null : Number((server1 - server0).toFixed(2)),
    server_cpu_pct: server0 === null ? null : Math.round((100 * (server1 - server0)) / elapsed),
  };
  console.log('RESULT ' + JSON.stringify(r));
  process.exit(0);
}

if (process.argv[2] === '--worker') worker();
else {
  const a = parseArgs();
  (a.idle ? idle(a) : fanout(a)).catch((err) => { console.error(`fanout.js: ${err.message}`); process.exit(2); });
}
