/**
 * Echo server: the counterpart of Qt's "echoserver" example. Every text or
 * binary message a client sends comes straight back.
 *
 *   deno run --allow-net=127.0.0.1:1234 examples/echoserver.ts --port 1234 [--debug]
 *
 * @module
 */

import { QHostAddress, QWebSocketServer } from "../mod.ts";

const args = Deno.args;
let port = 1234;
let debug = false;
for (let i = 0; i < args.length; i++) {
  const arg = args[i]!;
  if (arg === "--port" || arg === "-p") port = Number(args[++i]);
  else if (arg.startsWith("--port=")) port = Number(arg.slice("--port=".length));
  else if (arg === "--debug" || arg === "-d") debug = true;
  else {
    console.error(`Unknown option ${arg}. Usage: echoserver.ts [--port|-p PORT] [--debug|-d]`);
    Deno.exit(2);
  }
}
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error("The port must be a number from 0 to 65535");
  Deno.exit(2);
}

const server = new QWebSocketServer("Echo Server", QWebSocketServer.SslMode.NonSecureMode);
if (!server.listen(QHostAddress.LocalHost, port)) {
  console.error(`Cannot start the echo server: ${server.errorString()}`);
  Deno.exit(1);
}
console.log(`Echo server listening on ${server.serverUrl()!.href}`);

server.addEventListener("newConnection", () => {
  const socket = server.nextPendingConnection()!;
  if (debug) console.log(`Client connected: ${socket.peerAddress()}:${socket.peerPort()}`);
  socket.addEventListener("textMessageReceived", (e) => {
    if (debug) console.log(`Message received: ${e.message}`);
    socket.sendTextMessage(e.message);
  });
  socket.addEventListener("binaryMessageReceived", (e) => {
    if (debug) console.log(`Binary message received: ${e.message.length} bytes`);
    socket.sendBinaryMessage(e.message);
  });
  socket.addEventListener("disconnected", () => {
    if (debug) console.log(`Client disconnected: close code ${socket.closeCode()}`);
  });
});

Deno.addSignalListener("SIGINT", () => {
  server.close();
  Deno.exit(0);
});
