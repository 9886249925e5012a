/**
 * The `QWebSocket` that `handleRequest()` yields, driven by the platform's
 * WebSocket: messages both ways, frame events once per message, close codes
 * both ways, the message limit, bytesToWrite/bytesWritten from
 * bufferedAmount, ping, abort, the close timeout, and peers that fail.
 */

import assert from "node:assert/strict";
import { QAbstractSocket, QWebSocket, QWebSocketProtocol, QWebSocketServer } from "../../mod.ts";
import {
  closePayload,
  DenoClient,
  EdgeServer,
  nextEvent,
  OP,
  parseClose,
  RawClient,
  Recorder,
  upgradeHead,
  within,
} from "./_edge.ts";

const CloseCode = QWebSocketProtocol.CloseCode;
const SocketError = QAbstractSocket.SocketError;
const SIZES = [0, 1, 125, 126, 65535, 65536, 1024 * 1024];

function text(size: number): string {
  // Two-byte characters where they fit, so UTF-8 lengths are exercised.
  return "é".repeat(Math.floor(size / 2)) + "a".repeat(size % 2);
}

function bytes(size: number): Uint8Array {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (i * 31 + 7) & 0xff;
  return data;
}

/** A raw client upgraded through `edge`, and the server's socket for it. */
async function rawPair(edge: EdgeServer): Promise<{ raw: RawClient; recorder: Recorder }> {
  const raw = await RawClient.connect(edge.port);
  await raw.send(upgradeHead(edge.port, "/raw"));
  const response = await raw.readResponse();
  assert.equal(response.status, 101);
  return { raw, recorder: new Recorder(await edge.nextClient()) };
}

Deno.test("RFC 6455 §5.6 handleRequest sockets with Deno's client: text and binary at every length boundary, one frame event per message with isLastFrame", async () => {
  await using edge = new EdgeServer();
  const client = new DenoClient(`${edge.url}/echo`);
  await within(client.opened, "open");
  const socket = await edge.nextClient();
  const recorder = new Recorder(socket);
  socket.addEventListener("textMessageReceived", (e) => socket.sendTextMessage(e.message));
  socket.addEventListener("binaryMessageReceived", (e) => socket.sendBinaryMessage(e.message));
  for (const size of SIZES) {
    client.ws.send(text(size));
    client.ws.send(bytes(size));
  }
  await client.messageCount(SIZES.length * 2);
  await recorder.messageCount(SIZES.length * 2);
  SIZES.forEach((size, i) => {
    assert.ok(client.messages[2 * i] === text(size), `the echo of ${size} bytes of text`);
    assert.deepEqual(new Uint8Array(client.messages[2 * i + 1] as ArrayBuffer), bytes(size));
    assert.ok(recorder.messages[2 * i] === text(size), `we received ${size} bytes of text`);
    assert.deepEqual(recorder.messages[2 * i + 1], bytes(size));
  });
  // Frames are invisible on a platform socket: each message is one last frame.
  assert.equal(recorder.frames.length, recorder.messages.length);
  assert.ok(recorder.frames.every((f, i) => f.isLastFrame && f.frame === recorder.messages[i]));
  client.ws.close(1000);
  await recorder.ended();
  await client.end();
});

Deno.test("handleRequest sockets with our QWebSocket client: a message sent in 1000-byte frames is one frame event; send methods return payload bytes", async () => {
  await using edge = new EdgeServer();
  const client = new QWebSocket();
  client.setOutgoingFrameSize(1000);
  client.open(`${edge.url}/q`);
  await nextEvent(client, "connected");
  const socket = await edge.nextClient();
  const recorder = new Recorder(socket);
  const received: Array<string | Uint8Array> = [];
  client.addEventListener("textMessageReceived", (e) => received.push(e.message));
  client.addEventListener("binaryMessageReceived", (e) => received.push(e.message));

  assert.equal(client.sendTextMessage(text(5001)), 5001);
  await recorder.messageCount(1);
  assert.deepEqual(recorder.frames, [{ frame: text(5001), isLastFrame: true }]);

  assert.equal(socket.sendTextMessage("héllo"), 6, "UTF-8 bytes queued");
  assert.equal(socket.sendBinaryMessage(bytes(300).buffer as ArrayBuffer), 300);
  assert.equal(socket.sendBinaryMessage(new Uint16Array([1, 2])), 4);
  assert.equal(socket.sendTextMessage(""), 0);
  const done = new Promise<void>((resolve) => {
    client.addEventListener("textMessageReceived", (e) => e.message === "" && resolve());
  });
  await within(done, "the empty message");
  assert.deepEqual(received, ["héllo", bytes(300), new Uint8Array([1, 0, 2, 0]), ""]);
  await within(client[Symbol.asyncDispose](), "the client to close");
  await recorder.ended();
  assert.equal(socket.closeCode(), CloseCode.CloseCodeNormal);
});

