/**
 * Declarative client: the counterpart of Qt's QML WebSocket client example
 * ("qmlwebsocketclient"), with the QML-style `WebSocket` type. Instead of
 * calling methods, it sets properties — `url`, then `active` — and reacts to
 * `statusChanged` and `textMessageReceived`: it sends "Hello, world!" once
 * the socket is open, prints the echo, sets `active` to `false` and exits
 * with status 0 once the status is `Closed`. Start `examples/echoserver.ts`
 * first.
 *
 *   deno run --allow-net=127.0.0.1:1234 examples/declarative_client.ts --url ws://127.0.0.1:1234 [--debug]
 *
 * Options: `--url` (default `ws://localhost:1234`; it needs
 * `--allow-net=localhost:1234`), `--debug` / `-d` (print every status).
 *
 * The import renames `WebSocket` to `QmlWebSocket`, to keep the global
 * `WebSocket` of the Web platform visible in this module.
 *
 * @module
 */

import { WebSocket as QmlWebSocket } from "../mod.ts";
import { fail, mayUseNet, netTarget, parseOptions, permissionDenied, urlOption } from "./_cli.ts";

const usage = "Usage: declarative_client.ts [--url ws://HOST:PORT] [--debug|-d]";
const options = parseOptions(Deno.args, {
  url: { takesValue: true },
  debug: { short: "d", takesValue: false },
}, usage);
const url = urlOption(options, "url", "ws://localhost:1234");
const debug = options.has("debug");

const statusNames = Object.fromEntries(
  Object.entries(QmlWebSocket.Status).map(([name, value]) => [value, name]),
);

// As a QML declaration: WebSocket { url: ...; active: true; onStatusChanged: ...; ... }
const socket = new QmlWebSocket({ url, active: true });

socket.addEventListener("statusChanged", (e) => {
  if (debug) console.log(`Status: ${statusNames[e.status]}`);
  switch (e.status) {
    case QmlWebSocket.Status.Open:
      socket.sendTextMessage("Hello, world!");
      break;
    case QmlWebSocket.Status.Error:
      if (!mayUseNet(netTarget(url))) permissionDenied(`--allow-net=${netTarget(url)}`);
      fail(`Error: ${socket.errorString}`);
      break;
    case QmlWebSocket.Status.Closed:
      Deno.exit(0);
  }
});

socket.addEventListener("textMessageReceived", (e) => {
  console.log(`Message received: ${e.message}`);
  socket.active = false;
});
