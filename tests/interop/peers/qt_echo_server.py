"""Qt's QWebSocketServer as an echo peer, for tests/interop/qt_test.ts.

Usage: qt_echo_server.py [--subprotocols a,b]
Listens on 127.0.0.1, port chosen by the system; prints
{"event":"listening","port":N}, then per connection {"event":"connected",...},
the reports of _qt_echo.py, and {"event":"disconnected",...}. Runs until
killed (or for at most 10 minutes)."""

import argparse
import sys

from PyQt6.QtCore import QCoreApplication
from PyQt6.QtNetwork import QHostAddress
from PyQt6.QtWebSockets import QWebSocketServer

import _qt_echo

parser = argparse.ArgumentParser()
parser.add_argument("--subprotocols", default="")
args = parser.parse_args()

app = QCoreApplication(sys.argv)
server = QWebSocketServer("qt-interop", QWebSocketServer.SslMode.NonSecureMode)
if args.subprotocols:
    server.setSupportedSubprotocols(args.subprotocols.split(","))
sockets = []


def on_new_connection():
    while server.hasPendingConnections():
        socket = server.nextPendingConnection()
        sockets.append(socket)
        _qt_echo.emit("connected", **_qt_echo.describe(socket))
        _qt_echo.attach(socket, lambda s=socket: (sockets.remove(s), s.deleteLater()))
        # At once, so it may reach the client with the end of the handshake.
        socket.sendTextMessage(_qt_echo.GREETING)


server.newConnection.connect(on_new_connection)
server.serverError.connect(lambda code: _qt_echo.emit("serverError", closeCode=code.value))
if not server.listen(QHostAddress(QHostAddress.SpecialAddress.LocalHost), 0):
    _qt_echo.emit("error", message=server.errorString())
    sys.exit(1)
_qt_echo.emit("listening", port=server.serverPort())
_qt_echo.watchdog(app, 600)
sys.exit(app.exec())