Deno.test("RFC 6455 §7 handleRequest sockets: the server closes with a code and reason; events come in Qt's order", async () => {
  await using edge = new EdgeServer();
  const client = new DenoClient(`${edge.url}/`);
  await within(client.opened, "open");
  const socket = await edge.nextClient();
  const recorder = new Recorder(socket);
  const states: number[] = [];
  socket.addEventListener("stateChanged", (e) => states.push(e.state));
  socket.sendTextMessage("bye soon");
  socket.close(4001, "é".repeat(100));
  assert.equal(socket.state(), QAbstractSocket.SocketState.ClosingState);
  assert.equal(socket.sendTextMessage("too late"), 0, "nothing is sent once closing");
  const end = await client.end();
  await recorder.ended();
  assert.deepEqual(client.messages, ["bye soon"]);
  // The reason is cut to 123 bytes on a character boundary: 61 two-byte characters.
  assert.deepEqual([end.code, end.reason, end.wasClean], [4001, "é".repeat(61), true]);
  assert.equal(socket.closeCode(), 4001, "the peer echoed our code");
  assert.deepEqual(recorder.events, ["aboutToClose", "readChannelFinished", "disconnected"]);
  assert.deepEqual(states, [
    QAbstractSocket.SocketState.ClosingState,
    QAbstractSocket.SocketState.UnconnectedState,
  ]);
  assert.deepEqual(recorder.errors, []);
});

Deno.test("RFC 6455 §7 handleRequest sockets: the client's close code and reason reach closeCode() and closeReason(); none gives 1005", async () => {
  await using edge = new EdgeServer();
  for (const [code, reason] of [[4000, "done here"], [1000, ""], [undefined, ""]] as const) {
    const client = new DenoClient(`${edge.url}/`);
    await within(client.opened, "open");
    const recorder = new Recorder(await edge.nextClient());
    client.ws.close(code, reason === "" ? undefined : reason);
    await recorder.ended();
    const end = await client.end();
    assert.equal(recorder.socket.closeCode(), code ?? CloseCode.CloseCodeMissingStatusCode);
    assert.equal(recorder.socket.closeReason(), reason);
    assert.equal(end.wasClean, true);
    assert.deepEqual(recorder.events, ["aboutToClose", "readChannelFinished", "disconnected"]);
    assert.deepEqual(recorder.errors, []);
  }
});

Deno.test("RFC 6455 §7.4.1 handleRequest sockets: Qt's server-side close codes (1001, 1008, 1011) go out as given", async () => {
  await using edge = new EdgeServer();
  for (const code of [1001, 1008, 1011]) {
    const { raw, recorder } = await rawPair(edge);
    try {
      recorder.socket.close(code, "why");
      const frame = await raw.readFrame();
      assert.equal(frame?.opcode, OP.close);
      assert.deepEqual(parseClose(frame!.payload), { code, reason: "why" });
      await raw.sendFrame(OP.close, frame!.payload);
      await recorder.ended();
      assert.equal(recorder.socket.closeCode(), code);
    } finally {
      raw.close();
    }
  }
});

Deno.test("Qt maxAllowedIncomingMessageSize on handleRequest sockets: a larger message is not delivered and closes with 1009", async () => {
  const server = new QWebSocketServer("", QWebSocketServer.SslMode.NonSecureMode);
  server.setMaxAllowedIncomingMessageSize(1000);
  await using edge = new EdgeServer(server);
  // Binary one byte over; text over in UTF-8 bytes though under in characters.
  for (const over of [bytes(1001), "é".repeat(501)]) {
    const client = new DenoClient(`${edge.url}/`);
    await within(client.opened, "open");
    const recorder = new Recorder(await edge.nextClient());
    const errorKinds: number[] = [];
    recorder.socket.addEventListener("error", (e) => errorKinds.push(e.error));
    client.ws.send(bytes(1000));
    client.ws.send("é".repeat(500));
    client.ws.send(over);
    const end = await client.end();
    await recorder.ended();
    assert.deepEqual([end.code, end.reason], [1009, "Message too big"]);
    assert.deepEqual(recorder.messages, [bytes(1000), "é".repeat(500)]);
    assert.equal(recorder.socket.closeCode(), CloseCode.CloseCodeTooMuchData);
    assert.deepEqual(errorKinds, [SocketError.UnknownSocketError]);
    assert.match(recorder.errors[0]!, /over the limit of 1000 bytes: closing with code 1009/);
    assert.deepEqual(recorder.events, ["aboutToClose", "readChannelFinished", "disconnected"]);
  }

  // A socket's own limit applies at once.
  const client = new DenoClient(`${edge.url}/`);
  await within(client.opened, "open");
  const recorder = new Recorder(await edge.nextClient());
  recorder.socket.setMaxAllowedIncomingMessageSize(10);
  client.ws.send("0123456789");
  client.ws.send("0123456789!");
  assert.equal((await client.end()).code, 1009);
  await recorder.ended();
  assert.deepEqual(recorder.messages, ["0123456789"]);
});

