// Echo server on npm `faye-websocket` 0.11.4 (driver: `websocket-driver` 0.8.0) speaking
// hixie-75, hixie-76 and RFC 6455 (version 13). No permessage-deflate.
// Usage: node faye_echo.js PORT   (0 = ephemeral). Prints `LISTENING <port>` once listening.
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
'use strict';

const http = require('http');
const driver = require('websocket-driver');

const originalHttp = driver.http;
driver.http = function (request, options) {
  return originalHttp.call(this, request, Object.assign({}, options, { allowDrafts: true }));
};

const WebSocket = require('faye-websocket');

const port = Number.parseInt(process.argv[2] || '0', 10);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`faye_echo.js: bad port ${JSON.stringify(process.argv[2])}\n`);
  process.exit(2);
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
  const ws = new WebSocket(request, socket, body, [], { maxLength: 64 * 1024 * 1024 });
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
