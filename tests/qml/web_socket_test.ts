/**
 * The QML `WebSocket` type (Qt's qml-WebSocket page): every property,
 * status transition, event and method, including invalid use.
 */

import assert from "node:assert/strict";
import {
  type ActiveChangedEvent,
  type BinaryMessageReceivedEvent,
  type ErrorStringChangedEvent,
  QAbstractSocket,
  type StatusChangedEvent,
  type TextMessageReceivedEvent,
  type UrlChangedEvent,
  WebSocket as QmlWebSocket,
} from "../../mod.ts";
import { closedPort, nextEvent, record, startEchoServer } from "./_helpers.ts";

const Status = QmlWebSocket.Status;
const NOT_OPEN = "Messages can only be sent when the socket is open.";

function untilStatus(ws: QmlWebSocket, status: QmlWebSocket.Status): Promise<StatusChangedEvent> {
  return nextEvent<StatusChangedEvent>(ws, "statusChanged", (e) => e.status === status);
}

Deno.test("QML WebSocket.Status: Connecting 0, Open 1, Closing 2, Closed 3, Error 4", () => {
  assert.deepEqual(
    { ...QmlWebSocket.Status },
    { Connecting: 0, Open: 1, Closing: 2, Closed: 3, Error: 4 },
  );
});

Deno.test("QML WebSocket: a new socket is inactive and Closed, with no url, error or subprotocols", async () => {
  await using ws = new QmlWebSocket();
  assert.equal(ws.active, false);
  assert.equal(ws.status, Status.Closed);
  assert.equal(ws.url, null);
  assert.equal(ws.errorString, "");
  assert.deepEqual(ws.requestedSubprotocols, []);
  assert.equal(ws.negotiatedSubprotocol, "");
});

for (const order of ["url then active", "active then url"]) {
  Deno.test(`QML WebSocket.active: ${order} in one turn opens exactly one connection`, async () => {
    await using echo = startEchoServer();
    await using ws = new QmlWebSocket();
    const statuses = record<number>(ws, "statusChanged", "status");
    if (order === "url then active") {
      ws.url = echo.url;
      ws.active = true;
    } else {
      ws.active = true;
      ws.url = echo.url;
    }
    await untilStatus(ws, Status.Open);
    assert.deepEqual(statuses, [Status.Connecting, Status.Open]);
    assert.equal(echo.connections.length, 1);
    assert.equal(ws.errorString, "");
  });
}

Deno.test("QML WebSocket: the init object { url, active } opens one connection", async () => {
  await using echo = startEchoServer();
  await using ws = new QmlWebSocket({ active: true, url: echo.url.href });
  const statuses = record<number>(ws, "statusChanged", "status");
  await untilStatus(ws, Status.Open);
  assert.deepEqual(statuses, [Status.Connecting, Status.Open]);
  assert.equal(echo.connections.length, 1);
});

Deno.test("QML WebSocket.sendTextMessage: the text goes out and the echo arrives as textMessageReceived(message)", async () => {
  await using echo = startEchoServer();
  await using ws = new QmlWebSocket({ url: echo.url, active: true });
  await untilStatus(ws, Status.Open);
  const received = nextEvent<TextMessageReceivedEvent>(ws, "textMessageReceived");
  assert.equal(ws.sendTextMessage("Hello, wörld!"), 14);
  assert.equal((await received).message, "Hello, wörld!");
  assert.deepEqual(echo.texts, ["Hello, wörld!"]);
});

Deno.test("QML WebSocket.sendBinaryMessage: an ArrayBuffer and a Uint8Array arrive as binaryMessageReceived(message)", async () => {
  await using echo = startEchoServer();
  await using ws = new QmlWebSocket({ url: echo.url, active: true });
  await untilStatus(ws, Status.Open);
  const messages: Uint8Array[] = [];
  const both = new Promise<void>((resolve) => {
    ws.addEventListener("binaryMessageReceived", (e: BinaryMessageReceivedEvent) => {
      messages.push(e.message.slice());
      if (messages.length === 2) resolve();
    });
  });
  assert.equal(ws.sendBinaryMessage(new Uint8Array([1, 2, 3]).buffer), 3);
  assert.equal(ws.sendBinaryMessage(new Uint8Array([0, 255, 7, 8]).subarray(1, 3)), 2);
  await both;
  assert.deepEqual(messages, [new Uint8Array([1, 2, 3]), new Uint8Array([255, 7])]);
});

Deno.test("QML WebSocket.active = false: a closing handshake with 1000, status Closing then Closed", async () => {
  await using echo = startEchoServer();
  await using ws = new QmlWebSocket({ url: echo.url, active: true });
  await untilStatus(ws, Status.Open);
  const statuses = record<number>(ws, "statusChanged", "status");
  const serverSide = nextEvent(echo.connections[0]!, "disconnected");
  ws.active = false;
  await untilStatus(ws, Status.Closed);
  assert.deepEqual(statuses, [Status.Closing, Status.Closed]);
  await serverSide;
  assert.deepEqual(echo.closeCodes, [1000]);
  assert.equal(ws.active, false);
});

