/**
 * Qt's pending queue: `newConnection` per socket, `nextPendingConnection()`
 * in arrival order or `null`, `hasPendingConnections()`, the 30-connection
 * default and `503` + `serverError(CloseCodeAbnormalDisconnection)` beyond
 * it; `pauseAccepting()` / `resumeAccepting()`; `close()` with queued sockets.
 */

import assert from "node:assert/strict";
import { QWebSocketProtocol, QWebSocketServer, type ServerErrorEvent } from "../../mod.ts";
import {
  assertRefusal,
  clientFrame,
  closePayload,
  delay,
  disconnected,
  listeningServer,
  nextClient,
  nextEvent,
  OP,
  RawClient,
  rawHandshake,
  upgradeRequest,
  within,
} from "./_helpers.ts";

const CloseCode = QWebSocketProtocol.CloseCode;

// The 101 can reach the client a moment before newConnection is dispatched.
async function inQueue(server: QWebSocketServer): Promise<void> {
  if (!server.hasPendingConnections()) await nextEvent(server, "newConnection");
}

Deno.test("QWebSocketServer::nextPendingConnection: null when empty, then sockets in arrival order", async () => {
  await using server = listeningServer();
  assert.equal(server.nextPendingConnection(), null);
  assert.equal(server.hasPendingConnections(), false);
  let announced = 0;
  server.addEventListener("newConnection", () => announced++);
  const clients: RawClient[] = [];
  for (const path of ["/1", "/2", "/3"]) {
    // One after the other, so arrival order is known.
    const announcement = nextEvent(server, "newConnection");
    clients.push(await rawHandshake(server, upgradeRequest({ target: path })));
    await announcement;
  }
  assert.equal(announced, 3);
  assert.equal(server.hasPendingConnections(), true);
  const order = [];
  for (let i = 0; i < 3; i++) {
    const socket = server.nextPendingConnection();
    assert.ok(socket !== null);
    order.push(socket.resourceName());
    await disconnected(socket, clients[i]);
  }
  assert.deepEqual(order, ["/1", "/2", "/3"]);
  assert.equal(server.hasPendingConnections(), false);
  assert.equal(server.nextPendingConnection(), null);
});

Deno.test("QWebSocketServer::setMaxPendingConnections: beyond the limit a handshake gets 503 and serverError(1006)", async () => {
  await using server = listeningServer("Busy");
  assert.equal(server.maxPendingConnections(), 30);
  server.setMaxPendingConnections(1);
  assert.equal(server.maxPendingConnections(), 1);
  using first = await rawHandshake(server);
  await inQueue(server);

  const serverError = nextEvent<ServerErrorEvent>(server, "serverError");
  {
    using second = await RawClient.connect(server);
    await second.write(upgradeRequest());
    assertRefusal(await second.readToEnd(), 503, "Service Unavailable", { serverName: "Busy" });
  }
  assert.equal((await serverError).closeCode, CloseCode.CloseCodeAbnormalDisconnection);
  assert.equal(server.error(), CloseCode.CloseCodeAbnormalDisconnection);
  assert.match(server.errorString(), /503 Service Unavailable.*pending/i);

  // Taking the queued socket makes room again.
  const queued = server.nextPendingConnection()!;
  using third = await rawHandshake(server);
  const next = await nextClient(server);
  await disconnected(queued, first);
  await disconnected(next, third);
  assert.throws(() => server.setMaxPendingConnections(-1), RangeError);
  assert.throws(() => server.setMaxPendingConnections(1.5), RangeError);
});

Deno.test("QWebSocketServer::pauseAccepting: queued sockets stay queued; a client connecting meanwhile is served after resumeAccepting", async () => {
  await using server = listeningServer();
  using queuedClient = await rawHandshake(server);
  await inQueue(server);
  server.pauseAccepting();
  using waiting = await RawClient.connect(server);
  await waiting.write(upgradeRequest({ target: "/late" }));
  // While paused nothing answers it; this only waits, it does not time anything.
  await delay(300);
  assert.equal(server.hasPendingConnections(), true);
  const queued = server.nextPendingConnection()!;
  assert.equal(queued.resourceName(), "/chat");
  assert.equal(server.hasPendingConnections(), false, "the paused client was not handshaken");

  server.resumeAccepting();
  assert.match(await waiting.readHead(), /^HTTP\/1\.1 101 /);
  const late = await nextClient(server);
  assert.equal(late.resourceName(), "/late");
  await disconnected(queued, queuedClient);
  await disconnected(late, waiting);
});

Deno.test("QWebSocketServer::close: stops listening, closes queued sockets with 1001 and dispatches closed", async () => {
  const server = listeningServer();
  const port = server.serverPort();
  using client = await rawHandshake(server);
  await inQueue(server);
  const closed = nextEvent(server, "closed");
  server.close();
  assert.equal(server.isListening(), false);
  assert.equal(server.hasPendingConnections(), false);
  await closed;
  // The queued client is told the server is going away; after the closing
  // handshake the server closes TCP first.
  const frame = await client.readFrame();
  assert.equal(frame.opcode, OP.close);
  assert.deepEqual(frame.payload, closePayload(CloseCode.CloseCodeGoingAway, "Server closed"));
  await client.write(clientFrame(OP.close, closePayload(CloseCode.CloseCodeGoingAway)));
  assert.equal((await client.readToEnd()).length, 0);
  client.close();
  await assert.rejects(
    Deno.connect({ hostname: "127.0.0.1", port }),
    Deno.errors.ConnectionRefused,
  );
  await within(server[Symbol.asyncDispose](), "the server to be disposed");
});

Deno.test("QWebSocketServer::~QWebSocketServer: disposing closes queued sockets, waits for them, and dispatches closed", async () => {
  const server = listeningServer();
  let closedEvents = 0;
  server.addEventListener("closed", () => closedEvents++);
  using client = await rawHandshake(server);
  await inQueue(server);
  const disposed = server[Symbol.asyncDispose]();
  const frame = await client.readFrame();
  assert.equal(frame.opcode, OP.close);
  assert.deepEqual(frame.payload, closePayload(CloseCode.CloseCodeGoingAway, "Server closed"));
  await client.write(clientFrame(OP.close, closePayload(CloseCode.CloseCodeGoingAway)));
  // The server closes TCP first; the client's end lets the queued socket finish.
  assert.equal((await client.readToEnd()).length, 0);
  client.close();
  await within(disposed, "the server to be disposed");
  assert.equal(closedEvents, 1);
  assert.equal(server.isListening(), false);
  // Disposing again (or a server that never listened) dispatches nothing more.
  await server[Symbol.asyncDispose]();
  await delay(0);
  assert.equal(closedEvents, 1);
});

Deno.test("QWebSocketServer::close: closed is dispatched even when not listening, as Qt queues it", async () => {
  const server = new QWebSocketServer("", QWebSocketServer.SslMode.NonSecureMode);
  const closed = nextEvent(server, "closed");
  server.close();
  await closed;
  assert.equal(server.isListening(), false);
});