Deno.test("handleRequest sockets: messages sent before nextPendingConnection() are delivered after it, bounded by the message limit in all", async () => {
  const server = new QWebSocketServer("", QWebSocketServer.SslMode.NonSecureMode);
  server.setMaxAllowedIncomingMessageSize(1000);
  await using edge = new EdgeServer(server);

  const early = new DenoClient(`${edge.url}/`);
  early.ws.addEventListener("open", () => ["one", "two", "three"].forEach((m) => early.ws.send(m)));
  await within(early.opened, "open");
  if (!edge.server.hasPendingConnections()) await nextEvent(edge.server, "newConnection");
  // The client's next message arrives behind its first three.
  early.ws.send("four");
  const first = new Recorder(await edge.nextClient());
  await first.messageCount(4);
  assert.deepEqual(first.messages, ["one", "two", "three", "four"]);
  early.ws.close();
  await first.ended();
  await early.end();

  // 600 + 600 bytes while nobody took the socket: over 1000 in all.
  const flood = new DenoClient(`${edge.url}/`);
  flood.ws.addEventListener("open", () => {
    flood.ws.send(bytes(600));
    flood.ws.send(bytes(600));
  });
  const end = await flood.end();
  assert.equal(end.code, 1009);
  const second = new Recorder(await edge.nextClient());
  await second.ended();
  assert.deepEqual(second.messages, [bytes(600)]);
  assert.equal(second.socket.closeCode(), CloseCode.CloseCodeTooMuchData);
  assert.match(second.errors[0]!, /before the application took the connection/);
});

