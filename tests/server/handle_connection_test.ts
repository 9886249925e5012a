/**
 * Qt's `handleConnection(QTcpSocket *)`: the server upgrades a connection the
 * application accepted itself, with the same checks and queue, whether or
 * not it listens.
 */

import assert from "node:assert/strict";
import { QWebSocketServer, type ServerErrorEvent } from "../../mod.ts";
import {
  acceptHead,
  assertRefusal,
  clientFrame,
  disconnected,
  nextClient,
  nextEvent,
  OP,
  RawClient,
  upgradeRequest,
} from "./_helpers.ts";

Deno.test("QWebSocketServer::handleConnection: upgrades a connection the test accepted itself", async () => {
  await using server = new QWebSocketServer("Handler", QWebSocketServer.SslMode.NonSecureMode);
  assert.equal(server.isListening(), false);
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  using client = await RawClient.connect((listener.addr as Deno.NetAddr).port);
  server.handleConnection(await listener.accept());
  await client.write(upgradeRequest({ target: "/handled" }));
  assert.equal(await client.readHead(), acceptHead("Handler"));
  const socket = await nextClient(server);
  assert.equal(socket.resourceName(), "/handled");
  const message = nextEvent<Event & { message: string }>(socket, "textMessageReceived");
  await client.write(clientFrame(OP.text, "via handleConnection"));
  assert.equal((await message).message, "via handleConnection");
  await disconnected(socket, client);
});

Deno.test("QWebSocketServer::handleConnection: a bad request on a handled connection is refused as usual", async () => {
  await using server = new QWebSocketServer("", QWebSocketServer.SslMode.NonSecureMode);
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  using client = await RawClient.connect((listener.addr as Deno.NetAddr).port);
  server.handleConnection(await listener.accept());
  const serverError = nextEvent<ServerErrorEvent>(server, "serverError");
  await client.write(upgradeRequest({ version: "7" }));
  assertRefusal(await client.readToEnd(), 426, "Upgrade Required", {
    extra: "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n",
  });
  assert.equal((await serverError).closeCode, 1002);
});

Deno.test("QWebSocketServer::handleConnection: close() drops a handled connection still in its handshake", async () => {
  const server = new QWebSocketServer("", QWebSocketServer.SslMode.NonSecureMode);
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  using client = await RawClient.connect((listener.addr as Deno.NetAddr).port);
  server.handleConnection(await listener.accept());
  await client.write("GET / HTTP/1.1\r\n");
  await server[Symbol.asyncDispose]();
  assert.equal((await client.readToEnd()).length, 0);
});

Deno.test("QWebSocketServer::handleConnection: anything but a connection is a programming error", () => {
  const server = new QWebSocketServer("", QWebSocketServer.SslMode.NonSecureMode);
  assert.throws(() => server.handleConnection(null as unknown as Deno.Conn), TypeError);
  assert.throws(() => server.handleConnection({} as Deno.Conn), TypeError);
});
