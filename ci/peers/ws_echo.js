// Echo server on npm `ws`, configured exactly as the Autobahn reference run
// (shared/reference/autobahn-results/README.md, agent `node-ws`).
// Usage: node ws_echo.js PORT [--tls CERT KEY]   (0 = ephemeral). Prints `LISTENING <port>`
// once listening. With --tls it serves wss:// through node's `https.createServer` with the
// PEM certificate chain CERT and private key KEY.
'use strict';

const fs = require('fs');
const https = require('https');
const { WebSocketServer } = require('ws');

function usage(problem) {
  process.stderr.write(`ws_echo.js: ${problem}\nusage: node ws_echo.js PORT [--tls CERT KEY]\n`);
  process.exit(2);
}

const args = process.argv.slice(2);
let tls = null;
const positional = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--tls') {
    if (i + 2 >= args.length) usage('--tls needs CERT and KEY');
    tls = { cert: args[i + 1], key: args[i + 2] };
    i += 2;
  } else if (args[i].startsWith('--')) {
    usage(`unknown option ${args[i]}`);
  } else {
    positional.push(args[i]);
  }
}
if (positional.length > 1) usage('too many arguments');

const port = Number.parseInt(positional[0] || '0', 10);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  usage(`bad port ${JSON.stringify(positional[0])}`);
}

const options = {
  perMessageDeflate: true,
  maxPayload: 64 * 1024 * 1024,
};

let wss;
let listening;
if (tls) {
  let server;
  try {
    server = https.createServer({
      cert: fs.readFileSync(tls.cert),
      key: fs.readFileSync(tls.key),
    });
  } catch (err) {
    process.stderr.write(`ws_echo.js: ${err.message}\n`);
    process.exit(2);
  }
  // TLS failures of single connections (e.g. a client that refuses the certificate) are
  // the client's business; the server goes on.
  server.on('tlsClientError', () => {});
  server.on('error', (err) => {
    process.stderr.write(`ws_echo.js: ${err.message}\n`);
    process.exit(1);
  });
  wss = new WebSocketServer({ server, ...options });
  server.listen(port, '127.0.0.1');
  listening = server;
} else {
  wss = new WebSocketServer({ host: '127.0.0.1', port, ...options });
  listening = wss;
}

wss.on('connection', (ws) => {
  ws.on('error', () => {});
  ws.on('message', (data, isBinary) => {
    ws.send(data, { binary: isBinary });
  });
});

wss.on('error', (err) => {
  process.stderr.write(`ws_echo.js: ${err.message}\n`);
  process.exit(1);
});

listening.on('listening', () => {
  process.stdout.write(`LISTENING ${listening.address().port}\n`);
});
