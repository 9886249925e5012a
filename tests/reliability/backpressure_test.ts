/**
 * Writing to a peer that stops reading, in both roles: `bytesToWrite()`
 * grows with what the application queued (and never past it), `writable`
 * applies backpressure (a write stays pending, `ready` waits), memory is what
 * the application queued, and `abort()` frees it: `bytesToWrite()` back to 0
 * and every pending write settled.
 *
 * @module
 */

import assert from "node:assert/strict";
import { QWebSocket } from "../../mod.ts";
import { RawServer, sleep, startEchoServer, within } from "./_live.ts";

const MiB = 1024 * 1024;
const PENDING = Symbol("pending");

/** Whether `promise` is still pending after `ms` (a write stuck on a full socket stays so). */
async function stillPending(promise: Promise<unknown>, ms = 300): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const result = await Promise.race([
    promise.then(() => "resolved", () => "rejected"),
    new Promise((resolve) => (timer = setTimeout(() => resolve(PENDING), ms))),
  ]);
  clearTimeout(timer);
  return result === PENDING;
}

async function proveBackpressure(socket: QWebSocket, done: Promise<void>): Promise<void> {
  const chunk = new Uint8Array(MiB).fill(0x42);
  // A 1 MiB binary frame is 1 MiB + 10 header bytes.
  const frame = MiB + 10;
  const writer = socket.writable.getWriter();
  let pending: Promise<void> | null = null;
  let written = 0;
  // The kernel's buffers take a few MiB; then a write stays pending.
  for (let i = 0; i < 64 && pending === null; i++) {
    const write = writer.write(chunk);
    if (await stillPending(write)) pending = write;
    else {
      await write;
      written++;
    }
  }
  assert.ok(pending !== null, "a write stayed pending once the peer stopped reading");
  assert.ok(written >= 1, "the first writes fit in the kernel's buffers");
  assert.ok((writer.desiredSize ?? 1) <= 0, "the writable reports backpressure");
  assert.ok(await stillPending(writer.ready), "ready waits while a write is pending");
  const stuck = socket.bytesToWrite();
  assert.ok(stuck > 0 && stuck <= frame, `${stuck} bytes wait for the peer`);

  // Qt's API queues without waiting: bytesToWrite() grows by what was queued.
  for (let i = 0; i < 16; i++) assert.equal(socket.sendBinaryMessage(chunk), MiB);
  const grown = socket.bytesToWrite();
  assert.ok(grown >= stuck + 16 * frame - 2 * frame, `bytesToWrite() grew to ${grown}`);
  assert.ok(grown <= (written + 1 + 16) * frame, `bytesToWrite() ${grown} exceeds what was queued`);
  await sleep(200);
  assert.ok(socket.bytesToWrite() >= grown - frame, "nothing moves while the peer does not read");

  // abort() drops the queue, settles the pending write and frees the socket.
  socket.abort();
  await within(done, "the socket to disconnect after abort()");
  assert.equal(socket.bytesToWrite(), 0);
  await assert.rejects(within(pending, "the pending write to settle"), Error);
  writer.releaseLock();
}

Deno.test("Qt QWebSocket::bytesToWrite, writable: a client writing to a server that stops reading queues, waits, and abort() frees it", async () => {
  const raw = new RawServer();
  const socket = new QWebSocket();
  const done = new Promise<void>((r) =>
    socket.addEventListener("disconnected", () => r(), { once: true })
  );
  const connected = new Promise<void>((r) =>
    socket.addEventListener("connected", () => r(), { once: true })
  );
  try {
    socket.open(raw.url);
    const peer = await raw.accept();
    try {
      await peer.acceptHandshake({ keepReading: false });
      await within(connected, "the client to connect");
      await proveBackpressure(socket, done);
    } finally {
      await peer.close();
    }
  } finally {
    socket.abort();
    await within(done, "the client to disconnect");
    raw.close();
  }
});

Deno.test("Qt QWebSocket::bytesToWrite, writable: a server socket writing to a client that stops reading queues, waits, and abort() frees it", async () => {
  const server = startEchoServer({ silent: true });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  try {
    await conn.write(new TextEncoder().encode(
      "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    ));
    await within(
      (async () => {
        while (server.sockets.length === 0) await sleep(10);
      })(),
      "the server to accept",
    );
    // This client reads nothing from now on.
    const record = server.sockets[0]!;
    await proveBackpressure(record.socket, record.done);
  } finally {
    conn.close();
    await server.dispose();
  }
});
