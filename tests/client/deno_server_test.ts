/**
 * QWebSocket against Deno's built-in WebSocket server (`Deno.serve` +
 * `Deno.upgradeWebSocket`): a real peer that none of us wrote.
 */

import assert from "node:assert/strict";
import {
  QAbstractSocket,
  QNetworkRequest,
  QWebSocket,
  QWebSocketHandshakeOptions,
  QWebSocketProtocol,
} from "../../mod.ts";
import {
  assertSameBytes,
  connect,
  disconnected,
  EventLog,
  nextEvent,
  patternBytes,
  startDenoServer,
  within,
} from "./_helpers.ts";

const State = QAbstractSocket.SocketState;

Deno.test("Qt QWebSocket: a normal connection dispatches every event in Qt's order", async () => {
  const server = startDenoServer();
  const socket = new QWebSocket();
  const log = new EventLog(socket);
  const connected = nextEvent(socket, "connected");
  socket.open(server.url);
  assert.equal(socket.state(), State.ConnectingState, "open() moves to ConnectingState at once");
  await within(connected, "connected");
  assert.equal(socket.state(), State.ConnectedState);
  assert.equal(socket.isValid(), true);

  const echo = nextEvent(socket, "textMessageReceived");
  assert.equal(
    socket.sendTextMessage("héllo"),
    6,
    "sendTextMessage returns the UTF-8 bytes queued",
  );
  assert.equal((await within(echo, "the echo")).message, "héllo");

  const end = disconnected(socket);
  socket.close(QWebSocketProtocol.CloseCode.CloseCodeNormal, "done");
  await end;
  assert.deepEqual(log.events, [
    "stateChanged(Connecting)",
    "stateChanged(Connected)",
    "connected",
    "textFrameReceived(5,true)",
    "textMessageReceived(5)",
    "aboutToClose",
    "stateChanged(Closing)",
    "readChannelFinished",
    "stateChanged(Unconnected)",
    "disconnected",
  ]);
  assert.equal(socket.state(), State.UnconnectedState);
  assert.equal(socket.isValid(), false);
  assert.equal(socket.closeCode(), 1000);
  assert.equal(socket.error(), QAbstractSocket.SocketError.UnknownSocketError);
  assert.equal(socket.errorString(), "");
  await server.close();
});

const SIZES = [0, 1, 125, 126, 65535, 65536, 1024 * 1024, 16 * 1024 * 1024];

function textOf(size: number): string {
  // A mix of 1-, 2-, 3- and 4-byte characters, cut to exactly `size` UTF-8 bytes.
  const unit = "aé€😀"; // 1 + 2 + 3 + 4 = 10 bytes
  let text = unit.repeat(Math.floor(size / 10));
  text += "z".repeat(size - new TextEncoder().encode(text).length);
  return text;
}

Deno.test("RFC 6455 §5.2 echo with Deno's server: text at 0, 1, 125, 126, 65535, 65536 bytes, 1 and 16 MiB", async () => {
  const server = startDenoServer();
  const socket = await connect(server.url);
  for (const size of SIZES) {
    const text = textOf(size);
    const echo = nextEvent(socket, "textMessageReceived");
    assert.equal(socket.sendTextMessage(text), size);
    const got = (await within(echo, `the ${size}-byte text echo`)).message;
    assert.equal(got.length, text.length, `${size}-byte text: length`);
    assert.ok(got === text, `${size}-byte text: content`);
  }
  const end = disconnected(socket);
  socket.close();
  await end;
  await server.close();
});

Deno.test("RFC 6455 §5.2 echo with Deno's server: binary at 0, 1, 125, 126, 65535, 65536 bytes, 1 and 16 MiB", async () => {
  const server = startDenoServer();
  const socket = await connect(server.url);
  for (const size of SIZES) {
    const data = patternBytes(size, size);
    const echo = nextEvent(socket, "binaryMessageReceived");
    // Any ArrayBufferView works: send a DataView over a larger buffer.
    const padded = new Uint8Array(size + 8);
    padded.set(data, 4);
    assert.equal(socket.sendBinaryMessage(new DataView(padded.buffer, 4, size)), size);
    const got = (await within(echo, `the ${size}-byte binary echo`)).message;
    assert.ok(got instanceof Uint8Array);
    assertSameBytes(got, data, `${size}-byte binary`);
  }
  const end = disconnected(socket);
  socket.close();
  await end;
  await server.close();
});

Deno.test("Qt QWebSocket::sendBinaryMessage: an ArrayBuffer and typed arrays of any kind are sent as their bytes", async () => {
  const server = startDenoServer();
  const socket = await connect(server.url);
  const inputs: Array<[ArrayBuffer | ArrayBufferView, number[]]> = [
    [new Uint8Array([1, 2, 3]).buffer, [1, 2, 3]],
    [new Uint16Array([0x0201]), [1, 2]],
    [new Uint8Array([9, 8, 7, 6]).subarray(1, 3), [8, 7]],
  ];
  for (const [input, expected] of inputs) {
    const echo = nextEvent(socket, "binaryMessageReceived");
    socket.sendBinaryMessage(input);
    assert.deepEqual([...(await within(echo, "echo")).message], expected);
  }
  assert.throws(() => socket.sendBinaryMessage("text" as unknown as Uint8Array), TypeError);
  assert.throws(() => socket.sendTextMessage(new Uint8Array() as unknown as string), TypeError);
  const end = disconnected(socket);
  socket.close();
  await end;
  await server.close();
});

