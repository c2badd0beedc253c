// Runs wsspec's server-mode browser page in headless Debian Chromium via playwright-core.
// Usage: node chromium_run.js PAGE_URL AGENT TIMEOUT_MS
//   e.g. node chromium_run.js http://127.0.0.1:9001/ chromium 600000
// Opens PAGE_URL?agent=AGENT with a fresh profile, waits (bounded) for `#done`, prints the
// page's final text and exits 0; exits 1 on timeout or a browser error (printing the page
// text as it was).
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { launchChromium } = require('./chromium_launch');

const [pageUrl, agent, timeoutArg] = process.argv.slice(2);
const timeout = Number.parseInt(timeoutArg || '', 10);
if (!pageUrl || !agent || !Number.isInteger(timeout) || timeout <= 0) {
  process.stderr.write('usage: node chromium_run.js PAGE_URL AGENT TIMEOUT_MS\n');
  process.exit(2);
}

async function main() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'wsspec-chromium-'));
  let context;
  let code = 1;
  try {
    context = await launchChromium(profile, { timeout: 60000, extraArgs: ['--disable-quic'] });
    const page = context.pages()[0] || (await context.newPage());
    page.on('console', (msg) => process.stderr.write(`console.${msg.type()}: ${msg.text()}\n`));
    page.on('pageerror', (err) => process.stderr.write(`pageerror: ${err.message}\n`));
    const url = new URL(pageUrl);
    url.searchParams.set('agent', agent);
    await page.goto(url.toString(), { timeout: 60000 });
    try {
      await page.waitForSelector('#done', { state: 'attached', timeout });
      code = 0;
    } catch (err) {
      process.stderr.write(`chromium_run.js: #done did not appear within ${timeout} ms\n`);
    }
    process.stdout.write(`${await page.evaluate(() => document.body.innerText)}\n`);
  } catch (err) {
    process.stderr.write(`chromium_run.js: ${err.message}\n`);
  } finally {
    if (context) await context.close().catch(() => {});
    fs.rmSync(profile, { recursive: true, force: true });
  }
  return code;
}

main().then((code) => process.exit(code));
