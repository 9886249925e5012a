/**
 * Beyond Qt, for Deno users: `readable` / `writable` web streams of whole
 * messages with backpressure, `for await`, `await using`; and Qt's
 * `setReadBufferSize`, which bounds what is read and buffered, pausing
 * socket reads while the `readable` stream is full.
 */

import assert from "node:assert/strict";
import { QAbstractSocket, QWebSocket } from "../../mod.ts";
import {
  connect,
  disconnected,
  nextEvent,
  rawPeer,
  serverFrame,
  startDenoServer,
  within,
} from "./_helpers.ts";

Deno.test("QWebSocket.readable: messages in order, text as strings and binary as bytes; ends after disconnected", async () => {
  const server = startDenoServer({
    echo: false,
    onSocket: (ws) => {
      ws.onopen = () => {
        ws.send("one");
        ws.send(new Uint8Array([2]));
        ws.send("three");
        ws.close(1000, "done");
      };
    },
  });
  const socket = new QWebSocket();
  socket.open(server.url);
  const messages: Array<string | number[]> = [];
  for await (const m of socket.readable) messages.push(typeof m === "string" ? m : [...m]);
  assert.deepEqual(messages, ["one", [2], "three"]);
  assert.equal(socket.state(), QAbstractSocket.SocketState.UnconnectedState);
  assert.equal(socket.closeCode(), 1000);
  await server.close();
});

Deno.test("QWebSocket [Symbol.asyncIterator]: for await over the socket itself", async () => {
  const server = startDenoServer();
  const socket = new QWebSocket();
  socket.addEventListener("connected", () => {
    for (let i = 0; i < 5; i++) socket.sendTextMessage(`m${i}`);
  });
  socket.open(server.url);
  const seen: string[] = [];
  for await (const m of socket) {
    seen.push(m as string);
    if (seen.length === 5) socket.close();
  }
  assert.deepEqual(seen, ["m0", "m1", "m2", "m3", "m4"]);
  await server.close();
});

Deno.test("QWebSocket.readable: a failed opening ends the stream, so for await does not hang", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const socket = new QWebSocket();
  socket.open(`ws://127.0.0.1:${port}`);
  const seen: unknown[] = [];
  await within(
    (async () => {
      for await (const m of socket) seen.push(m);
    })(),
    "the stream to end",
  );
  assert.deepEqual(seen, []);
  assert.equal(socket.error(), QAbstractSocket.SocketError.ConnectionRefusedError);
  // After a connection ended, a stream taken later is already closed.
  assert.equal((await socket.readable.getReader().read()).done, true);
  // A stream taken before an open() with an invalid URL ends too.
  const invalid = new QWebSocket();
  const early = invalid.readable;
  invalid.open("ftp://127.0.0.1/");
  assert.equal((await within(early.getReader().read(), "end of stream")).done, true);
});

Deno.test("QWebSocket.readable: a stream taken before the first open() carries that connection's messages", async () => {
  const server = startDenoServer({
    echo: false,
    onSocket: (ws) => {
      ws.onopen = () => {
        ws.send("early bird");
        ws.close(1000);
      };
    },
  });
  const socket = new QWebSocket();
  const reader = socket.readable.getReader();
  socket.open(server.url);
  assert.deepEqual(await within(reader.read(), "a message"), { value: "early bird", done: false });
  assert.equal((await within(reader.read(), "the end")).done, true);
  await server.close();
});

Deno.test("QWebSocket.readable: cancelling the stream closes the socket", async () => {
  const server = startDenoServer();
  const socket = await connect(server.url);
  const peer = await within(server.opened(), "server socket");
  const closed = new Promise<CloseEvent>((resolve) => peer.addEventListener("close", resolve));
  const end = disconnected(socket);
  await socket.readable.cancel();
  await end;
  assert.equal((await within(closed, "the server's close")).code, 1000);
  await server.close();
});

Deno.test("QWebSocket.writable: writes resolve once handed to the socket, in order; closing the stream closes the socket", async () => {
  const server = startDenoServer({ echo: false });
  const received: Array<string | number[]> = [];
  const socket = await connect(server.url);
  const peer = await within(server.opened(), "server socket");
  peer.onmessage = (e) =>
    received.push(typeof e.data === "string" ? e.data : [...new Uint8Array(e.data)]);
  const closed = new Promise<CloseEvent>((resolve) => peer.addEventListener("close", resolve));
  const writer = socket.writable.getWriter();
  const written: number[] = [];
  socket.addEventListener("bytesWritten", (e) => written.push(e.bytes));
  await writer.write("first");
  assert.ok(written.length > 0, "the write resolved after bytesWritten");
  assert.equal(socket.bytesToWrite(), 0);
  await writer.write(new Uint8Array([1, 2, 3]));
  await writer.write(new Uint16Array([0x0403]));
  await writer.write(new Uint8Array(3 * 1024 * 1024)); // larger than any socket buffer
  assert.equal(socket.bytesToWrite(), 0);
  await writer.close();
  assert.equal(socket.state(), QAbstractSocket.SocketState.UnconnectedState);
  assert.equal((await within(closed, "the server's close")).code, 1000);
  assert.deepEqual(received.slice(0, 3), ["first", [1, 2, 3], [3, 4]]);
  assert.equal((received[3] as number[]).length, 3 * 1024 * 1024);
  await server.close();
});

