"""Autobahn fuzzingserver client driver on PyPI `websockets` 17.4 (the convention libraries
keep for `wstest -m fuzzingserver`): /getCaseCount, then /runCase?case=N&agent=A for every
case (echoing each message with its type until the server closes), then /updateReports.

Usage: python websockets_client.py BASE_WS_URL AGENT [--deflate] [--ca FILE]
--deflate offers permessage-deflate on the /runCase connections (websockets' default
`compression="deflate"`, whose offer is `permessage-deflate; client_max_window_bits`);
without it they offer nothing (`compression=None`), as before. /getCaseCount and
/updateReports keep websockets' defaults, so they make that offer either way.
--ca FILE trusts the PEM certificate(s) in FILE for a wss:// BASE_WS_URL (the system's
roots otherwise), e.g. the one `wsspec server --tls-self-signed` writes.
Exits 0 once updateReports has closed; 2 on bad arguments.
"""

import asyncio
import ssl
import sys
from urllib.parse import quote

from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException


USAGE = "usage: python websockets_client.py BASE_WS_URL AGENT [--deflate] [--ca FILE]"


async def main(base, agent, deflate, ca):
    # websockets wants an SSL context only for wss:// URIs.
    tls = {}
    if base.startswith("wss://"):
        tls["ssl"] = ssl.create_default_context(cafile=ca)
    async with connect(f"{base}/getCaseCount", **tls) as ws:
        count = int(await ws.recv())
    a = quote(agent, safe="")
    for case in range(1, count + 1):
        try:
            async with connect(
                f"{base}/runCase?case={case}&agent={a}",
                compression="deflate" if deflate else None,
                max_size=None,
                **tls,
            ) as ws:
                async for msg in ws:
                    await ws.send(msg)
        except (WebSocketException, OSError):
            # The fuzzing server sends bad frames on purpose: the case is over.
            pass
    async with connect(f"{base}/updateReports?agent={a}", **tls) as ws:
        async for _ in ws:
            pass
    print(f"websockets_client.py: ran {count} cases as {agent}", flush=True)


if __name__ == "__main__":
    argv = sys.argv[1:]
    ca = None
    if "--ca" in argv:
        at = argv.index("--ca")
        if at + 1 >= len(argv):
            print(USAGE, file=sys.stderr)
            sys.exit(2)
        ca = argv[at + 1]
        del argv[at : at + 2]
    flags = [a for a in argv if a.startswith("--")]
    args = [a for a in argv if not a.startswith("--")]
    if len(args) != 2 or any(f != "--deflate" for f in flags):
        print(USAGE, file=sys.stderr)
        sys.exit(2)
    asyncio.run(main(args[0], args[1], "--deflate" in flags, ca))
