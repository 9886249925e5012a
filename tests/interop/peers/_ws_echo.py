"""The echo behaviour shared by the python-websockets peers
(tests/interop/_exchange.ts describes the protocol): echo every message, run
commands, report what arrived as one JSON line per event on stdout.

Written for the asyncio API of websockets 10.x (Debian 12), which later
versions keep as the legacy API."""

import asyncio
import hashlib
import json

import websockets

# Big enough for the 1 MiB messages and the 65543-byte fragmented ones
# (websockets' default max_size is exactly 1 MiB).
MAX_SIZE = 16 * 1024 * 1024


def emit(event, **fields):
    print(json.dumps({"event": event, **fields}), flush=True)


def report(kind, data):
    emit(kind, size=len(data), sha256=hashlib.sha256(data).hexdigest())


def describe(ws, path):
    tls = ws.transport.get_extra_info("ssl_object")
    return {
        "subprotocol": ws.subprotocol or "",
        "origin": ws.request_headers.get("Origin", ""),
        "path": path,
        "extensions": [extension.name for extension in ws.extensions],
        "offeredExtensions": ws.request_headers.get("Sec-WebSocket-Extensions", ""),
        # Empty unless the connection is encrypted.
        "cipher": tls.cipher()[0] if tls is not None else "",
    }


async def ping(ws, payload):
    waiter = await ws.ping(payload)
    # websockets resolves the waiter when a pong with this payload arrives.
    await waiter
    emit("pong", payload=payload.hex())


async def echo(ws):
    # At once, so it may reach the other end right behind the handshake.
    await ws.send("greeting from python-websockets")
    tasks = set()
    try:
        async for message in ws:
            if isinstance(message, str):
                if message.startswith('{"cmd"'):
                    cmd = json.loads(message)
                    if cmd["cmd"] == "ping":
                        task = asyncio.create_task(ping(ws, bytes.fromhex(cmd["payload"])))
                    elif cmd["cmd"] == "send":
                        data = "x" * cmd["size"] if cmd["kind"] == "text" else bytes(cmd["size"])
                        task = asyncio.create_task(ws.send(data))
                    else:
                        task = asyncio.create_task(ws.close(cmd["code"], cmd["reason"]))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
                    continue
                report("text", message.encode("utf-8"))
            else:
                report("binary", message)
            await ws.send(message)
    except websockets.ConnectionClosedError as error:
        emit("error", message=str(error))
    await ws.wait_closed()
    emit("disconnected", closeCode=ws.close_code, closeReason=ws.close_reason)