Deno.test("QWebSocket.writable: a write when not connected rejects with a clear error", async () => {
  const socket = new QWebSocket();
  const writer = socket.writable.getWriter();
  await assert.rejects(writer.write("x"), /not connected/);
});

Deno.test("QWebSocket [Symbol.asyncDispose]: await using closes the connection", async () => {
  const server = startDenoServer();
  let closed: Promise<CloseEvent>;
  let kept: QWebSocket;
  {
    await using socket = await connect(server.url);
    kept = socket;
    const peer = await within(server.opened(), "server socket");
    closed = new Promise<CloseEvent>((resolve) => peer.addEventListener("close", resolve));
  }
  assert.equal(kept.state(), QAbstractSocket.SocketState.UnconnectedState);
  assert.equal((await within(closed, "the server's close")).code, 1000);

  // Disposing a socket that is still opening cancels it.
  const peer = rawPeer(async (conn) => {
    await conn.readRequest();
    await conn.readToEnd();
  });
  {
    await using opening = new QWebSocket();
    opening.open(peer.url);
    kept = opening;
  }
  assert.equal(kept.state(), QAbstractSocket.SocketState.UnconnectedState);
  await peer.close();
  await server.close();
});

Deno.test("Qt QWebSocket::setReadBufferSize: with the readable stream unread, socket reads pause, and resume when it is read", async () => {
  const count = 256;
  const size = 64 * 1024;
  let peerWritten = 0;
  let peerDone = false;
  const peer = rawPeer(async (conn) => {
    await conn.handshake();
    const frame = serverFrame(0x2, new Uint8Array(size));
    for (let i = 0; i < count; i++) {
      frame[frame.length - 1] = i & 0xff; // numbered in the last byte
      await conn.write(frame);
      peerWritten++;
    }
    peerDone = true;
    await conn.write(serverFrame(0x8, new Uint8Array([0x03, 0xe8])));
    await conn.readFrame();
  });
  const socket = new QWebSocket();
  socket.setReadBufferSize(size);
  assert.equal(socket.readBufferSize(), size);
  let delivered = 0;
  socket.addEventListener("binaryMessageReceived", () => delivered++);
  const connected = nextEvent(socket, "connected");
  socket.open(peer.url);
  const readable = socket.readable; // taken, and not read yet
  await within(connected, "connected");

  // Wait until the peer makes no more progress: its writes are blocked.
  let last = -1;
  let still = 0;
  await within(
    (async () => {
      while (still < 5) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        if (peerWritten === last) still++;
        else [last, still] = [peerWritten, 0];
      }
    })(),
    "the peer's writes to stall",
  );
  assert.equal(peerDone, false, "16 MiB cannot all be buffered: the peer is blocked");
  // What was taken from the socket: the stream's bound plus one bounded read.
  assert.ok(delivered <= 3, `only a few messages were read from the socket, not ${delivered}`);

  // Reading the stream resumes socket reads: everything arrives, in order.
  const order: number[] = [];
  for await (const m of readable) order.push((m as Uint8Array)[size - 1]!);
  assert.equal(order.length, count);
  assert.deepEqual(order, Array.from({ length: count }, (_, i) => i & 0xff));
  assert.ok(peerDone);
  await peer.close();
});

Deno.test("Qt QWebSocket::close: closing while reads are paused still completes the closing handshake", async () => {
  const peer = rawPeer(async (conn) => {
    await conn.handshake();
    const frame = serverFrame(0x2, new Uint8Array(32 * 1024));
    try {
      for (let i = 0; i < 64; i++) await conn.write(frame);
      let f = await conn.readFrame();
      while (f.opcode !== 0x8) f = await conn.readFrame();
      await conn.write(serverFrame(0x8, f.payload));
    } catch {
      // The client may hang up first.
    }
  });
  const socket = new QWebSocket();
  socket.setReadBufferSize(1024);
  const connected = nextEvent(socket, "connected");
  socket.open(peer.url);
  const readable = socket.readable;
  await within(connected, "connected");
  await within(nextEvent(socket, "binaryMessageReceived"), "a first message");
  const end = disconnected(socket);
  socket.close(1000, "enough");
  await end;
  assert.equal(socket.closeCode(), 1000, "the peer's close frame was read: a clean close");
  assert.equal(socket.error(), QAbstractSocket.SocketError.UnknownSocketError);
  await readable.cancel();
  await peer.close();
});
