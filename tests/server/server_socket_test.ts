/**
 * The sockets a server hands out, seen from a raw client: the server's
 * incoming limits apply before their first byte (a deliberate difference
 * from Qt), unmasked client frames are a protocol error (RFC 6455 §5.1), and
 * the server closes TCP first after the closing handshake (RFC 6455 §7.1.1).
 */

import assert from "node:assert/strict";
import { QWebSocketProtocol } from "../../mod.ts";
import {
  clientFrame,
  closePayload,
  disconnected,
  listeningServer,
  nextClient,
  nextEvent,
  OP,
  RawClient,
  rawHandshake,
  upgradeRequest,
  utf8,
  within,
} from "./_helpers.ts";

const CloseCode = QWebSocketProtocol.CloseCode;

function closeCodeOf(payload: Uint8Array): number {
  return (payload[0]! << 8) | payload[1]!;
}

Deno.test("QWebSocketServer::setMaxAllowedIncomingFrameSize: a frame over the server's limit right after the handshake closes with 1009", async () => {
  await using server = listeningServer();
  server.setMaxAllowedIncomingFrameSize(1000);
  using client = await RawClient.connect(server);
  // The oversized frame travels with the request, before anyone could set a per-socket limit.
  const request = utf8(upgradeRequest());
  const frame = clientFrame(OP.binary, new Uint8Array(1001));
  const packet = new Uint8Array(request.length + frame.length);
  packet.set(request);
  packet.set(frame, request.length);
  await client.write(packet);
  await client.readHead();
  const socket = await nextClient(server);
  assert.equal(socket.maxAllowedIncomingFrameSize(), 1000);
  let messages = 0;
  socket.addEventListener("binaryMessageReceived", () => messages++);
  const gone = nextEvent(socket, "disconnected");
  const close = await client.readFrame();
  assert.equal(close.opcode, OP.close);
  assert.equal(closeCodeOf(close.payload), CloseCode.CloseCodeTooMuchData);
  client.close();
  await gone;
  assert.equal(messages, 0);
  assert.equal(socket.closeCode(), CloseCode.CloseCodeTooMuchData);
});

Deno.test("QWebSocketServer::setMaxAllowedIncomingMessageSize: fragments adding up past the server's limit close with 1009", async () => {
  await using server = listeningServer();
  server.setMaxAllowedIncomingMessageSize(100);
  using client = await rawHandshake(server);
  const socket = await nextClient(server);
  assert.equal(socket.maxAllowedIncomingMessageSize(), 100);
  await client.write(clientFrame(OP.text, "a".repeat(60), { fin: false }));
  await client.write(clientFrame(OP.continuation, "b".repeat(60)));
  const close = await client.readFrame();
  assert.equal(close.opcode, OP.close);
  assert.equal(closeCodeOf(close.payload), CloseCode.CloseCodeTooMuchData);
  await disconnected(socket, client);
});

Deno.test("QWebSocketServer: the default limits take a 16 MiB frame", async () => {
  await using server = listeningServer();
  using client = await rawHandshake(server);
  const socket = await nextClient(server);
  const received = nextEvent<Event & { message: Uint8Array }>(socket, "binaryMessageReceived");
  const payload = new Uint8Array(16 * 1024 * 1024);
  payload[payload.length - 1] = 7;
  await client.write(clientFrame(OP.binary, payload));
  const message = (await received).message;
  assert.equal(message.length, payload.length);
  assert.equal(message[message.length - 1], 7);
  await disconnected(socket, client);
});

Deno.test("5.1 server: an unmasked client frame is a protocol error (1002)", async () => {
  await using server = listeningServer();
  using client = await rawHandshake(server);
  const socket = await nextClient(server);
  let messages = 0;
  socket.addEventListener("textMessageReceived", () => messages++);
  const errored = nextEvent(socket, "error");
  await client.write(clientFrame(OP.text, "not masked", { masked: false }));
  const close = await client.readFrame();
  assert.equal(close.opcode, OP.close);
  assert.equal(close.masked, false, "server frames are never masked");
  assert.equal(closeCodeOf(close.payload), CloseCode.CloseCodeProtocolError);
  // The server half-closed after its close frame; the client's end completes it.
  assert.equal((await client.readToEnd()).length, 0);
  client.close();
  await errored;
  assert.match(socket.errorString(), /unmasked/);
  assert.equal(messages, 0);
  await disconnected(socket);
});

Deno.test("7.1.1 server: closes TCP first after the closing handshake", async () => {
  await using server = listeningServer();
  using client = await rawHandshake(server);
  const socket = await nextClient(server);
  const gone = nextEvent(socket, "disconnected");
  await client.write(clientFrame(OP.close, closePayload(4000, "client done")));
  const echo = await client.readFrame();
  assert.equal(echo.opcode, OP.close);
  assert.equal(closeCodeOf(echo.payload), 4000);
  // The raw client has not closed anything: the end of stream comes from the server.
  assert.equal((await client.readToEnd()).length, 0);
  assert.equal(client.ended, true);
  client.close();
  await gone;
  assert.equal(socket.closeCode(), 4000);
  assert.equal(socket.closeReason(), "client done");
});

Deno.test("7.1.1 server: a server-initiated close also ends with the server closing TCP", async () => {
  await using server = listeningServer();
  using client = await rawHandshake(server);
  const socket = await nextClient(server);
  const gone = nextEvent(socket, "disconnected");
  socket.close(CloseCode.CloseCodeGoingAway, "maintenance");
  const close = await client.readFrame();
  assert.equal(close.opcode, OP.close);
  assert.deepEqual(close.payload, closePayload(1001, "maintenance"));
  await client.write(clientFrame(OP.close, close.payload));
  assert.equal((await client.readToEnd()).length, 0);
  client.close();
  await within(gone, "disconnected");
});

Deno.test("5.5.2 server: pings from the server are answered; pong carries the payload", async () => {
  await using server = listeningServer();
  using client = await rawHandshake(server);
  const socket = await nextClient(server);
  const pong = nextEvent<Event & { payload: Uint8Array; elapsedTime: number }>(socket, "pong");
  socket.ping(utf8("are you there"));
  const ping = await client.readFrame();
  assert.equal(ping.opcode, OP.ping);
  await client.write(clientFrame(OP.pong, ping.payload));
  const event = await pong;
  assert.deepEqual(event.payload, utf8("are you there"));
  assert.ok(event.elapsedTime >= 0);
  await disconnected(socket, client);
});
