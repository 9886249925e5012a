/**
 * Qt 6.4's `setSupportedSubprotocols()` / `supportedSubprotocols()`: the
 * first of the client's offers, in the client's order, that the server
 * supports is chosen and echoed (RFC 6455 §4.2.2 point 5.4); none supported,
 * no `Sec-WebSocket-Protocol` header.
 */

import assert from "node:assert/strict";
import { QWebSocketServer } from "../../mod.ts";
import {
  acceptHead,
  disconnected,
  listeningServer,
  nextClient,
  RawClient,
  upgradeRequest,
  within,
} from "./_helpers.ts";

Deno.test("QWebSocketServer::setSupportedSubprotocols: stores a copy, empty by default", () => {
  const server = new QWebSocketServer("", QWebSocketServer.SslMode.NonSecureMode);
  assert.deepEqual(server.supportedSubprotocols(), []);
  const list = ["chat.v2", "chat.v1"];
  server.setSupportedSubprotocols(list);
  list.push("changed");
  const got = server.supportedSubprotocols();
  assert.deepEqual(got, ["chat.v2", "chat.v1"]);
  got.push("changed too");
  assert.deepEqual(server.supportedSubprotocols(), ["chat.v2", "chat.v1"]);
  assert.throws(() => server.setSupportedSubprotocols("chat" as unknown as string[]), TypeError);
});

Deno.test("4.2.2 server: the first client offer the server supports is chosen, in the client's order", async () => {
  await using server = listeningServer();
  server.setSupportedSubprotocols(["b", "a"]);
  using client = await RawClient.connect(server);
  // Offers split over two headers count in order.
  await client.write(
    upgradeRequest({
      extra: [["Sec-WebSocket-Protocol", "c, a"], ["Sec-WebSocket-Protocol", "b"]],
    }),
  );
  assert.equal(await client.readHead(), acceptHead("", "a"));
  const socket = await nextClient(server);
  assert.equal(socket.subprotocol(), "a");
  await disconnected(socket, client);
});

Deno.test("4.2.2 server: no supported offer means no Sec-WebSocket-Protocol header", async () => {
  await using server = listeningServer();
  server.setSupportedSubprotocols(["x"]);
  using client = await RawClient.connect(server);
  await client.write(upgradeRequest({ extra: [["Sec-WebSocket-Protocol", "y, z"]] }));
  assert.equal(await client.readHead(), acceptHead());
  const socket = await nextClient(server);
  assert.equal(socket.subprotocol(), "");
  await disconnected(socket, client);
});

Deno.test("4.2.2 server: Deno's WebSocket sees the chosen subprotocol", async () => {
  await using server = listeningServer();
  server.setSupportedSubprotocols(["graphql-ws", "mqtt"]);
  const ws = new WebSocket(server.serverUrl()!, ["soap", "mqtt", "graphql-ws"]);
  const opened = new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error("Deno's WebSocket failed to connect"));
  });
  const closed = new Promise<void>((resolve) => (ws.onclose = () => resolve()));
  await within(opened, "Deno's WebSocket to open");
  assert.equal(ws.protocol, "mqtt");
  const socket = await nextClient(server);
  assert.equal(socket.subprotocol(), "mqtt");
  ws.close();
  await within(closed, "Deno's WebSocket to close");
  await disconnected(socket);
});
