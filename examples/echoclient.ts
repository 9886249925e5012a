/**
 * Echo client: the counterpart of Qt's "echoclient" example. It connects,
 * sends "Hello, world!", prints the echo, closes the connection and exits
 * with status 0. Start `examples/echoserver.ts` first.
 *
 *   deno run --allow-net=127.0.0.1:1234 examples/echoclient.ts --url ws://127.0.0.1:1234 [--debug]
 *
 * Options: `--url` (default `ws://localhost:1234`, as in Qt's example; it
 * needs `--allow-net=localhost:1234`), `--debug` / `-d` (log each step).
 *
 * @module
 */

import { QAbstractSocket, QWebSocket } from "../mod.ts";
import { fail, netTarget, parseOptions, permissionDenied, urlOption } from "./_cli.ts";

const usage = "Usage: echoclient.ts [--url ws://HOST:PORT] [--debug|-d]";
const options = parseOptions(Deno.args, {
  url: { takesValue: true },
  debug: { short: "d", takesValue: false },
}, usage);
const url = urlOption(options, "url", "ws://localhost:1234");
const debug = options.has("debug");

const socket = new QWebSocket();
let echoed = false;

socket.addEventListener("connected", () => {
  if (debug) console.log(`WebSocket connected to ${url.href}`);
  socket.sendTextMessage("Hello, world!");
});
socket.addEventListener("textMessageReceived", (e) => {
  console.log(`Message received: ${e.message}`);
  echoed = true;
  socket.close();
});
socket.addEventListener("error", (e) => {
  if (e.error === QAbstractSocket.SocketError.SocketAccessError) {
    permissionDenied(`--allow-net=${netTarget(url)}`);
  }
  fail(`Cannot talk to ${url.href}: ${socket.errorString()}`);
});
socket.addEventListener("disconnected", () => {
  if (debug) console.log(`WebSocket disconnected (close code ${socket.closeCode()})`);
  if (!echoed) fail(`The connection to ${url.href} closed before the echo arrived`);
  Deno.exit(0);
});

if (debug) console.log(`Connecting to ${url.href}`);
socket.open(url);
