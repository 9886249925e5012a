/**
 * The QML `WebSocketServer` type: host, port, name, listen, accept, url,
 * errorString and clientConnected(webSocket), including invalid use.
 */

import assert from "node:assert/strict";
import {
  type BinaryMessageReceivedEvent,
  type ClientConnectedEvent,
  QAbstractSocket,
  QWebSocket,
  type TextMessageReceivedEvent,
  WebSocket as QmlWebSocket,
  WebSocketServer,
} from "../../mod.ts";
import { closedPort, nextEvent, pause, record } from "./_helpers.ts";

const Status = QmlWebSocket.Status;
const SocketError = QAbstractSocket.SocketError;

/** Opens a QWebSocket client to `url` and resolves once it is connected. */
async function connectClient(url: URL): Promise<QWebSocket> {
  const client = new QWebSocket();
  const connected = nextEvent(client, "connected");
  client.open(url);
  await connected;
  return client;
}

/**
 * Whether a client fails to connect to `url`. A listener closed a moment ago
 * may still complete a TCP connect from its backlog and then reset it, so
 * "refused" and "closed by the remote host" both mean nobody listens.
 */
async function cannotConnect(url: URL): Promise<boolean> {
  await using client = new QWebSocket();
  let connected = false;
  client.addEventListener("connected", () => (connected = true));
  const ended = nextEvent(client, "disconnected");
  client.open(url);
  await ended;
  return !connected && [SocketError.ConnectionRefusedError, SocketError.RemoteHostClosedError]
    .includes(client.error() as 0 | 1);
}

/** Sends a raw HTTP request and returns the whole response head. */
async function rawRequest(port: number, request: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode(request));
    let text = "";
    const buffer = new Uint8Array(4096);
    while (!text.includes("\r\n\r\n")) {
      const n = await conn.read(buffer);
      if (n === null) break;
      text += new TextDecoder().decode(buffer.subarray(0, n));
    }
    return text;
  } finally {
    conn.close();
  }
}

const UPGRADE = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n" +
  "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
  "Sec-WebSocket-Version: 13\r\n\r\n";

Deno.test("QML WebSocketServer: defaults are 127.0.0.1, port 0, no name, not listening, accepting", async () => {
  await using server = new WebSocketServer();
  assert.equal(server.host, "127.0.0.1");
  assert.equal(server.port, 0);
  assert.equal(server.name, "");
  assert.equal(server.listen, false);
  assert.equal(server.accept, true);
  assert.equal(server.errorString, "");
  assert.equal(server.url.href, "ws://127.0.0.1:0/");
});

Deno.test("QML WebSocketServer.listen: port 0 reads back the port in use, with portChanged and urlChanged", async () => {
  await using server = new WebSocketServer();
  const ports = record<number>(server, "portChanged", "port");
  const urls = record<URL | null>(server, "urlChanged", "url");
  const listens = record<boolean>(server, "listenChanged", "listen");
  server.listen = true;
  assert.deepEqual(listens, [true]);
  const port = server.port;
  assert.ok(port > 0 && port <= 65535);
  assert.deepEqual(ports, [port]);
  assert.equal(server.url.href, `ws://127.0.0.1:${port}/`);
  assert.deepEqual(urls.map((u) => u?.href), [server.url.href]);
  assert.equal(server.errorString, "");
  await using client = await connectClient(server.url);
  assert.equal(client.state(), QAbstractSocket.SocketState.ConnectedState);
});

Deno.test("QML WebSocketServer.clientConnected(webSocket): an active, open WebSocket that sends and receives", async () => {
  await using server = new WebSocketServer({ listen: true });
  const connected = nextEvent<ClientConnectedEvent>(server, "clientConnected");
  const target = new URL("/room?x=1", server.url);
  await using client = new QWebSocket();
  const clientConnected = nextEvent(client, "connected");
  client.open(target);
  const { webSocket } = await connected;
  await clientConnected;
  assert.ok(webSocket instanceof QmlWebSocket);
  assert.equal(webSocket.active, true);
  assert.equal(webSocket.status, Status.Open);
  assert.equal(webSocket.url?.pathname, "/room");
  assert.equal(webSocket.url?.search, "?x=1");

  const atServer = nextEvent<TextMessageReceivedEvent>(webSocket, "textMessageReceived");
  const atClient = nextEvent<TextMessageReceivedEvent>(client, "textMessageReceived");
  client.sendTextMessage("Hello Server!");
  assert.equal((await atServer).message, "Hello Server!");
  assert.equal(webSocket.sendTextMessage("Hello Client!"), 13);
  assert.equal((await atClient).message, "Hello Client!");

  const binary = nextEvent<BinaryMessageReceivedEvent>(client, "binaryMessageReceived");
  webSocket.sendBinaryMessage(new Uint8Array([9, 8, 7]));
  assert.deepEqual((await binary).message, new Uint8Array([9, 8, 7]));
});

