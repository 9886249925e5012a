"""python-websockets' server as an echo peer, for
tests/interop/python_websockets_test.ts.

Usage: ws_echo_server.py [--subprotocols a,b] [--cert PEM --key PEM]
Listens on 127.0.0.1, port chosen by the system (wss: with the certificate
and key given); prints
{"event":"listening","port":N,"scheme":"ws"|"wss","version":V}, then per connection
{"event":"connected",...}, the reports of _ws_echo.py, and
{"event":"disconnected",...}. Runs until killed (or for at most 10 minutes)."""

import argparse
import asyncio
import ssl

import websockets

import _ws_echo

parser = argparse.ArgumentParser()
parser.add_argument("--subprotocols", default="")
parser.add_argument("--cert", default="")
parser.add_argument("--key", default="")
args = parser.parse_args()


async def handler(ws, path):
    _ws_echo.emit("connected", **_ws_echo.describe(ws, path))
    await _ws_echo.echo(ws)


async def main():
    subprotocols = args.subprotocols.split(",") if args.subprotocols else None
    context = None
    if args.cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.cert, args.key)
    async with websockets.serve(
        handler,
        "127.0.0.1",
        0,
        subprotocols=subprotocols,
        max_size=_ws_echo.MAX_SIZE,
        ping_interval=None,
        ssl=context,
    ) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        _ws_echo.emit(
            "listening",
            port=port,
            scheme="wss" if context else "ws",
            version=websockets.__version__,
        )
        await asyncio.sleep(600)


asyncio.run(main())
