// A real WebSocket client (the npm `ws` package) against lab 04's echo server: text, binary,
// the length boundaries 0/125/126/65535/65536, a fragmented message, ping/pong, many messages
// in a row, and the closing handshake. Prints one line per check ("ok NAME" or "FAIL NAME:
// why") and "RESULT n passed, m failed"; exits 1 if anything failed.
//
//   node ws_client.js PEERS_DIR ws://127.0.0.1:PORT/
'use strict';
const path = require('path');
const crypto = require('crypto');

const [peersDir, url] = process.argv.slice(2);
const WebSocket = require(path.join(path.resolve(peersDir), 'node_modules', 'ws'));

let passed = 0, failed = 0;
function check(name, ok, why) {
  if (ok) { passed++; console.log(`ok ${name}`); } else { failed++; console.log(`FAIL ${name}: ${why}`); }
}

function run() {
  // The default client offers permessage-deflate; the lab's server must decline it.
  const ws = new WebSocket(url);
  const queue = [];      // messages and pongs, in the order they arrived
  let waiter = null;
  const push = (ev) => { queue.push(ev); if (waiter) { const w = waiter; waiter = null; w(); } };
  ws.on('message', (data, isBinary) => push({ kind: 'message', data, isBinary }));
  ws.on('pong', (data) => push({ kind: 'pong', data }));
  const next = () => new Promise((resolve, reject) => {
    const take = () => resolve(queue.shift());
    if (queue.length) return take();
    const t = setTimeout(() => reject(new Error('timed out waiting for a reply')), 5000);
    waiter = () => { clearTimeout(t); take(); };
  });

  ws.on('error', (e) => { check('connection', false, e.message); finish(); });
  ws.on('open', async () => {
    try {
      check('handshake without extensions', ws.extensions === '' || ws.extensions === undefined,
            `extensions '${ws.extensions}'`);

      ws.send('hello');
      let m = await next();
      check('text echo', m.kind === 'message' && !m.isBinary && m.data.toString() === 'hello', JSON.stringify(m));

      const unicode = 'héllo wörld ✓ 😀';
      ws.send(unicode);
      m = await next();
      check('utf-8 text echo', !m.isBinary && m.data.toString('utf8') === unicode, m.data.toString());

      ws.send('');
      m = await next();
      check('empty text echo', !m.isBinary && m.data.length === 0, `${m.data.length} bytes`);

      for (const n of [0, 125, 126, 65535, 65536, 1 << 20]) {
        const data = crypto.randomBytes(n);
        ws.send(data, { binary: true });
        m = await next();
        check(`binary ${n} bytes`, m.isBinary && Buffer.compare(m.data, data) === 0,
              `got ${m.isBinary ? 'binary' : 'text'} of ${m.data.length} bytes`);
      }

      // One message in three frames: FIN=0, FIN=0, FIN=1. The server echoes it as one message.
      ws.send('frag-1 ', { fin: false });
      ws.send('frag-2 ', { fin: false });
      ws.send('frag-3', { fin: true });
      m = await next();
      check('fragmented message reassembled', !m.isBinary && m.data.toString() === 'frag-1 frag-2 frag-3',
            m.data.toString());

      ws.ping(Buffer.from('ping-payload'));
      m = await next();
      check('pong carries the ping payload', m.kind === 'pong' && m.data.toString() === 'ping-payload',
            JSON.stringify(m));

      // A burst: the server batches its writes; every echo must still come back, in order.
      const burst = 2000;
      for (let i = 0; i < burst; i++) ws.send(`burst ${i}`);
      let inOrder = true;
      for (let i = 0; i < burst; i++) {
        m = await next();
        if (m.data.toString() !== `burst ${i}`) { inOrder = false; break; }
      }
      check(`${burst} messages echoed in order`, inOrder, `mismatch at ${m.data.toString()}`);

      ws.once('close', (code, reason) => {
        check('close handshake echoes the code', code === 1000, `close code ${code} ${reason}`);
        finish();
      });
      ws.close(1000, 'bye');
    } catch (e) {
      check('exchange', false, e.message);
      finish();
    }
  });
}

let done = false;
function finish() {
  if (done) return;
  done = true;
  console.log(`RESULT ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}
setTimeout(() => { check('whole run', false, 'took more than 20 s'); finish(); }, 20000);
run();
