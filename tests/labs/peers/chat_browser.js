// Three pages in headless Chromium chat through the lab-06 server: two on the default
// transports (polling, then WebSocket), one with WebSocket disabled (long-polling only). Each
// sends a message by typing into the page; every page must show all three.
//   node chat_browser.js PEERS_NODE_MODULES PORT
const path = require('path');
const { chromium } = require(path.join(path.resolve(process.argv[2]), 'playwright-core'));
const base = `http://127.0.0.1:${process.argv[3]}/`;

(async () => {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  let failed = false;
  try {
    const specs = [['pia', ''], ['quinn', ''], ['ravi', '&transports=polling']];
    const pages = [];
    for (const [nick, extra] of specs) {
      const page = await browser.newPage();
      page.on('pageerror', (e) => console.log(`${nick}: page error ${e.message}`));
      await page.goto(`${base}?nickname=${nick}${extra}`);
      await page.waitForFunction(() => window.chat && window.chat.socket.connected, null, { timeout: 10000 });
      pages.push({ nick, page });
    }
    // Let the default pages finish their upgrade to WebSocket.
    await pages[0].page.waitForFunction(() => window.chat.socket.io.engine.transport.name === 'websocket', null, { timeout: 10000 });
    await pages[1].page.waitForFunction(() => window.chat.socket.io.engine.transport.name === 'websocket', null, { timeout: 10000 });
    for (const { nick, page } of pages) {
      await page.fill('#input', `hello from ${nick}`);
      await page.press('#input', 'Enter');
    }
    const want = specs.map(([n]) => `${n}: hello from ${n}`).sort();
    for (const { nick, page } of pages) {
      await page.waitForFunction((n) => window.chat.received.length >= n, want.length, { timeout: 10000 });
      const got = (await page.evaluate(() => window.chat.received)).slice().sort();
      const transport = await page.evaluate(() => window.chat.socket.io.engine.transport.name);
      const shown = await page.locator('#messages li').count();
      const status = await page.textContent('#status');
      const ok = JSON.stringify(got) === JSON.stringify(want) && shown === want.length && status.startsWith(transport);
      console.log(`${ok ? 'ok' : 'not ok'} - ${nick} over ${transport}: ${got.length} messages, ${shown} shown, badge "${status}"`);
      if (!ok) { failed = true; console.log(`  got ${JSON.stringify(got)}`); }
    }
    const online = await pages[0].page.locator('#people li').allTextContents();
    const onlineOk = JSON.stringify(online.slice().sort()) === JSON.stringify(specs.map(([n]) => n).sort());
    console.log(`${onlineOk ? 'ok' : 'not ok'} - online list: ${online.join(', ')}`);
    if (!onlineOk) failed = true;
  } catch (e) {
    console.log(`not ok - ${e.message}`);
    failed = true;
  }
  await browser.close();
  process.exit(failed ? 1 : 0);
})();
