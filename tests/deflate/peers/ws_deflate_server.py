"""python-websockets' server with permessage-deflate settings, as an echo
peer for tests/deflate/python_websockets_deflate_test.ts.

Usage: ws_deflate_server.py [--subprotocols a,b] [deflate settings, see _deflate_args.py]
Like tests/interop/peers/ws_echo_server.py, and its "connected" report adds
"acceptedExtensions" (its response) and "deflate" (what it agreed)."""

import argparse
import asyncio

import websockets
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory

import _deflate_args
import _ws_echo

parser = argparse.ArgumentParser()
parser.add_argument("--subprotocols", default="")
_deflate_args.add_arguments(parser)
args = parser.parse_args()


async def handler(ws, path):
    info = _ws_echo.describe(ws, path)
    info["acceptedExtensions"] = ws.response_headers.get("Sec-WebSocket-Extensions", "")
    info["deflate"] = _deflate_args.agreed(ws)
    _ws_echo.emit("connected", **info)
    await _ws_echo.echo(ws)


async def main():
    factory = ServerPerMessageDeflateFactory(**_deflate_args.factory_arguments(args, False))
    async with websockets.serve(
        handler,
        "127.0.0.1",
        0,
        subprotocols=args.subprotocols.split(",") if args.subprotocols else None,
        max_size=_ws_echo.MAX_SIZE,
        ping_interval=None,
        compression=None,
        extensions=[factory],
    ) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        _ws_echo.emit("listening", port=port, scheme="ws", version=websockets.__version__)
        await asyncio.sleep(600)


asyncio.run(main())
