"""The echo behaviour shared by the Qt peers (tests/interop/_exchange.ts
describes the protocol): echo every message, run commands, report what
arrived as one JSON line per event on stdout."""

import hashlib
import json

from PyQt6.QtCore import QByteArray, QTimer
from PyQt6.QtWebSockets import QWebSocketProtocol


def emit(event, **fields):
    print(json.dumps({"event": event, **fields}), flush=True)


def report(kind, data):
    emit(kind, size=len(data), sha256=hashlib.sha256(data).hexdigest())


def watchdog(app, seconds):
    """Never outlive the test that started us, even if it was killed."""
    QTimer.singleShot(seconds * 1000, app.quit)


def describe(socket):
    url = socket.requestUrl()
    return {
        "subprotocol": socket.subprotocol(),
        "origin": socket.origin(),
        "path": url.path() + ("?" + url.query() if url.hasQuery() else ""),
        "resourceName": socket.resourceName(),
        # Empty unless the connection is encrypted.
        "cipher": socket.sslConfiguration().sessionCipher().name(),
    }


GREETING = "greeting from Qt"


def attach(socket, then=None):
    def on_text(message):
        if message.startswith('{"cmd"'):
            run(json.loads(message))
            return
        report("text", message.encode("utf-8"))
        socket.sendTextMessage(message)

    def on_binary(message):
        report("binary", bytes(message))
        socket.sendBinaryMessage(message)

    def run(cmd):
        if cmd["cmd"] == "ping":
            socket.ping(QByteArray(bytes.fromhex(cmd["payload"])))
        elif cmd["cmd"] == "send":
            if cmd["kind"] == "text":
                socket.sendTextMessage("x" * cmd["size"])
            else:
                socket.sendBinaryMessage(QByteArray(bytes(cmd["size"])))
        elif cmd["cmd"] == "close":
            socket.close(QWebSocketProtocol.CloseCode(cmd["code"]), cmd["reason"])

    def on_pong(elapsed_time, payload):
        emit("pong", payload=bytes(payload).hex())

    def on_error(error):
        emit("error", message=socket.errorString())

    def on_disconnected():
        emit(
            "disconnected",
            closeCode=socket.closeCode().value,
            closeReason=socket.closeReason(),
        )
        if then is not None:
            then()

    socket.textMessageReceived.connect(on_text)
    socket.binaryMessageReceived.connect(on_binary)
    socket.pong.connect(on_pong)
    # Qt 6.4 (Debian 12) has only `error`; Qt 6.5 added `errorOccurred`.
    socket.error.connect(on_error)
    socket.disconnected.connect(on_disconnected)
