/**
 * The server against real peers: Deno's built-in `WebSocket` client (echo
 * at every length boundary of RFC 6455 §5.2, close codes both ways, pings)
 * and our own `QWebSocket`.
 */

import assert from "node:assert/strict";
import {
  QWebSocket,
  QWebSocketHandshakeOptions,
  QWebSocketProtocol,
  type QWebSocketServer,
} from "../../mod.ts";
import {
  disconnected,
  echoEveryClient,
  listeningServer,
  nextClient,
  nextEvent,
  within,
} from "./_helpers.ts";

const SIZES = [0, 125, 126, 65535, 65536, 1024 * 1024, 16 * 1024 * 1024];

/** Deno's WebSocket with its events as promises. */
class DenoClient {
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  readonly closed: Promise<CloseEvent>;
  #messages: Array<string | ArrayBuffer> = [];
  #waiting: Array<(message: string | ArrayBuffer) => void> = [];

  constructor(url: URL, protocols: string[] = []) {
    this.ws = new WebSocket(url, protocols);
    this.ws.binaryType = "arraybuffer";
    this.opened = new Promise((resolve, reject) => {
      this.ws.addEventListener("open", () => resolve(), { once: true });
      this.ws.addEventListener("error", () => reject(new Error("Deno's WebSocket failed")), {
        once: true,
      });
    });
    this.closed = new Promise((resolve) =>
      this.ws.addEventListener("close", (e) => resolve(e), { once: true })
    );
    this.ws.addEventListener("message", (e) => {
      const waiter = this.#waiting.shift();
      if (waiter !== undefined) waiter(e.data);
      else this.#messages.push(e.data);
    });
  }

  next(): Promise<string | ArrayBuffer> {
    const message = this.#messages.shift();
    if (message !== undefined) return Promise.resolve(message);
    return within(new Promise((resolve) => this.#waiting.push(resolve)), "a message");
  }
}

async function withDenoClient(
  server: QWebSocketServer,
  run: (client: DenoClient) => Promise<void>,
): Promise<void> {
  const client = new DenoClient(server.serverUrl()!);
  await within(client.opened, "Deno's WebSocket to open");
  try {
    await run(client);
  } finally {
    if (client.ws.readyState === WebSocket.OPEN) client.ws.close();
    await within(client.closed, "Deno's WebSocket to close");
  }
}

Deno.test("5.2 server: Deno's WebSocket gets text echoed at every length boundary", async () => {
  await using server = listeningServer();
  const sockets = echoEveryClient(server);
  await withDenoClient(server, async (client) => {
    for (const size of SIZES) {
      const text = "é".repeat(size >> 1) + "a".repeat(size & 1);
      client.ws.send(text);
      const echo = await client.next();
      assert.equal(typeof echo, "string");
      assert.equal((echo as string).length, text.length, `text of ${size} bytes`);
      assert.ok(echo === text, `text of ${size} bytes came back changed`);
    }
  });
  for (const socket of sockets) await disconnected(socket);
});

Deno.test("5.2 server: Deno's WebSocket gets binary echoed at every length boundary", async () => {
  await using server = listeningServer();
  const sockets = echoEveryClient(server);
  await withDenoClient(server, async (client) => {
    for (const size of SIZES) {
      const data = new Uint8Array(size);
      for (let i = 0; i < size; i += 4093) data[i] = i & 0xff;
      if (size > 0) data[size - 1] = 0xab;
      client.ws.send(data);
      const echo = await client.next();
      assert.ok(echo instanceof ArrayBuffer, `binary of ${size} bytes`);
      assert.deepEqual(new Uint8Array(echo), data, `binary of ${size} bytes`);
    }
  });
  for (const socket of sockets) await disconnected(socket);
});

for (const code of [1000, 4000]) {
  Deno.test(`7.1.2 server: Deno's WebSocket closes with ${code} and a reason; the server socket reports both`, async () => {
    await using server = listeningServer();
    const client = new DenoClient(server.serverUrl()!);
    await within(client.opened, "Deno's WebSocket to open");
    const socket = await nextClient(server);
    const gone = nextEvent(socket, "disconnected");
    client.ws.close(code, `client says ${code}`);
    const closeEvent = await within(client.closed, "Deno's WebSocket to close");
    await gone;
    assert.equal(socket.closeCode(), code);
    assert.equal(socket.closeReason(), `client says ${code}`);
    assert.equal(closeEvent.code, code);
    assert.equal(closeEvent.wasClean, true);
  });
}

Deno.test("7.1.2 server: a server-initiated close reaches Deno's WebSocket with its code and reason", async () => {
  await using server = listeningServer();
  const client = new DenoClient(server.serverUrl()!);
  await within(client.opened, "Deno's WebSocket to open");
  const socket = await nextClient(server);
  const gone = nextEvent(socket, "disconnected");
  socket.close(4001, "server says bye");
  const closeEvent = await within(client.closed, "Deno's WebSocket to close");
  assert.equal(closeEvent.code, 4001);
  assert.equal(closeEvent.reason, "server says bye");
  assert.equal(closeEvent.wasClean, true);
  await gone;
  assert.equal(socket.closeCode(), 4001);
  assert.equal(
    socket.state(),
    0,
    "the server socket ends in UnconnectedState",
  );
});

Deno.test("5.5.2 server: Deno's WebSocket answers the server's ping", async () => {
  await using server = listeningServer();
  await withDenoClient(server, async () => {
    const socket = await nextClient(server);
    const pong = nextEvent<Event & { payload: Uint8Array }>(socket, "pong");
    socket.ping(new Uint8Array([1, 2, 3]));
    assert.deepEqual((await pong).payload, new Uint8Array([1, 2, 3]));
    const gone = nextEvent(socket, "disconnected");
    socket.close();
    await gone;
  });
});

Deno.test("QWebSocketServer: our own QWebSocket talks to it: subprotocol, text, binary, close", async () => {
  await using server = listeningServer("qtws");
  server.setSupportedSubprotocols(["v2.chat"]);
  const sockets = echoEveryClient(server);
  await using socket = new QWebSocket();
  const options = new QWebSocketHandshakeOptions();
  options.setSubprotocols(["v1.chat", "v2.chat"]);
  const connected = nextEvent(socket, "connected");
  socket.open(server.serverUrl()!, options);
  await connected;
  assert.equal(socket.subprotocol(), "v2.chat");
  const text = nextEvent<Event & { message: string }>(socket, "textMessageReceived");
  socket.sendTextMessage("ünïcödé");
  assert.equal((await text).message, "ünïcödé");
  const binary = nextEvent<Event & { message: Uint8Array }>(socket, "binaryMessageReceived");
  socket.sendBinaryMessage(new Uint8Array([9, 8, 7]));
  assert.deepEqual((await binary).message, new Uint8Array([9, 8, 7]));
  const gone = nextEvent(socket, "disconnected");
  socket.close(QWebSocketProtocol.CloseCode.CloseCodeNormal, "bye");
  await gone;
  assert.equal(sockets.length, 1);
  assert.equal(sockets[0]!.subprotocol(), "v2.chat");
  await within(sockets[0]![Symbol.asyncDispose](), "the server socket to disconnect");
  assert.equal(sockets[0]!.closeReason(), "bye");
});