Deno.test("QML WebSocket.url: changing it while active closes the old connection and opens one to the new url", async () => {
  await using first = startEchoServer();
  await using second = startEchoServer();
  await using ws = new QmlWebSocket({ url: first.url, active: true });
  await untilStatus(ws, Status.Open);
  const statuses = record<number>(ws, "statusChanged", "status");
  const firstClosed = nextEvent(first.connections[0]!, "disconnected");
  ws.url = second.url;
  await untilStatus(ws, Status.Open);
  assert.deepEqual(statuses, [Status.Connecting, Status.Open]);
  await firstClosed;
  assert.deepEqual(first.closeCodes, [1000]);
  const echoed = nextEvent<TextMessageReceivedEvent>(ws, "textMessageReceived");
  ws.sendTextMessage("to the second server");
  assert.equal((await echoed).message, "to the second server");
  assert.deepEqual(first.texts, []);
  assert.deepEqual(second.texts, ["to the second server"]);
});

Deno.test("QML WebSocket.url: changing it while inactive does not connect", async () => {
  await using echo = startEchoServer();
  await using ws = new QmlWebSocket();
  ws.url = echo.url;
  assert.equal(ws.status, Status.Closed);
  await Promise.resolve();
  assert.equal(ws.status, Status.Closed);
  assert.equal(echo.connections.length, 0);
});

Deno.test("QML WebSocket.active: false then true in one turn reconnects", async () => {
  await using echo = startEchoServer();
  await using ws = new QmlWebSocket({ url: echo.url, active: true });
  await untilStatus(ws, Status.Open);
  ws.active = false;
  ws.active = true;
  await nextEvent(echo.server, "newConnection");
  await untilStatus(ws, Status.Open);
  assert.equal(echo.connections.length, 2);
});

