/**
 * A representative workload of the whole library, run by `guard_test.ts` in
 * a child process under the recorder of `_guard.ts`: servers and clients in
 * every role, clean and abrupt ends, refused and failed openings, hostile
 * raw peers, TLS against a plain server, close timeouts, streams, disposal,
 * the declarative types. Every promise the workload itself creates is
 * handled, so anything the guard records came from the library. Prints
 * `{ "escaped": [...], "phases": n }` as JSON.
 *
 * With `--self-check`, it also makes one rejection and one listener
 * exception escape on purpose, to prove the recorder sees them.
 *
 * @module
 */

import {
  QAbstractSocket,
  QWebSocket,
  QWebSocketHandshakeOptions,
  QWebSocketServer,
  WebSocket as QmlWebSocket,
  WebSocketServer as QmlWebSocketServer,
} from "../../mod.ts";
import { connectCycle, CYCLE_KINDS } from "./_cycles.ts";
import { Guard } from "./_guard.ts";
import {
  clientFrame,
  goodClientRoundTrip,
  RawPeer,
  RawServer,
  requestBytes,
  serverFrame,
  sleep,
  startEchoServer,
  within,
} from "./_live.ts";
import { Prng } from "./_prng.ts";
import { fuzzStream } from "./_streams.ts";

const guard = new Guard();
const KEY = "dGhlIHNhbXBsZSBub25jZQ==";
let phases = 0;

function disconnected(socket: QWebSocket): Promise<void> {
  return new Promise((resolve) =>
    socket.addEventListener("disconnected", () => resolve(), { once: true })
  );
}

async function phase(name: string, body: () => Promise<void>): Promise<void> {
  phases++;
  try {
    await guard.run(name, () => within(body(), name, 60_000));
  } catch (error) {
    // The guard suppresses uncaught errors, so a failing phase must end the run itself.
    console.log(JSON.stringify({ escaped: guard.escaped, phases, failed: `${name}: ${error}` }));
    Deno.exit(1);
  }
}

const echo = startEchoServer({ handshakeTimeout: 2000 });

await phase("echo round trips, closes and aborts from both sides", async () => {
  for (let i = 0; i < 70; i++) await connectCycle(echo, CYCLE_KINDS[i % CYCLE_KINDS.length]!);
  await goodClientRoundTrip(echo.url);
});

await phase("fragmented messages, pings, tiny frame size", async () => {
  const socket = new QWebSocket();
  const done = disconnected(socket);
  socket.setOutgoingFrameSize(7);
  const got = new Promise<void>((resolve) => {
    let n = 0;
    socket.addEventListener("textMessageReceived", () => ++n === 2 && resolve());
  });
  const pong = new Promise((resolve) => socket.addEventListener("pong", resolve, { once: true }));
  socket.addEventListener("connected", () => {
    socket.sendTextMessage("fragmented ✓ text with 😀 characters");
    socket.sendTextMessage("x".repeat(5000));
    socket.ping(new Uint8Array([1, 2, 3]));
  });
  socket.open(echo.url);
  await Promise.all([got, pong]);
  socket.close(1001, "r".repeat(200));
  await done;
});

await phase("hostile raw peers: mutated frames and handshakes", async () => {
  const rng = new Prng(0x90a2d);
  for (let i = 0; i < 40; i++) {
    const peer = await RawPeer.connect(echo.port);
    try {
      if (i % 3 === 0) {
        await peer.write(rng.bytes(rng.int(1, 300)));
      } else {
        await peer.handshake(rng);
        await peer.write(fuzzStream(rng, { masked: true, maxPayload: 500 }).bytes);
      }
      if (i % 2 === 0) await peer.closeWrite();
      await sleep(5);
    } finally {
      await peer.close();
    }
  }
  await goodClientRoundTrip(echo.url);
});

await phase("slow and vanishing handshakes", async () => {
  const peers = await Promise.all(Array.from({ length: 5 }, () => RawPeer.connect(echo.port)));
  for (const peer of peers) await peer.write(requestBytes(KEY).subarray(0, 10));
  await goodClientRoundTrip(echo.url);
  await sleep(2500); // past the 2 s handshake timeout
  for (const peer of peers) await peer.close();
});

await phase(
  "failed openings: refused, bad scheme, bad URL, 404, bad accept, TLS to plain TCP",
  async () => {
    const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const closedPort = closed.addr.port;
    closed.close();
    const raw = new RawServer();
    const answers = [
      "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n",
      "garbage\r\n\r\n",
    ];
    const serving = (async () => {
      for (const answer of answers) {
        const peer = await raw.accept();
        try {
          await peer.waitFor((b) => b.length > 0, "a request");
          await peer.write(new TextEncoder().encode(answer));
          await peer.closeWrite();
          await peer.readToEnd();
        } finally {
          await peer.close();
        }
      }
    })();
    const targets = [
      `ws://127.0.0.1:${closedPort}`,
      "ftp://127.0.0.1/",
      "ws://127.0.0.1:1/\r\nX: y",
      raw.url,
      raw.url,
      raw.url,
      `wss://127.0.0.1:${echo.port}`,
    ];
    for (const target of targets) {
      const socket = new QWebSocket();
      const done = disconnected(socket);
      socket.addEventListener("error", () => {});
      socket.open(target);
      await done;
      if (socket.state() !== QAbstractSocket.SocketState.UnconnectedState) throw new Error(target);
    }
    await serving;
    raw.close();
  },
);

