"""python-websockets' client with a chosen permessage-deflate offer, as an
echo peer for tests/deflate/python_websockets_deflate_test.ts.

Usage: ws_deflate_client.py URL [--subprotocols a,b] [--origin ORIGIN] [deflate settings]
Like tests/interop/peers/ws_echo_client.py, and its "connected" report adds
"deflate" (what it agreed)."""

import argparse
import asyncio
from urllib.parse import urlsplit

import websockets
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory

import _deflate_args
import _ws_echo

parser = argparse.ArgumentParser()
parser.add_argument("url")
parser.add_argument("--subprotocols", default="")
parser.add_argument("--origin", default=None)
_deflate_args.add_arguments(parser)
args = parser.parse_args()


async def main():
    factory = ClientPerMessageDeflateFactory(**_deflate_args.factory_arguments(args, True))
    async with websockets.connect(
        args.url,
        subprotocols=args.subprotocols.split(",") if args.subprotocols else None,
        origin=args.origin,
        max_size=_ws_echo.MAX_SIZE,
        ping_interval=None,
        compression=None,
        extensions=[factory],
    ) as ws:
        parts = urlsplit(args.url)
        path = parts.path + ("?" + parts.query if parts.query else "")
        info = _ws_echo.describe(ws, path)
        info["acceptedExtensions"] = ws.response_headers.get("Sec-WebSocket-Extensions", "")
        info["deflate"] = _deflate_args.agreed(ws)
        _ws_echo.emit("connected", **info)
        await _ws_echo.echo(ws)


asyncio.run(asyncio.wait_for(main(), 600))
