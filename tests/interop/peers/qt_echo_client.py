"""Qt's QWebSocket as an echo peer, for tests/interop/qt_test.ts.

Usage: qt_echo_client.py URL [--subprotocols a,b] [--origin ORIGIN] [--ca PEM]
Connects to URL (offering the subprotocols, sending the origin; for wss:,
trusting only the CA given), prints
{"event":"connected",...}, the reports of _qt_echo.py, and
{"event":"disconnected",...}, then exits."""

import argparse
import sys

from PyQt6.QtCore import QCoreApplication, QUrl
from PyQt6.QtNetwork import QSslCertificate, QSslConfiguration
from PyQt6.QtWebSockets import QWebSocket, QWebSocketHandshakeOptions

import _qt_echo

parser = argparse.ArgumentParser()
parser.add_argument("url")
parser.add_argument("--subprotocols", default="")
parser.add_argument("--origin", default="")
parser.add_argument("--ca", default="")
args = parser.parse_args()

app = QCoreApplication(sys.argv)
socket = QWebSocket(args.origin)
if args.ca:
    config = QSslConfiguration.defaultConfiguration()
    config.setCaCertificates(QSslCertificate.fromPath(args.ca))
    socket.setSslConfiguration(config)
    socket.sslErrors.connect(lambda errors: _qt_echo.emit("sslErrors", errors=[e.errorString() for e in errors]))


def on_connected():
    _qt_echo.emit("connected", **_qt_echo.describe(socket))
    # At once, so it may reach the server right behind the handshake.
    socket.sendTextMessage(_qt_echo.GREETING)


socket.connected.connect(on_connected)
_qt_echo.attach(socket, app.quit)
options = QWebSocketHandshakeOptions()
if args.subprotocols:
    options.setSubprotocols(args.subprotocols.split(","))
socket.open(QUrl(args.url), options)
_qt_echo.watchdog(app, 600)
sys.exit(app.exec())
