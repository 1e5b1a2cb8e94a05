// Many npm `ws` clients at once against lab 04's echo server: CONNECTIONS clients open
// together, each sends MESSAGES numbered messages without waiting, and checks that every
// echo comes back, in order, on its own connection. Prints
// "RESULT n connections, m echoes, k wrong" and exits 1 if anything went wrong.
//
//   node ws_many.js PEERS_DIR ws://127.0.0.1:PORT/ CONNECTIONS MESSAGES
'use strict';
const path = require('path');

const [peersDir, url, connections = '100', messages = '20'] = process.argv.slice(2);
const WebSocket = require(path.join(path.resolve(peersDir), 'node_modules', 'ws'));
const nConn = Number(connections), nMsg = Number(messages);

let echoes = 0, wrong = 0, closed = 0;
const started = Date.now();
function report() {
  console.log(`RESULT ${nConn} connections, ${echoes} echoes, ${wrong} wrong (${Date.now() - started} ms)`);
  process.exit(wrong || echoes !== nConn * nMsg ? 1 : 0);
}
setTimeout(() => { console.log('timed out'); report(); }, 30000);

for (let c = 0; c < nConn; c++) {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  let expect = 0;
  ws.on('open', () => { for (let i = 0; i < nMsg; i++) ws.send(`conn ${c} message ${i}`); });
  ws.on('message', (data) => {
    if (data.toString() !== `conn ${c} message ${expect}`) { wrong++; console.log(`conn ${c}: got ${data}`); }
    expect++;
    echoes++;
    if (expect === nMsg) ws.close(1000);
  });
  ws.on('error', (e) => { wrong++; console.log(`conn ${c}: ${e.message}`); });
  ws.on('close', () => { if (++closed === nConn) report(); });
}
