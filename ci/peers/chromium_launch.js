// The headless Chromium launch shared by screenshot.js and chromium_run.js: Debian's
// /usr/bin/chromium driven by playwright-core (which brings no browser of its own), with the
// flags a CI container needs.
'use strict';

const { chromium } = require('playwright-core');

const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// Launches Chromium with a persistent context in the (fresh) profile directory `profile`.
// `timeout` (ms) bounds the launch; `extraArgs` are added to the common flags; any other
// option (e.g. `viewport`) goes to launchPersistentContext as it is.
function launchChromium(profile, { timeout, extraArgs = [], ...options }) {
  return chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    timeout,
    ...options,
    args: [...ARGS, ...extraArgs],
  });
}

module.exports = { launchChromium };