Deno.test("Qt QWebSocket::ping: Deno's server answers; pong carries the payload and the round-trip time", async () => {
  const server = startDenoServer();
  const socket = await connect(server.url);
  const pong = nextEvent(socket, "pong");
  socket.ping(new TextEncoder().encode("are you there?"));
  const e = await within(pong, "pong");
  assert.equal(new TextDecoder().decode(e.payload), "are you there?");
  assert.equal(typeof e.elapsedTime, "number");
  assert.ok(Number.isInteger(e.elapsedTime) && e.elapsedTime >= 0);

  // RFC 6455 §5.5: control payloads are at most 125 bytes; Qt clips.
  const long = new Uint8Array(200).map((_, i) => i);
  const clipped = nextEvent(socket, "pong");
  socket.ping(long);
  assert.deepEqual([...(await within(clipped, "clipped pong")).payload], [
    ...long.subarray(0, 125),
  ]);

  const empty = nextEvent(socket, "pong");
  socket.ping();
  assert.equal((await within(empty, "empty pong")).payload.length, 0);

  const end = disconnected(socket);
  socket.close();
  await end;
  await server.close();
});

Deno.test("Qt QWebSocket::close: a self-initiated close reaches Deno's server with code and reason", async () => {
  const server = startDenoServer();
  const socket = await connect(server.url);
  const peer = await within(server.opened(), "server socket");
  const seen = new Promise<CloseEvent>((resolve) => peer.addEventListener("close", resolve));
  const log = new EventLog(socket);
  const end = disconnected(socket);
  socket.close(QWebSocketProtocol.CloseCode.CloseCodeGoingAway, "going away");
  assert.equal(socket.state(), State.ClosingState, "close() moves to ClosingState at once");
  await end;
  const event = await within(seen, "the server's close event");
  assert.equal(event.code, 1001);
  assert.equal(event.reason, "going away");
  assert.equal(event.wasClean, true);
  assert.deepEqual(log.events, [
    "aboutToClose",
    "stateChanged(Closing)",
    "readChannelFinished",
    "stateChanged(Unconnected)",
    "disconnected",
  ]);
  assert.equal(socket.closeCode(), 1001);
  assert.equal(socket.error(), QAbstractSocket.SocketError.UnknownSocketError, "no error");
  await server.close();
});

Deno.test("Qt QWebSocket::closeCode/closeReason: a close started by Deno's server", async () => {
  const server = startDenoServer();
  const socket = await connect(server.url);
  const peer = await within(server.opened(), "server socket");
  const log = new EventLog(socket);
  const end = disconnected(socket);
  peer.close(4000, "server says bye");
  await end;
  assert.deepEqual(log.events, [
    "aboutToClose",
    "stateChanged(Closing)",
    "readChannelFinished",
    "stateChanged(Unconnected)",
    "disconnected",
  ]);
  assert.equal(socket.closeCode(), 4000);
  assert.equal(socket.closeReason(), "server says bye");
  assert.equal(socket.errorString(), "");
  await server.close();
});

Deno.test("Qt QWebSocket::open(QNetworkRequest, options): headers, origin, resource name and subprotocol as Deno's server sees them", async () => {
  const server = startDenoServer({
    protocol: (offered) => offered.find((p) => p === "chat.v1"),
  });
  const socket = new QWebSocket("https://app.example");
  const request = new QNetworkRequest(`${server.url}/chat/room?id=7&x=%20y`);
  request.setRawHeader("X-Api-Key", "k-123");
  request.setRawHeader("Authorization", "Bearer t0ken");
  const options = new QWebSocketHandshakeOptions();
  options.setSubprotocols(["chat.v2", "chat.v1"]);
  const connected = nextEvent(socket, "connected");
  socket.open(request, options);
  await within(connected, "connected");

  const seen = server.requests[0]!;
  const url = new URL(seen.url);
  assert.equal(url.pathname + url.search, "/chat/room?id=7&x=%20y");
  assert.equal(seen.headers.get("x-api-key"), "k-123");
  assert.equal(seen.headers.get("authorization"), "Bearer t0ken");
  assert.equal(seen.headers.get("origin"), "https://app.example");
  assert.equal(seen.headers.get("sec-websocket-protocol"), "chat.v2, chat.v1");
  assert.equal(seen.headers.get("sec-websocket-version"), "13");

  assert.equal(socket.subprotocol(), "chat.v1");
  assert.deepEqual(socket.handshakeOptions().subprotocols(), ["chat.v2", "chat.v1"]);
  assert.ok(socket.handshakeOptions().equals(options));
  assert.equal(socket.resourceName(), "/chat/room?id=7&x=%20y");
  assert.equal(socket.requestUrl().href, `${server.url}/chat/room?id=7&x=%20y`);
  assert.equal(socket.request().rawHeader("x-api-key"), "k-123");
  assert.equal(socket.origin(), "https://app.example");
  assert.equal(socket.version(), QWebSocketProtocol.Version.Version13);
  assert.equal(socket.peerName(), "127.0.0.1");
  assert.equal(socket.peerAddress(), "127.0.0.1");
  assert.equal(socket.peerPort(), server.port);
  assert.equal(socket.localAddress(), "127.0.0.1");
  assert.ok(socket.localPort() > 0 && socket.localPort() !== server.port);

  const end = disconnected(socket);
  socket.close();
  await end;
  assert.equal(socket.peerPort(), 0, "no peer once disconnected");
  assert.equal(socket.localAddress(), "");
  await server.close();
});

