"""Echo server on PyPI `websockets`, configured exactly as the Autobahn reference run
(shared/reference/autobahn-results/README.md, agent `py-websockets`).

Usage: python websockets_echo.py PORT   (0 = ephemeral). Prints `LISTENING <port>` once listening.
"""

import asyncio
import sys

from websockets.asyncio.server import serve


async def echo(ws):
    async for msg in ws:
        await ws.send(msg)


async def main(port):
    async with serve(echo, "127.0.0.1", port, max_size=2**25, compression="deflate") as server:
        actual = server.sockets[0].getsockname()[1]
        print(f"LISTENING {actual}", flush=True)
        await server.serve_forever()


if __name__ == "__main__":
    try:
        port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
        if not 0 <= port <= 65535:
            raise ValueError
    except ValueError:
        print(f"websockets_echo.py: bad port {sys.argv[1]!r}", file=sys.stderr)
        sys.exit(2)
    try:
        asyncio.run(main(port))
    except KeyboardInterrupt:
        pass
