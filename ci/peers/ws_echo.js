// Echo server on npm `ws`, configured exactly as the Autobahn reference run
// (shared/reference/autobahn-results/README.md, agent `node-ws`).
// Usage: node ws_echo.js PORT   (0 = ephemeral). Prints `LISTENING <port>` once listening.
'use strict';

const { WebSocketServer } = require('ws');

const port = Number.parseInt(process.argv[2] || '0', 10);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`ws_echo.js: bad port ${JSON.stringify(process.argv[2])}\n`);
  process.exit(2);
}

const wss = new WebSocketServer({
  host: '127.0.0.1',
  port,
  perMessageDeflate: true,
  maxPayload: 64 * 1024 * 1024,
});

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

wss.on('listening', () => {
  process.stdout.write(`LISTENING ${wss.address().port}\n`);
});