Deno.test("Qt QWebSocket::open(url, options): a Sec-WebSocket-Protocol request header is offered too", async () => {
  const server = startDenoServer({ protocol: (offered) => offered.at(-1) });
  const socket = new QWebSocket();
  const request = new QNetworkRequest(server.url);
  request.setRawHeader("Sec-WebSocket-Protocol", "from.header");
  const options = new QWebSocketHandshakeOptions();
  options.setSubprotocols(["from.options"]);
  const connected = nextEvent(socket, "connected");
  socket.open(request, options);
  await within(connected, "connected");
  assert.equal(
    server.requests[0]!.headers.get("sec-websocket-protocol"),
    "from.options, from.header",
  );
  assert.equal(socket.subprotocol(), "from.header");
  const end = disconnected(socket);
  socket.close();
  await end;
  await server.close();
});

Deno.test("Qt QWebSocket::open(url): http: is an alias of ws:, and a server that picks no subprotocol leaves subprotocol() empty", async () => {
  const server = startDenoServer();
  const socket = new QWebSocket();
  const options = new QWebSocketHandshakeOptions();
  options.setSubprotocols(["x"]);
  const connected = nextEvent(socket, "connected");
  socket.open(new URL(server.url.replace("ws:", "http:")), options);
  await within(connected, "connected");
  assert.equal(socket.subprotocol(), "");
  assert.equal(socket.resourceName(), "/");
  const end = disconnected(socket);
  socket.close();
  await end;
  await server.close();
});

Deno.test("Qt QWebSocket::open(QNetworkRequest): the request's headers are sent; request() is a copy taken at open()", async () => {
  const server = startDenoServer();
  const socket = new QWebSocket();
  const request = new QNetworkRequest(`${server.url}/r`);
  request.setRawHeader("X-Trace", "abc");
  const connected = nextEvent(socket, "connected");
  socket.open(request);
  request.setRawHeader("X-Trace", "changed later");
  await within(connected, "connected");
  assert.equal(server.requests[0]!.headers.get("x-trace"), "abc");
  assert.equal(server.requests[0]!.headers.get("sec-websocket-protocol"), null);
  assert.equal(socket.request().rawHeader("X-Trace"), "abc");
  socket.request().setRawHeader("X-Trace", "not kept");
  assert.equal(socket.request().rawHeader("X-Trace"), "abc");
  assert.equal(socket.requestUrl().pathname, "/r");
  const end = disconnected(socket);
  socket.close();
  await end;
  await server.close();
});

Deno.test("Qt QWebSocket::open: an IPv6 literal URL ([::1]) connects; Host keeps the brackets", async () => {
  const server = startDenoServer({ hostname: "::1" });
  const socket = await connect(server.url);
  assert.equal(server.requests[0]!.headers.get("host"), `[::1]:${server.port}`);
  assert.equal(socket.peerName(), "::1");
  assert.equal(socket.peerAddress(), "::1");
  assert.equal(socket.localAddress(), "::1");
  const echo = nextEvent(socket, "textMessageReceived");
  socket.sendTextMessage("v6");
  assert.equal((await within(echo, "echo")).message, "v6");
  const end = disconnected(socket);
  socket.close();
  await end;
  await server.close();
});

Deno.test("Qt QWebSocket::open from a connected listener: the replaced connection delivers nothing", async () => {
  const server = startDenoServer({
    echo: false,
    onSocket: (ws) => (ws.onopen = () => ws.send("hello")),
  });
  const socket = new QWebSocket();
  const messages: string[] = [];
  socket.addEventListener("textMessageReceived", (e) => messages.push(e.message));
  let opens = 0;
  socket.addEventListener("connected", () => {
    if (++opens === 1) socket.open(`${server.url}/second`);
  });
  const second = new Promise<void>((resolve) => {
    socket.addEventListener("textMessageReceived", () => resolve(), { once: true });
  });
  socket.open(`${server.url}/first`);
  await within(second, "the second connection's message");
  assert.equal(opens, 2);
  assert.equal(socket.resourceName(), "/second");
  const end = disconnected(socket);
  socket.close();
  await end;
  assert.deepEqual(messages, ["hello"]);
  await server.close();
});
