/**
 * Echo server: the counterpart of Qt's "echoserver" example. Every text or
 * binary message a client sends comes straight back.
 *
 *   deno run --allow-net=127.0.0.1:1234 examples/echoserver.ts --port 1234 [--debug] [--compress]
 *
 * Options: `--port` / `-p` (default 1234), `--debug` / `-d` (log connections
 * and messages), `--compress` / `-z` (accept permessage-deflate from clients
 * that offer it, RFC 7692; off by default, as for any QWebSocketServer).
 * Stop it with Ctrl+C.
 *
 * @module
 */

import { QHostAddress, QWebSocketServer } from "../mod.ts";
import {
  exitOnSignal,
  fail,
  listenTarget,
  mayUseNet,
  parseOptions,
  permissionDenied,
  portOption,
} from "./_cli.ts";

const usage = "Usage: echoserver.ts [--port|-p PORT] [--debug|-d] [--compress|-z]";
const options = parseOptions(Deno.args, {
  port: { short: "p", takesValue: true },
  debug: { short: "d", takesValue: false },
  compress: { short: "z", takesValue: false },
}, usage);
const port = portOption(options, "port", 1234);
const debug = options.has("debug");

const server = new QWebSocketServer("Echo Server", QWebSocketServer.SslMode.NonSecureMode);
server.setPerMessageDeflateEnabled(options.has("compress"));
if (!server.listen(QHostAddress.LocalHost, port)) {
  const target = listenTarget(QHostAddress.LocalHost, port);
  if (!mayUseNet(target)) permissionDenied(`--allow-net=${target}`);
  fail(`Cannot start the echo server: ${server.errorString()}`);
}
console.log(`Echo server listening on ${server.serverUrl()!.href}`);

server.addEventListener("newConnection", () => {
  const socket = server.nextPendingConnection();
  if (socket === null) return;
  const peer = `${socket.peerAddress()}:${socket.peerPort()}`;
  if (debug) {
    const compressed = socket.perMessageDeflate() === null ? "" : " (permessage-deflate)";
    console.log(`Client connected: ${peer}${compressed}`);
  }
  socket.addEventListener("textMessageReceived", (e) => {
    if (debug) console.log(`Message received: ${e.message}`);
    socket.sendTextMessage(e.message);
  });
  socket.addEventListener("binaryMessageReceived", (e) => {
    if (debug) console.log(`Binary message received: ${e.message.length} bytes`);
    socket.sendBinaryMessage(e.message);
  });
  socket.addEventListener("disconnected", () => {
    if (debug) console.log(`Client disconnected: ${peer} (close code ${socket.closeCode()})`);
  });
});

exitOnSignal(() => server[Symbol.asyncDispose]());
