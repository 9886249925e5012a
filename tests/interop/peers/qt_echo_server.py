"""Qt's QWebSocketServer as an echo peer, for tests/interop/qt_test.ts.

Usage: qt_echo_server.py [--subprotocols a,b] [--cert PEM --key PEM]
Listens on 127.0.0.1, port chosen by the system (wss: in SecureMode with
the certificate and key given); prints
{"event":"listening","port":N,"scheme":"ws"|"wss"}, then per connection {"event":"connected",...},
the reports of _qt_echo.py, and {"event":"disconnected",...}. Runs until
killed (or for at most 10 minutes)."""

import argparse
import sys

from PyQt6.QtCore import QCoreApplication
from PyQt6.QtNetwork import QHostAddress, QSsl, QSslCertificate, QSslConfiguration, QSslKey
from PyQt6.QtWebSockets import QWebSocketServer

import _qt_echo

parser = argparse.ArgumentParser()
parser.add_argument("--subprotocols", default="")
parser.add_argument("--cert", default="")
parser.add_argument("--key", default="")
args = parser.parse_args()

app = QCoreApplication(sys.argv)
secure = args.cert != ""
mode = QWebSocketServer.SslMode.SecureMode if secure else QWebSocketServer.SslMode.NonSecureMode
server = QWebSocketServer("qt-interop", mode)
if secure:
    config = QSslConfiguration.defaultConfiguration()
    config.setLocalCertificateChain(QSslCertificate.fromPath(args.cert))
    with open(args.key, "rb") as key:
        config.setPrivateKey(QSslKey(key.read(), QSsl.KeyAlgorithm.Rsa))
    server.setSslConfiguration(config)
    server.sslErrors.connect(lambda errors: _qt_echo.emit("sslErrors", errors=[e.errorString() for e in errors]))
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
_qt_echo.emit("listening", port=server.serverPort(), scheme="wss" if secure else "ws")
_qt_echo.watchdog(app, 600)
sys.exit(app.exec())
