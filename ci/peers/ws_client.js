// Autobahn fuzzingserver client driver on npm `ws` (the convention libraries keep for
// `wstest -m fuzzingserver`): /getCaseCount, then /runCase?case=N&agent=A for every case
// (echoing each message with its type until the server closes), then /updateReports.
// Usage: node ws_client.js BASE_WS_URL AGENT [VERSION] [--deflate] [--ca FILE]
//   e.g. node ws_client.js ws://127.0.0.1:9001 node-ws
//        node ws_client.js wss://127.0.0.1:9001 node-ws --ca wsspec-selfsigned.pem
// VERSION picks the protocol version (8 = hybi-10, 13 = RFC 6455, the default).
// --deflate offers permessage-deflate (`perMessageDeflate: true`, ws's default offer
// `permessage-deflate; client_max_window_bits`) on the /runCase connections; without it
// nothing is offered, as before.
// --ca FILE trusts the PEM certificate(s) in FILE for a wss:// BASE_WS_URL (node's own
// roots otherwise), e.g. the one `wsspec server --tls-self-signed` writes.
// Exits 0 once updateReports has closed; 1 on a driver error; 2 on bad arguments.
'use strict';

const fs = require('fs');
const WebSocket = require('ws');

const USAGE = 'usage: node ws_client.js BASE_WS_URL AGENT [VERSION] [--deflate] [--ca FILE]\n';
const args = process.argv.slice(2);
const flags = [];
const positional = [];
let caFile = null;
let badArgs = false;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--ca') {
    if (i + 1 >= args.length) badArgs = true;
    caFile = args[++i];
  } else if (args[i].startsWith('--')) {
    flags.push(args[i]);
  } else {
    positional.push(args[i]);
  }
}
const [base, agent, version, ...extra] = positional;
if (badArgs || !base || !agent || extra.length > 0 || flags.some((f) => f !== '--deflate')) {
  process.stderr.write(USAGE);
  process.exit(2);
}
const protocolVersion = Number(version || 13);
let tlsOpts = {};
if (caFile) {
  try {
    tlsOpts = { ca: fs.readFileSync(caFile) };
  } catch (err) {
    process.stderr.write(`ws_client.js: ${err.message}\n`);
    process.exit(2);
  }
}
// Control connections (/getCaseCount, /updateReports) never offer compression.
const opts = { perMessageDeflate: false, protocolVersion, ...tlsOpts };
const caseOpts = { ...opts, perMessageDeflate: flags.includes('--deflate') };

// Opens `path`, calls `onMessage(ws, data, isBinary)` per message, resolves on close. A
// refused opening handshake rejects, unless `refusalEndsCase` (a case may test exactly that).
function connect(path, onMessage, refusalEndsCase = false, options = opts) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${base}${path}`, options);
    ws.on('message', (data, isBinary) => onMessage(ws, data, isBinary));
    // Errors (bad frames or handshakes from the fuzzing server) end in `close`.
    ws.on('error', () => {});
    ws.on('close', () => resolve());
    ws.on('unexpected-response', (req, res) => {
      req.destroy();
      res.resume();
      if (refusalEndsCase) resolve();
      else reject(new Error(`${path}: HTTP ${res.statusCode}`));
    });
  });
}

async function main() {
  let count = NaN;
  await connect('/getCaseCount', (_ws, data) => {
    count = Number.parseInt(data.toString(), 10);
  });
  if (!Number.isInteger(count)) throw new Error('getCaseCount gave no number');
  const a = encodeURIComponent(agent);
  for (let i = 1; i <= count; i++) {
    await connect(`/runCase?case=${i}&agent=${a}`, (ws, data, isBinary) => {
      ws.send(data, { binary: isBinary });
    }, true, caseOpts);
  }
  await connect(`/updateReports?agent=${a}`, () => {});
  process.stdout.write(`ws_client.js: ran ${count} cases as ${agent}\n`);
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`ws_client.js: ${err.message}\n`);
    process.exit(1);
  },
);