await phase("cancelled openings, reopen, dispose", async () => {
  for (let i = 0; i < 10; i++) {
    const socket = new QWebSocket();
    const done = disconnected(socket);
    socket.open(echo.url);
    if (i % 2 === 0) socket.abort();
    else await socket[Symbol.asyncDispose]();
    await done;
  }
  const socket = new QWebSocket();
  const first = new Promise((r) => socket.addEventListener("connected", r, { once: true }));
  socket.open(echo.url);
  await first;
  // Opening again while connected: Qt closes and reopens.
  const second = new Promise((r) => socket.addEventListener("connected", r, { once: true }));
  socket.open(echo.url, new QWebSocketHandshakeOptions());
  await second;
  await socket[Symbol.asyncDispose]();
});

await phase("close timeout: a server that never answers the close", async () => {
  const raw = new RawServer();
  const socket = new QWebSocket();
  socket.setCloseTimeout(200);
  const done = disconnected(socket);
  const connected = new Promise((r) => socket.addEventListener("connected", r, { once: true }));
  socket.addEventListener("error", () => {});
  socket.open(raw.url);
  const peer = await raw.accept();
  try {
    await peer.acceptHandshake();
    await connected;
    socket.close();
    await done;
  } finally {
    await peer.close();
    raw.close();
  }
});

await phase("server-side: hostile server frames to a client, server vanishing", async () => {
  const raw = new RawServer();
  for (
    const frames of [
      [serverFrame(0x1, new Uint8Array([0xff]))],
      [serverFrame(0x9, "ping"), serverFrame(0x8, new Uint8Array([0x03]))],
      [clientFrame(0x1, "masked from a server")],
      [serverFrame(0x2, new Uint8Array(100)).subarray(0, 50)],
    ]
  ) {
    const socket = new QWebSocket();
    const done = disconnected(socket);
    socket.addEventListener("error", () => {});
    socket.open(raw.url);
    const peer = await raw.accept();
    try {
      await peer.acceptHandshake();
      for (const frame of frames) await peer.write(frame);
      await sleep(20);
    } finally {
      await peer.close();
    }
    await done;
  }
  raw.close();
});

await phase("streams: readable, writable, for await, cancel, abort", async () => {
  const socket = new QWebSocket();
  const done = disconnected(socket);
  const connected = new Promise((r) => socket.addEventListener("connected", r, { once: true }));
  const readable = socket.readable;
  socket.open(echo.url);
  await connected;
  const writer = socket.writable.getWriter();
  await writer.write("one");
  await writer.write(new Uint8Array([2]));
  let n = 0;
  for await (const _message of readable) if (++n === 2) break;
  writer.releaseLock();
  await done;

  const other = new QWebSocket();
  const otherDone = disconnected(other);
  const otherConnected = new Promise((r) => other.addEventListener("connected", r, { once: true }));
  other.open(echo.url);
  await otherConnected;
  const w = other.writable.getWriter();
  await w.abort(new Error("stop")).catch(() => {});
  await otherDone;
  // Writing after the end rejects, and the caller handles it.
  await w.write("late").catch(() => {});
  w.releaseLock();
});

await phase(
  "server: pending queue full (503), pause, close with pending sockets, handleConnection",
  async () => {
    const server = new QWebSocketServer("workload", QWebSocketServer.SslMode.NonSecureMode);
    server.setMaxPendingConnections(2);
    server.addEventListener("serverError", () => {});
    server.listen("127.0.0.1", 0);
    const url = `ws://127.0.0.1:${server.serverPort()}`;
    const sockets = Array.from({ length: 4 }, () => new QWebSocket());
    const ends = sockets.map(disconnected);
    for (const socket of sockets) {
      socket.addEventListener("error", () => {});
      socket.open(url);
    }
    await sleep(300);
    server.pauseAccepting();
    server.resumeAccepting();
    server.close();
    await Promise.all(ends);

    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const handler = new QWebSocketServer("", QWebSocketServer.SslMode.NonSecureMode);
    handler.addEventListener("newConnection", () => handler.nextPendingConnection()?.close());
    const client = new QWebSocket();
    const clientDone = disconnected(client);
    client.open(`ws://127.0.0.1:${listener.addr.port}`);
    handler.handleConnection(await listener.accept());
    await clientDone;
    await handler[Symbol.asyncDispose]();
    listener.close();
  },
);

await phase("declarative WebSocket and WebSocketServer", async () => {
  const server = new QmlWebSocketServer({ port: 0, listen: true });
  server.addEventListener("clientConnected", ({ webSocket }) => {
    webSocket.addEventListener("textMessageReceived", (e) => webSocket.sendTextMessage(e.message));
  });
  const socket = new QmlWebSocket({ url: server.url });
  const echoed = new Promise((r) =>
    socket.addEventListener("textMessageReceived", r, { once: true })
  );
  socket.addEventListener("statusChanged", (e) => {
    if (e.status === QmlWebSocket.Status.Open) socket.sendTextMessage("qml");
  });
  socket.active = true;
  await echoed;
  socket.active = false;
  await sleep(100);
  server.listen = false;
  await sleep(100);
});

if (Deno.args.includes("--self-check")) {
  await phase("self-check", async () => {
    Promise.reject(new Error("deliberately unhandled"));
    const target = new EventTarget();
    target.addEventListener("x", () => {
      throw new Error("deliberately thrown by a listener");
    });
    target.dispatchEvent(new Event("x"));
    await sleep(10);
  });
}

await guard.run("teardown", () => echo.dispose());
// Late rejections (from timers or reads that settle after the end) surface here.
await guard.run("after teardown", () => sleep(500));
console.log(JSON.stringify({ escaped: guard.escaped, phases }));
