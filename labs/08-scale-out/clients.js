// Lab 08's clients: official socket.io-client clients on two chat nodes that share broadcasts
// through Redis. Three parts: across nodes; a client moved from node A to node B mid-stream
// (through the demo's load balancer); Redis restarted while messages flow.
//   node clients.js PEERS_NODE_MODULES PORT_A PORT_B PORT_BALANCER PORT_CONTROL
const path = require('path');
const net = require('net');
const { io } = require(path.join(path.resolve(process.argv[2]), 'socket.io-client'));
const [portA, portB, portLB, portControl] = process.argv.slice(3).map(Number);
const url = (port) => `http://127.0.0.1:${port}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const say = (who, text) => console.log(`         ${who.padEnd(7)} ${text}`);
let failures = 0;
function check(ok, name) {
  console.log(`${ok ? 'ok' : 'not ok'} - ${name}`);
  if (!ok) failures++;
}

// The control line to the demo: "move" and "restart-redis", each answered with "done".
const control = net.connect(portControl, '127.0.0.1');
control.setEncoding('utf8');
function command(cmd) {
  return new Promise((resolve) => { control.once('data', () => resolve()); control.write(cmd + '\n'); });
}

function connect(name, port, opts = {}) {
  const socket = io(url(port), { auth: { nickname: name }, reconnectionDelay: 100, reconnectionDelayMax: 300, ...opts });
  const c = { name, socket, got: [] };
  socket.on('chat message', (msg) => c.got.push(msg));
  return new Promise((resolve) => socket.once('connect', () => resolve(c)));
}

// Emits and waits for the server's ack; retries when the message was not sent on (Redis down)
// or the ack does not come. At-least-once, so receivers may see a copy.
async function send(sender, text) {
  for (let attempt = 1; ; attempt++) {
    try {
      const reply = await sender.socket.timeout(1000).emitWithAck('chat message', text);
      if (reply === 'delivered') return attempt;
      say(sender.name, `"${text}": ${reply}; trying again`);
    } catch (e) {
      say(sender.name, `"${text}": no ack (${e.message}); trying again`);
    }
    await sleep(200);
  }
}

const only = (list, prefix) => list.filter((m) => m.startsWith(prefix));

(async () => {
  // 1. Across nodes.
  const alice = await connect('alice', portA, { transports: ['websocket'] });
  const bob = await connect('bob', portB, { transports: ['polling'] });
  say('alice', `connected to node A (${alice.socket.io.engine.transport.name})`);
  say('bob', `connected to node B (${bob.socket.io.engine.transport.name})`);
  await send(alice, 'x: alice on A says hi');
  await send(bob, 'x: bob on B says hi');
  await sleep(200);
  for (const c of [alice, bob]) {
    check(JSON.stringify(only(c.got, 'x:')) === JSON.stringify(['x: alice on A says hi', 'x: bob on B says hi']),
      `${c.name} got both messages, from both nodes, once each`);
  }

  // 2. A client moved from A to B mid-stream.
  const mover = await connect('mover', portLB, { transports: ['websocket'] });
  const firstId = mover.socket.id;
  say('mover', `connected through the balancer (to node A), socket ${firstId}`);
  let recovered = null;
  mover.socket.on('connect', () => {
    recovered = mover.socket.recovered;
    say('mover', `reconnected through the balancer (to node B), socket ${mover.socket.id}, recovered: ${mover.socket.recovered}`);
  });
  const n = 60;
  for (let i = 1; i <= n; i++) {
    if (i === 20) {
      say('demo', 'moving the mover to node B: the balancer cuts its connection');
      await command('move');
    }
    await send(bob, `m: ${i}`);
    await sleep(10);
  }
  for (let t = 0; t < 100 && only(mover.got, 'm:').length < n; t++) await sleep(50);
  const want = Array.from({ length: n }, (_, i) => `m: ${i + 1}`);
  check(recovered === true, 'the mover came back with socket.recovered === true');
  check(mover.socket.id === firstId, 'the mover kept its socket id on the other node');
  check(JSON.stringify(only(mover.got, 'm:')) === JSON.stringify(want), `the mover got all ${n} messages once each, in order (got ${only(mover.got, 'm:').length})`);

  // 3. Redis restarts while messages flow.
  const restart = (async () => { await sleep(150); say('demo', 'restarting Redis'); await command('restart-redis'); })();
  let retries = 0;
  for (let i = 1; i <= 20; i++) {
    retries += (await send(alice, `r: ${i}`)) - 1;
    await sleep(30);
  }
  await restart;
  await sleep(500);
  const wantR = Array.from({ length: 20 }, (_, i) => `r: ${i + 1}`);
  for (const c of [alice, bob, mover]) {
    const got = only(c.got, 'r:');
    const unique = [...new Set(got)];
    check(wantR.every((m) => unique.includes(m)), `${c.name} got every message sent across the Redis restart (${unique.length} of 20, ${got.length - unique.length} copies dropped)`);
  }
  say('demo', `the sender retried ${retries} times while Redis was away`);
  for (const c of [alice, bob, mover]) c.socket.disconnect();
  control.end();
  console.log(failures ? `FAILED: ${failures}` : 'PASSED');
  setTimeout(() => process.exit(failures ? 1 : 0), 100);
})();
setTimeout(() => { console.log('not ok - gave up after 60 s'); process.exit(1); }, 60000);
