// Autobahn fuzzingserver client driver on npm `ws` (the convention libraries keep for
// `wstest -m fuzzingserver`): /getCaseCount, then /runCase?case=N&agent=A for every case
// (echoing each message with its type until the server closes), then /updateReports.
// Usage: node ws_client.js BASE_WS_URL AGENT [VERSION]   e.g. node ws_client.js ws://127.0.0.1:9001 node-ws
// Exits 0 once updateReports has closed; 1 on a driver error.
'use strict';

const WebSocket = require('ws');

const [base, agent, version] = process.argv.slice(2);
if (!base || !agent) {
  process.stderr.write('usage: node ws_client.js BASE_WS_URL AGENT\n');
  process.exit(2);
}
// An optional third argument picks the protocol version (8 = hybi-10, 13 = RFC 6455).
const opts = { perMessageDeflate: false, protocolVersion: Number(version || 13) };

// Opens `path`, calls `onMessage(ws, data, isBinary)` per message, resolves on close. A
// refused opening handshake rejects, unless `refusalEndsCase` (a case may test exactly that).
function connect(path, onMessage, refusalEndsCase = false) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${base}${path}`, opts);
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
    }, true);
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
