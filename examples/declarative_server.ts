/**
 * Declarative server: the counterpart of Qt's QML WebSocket server example
 * ("qmlwebsocketserver"), with the QML-style `WebSocketServer` and
 * `WebSocket` types. The server answers every message with
 * "Hello Client!"; a `WebSocket` in the same program connects to the
 * server's `url`, says "Hello Server!" and prints the answer — as the QML
 * example shows both ends in one window. The server keeps running for other
 * clients (try `examples/echoclient.ts` against it) until Ctrl+C.
 *
 *   deno run --allow-net=127.0.0.1:1234 examples/declarative_server.ts --port 1234 [--debug]
 *
 * Options: `--port` / `-p` (default 1234), `--debug` / `-d`.
 *
 * @module
 */

import { WebSocket as QmlWebSocket, WebSocketServer } from "../mod.ts";
import {
  exitOnSignal,
  fail,
  listenTarget,
  mayUseNet,
  parseOptions,
  permissionDenied,
  portOption,
} from "./_cli.ts";

const usage = "Usage: declarative_server.ts [--port|-p PORT] [--debug|-d]";
const options = parseOptions(Deno.args, {
  port: { short: "p", takesValue: true },
  debug: { short: "d", takesValue: false },
}, usage);
const port = portOption(options, "port", 1234);
const debug = options.has("debug");

// As a QML declaration: WebSocketServer { port: ...; listen: true; onClientConnected: ... }
const server = new WebSocketServer({
  host: "127.0.0.1",
  port,
  name: "Declarative Server",
  listen: true,
});

server.addEventListener("clientConnected", ({ webSocket }) => {
  if (debug) console.log(`Client connected: ${webSocket.url}`);
  webSocket.addEventListener("textMessageReceived", (e) => {
    console.log(`Server received message: ${e.message}`);
    webSocket.sendTextMessage("Hello Client!");
  });
});

// Reading errorString applies the properties above at once.
if (server.errorString !== "") {
  const target = listenTarget(server.host, port);
  if (!mayUseNet(target)) permissionDenied(`--allow-net=${target}`);
  fail(`Cannot start the declarative server: ${server.errorString}`);
}
console.log(`Declarative server listening on ${server.url}`);

// The client half of Qt's example: WebSocket { url: server.url; active: true; ... }
const socket = new QmlWebSocket({ url: server.url, active: true });
socket.addEventListener("statusChanged", (e) => {
  if (e.status === QmlWebSocket.Status.Open) socket.sendTextMessage("Hello Server!");
  if (e.status === QmlWebSocket.Status.Error) console.error(`Client error: ${socket.errorString}`);
});
socket.addEventListener("textMessageReceived", (e) => {
  console.log(`Client received message: ${e.message}`);
  socket.active = false;
});

exitOnSignal(async () => {
  await socket[Symbol.asyncDispose]();
  await server[Symbol.asyncDispose]();
});
