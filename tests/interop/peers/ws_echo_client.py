"""python-websockets' client as an echo peer, for
tests/interop/python_websockets_test.ts.

Usage: ws_echo_client.py URL [--subprotocols a,b] [--origin ORIGIN] [--ca PEM]
Connects to URL (offering the subprotocols and, as websockets does by
default, permessage-deflate; for wss:, trusting only the CA given), prints {"event":"connected",...}, the reports of
_ws_echo.py, and {"event":"disconnected",...}, then exits."""

import argparse
import asyncio
import ssl
from urllib.parse import urlsplit

import websockets

import _ws_echo

parser = argparse.ArgumentParser()
parser.add_argument("url")
parser.add_argument("--subprotocols", default="")
parser.add_argument("--origin", default=None)
parser.add_argument("--ca", default="")
args = parser.parse_args()


async def main():
    context = ssl.create_default_context(cafile=args.ca) if args.ca else None
    async with websockets.connect(
        args.url,
        subprotocols=args.subprotocols.split(",") if args.subprotocols else None,
        origin=args.origin,
        max_size=_ws_echo.MAX_SIZE,
        ping_interval=None,
        ssl=context,
    ) as ws:
        parts = urlsplit(args.url)
        path = parts.path + ("?" + parts.query if parts.query else "")
        # A client's request_headers are the ones it sent.
        info = _ws_echo.describe(ws, path)
        info["acceptedExtensions"] = ws.response_headers.get("Sec-WebSocket-Extensions", "")
        _ws_echo.emit("connected", **info)
        await _ws_echo.echo(ws)


asyncio.run(asyncio.wait_for(main(), 600))
