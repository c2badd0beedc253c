// Echo server on npm `faye-websocket` 0.11.4 (driver: `websocket-driver` 0.8.0) speaking
// hixie-75, hixie-76 and RFC 6455 (version 13). No permessage-deflate unless `--deflate`.
// Usage: node faye_echo.js PORT [--deflate]   (0 = ephemeral). Prints `LISTENING <port>` once
// listening. `--deflate` adds npm `permessage-deflate` 0.1.7 with its defaults
// (faye's `extensions: [deflate]`) to RFC 6455 connections.
//
// faye-websocket 0.11 creates its driver with `driver.http(request, {maxLength, protocols})`
// and never passes `allowDrafts`, so without help every request goes to the hybi driver and
// the hixie drafts are refused. The wrapper below forces `allowDrafts: true`; it is installed
// before faye-websocket is loaded (faye looks `driver.http` up at call time either way).
//
// Observed on 127.0.0.1 with node v20.20.2 (raw sockets, exact bytes; 2026-11-29):
// - Without the wrapper, hixie-75 and hixie-76 requests both get `HTTP/1.1 400 Bad Request`
//   with body `Unsupported WebSocket version: undefined`.
// - hixie-76, the draft's example (Key1 `4 @1  46546xW%0l 1 5`, Key2 `12998 5 Y3 1  .P00`,
//   `Sec-WebSocket-Protocol: sample`, key3 `^n:ds[4U` sent separately after the head):
//     HTTP/1.1 101 WebSocket Protocol Handshake      <- "WebSocket", no space (hixie-75's line
//     Upgrade: WebSocket                                has "Web Socket")
//     Connection: Upgrade
//     Sec-WebSocket-Origin: http://example.com
//     Sec-WebSocket-Location: ws://example.com/demo
//     <blank line>; no Sec-WebSocket-Protocol (no protocols configured), no Content-Length.
//   The head comes before key3 arrives (the HAProxy rule); once key3 is sent the 16 octets
//   `8jKS'y:G*Co,Wxa-` follow. `00 'Hello' FF` is echoed as `00 'Hello' FF`; `FF 00` is
//   answered with `FF 00` and then the TCP connection is closed.
//   Key1 with zero spaces (`4@146546xW%0l15`) or a key number not divisible by its spaces
//   (`4 @1  46546xW%0l 1 6`): `HTTP/1.1 400 Bad Request`, `Content-Type: text/plain`,
//   `Content-Length: 45`, body `Client sent invalid Sec-WebSocket-Key headers`, then close.
// - hixie-75 (Upgrade: WebSocket, Connection: Upgrade, Host, Origin, no keys):
//     HTTP/1.1 101 Web Socket Protocol Handshake      <- exactly the draft's status line
//     Upgrade: WebSocket
//     Connection: Upgrade
//     WebSocket-Origin: http://example.com
//     WebSocket-Location: ws://example.com/demo
//   and `00 'Hello' FF` is echoed as `00 'Hello' FF`.
// - version 13 (the RFC's key `dGhlIHNhbXBsZSBub25jZQ==`): `HTTP/1.1 101 Switching Protocols`,
//   `Upgrade: websocket`, `Connection: Upgrade`, `Sec-WebSocket-Accept:
//   s3pPLMBiTxaQ9kYGzzhZRbK+xOo=`. Masked text `Hello` is echoed as `81 05 'Hello'`, masked
//   binary `01 02 03` as `82 03 01 02 03`. An unmasked client frame gets close code 1003
//   (`88 31 03 eb` + `Received unmasked frame but masking is required`), not 1002, then EOF.
// - versions 8 and 7 (with Sec-WebSocket-Origin): refused with `HTTP/1.1 400 Bad Request`,
//   `Content-Type: text/plain`, `Content-Length: 32`, body `Unsupported WebSocket version: 8`
//   (resp. 7), no `Sec-WebSocket-Version` header, then close.
// - A plain HTTP GET gets this script's own `426 Upgrade Required`.
// - Without `--deflate`, an offer of `permessage-deflate` is ignored: 101 without
//   `Sec-WebSocket-Extensions`.
//
// With `--deflate` (same machine and day; version 13, answers to the offer alone, raw socket):
// - `permessage-deflate; client_no_context_takeover; client_max_window_bits` (Autobahn's
//   default offer): `Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover`
//   (as npm `ws` answers). Masked `c1 87 …` carrying `f2 48 cd c9 c9 07 00` (RSV1, `Hello`
//   deflated, tail removed) is echoed compressed: `c1 07 f2 48 cd c9 c9 07 00`.
// - `permessage-deflate` alone: `permessage-deflate`, no parameters.
// - `permessage-deflate; server_max_window_bits=8`: `permessage-deflate;
//   server_max_window_bits=8`, and `Hello` still comes back as `c1 07 f2 48 cd c9 c9 07 00`.
// - `permessage-deflate; client_max_window_bits=8`: `permessage-deflate;
//   client_max_window_bits=8`.
// - Invalid offers are declined, never refused (npm `ws` answers 400 to each): for
//   `server_max_window_bits=7`, a parameter given twice (`client_no_context_takeover;
//   client_no_context_takeover`, `server_max_window_bits=10; server_max_window_bits=10`),
//   an unknown one (`x_foo`) and `server_no_context_takeover=1`, the 101 has no
//   `Sec-WebSocket-Extensions`, so the connection runs uncompressed. With a valid offer after
//   the invalid one (`permessage-deflate; server_max_window_bits=7, permessage-deflate`) it
//   takes the valid one: `permessage-deflate`.
// - `x-webkit-deflate-frame, permessage-deflate`: `permessage-deflate` (the unknown
//   extension is skipped).
'use strict';

const http = require('http');
const driver = require('websocket-driver');

const originalHttp = driver.http;
driver.http = function (request, options) {
  return originalHttp.call(this, request, Object.assign({}, options, { allowDrafts: true }));
};

const WebSocket = require('faye-websocket');

const args = process.argv.slice(2);
const flags = args.filter((a) => a.startsWith('--'));
const positional = args.filter((a) => !a.startsWith('--'));
const unknown = flags.filter((f) => f !== '--deflate');
if (unknown.length > 0 || positional.length > 1) {
  process.stderr.write('usage: node faye_echo.js PORT [--deflate]\n');
  process.exit(2);
}
const port = Number.parseInt(positional[0] || '0', 10);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`faye_echo.js: bad port ${JSON.stringify(positional[0])}\n`);
  process.exit(2);
}
const options = { maxLength: 64 * 1024 * 1024 };
if (flags.includes('--deflate')) {
  options.extensions = [require('permessage-deflate')];
}

const server = http.createServer((req, res) => {
  res.writeHead(426, { 'Content-Type': 'text/plain', Connection: 'close' });
  res.end('WebSocket echo server\n');
});

server.on('upgrade', (request, socket, body) => {
  socket.on('error', () => {});
  if (!WebSocket.isWebSocket(request)) {
    socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    return;
  }
  const ws = new WebSocket(request, socket, body, [], options);
  ws.on('error', () => {});
  ws.on('message', (event) => {
    // Text arrives as a string, binary as a Buffer; send() keeps the type.
    ws.send(event.data);
  });
});

server.on('clientError', (err, socket) => {
  socket.destroy();
});

server.on('error', (err) => {
  process.stderr.write(`faye_echo.js: ${err.message}\n`);
  process.exit(1);
});

server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`LISTENING ${server.address().port}\n`);
});
