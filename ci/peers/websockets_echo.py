"""Echo server on PyPI `websockets`, configured exactly as the Autobahn reference run
(shared/reference/autobahn-results/README.md, agent `py-websockets`).

Usage: python websockets_echo.py PORT [--tls CERT KEY]   (0 = ephemeral). Prints
`LISTENING <port>` once listening. With --tls it serves wss:// with the PEM certificate
chain CERT and private key KEY.
"""

import asyncio
import ssl
import sys

from websockets.asyncio.server import serve

USAGE = "usage: python websockets_echo.py PORT [--tls CERT KEY]"


async def echo(ws):
    async for msg in ws:
        await ws.send(msg)


async def main(port, tls):
    context = None
    if tls is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*tls)
    async with serve(
        echo, "127.0.0.1", port, max_size=2**25, compression="deflate", ssl=context
    ) as server:
        actual = server.sockets[0].getsockname()[1]
        print(f"LISTENING {actual}", flush=True)
        await server.serve_forever()


def parse(argv):
    tls = None
    positional = []
    i = 0
    while i < len(argv):
        if argv[i] == "--tls":
            if i + 2 >= len(argv):
                raise ValueError("--tls needs CERT and KEY")
            tls = (argv[i + 1], argv[i + 2])
            i += 3
            continue
        if argv[i].startswith("--"):
            raise ValueError(f"unknown option {argv[i]}")
        positional.append(argv[i])
        i += 1
    if len(positional) > 1:
        raise ValueError("too many arguments")
    try:
        port = int(positional[0]) if positional else 0
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise ValueError(f"bad port {positional[0]!r}")
    return port, tls


if __name__ == "__main__":
    try:
        port, tls = parse(sys.argv[1:])
    except ValueError as e:
        print(f"websockets_echo.py: {e}\n{USAGE}", file=sys.stderr)
        sys.exit(2)
    try:
        asyncio.run(main(port, tls))
    except KeyboardInterrupt:
        pass
    except (OSError, ssl.SSLError) as e:
        print(f"websockets_echo.py: {e}", file=sys.stderr)
        sys.exit(1)
