// Loads a static report page (e.g. wsspec's compare.html) in headless Debian Chromium via
// playwright-core, takes a full-page PNG screenshot and prints what the page holds as JSON.
// Usage: node screenshot.js PAGE_PATH_OR_URL PNG_OUT TIMEOUT_MS
// Prints one JSON object on stdout:
//   { errors: [...],          // pageerror messages, console errors, failed requests
//     requests: [...],        // every URL the page tried to load besides itself
//     title, serverHeaders,   // <th class="server"> count in #case_matrix
//     cells,                  // td.cell count in #case_matrix
//     rateRows, browserRows,  // body rows of #pass_rates / #browser_compatibility
//     differingRows,          // #case_matrix rows marked as disagreeing
//     visibleAfterFilter,     // case rows still shown once #only_diff is ticked
//     width, height }         // the page's scroll size
// Exits 0 when the page loaded and the screenshot was written, 1 otherwise.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { pathToFileURL } = require('url');
const { launchChromium } = require('./chromium_launch');

const [target, pngOut, timeoutArg] = process.argv.slice(2);
const timeout = Number.parseInt(timeoutArg || '', 10);
if (!target || !pngOut || !Number.isInteger(timeout) || timeout <= 0) {
  process.stderr.write('usage: node screenshot.js PAGE_PATH_OR_URL PNG_OUT TIMEOUT_MS\n');
  process.exit(2);
}
const pageUrl = /^[a-z]+:\/\//.test(target) ? target : pathToFileURL(path.resolve(target)).href;

async function main() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'wsspec-screenshot-'));
  const errors = [];
  const requests = [];
  let context;
  let code = 1;
  try {
    context = await launchChromium(profile, { timeout, viewport: { width: 1280, height: 900 } });
    const page = context.pages()[0] || (await context.newPage());
    page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(`console.error: ${msg.text()}`);
    });
    page.on('requestfailed', (req) => errors.push(`request failed: ${req.url()}`));
    page.on('request', (req) => {
      if (req.url() !== pageUrl) requests.push(req.url());
    });
    await page.goto(pageUrl, { timeout, waitUntil: 'load' });
    const facts = await page.evaluate(() => {
      const count = (sel) => document.querySelectorAll(sel).length;
      return {
        title: document.title,
        serverHeaders: count('#case_matrix thead th.server'),
        cells: count('#case_matrix td.cell'),
        rateRows: Math.max(0, count('#pass_rates tr') - 1),
        browserRows: Math.max(0, count('#browser_compatibility tr') - 1),
        width: document.documentElement.scrollWidth,
        height: document.documentElement.scrollHeight,
      };
    });
    await page.screenshot({ path: pngOut, fullPage: true, timeout });
    // The "only disagreeing cases" filter is CSS only: tick it and count the rows still shown.
    if (await page.$('#only_diff')) {
      await page.check('#only_diff', { timeout });
      facts.differingRows = await page.evaluate(
        () => document.querySelectorAll('#case_matrix tr.differs').length,
      );
      facts.visibleAfterFilter = await page.evaluate(
        () =>
          [...document.querySelectorAll('#case_matrix tbody tr:not(.case_category_row)')].filter(
            (tr) => tr.getClientRects().length > 0,
          ).length,
      );
    }
    process.stdout.write(`${JSON.stringify({ errors, requests, ...facts })}\n`);
    code = 0;
  } catch (err) {
    process.stderr.write(`screenshot.js: ${err.message}\n`);
    process.stdout.write(`${JSON.stringify({ errors, requests })}\n`);
  } finally {
    if (context) await context.close().catch(() => {});
    fs.rmSync(profile, { recursive: true, force: true });
  }
  return code;
}

main().then((code) => process.exit(code));