Deno.test("Qt bytesToWrite()/bytesWritten on handleRequest sockets: the platform's bufferedAmount, in payload bytes; writable resolves once written", async () => {
  await using edge = new EdgeServer();
  const client = new DenoClient(`${edge.url}/`);
  await within(client.opened, "open");
  const socket = await edge.nextClient();
  const recorder = new Recorder(socket);
  const size = 4 * 1024 * 1024;
  assert.equal(socket.bytesToWrite(), 0);
  socket.sendBinaryMessage(bytes(size));
  socket.sendTextMessage("héllo");
  // Counted as soon as send() returns, before any of it can have been written.
  assert.equal(socket.bytesToWrite(), size + 6);
  assert.equal(socket.flush(), true, "data waits to be written");
  const writer = socket.writable.getWriter();
  await within(writer.write("last"), "the writable to resolve");
  writer.releaseLock();
  await client.messageCount(3);
  assert.equal(client.messages[2], "last");
  const sum = () => recorder.written.reduce((a, b) => a + b, 0);
  const deadline = Date.now() + 20_000;
  while (sum() < size + 10) {
    assert.ok(Date.now() < deadline, `bytesWritten reported ${sum()} of ${size + 10} bytes`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.equal(sum(), size + 10);
  assert.equal(socket.bytesToWrite(), 0);
  assert.equal(socket.flush(), false);
  client.ws.close();
  await recorder.ended();
  await client.end();
});

Deno.test("Qt ping() on handleRequest sockets: the Web API has no ping, so nothing is sent and pong never fires; the platform answers the peer's pings", async () => {
  await using edge = new EdgeServer();
  const { raw, recorder } = await rawPair(edge);
  try {
    recorder.socket.ping(new Uint8Array([1, 2, 3]));
    recorder.socket.sendTextMessage("after the ping");
    const first = await raw.readFrame();
    assert.equal(first?.opcode, OP.text, "no ping frame came before the message");
    await raw.sendFrame(OP.ping, new Uint8Array([9, 8]));
    const pong = await raw.readFrame();
    assert.deepEqual([pong?.opcode, [...pong!.payload]], [OP.pong, [9, 8]]);
    await raw.sendFrame(OP.pong, new Uint8Array([1, 2, 3]));
    await raw.sendFrame(OP.text, new TextEncoder().encode("round trip"));
    await recorder.messageCount(1);
    assert.deepEqual(recorder.pongs, [], "pong never fires on a platform socket");
    await raw.sendFrame(OP.close, closePayload(1000));
    await recorder.ended();
  } finally {
    raw.close();
  }
});

Deno.test("Qt abort() on handleRequest sockets: disconnected at once with 1006 and no error; the platform sends close code 1001", async () => {
  await using edge = new EdgeServer();
  const client = new DenoClient(`${edge.url}/`);
  await within(client.opened, "open");
  const recorder = new Recorder(await edge.nextClient());
  recorder.socket.abort();
  await recorder.ended();
  assert.equal(recorder.socket.closeCode(), CloseCode.CloseCodeAbnormalDisconnection);
  assert.deepEqual(recorder.errors, []);
  assert.equal(recorder.socket.state(), QAbstractSocket.SocketState.UnconnectedState);
  const end = await client.end();
  assert.equal(end.code, 1001);
});

Deno.test("Qt closeTimeout on handleRequest sockets: a peer that never answers the close frame gives SocketTimeoutError", async () => {
  await using edge = new EdgeServer();
  const { raw, recorder } = await rawPair(edge);
  try {
    recorder.socket.setCloseTimeout(200);
    recorder.socket.close(1000, "bye");
    const frame = await raw.readFrame();
    assert.equal(frame?.opcode, OP.close);
    await recorder.ended();
    assert.equal(recorder.socket.error(), SocketError.SocketTimeoutError);
    assert.match(recorder.errors[0]!, /did not complete the closing handshake within 200 ms/);
    assert.equal(recorder.socket.closeCode(), CloseCode.CloseCodeAbnormalDisconnection);
  } finally {
    // The platform still waits for the peer: this ends its connection.
    raw.close();
  }
});

Deno.test("RFC 6455 §7.1.7 handleRequest sockets: a peer that drops TCP gives 1006 and RemoteHostClosedError", async () => {
  await using edge = new EdgeServer();
  const { raw, recorder } = await rawPair(edge);
  raw.close();
  await recorder.ended();
  assert.equal(recorder.socket.closeCode(), CloseCode.CloseCodeAbnormalDisconnection);
  assert.equal(recorder.socket.error(), SocketError.RemoteHostClosedError);
  assert.equal(recorder.errors.length, 1);
  assert.deepEqual(recorder.events.slice(-2), ["readChannelFinished", "disconnected"]);
});

Deno.test("RFC 6455 §8.1 handleRequest sockets: invalid UTF-8 from the peer is the platform's to handle: it drops the connection, closeCode() 1006 with its reason", async () => {
  await using edge = new EdgeServer();
  const { raw, recorder } = await rawPair(edge);
  try {
    await raw.sendFrame(OP.text, new Uint8Array([0x68, 0xff, 0x69]));
    await recorder.ended();
    assert.deepEqual(recorder.messages, []);
    assert.equal(recorder.socket.closeCode(), CloseCode.CloseCodeAbnormalDisconnection);
    assert.match(recorder.errors[0]!, /^The connection failed: .*UTF-8/i);
  } finally {
    raw.close();
  }
});

Deno.test("handleRequest sockets: readable and for await deliver messages, cancelling closes", async () => {
  await using edge = new EdgeServer();
  const client = new DenoClient(`${edge.url}/`);
  await within(client.opened, "open");
  const socket = await edge.nextClient();
  const recorder = new Recorder(socket);
  client.ws.send("a");
  client.ws.send(new Uint8Array([1]));
  client.ws.send("stop");
  const seen: Array<string | Uint8Array> = [];
  for await (const message of socket) {
    seen.push(message);
    if (message === "stop") break;
  }
  assert.deepEqual(seen, ["a", new Uint8Array([1]), "stop"]);
  await recorder.ended();
  assert.equal((await client.end()).code, 1000);
});

Deno.test("Deno's idle timeout on handleRequest sockets: a client silent for 15 s is pinged, and one that never answers is dropped after 30 s: 1001 and SocketTimeoutError", async () => {
  await using edge = new EdgeServer();
  const { raw, recorder } = await rawPair(edge);
  try {
    // Deno's default idleTimeout of 30 s: a ping at half of it.
    const ping = await raw.readFrame(60_000);
    assert.equal(ping?.opcode, OP.ping);
    await within(recorder.disconnected, "the idle timeout", 60_000);
    assert.equal(recorder.socket.closeCode(), CloseCode.CloseCodeGoingAway);
    assert.equal(recorder.socket.error(), SocketError.SocketTimeoutError);
    assert.deepEqual(recorder.errors, ["The connection failed: No response from ping frame."]);
  } finally {
    raw.close();
  }
});
