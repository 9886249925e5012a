/**
 * The qtws echo server of the load benchmark: `QWebSocketServer`, echoing in
 * `textMessageReceived` / `binaryMessageReceived`, as a user would write it.
 *
 *   deno run --allow-net=127.0.0.1 bench/load/server_qtws.ts
 *
 * @module
 */

import { QWebSocketServer } from "../../mod.ts";
import { serveControl } from "./control.ts";

const server = new QWebSocketServer("", QWebSocketServer.SslMode.NonSecureMode);
// Many clients connect at once in the 1,000- and 10,000-connection cells.
server.setMaxPendingConnections(100_000);
if (!server.listen("127.0.0.1", 0)) throw new Error(server.errorString());

server.addEventListener("newConnection", () => {
  const socket = server.nextPendingConnection();
  if (socket === null) return;
  socket.addEventListener("textMessageReceived", (e) => socket.sendTextMessage(e.message));
  socket.addEventListener("binaryMessageReceived", (e) => socket.sendBinaryMessage(e.message));
});

await serveControl(server.serverPort(), () => server[Symbol.asyncDispose]());
