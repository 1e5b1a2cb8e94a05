// Lab 07's clients: N official socket.io-client clients that record every "tick" they get.
// On "done" each answers with its report: what it received, lost (never got), got twice, or
// got out of order.
//   node clients.js PEERS_NODE_MODULES PORT N verbose|quiet
const path = require('path');
const { io } = require(path.join(path.resolve(process.argv[2]), 'socket.io-client'));
const port = process.argv[3];
const n = Number(process.argv[4]);
const verbose = process.argv[5] === 'verbose';
const url = `http://127.0.0.1:${port}`;
// A mix of the ways in: WebSocket only, polling only, and the default (polling, then upgrade).
const kinds = [['websocket'], ['polling'], undefined, ['websocket']];

let done = 0;
for (let i = 0; i < n; i++) {
  const name = `c${String(i).padStart(2, '0')}`;
  const socket = io(url, {
    transports: kinds[i % kinds.length],
    auth: { client: name },
    reconnectionDelay: 100, reconnectionDelayMax: 400,
  });
  const seen = new Set();
  let last = 0, duplicates = 0, reorders = 0, recovered = 0;
  socket.on('connect', () => { if (socket.recovered) recovered++; });
  socket.on('disconnect', (reason) => { if (verbose) console.log(`         ${name}     lost the connection: ${reason}`); });
  socket.on('tick', (seq, ...rest) => {
    const ack = typeof rest[rest.length - 1] === 'function' ? rest.pop() : null;
    if (seen.has(seq)) duplicates++;                 // at-least-once: drop the copy
    else { if (seq < last) reorders++; seen.add(seq); last = Math.max(last, seq); }
    if (ack) ack();
  });
  socket.on('done', (total, reply) => {
    const lost = [];
    for (let s = 1; s <= total; s++) if (!seen.has(s)) lost.push(s);
    if (verbose) console.log(`         ${name}     got ${seen.size} of ${total} ticks${lost.length ? `; never got ${ranges(lost)}` : ''}${duplicates ? `; dropped ${duplicates} duplicates` : ''}`);
    reply({ received: seen.size, lost: lost.length, duplicates, reorders, recovered });
    socket.disconnect();
    if (++done === n) setTimeout(() => process.exit(0), 50);
  });
}
setTimeout(() => { console.log('clients: gave up after 120 s'); process.exit(1); }, 120000);

// [5,6,7,9] -> "5-7, 9": which ticks, said briefly.
function ranges(list) {
  const out = [];
  for (let i = 0; i < list.length;) {
    let j = i;
    while (j + 1 < list.length && list[j + 1] === list[j] + 1) j++;
    out.push(i === j ? `${list[i]}` : `${list[i]}-${list[j]}`);
    i = j + 1;
  }
  return out.join(', ');
}