Deno.test("QML WebSocket.active: true with no url gives status Error and a clear errorString, not an exception", async () => {
  await using ws = new QmlWebSocket();
  const errors = record<string>(ws, "errorStringChanged", "errorString");
  ws.active = true;
  assert.equal(ws.status, Status.Error);
  assert.match(ws.errorString, /url is empty.*ws:\/\/ or wss:\/\//);
  assert.deepEqual(errors, [ws.errorString]);
  assert.equal(ws.active, true);
});

Deno.test("QML WebSocket.url: an invalid url or an unsupported scheme gives status Error when activated", async () => {
  await using ws = new QmlWebSocket({ url: "ws://bad host name:80", active: true });
  assert.equal(ws.url, null);
  assert.equal(ws.status, Status.Error);
  assert.match(ws.errorString, /"ws:\/\/bad host name:80" is not a valid URL/);

  await using ftp = new QmlWebSocket({ url: "ftp://127.0.0.1/", active: true });
  await nextEvent(ftp, "statusChanged", () => ftp.status === Status.Error);
  assert.match(ftp.errorString, /scheme/i);
});

Deno.test("QML WebSocket.sendTextMessage / sendBinaryMessage: while not open, status Error with Qt's message and 0 returned", async () => {
  await using ws = new QmlWebSocket();
  assert.equal(ws.sendTextMessage("lost"), 0);
  assert.equal(ws.status, Status.Error);
  assert.equal(ws.errorString, NOT_OPEN);

  await using echo = startEchoServer();
  await using connecting = new QmlWebSocket({ url: echo.url, active: true });
  assert.equal(connecting.status, Status.Connecting);
  assert.equal(connecting.sendBinaryMessage(new Uint8Array([1])), 0);
  assert.equal(connecting.status, Status.Error);
  assert.equal(connecting.errorString, NOT_OPEN);
  // The connection itself goes on, as in Qt: Open clears the error.
  await untilStatus(connecting, Status.Open);
  assert.equal(connecting.errorString, "");
});

Deno.test("QML WebSocket: a refused connection gives status Error with errorString, kept after the socket ends; reconnecting clears it", async () => {
  await using ws = new QmlWebSocket({ url: `ws://127.0.0.1:${closedPort()}`, active: true });
  const statuses = record<number>(ws, "statusChanged", "status");
  await untilStatus(ws, Status.Error);
  assert.match(ws.errorString, /refused/i);
  assert.equal(ws.status, Status.Error);

  await using echo = startEchoServer();
  const errors = record<string>(ws, "errorStringChanged", "errorString");
  ws.url = echo.url;
  await untilStatus(ws, Status.Open);
  assert.deepEqual(statuses, [Status.Connecting, Status.Error, Status.Connecting, Status.Open]);
  assert.deepEqual(errors, [""]);
});

Deno.test("QML WebSocket.requestedSubprotocols: offered in the handshake; negotiatedSubprotocol is the server's choice", async () => {
  await using echo = startEchoServer(["chat.v2"]);
  await using ws = new QmlWebSocket();
  let requestedChanges = 0;
  let negotiatedChanges = 0;
  ws.addEventListener("requestedSubprotocolsChanged", () => requestedChanges++);
  ws.addEventListener("negotiatedSubprotocolChanged", () => negotiatedChanges++);
  ws.requestedSubprotocols = ["chat.v3", "chat.v2"];
  ws.requestedSubprotocols = ["chat.v3", "chat.v2"];
  assert.equal(requestedChanges, 1);
  assert.deepEqual(ws.requestedSubprotocols, ["chat.v3", "chat.v2"]);
  ws.url = echo.url;
  ws.active = true;
  await untilStatus(ws, Status.Open);
  assert.equal(ws.negotiatedSubprotocol, "chat.v2");
  assert.equal(negotiatedChanges, 1);
  assert.equal(echo.connections[0]!.subprotocol(), "chat.v2");
  assert.equal(
    echo.connections[0]!.request().rawHeader("Sec-WebSocket-Protocol"),
    "chat.v3, chat.v2",
  );
});

Deno.test("QML WebSocket: activeChanged(isActive), urlChanged and errorStringChanged fire once per change", async () => {
  await using ws = new QmlWebSocket();
  const active = record<boolean>(ws, "activeChanged", "isActive");
  const urls: (string | null)[] = [];
  ws.addEventListener("urlChanged", (e: UrlChangedEvent) => urls.push(e.url?.href ?? null));
  const errors: string[] = [];
  ws.addEventListener(
    "errorStringChanged",
    (e: ErrorStringChangedEvent) => errors.push(e.errorString),
  );
  ws.addEventListener(
    "activeChanged",
    (e: ActiveChangedEvent) => assert.equal(e.isActive, ws.active),
  );
  ws.url = "ws://127.0.0.1:9/";
  ws.url = new URL("ws://127.0.0.1:9/");
  ws.url = null;
  ws.active = false;
  ws.active = true;
  ws.active = true;
  assert.equal(ws.status, Status.Error);
  ws.active = false;
  assert.deepEqual(active, [true, false]);
  assert.deepEqual(urls, ["ws://127.0.0.1:9/", null]);
  assert.equal(errors.length, 1);
});

Deno.test("QML WebSocket.url: a string without a scheme gets ws://, as QML documents", async () => {
  await using echo = startEchoServer();
  await using ws = new QmlWebSocket({ url: `127.0.0.1:${echo.url.port}`, active: true });
  assert.equal(ws.url?.href, echo.url.href);
  await untilStatus(ws, Status.Open);
});

Deno.test("QML WebSocket: the server closing gives Closing then Closed; active stays true", async () => {
  await using echo = startEchoServer();
  await using ws = new QmlWebSocket({ url: echo.url, active: true });
  await untilStatus(ws, Status.Open);
  const statuses = record<number>(ws, "statusChanged", "status");
  echo.connections[0]!.close(4000, "bye");
  await untilStatus(ws, Status.Closed);
  assert.deepEqual(statuses, [Status.Closing, Status.Closed]);
  assert.equal(ws.active, true);
  assert.equal(ws.errorString, "");
});

Deno.test("QML WebSocket: reading status applies pending changes at once", async () => {
  await using echo = startEchoServer();
  await using ws = new QmlWebSocket();
  ws.url = echo.url;
  ws.active = true;
  assert.equal(ws.status, Status.Connecting);
  await untilStatus(ws, Status.Open);
});

Deno.test("QML WebSocket: arguments of the wrong type throw a TypeError that says what to pass", async () => {
  await using ws = new QmlWebSocket();
  assert.throws(() => (ws.active = "yes" as unknown as boolean), TypeError);
  assert.throws(() => (ws.url = 42 as unknown as string), /pass a URL or a string/);
  assert.throws(() => (ws.requestedSubprotocols = [1] as unknown as string[]), TypeError);
  assert.throws(
    () => ws.sendTextMessage(new Uint8Array() as unknown as string),
    /sendBinaryMessage/,
  );
  assert.throws(() => ws.sendBinaryMessage("text" as unknown as Uint8Array), /sendTextMessage/);
  assert.equal(ws.status, Status.Closed);
});

Deno.test("QML WebSocket[Symbol.asyncDispose]: closes the connection with 1000 and ignores later changes", async () => {
  await using echo = startEchoServer();
  const ws = new QmlWebSocket({ url: echo.url, active: true });
  await untilStatus(ws, Status.Open);
  const serverSide = nextEvent(echo.connections[0]!, "disconnected");
  await ws[Symbol.asyncDispose]();
  assert.equal(ws.status, Status.Closed);
  await serverSide;
  assert.deepEqual(echo.closeCodes, [1000]);
  ws.active = false;
  ws.active = true;
  assert.equal(ws.status, Status.Closed);
  assert.equal(echo.connections.length, 1);
});

Deno.test("QML WebSocket: status follows the QWebSocket states (Connecting while the handshake runs)", async () => {
  await using echo = startEchoServer();
  await using ws = new QmlWebSocket({ url: echo.url, active: true });
  const connected = nextEvent(echo.server, "newConnection");
  assert.equal(ws.status, Status.Connecting);
  await connected;
  await untilStatus(ws, Status.Open);
  assert.equal(echo.connections[0]!.state(), QAbstractSocket.SocketState.ConnectedState);
});
