// Headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core) opens
// browser_echo.html, which talks WebSocket to lab 04's server. Prints the page's checks, one
// line each ("ok NAME" or "FAIL NAME: why"), and "RESULT n passed, m failed".
//
//   node browser_echo.js PEERS_DIR ws://127.0.0.1:PORT/ [PUSHES]
'use strict';
const path = require('path');
const { pathToFileURL } = require('url');

const [peersDir, wsUrl, pushes = '0'] = process.argv.slice(2);
const { chromium } = require(path.join(path.resolve(peersDir), 'node_modules', 'playwright-core'));

(async () => {
  // --no-sandbox: the tests run as root, where Chromium's sandbox refuses to start.
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  let failed = 1;
  try {
    const page = await browser.newPage();
    page.on('console', (m) => console.log(`page console: ${m.text()}`));
    const file = pathToFileURL(path.join(__dirname, 'browser_echo.html')).href;
    await page.goto(`${file}?url=${encodeURIComponent(wsUrl)}&pushes=${pushes}`);
    await page.waitForFunction(() => window.result !== null, null, { timeout: 25000 });
    const result = await page.evaluate(() => window.result);
    let passed = 0;
    failed = 0;
    for (const c of result.checks) {
      if (c.ok) { passed++; console.log(`ok ${c.name}`); } else { failed++; console.log(`FAIL ${c.name}: ${c.why}`); }
    }
    console.log(`browser: ${await browser.version()}, pushes seen ${result.pushes}`);
    console.log(`RESULT ${passed} passed, ${failed} failed`);
  } catch (e) {
    console.log(`FAIL browser: ${e.message}`);
  } finally {
    await browser.close();
  }
  process.exit(failed ? 1 : 0);
})();