Deno.test("QML WebSocketServer: a client's WebSocket closes with 1000 when its active is set to false", async () => {
  await using server = new WebSocketServer({ listen: true });
  const connected = nextEvent<ClientConnectedEvent>(server, "clientConnected");
  await using client = await connectClient(server.url);
  const { webSocket } = await connected;
  const statuses = record<number>(webSocket, "statusChanged", "status");
  const disconnected = nextEvent(client, "disconnected");
  webSocket.active = false;
  await disconnected;
  assert.equal(client.closeCode(), 1000);
  await nextEvent(webSocket, "statusChanged", () => webSocket.status === Status.Closed);
  assert.deepEqual(statuses, [Status.Closing, Status.Closed]);
});

Deno.test("QML WebSocketServer: a client's WebSocket cannot be pointed at another url (status Error, no exception)", async () => {
  await using server = new WebSocketServer({ listen: true });
  const connected = nextEvent<ClientConnectedEvent>(server, "clientConnected");
  await using client = await connectClient(server.url);
  const { webSocket } = await connected;
  webSocket.url = "ws://127.0.0.1:9/elsewhere";
  assert.equal(webSocket.status, Status.Error);
  assert.match(webSocket.errorString, /accepted by a WebSocketServer/);
  assert.equal(client.state(), QAbstractSocket.SocketState.ConnectedState);
});

Deno.test("QML WebSocketServer.name: sent as the Server header of the handshake response", async () => {
  await using server = new WebSocketServer({ name: "Declarative Echo", listen: true });
  let names = 0;
  server.addEventListener("nameChanged", () => names++);
  const first = await rawRequest(server.port, UPGRADE);
  assert.match(first, /^HTTP\/1\.1 101 /);
  assert.match(first, /\r\nServer: Declarative Echo\r\n/i);
  server.name = "Renamed";
  assert.equal(names, 1);
  assert.equal(server.errorString, "");
  const second = await rawRequest(server.port, UPGRADE);
  assert.match(second, /\r\nServer: Renamed\r\n/i);
});

Deno.test("QML WebSocketServer.listen = false: stops listening; connected clients stay connected", async () => {
  await using server = new WebSocketServer({ listen: true });
  const connected = nextEvent<ClientConnectedEvent>(server, "clientConnected");
  await using client = await connectClient(server.url);
  const { webSocket } = await connected;
  const url = server.url;
  server.listen = false;
  assert.equal(server.listen, false);
  assert.ok(await cannotConnect(url));
  const echoed = nextEvent<TextMessageReceivedEvent>(client, "textMessageReceived");
  webSocket.sendTextMessage("still here");
  assert.equal((await echoed).message, "still here");
});

Deno.test("QML WebSocketServer.port: changing it while listening listens again on the new port", async () => {
  await using server = new WebSocketServer({ listen: true });
  const oldUrl = server.url;
  const newPort = closedPort();
  server.port = newPort;
  assert.equal(server.port, newPort);
  assert.equal(server.url.href, `ws://127.0.0.1:${newPort}/`);
  await using client = await connectClient(server.url);
  assert.equal(client.peerPort(), server.port);
  assert.ok(await cannotConnect(oldUrl));
});

Deno.test("QML WebSocketServer.host: changing it while listening listens again on the new address", async () => {
  await using server = new WebSocketServer({ listen: true });
  const hosts = record<string>(server, "hostChanged", "host");
  const oldUrl = server.url;
  server.host = "::1";
  if (server.errorString !== "") {
    // This machine has no IPv6 loopback: the failure must at least be reported.
    assert.match(server.errorString, /::1/);
    return;
  }
  assert.deepEqual(hosts, ["::1"]);
  assert.equal(server.url.hostname, "[::1]");
  await using client = await connectClient(server.url);
  assert.equal(client.peerPort(), server.port);
  assert.ok(await cannotConnect(oldUrl));
});

Deno.test("QML WebSocketServer.accept = false: clients wait unanswered until accept is true again", async () => {
  await using server = new WebSocketServer({ accept: false, listen: true });
  let clients = 0;
  server.addEventListener("clientConnected", () => clients++);
  await using client = new QWebSocket();
  const connected = nextEvent(client, "connected");
  client.open(server.url);
  await pause(300);
  assert.equal(clients, 0);
  assert.equal(client.state(), QAbstractSocket.SocketState.ConnectingState);
  const handedOut = nextEvent(server, "clientConnected");
  server.accept = true;
  await Promise.all([connected, handedOut]);
  assert.equal(clients, 1);
});

Deno.test("QML WebSocketServer.accept = false while listening: a client that arrives meanwhile is not handed out", async () => {
  await using server = new WebSocketServer({ listen: true });
  let clients = 0;
  server.addEventListener("clientConnected", () => clients++);
  assert.ok(server.port > 0);
  // Let the server wait for its next client before accepting pauses.
  await pause(50);
  server.accept = false;
  assert.equal(server.errorString, "");
  await using client = new QWebSocket();
  const connected = nextEvent(client, "connected");
  client.open(server.url);
  await pause(300);
  assert.equal(clients, 0);
  const handedOut = nextEvent(server, "clientConnected");
  server.accept = true;
  await Promise.all([connected, handedOut]);
  assert.equal(clients, 1);
});

Deno.test("QML WebSocketServer.listen: an address in use sets errorString (with errorStringChanged), not an exception", async () => {
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const port = (busy.addr as Deno.NetAddr).port;
    await using server = new WebSocketServer({ port });
    const errors = record<string>(server, "errorStringChanged", "errorString");
    server.listen = true;
    assert.match(server.errorString, /in use/i);
    assert.deepEqual(errors, [server.errorString]);
    assert.equal(server.listen, true);
    server.port = 0;
    assert.equal(server.errorString, "");
    assert.ok(server.port > 0);
  } finally {
    busy.close();
  }
});

Deno.test("QML WebSocketServer: an invalid port or host is refused with errorString; the property keeps its value", async () => {
  await using server = new WebSocketServer({ port: 1234 });
  server.port = 70000;
  assert.equal(server.port, 1234);
  assert.match(server.errorString, /port to 70000.*0 to 65535/);
  server.port = 1.5;
  assert.equal(server.port, 1234);
  server.host = "not a host";
  assert.equal(server.host, "127.0.0.1");
  assert.match(server.errorString, /host/);
  assert.throws(() => (server.port = "80" as unknown as number), TypeError);
  assert.throws(() => (server.listen = 1 as unknown as boolean), TypeError);
  assert.throws(() => (server.accept = null as unknown as boolean), TypeError);
  assert.throws(() => (server.name = 5 as unknown as string), TypeError);
});

Deno.test("QML WebSocketServer.errorString: a refused handshake is reported", async () => {
  await using server = new WebSocketServer({ listen: true });
  const changed = nextEvent(server, "errorStringChanged");
  const response = await rawRequest(server.port, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  assert.match(response, /^HTTP\/1\.1 400 /);
  await changed;
  assert.notEqual(server.errorString, "");
});

Deno.test("QML WebSocketServer[Symbol.asyncDispose]: stops listening and closes every client it handed out", async () => {
  const server = new WebSocketServer({ listen: true });
  const connected = nextEvent<ClientConnectedEvent>(server, "clientConnected");
  await using client = await connectClient(server.url);
  const { webSocket } = await connected;
  const disconnected = nextEvent(client, "disconnected");
  const url = server.url;
  await server[Symbol.asyncDispose]();
  await disconnected;
  assert.equal(client.closeCode(), 1000);
  assert.equal(webSocket.status, Status.Closed);
  assert.ok(await cannotConnect(url));
});

Deno.test("QML WebSocketServer with a QML WebSocket client: Qt's qmlwebsocketserver example", async () => {
  await using server = new WebSocketServer({ listen: true });
  server.addEventListener("clientConnected", ({ webSocket }) => {
    webSocket.addEventListener("textMessageReceived", (e) => {
      webSocket.sendTextMessage(e.message === "Hello Server!" ? "Hello Client!" : "?");
    });
  });
  await using socket = new QmlWebSocket({ url: server.url, active: true });
  socket.addEventListener("statusChanged", (e) => {
    if (e.status === Status.Open) socket.sendTextMessage("Hello Server!");
  });
  const reply = await nextEvent<TextMessageReceivedEvent>(socket, "textMessageReceived");
  assert.equal(reply.message, "Hello Client!");
  socket.active = false;
  await nextEvent(socket, "statusChanged", () => socket.status === Status.Closed);
});
