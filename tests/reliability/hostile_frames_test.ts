/**
 * Named hostile frame streams against a live `QWebSocketServer` (and, where
 * the client faces the same attack, a `QWebSocket` against a raw server):
 * each gets the close code RFC 6455 requires, holds no payload past the
 * limits (checked with the protocol core's buffered byte counts and the
 * socket's `bytesToWrite()`), and leaves the server serving others.
 *
 * @module
 */

import assert from "node:assert/strict";
import { QWebSocket } from "../../mod.ts";
import { WebSocketConnection } from "../../lib/protocol/mod.ts";
import {
  clientFrame,
  clientFrames,
  closeCodeOf,
  type EchoServer,
  goodClientRoundTrip,
  headEnd,
  RawPeer,
  RawServer,
  serverFrame,
  serverFrames,
  sleep,
  startEchoServer,
  within,
} from "./_live.ts";
import { Prng } from "./_prng.ts";
import { closePayload, concat, encodeHeader64, type WireFrame } from "./_wire.ts";

const MASK = 0x1badf00d;

async function withServer(
  options: Parameters<typeof startEchoServer>[0],
  test: (server: EchoServer) => Promise<void>,
): Promise<void> {
  const server = startEchoServer(options);
  try {
    await test(server);
    // The server still serves a well-behaved client afterwards.
    await goodClientRoundTrip(server.url, "a good client after the hostile peer");
  } finally {
    await server.dispose();
  }
}

/** Sends `bytes` after a handshake and returns the server's frames once it closed. */
async function exchange(
  server: EchoServer,
  bytes: Uint8Array | Uint8Array[],
  what: string,
): Promise<WireFrame[]> {
  const peer = await RawPeer.connect(server.port);
  try {
    await peer.handshake(new Prng(7));
    for (const chunk of Array.isArray(bytes) ? bytes : [bytes]) await peer.write(chunk);
    // Wait for the close frame; then end our side so the server can finish.
    await peer.waitFor(
      (b) => closeCodeOf(serverFrames(b).frames) !== null,
      `${what}: a close frame`,
    );
    await peer.closeWrite();
    const received = await peer.readToEnd(`${what}: the server to end the connection`);
    const { frames, clean } = serverFrames(received);
    assert.ok(clean, `${what}: the server's bytes are not whole frames`);
    return frames;
  } finally {
    await peer.close();
  }
}

function sansIo(
  role: "client" | "server",
  limits: { maxFrameSize?: number; maxMessageSize?: number } = {},
) {
  const seen = { failure: 0, messages: [] as Array<string | Uint8Array> };
  const conn = new WebSocketConnection({ role, ...limits }, {
    textFrame() {},
    binaryFrame() {},
    textMessage: (m) => seen.messages.push(m),
    binaryMessage: (m) => seen.messages.push(m.slice()),
    ping() {},
    pong() {},
    closeReceived() {},
    failed: (error) => (seen.failure = error.closeCode),
  });
  return { conn, seen };
}

// --- a frame that declares 2^63 bytes -------------------------------------------------

Deno.test("5.2 hostile: a frame header declaring 2^63 bytes (and 2^64-1, 2^53) fails at once with 1009, holding nothing", async () => {
  for (const length of [2n ** 63n, 2n ** 64n - 1n, 2n ** 53n]) {
    for (const role of ["server", "client"] as const) {
      const { conn, seen } = sansIo(role);
      conn.receive(encodeHeader64(0x82, length, role === "server" ? MASK : null));
      assert.equal(seen.failure, 1009, `${role}, length ${length}`);
      assert.equal(conn.bufferedBytes, 0);
    }
  }
  await withServer({}, async (server) => {
    const frames = await exchange(server, encodeHeader64(0x82, 2n ** 63n, MASK), "2^63 header");
    assert.equal(closeCodeOf(frames), 1009);
    assert.equal(frames.length, 1, "nothing but the close frame");
  });
});

Deno.test("5.2 hostile client side: a server's 2^63-byte frame header makes QWebSocket close with 1009", async () => {
  const raw = new RawServer();
  const socket = new QWebSocket();
  const done = new Promise<void>((r) =>
    socket.addEventListener("disconnected", () => r(), { once: true })
  );
  try {
    socket.open(raw.url);
    const peer = await raw.accept();
    try {
      await peer.acceptHandshake();
      await peer.write(encodeHeader64(0x82, 2n ** 63n, null));
      const bytes = await peer.waitFor(
        (b) => closeCodeOf(clientFrames(b).frames) !== null,
        "the client's close frame",
      );
      assert.equal(closeCodeOf(clientFrames(bytes).frames), 1009);
      await peer.closeWrite();
      await within(done, "the client to disconnect");
      assert.equal(socket.closeCode(), 1009);
    } finally {
      await peer.close();
    }
  } finally {
    socket.abort();
    await within(done, "the client to disconnect");
    raw.close();
  }
});

// --- a message one byte over the limit, in 1-byte frames -------------------------------

function oneByteFrames(total: number, opcode = 0x2): Uint8Array {
  const frames: Uint8Array[] = [];
  for (let i = 0; i < total; i++) {
    frames.push(
      clientFrame(i === 0 ? opcode : 0x0, new Uint8Array([i & 0xff]), i === total - 1, MASK + i),
    );
  }
  return concat(frames);
}

Deno.test("10.4 hostile: a message of limit + 1 bytes in 1-byte frames fails with 1009 when the last header arrives, holding at most the limit", async () => {
  // The server's default is 64 MiB; the shape is the same with a 64 KiB limit,
  // which keeps the test fast (65,537 frames instead of 67 million).
  const limit = 64 * 1024;
  const bytes = oneByteFrames(limit + 1);

  const { conn, seen } = sansIo("server", { maxMessageSize: limit });
  let held = 0;
  for (let at = 0; at < bytes.length; at += 4096) {
    conn.receive(bytes.slice(at, at + 4096));
    held = Math.max(held, conn.bufferedBytes);
    assert.ok(conn.bufferedBytes <= limit, `holds ${conn.bufferedBytes} bytes`);
  }
  assert.equal(seen.failure, 1009);
  assert.equal(held, limit, "the whole allowed message was held, and not a byte more");
  assert.equal(conn.bufferedBytes, 0, "the partial message is dropped on failure");
  assert.equal(seen.messages.length, 0);

  await withServer({ maxMessageSize: limit }, async (server) => {
    assert.equal(server.server.maxAllowedIncomingMessageSize(), limit);
    const frames = await exchange(server, bytes, "limit + 1 message");
    assert.equal(closeCodeOf(frames), 1009);
    assert.equal(frames.length, 1, "no echo, only the close frame");
    assert.equal(server.sockets[0]!.messages, 0);
  });
});

Deno.test("10.4 hostile: exactly the limit in 1-byte frames is accepted and echoed whole", async () => {
  const limit = 4096;
  await withServer({ maxMessageSize: limit }, async (server) => {
    const peer = await RawPeer.connect(server.port);
    try {
      await peer.handshake(new Prng(8));
      await peer.write(oneByteFrames(limit));
      const bytes = await peer.waitFor((b) => serverFrames(b).frames.length > 0, "the echo");
      const echo = serverFrames(bytes).frames[0]!;
      assert.equal(echo.opcode, 0x2);
      assert.equal(echo.payload.length, limit);
      assert.ok(echo.payload.every((b, i) => b === (i & 0xff)));
    } finally {
      await peer.close();
    }
  });
});

// --- 100,000 tiny continuation frames -------------------------------------------------

Deno.test("5.4 hostile: 100,000 tiny continuation frames under the limits are accepted and delivered as one message", async () => {
  const count = 100_000;
  const binary = oneByteFrames(count);
  // Text: 1-byte frames, with a 4-byte character split over four of them.
  const emoji = new TextEncoder().encode("😀");
  const textFrames: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const byte = i >= 1000 && i < 1004 ? emoji[i - 1000]! : 0x61 + (i % 26);
    textFrames.push(
      clientFrame(i === 0 ? 0x1 : 0x0, new Uint8Array([byte]), i === count - 1, MASK),
    );
  }
  const text = concat(textFrames);
  const expectedText = Array.from(
    { length: count },
    (_, i) => i === 1000 ? "😀" : i > 1000 && i < 1004 ? "" : String.fromCharCode(0x61 + (i % 26)),
  ).join("");

  // The assembler holds the bytes so far, not one object per frame.
  const { conn, seen } = sansIo("server");
  for (let at = 0; at < binary.length; at += 7 * 1000) {
    conn.receive(binary.slice(at, at + 7 * 1000));
    if (at + 7000 < binary.length) {
      assert.equal(conn.bufferedBytes, Math.min(count, (at + 7000) / 7));
    }
  }
  assert.equal(seen.failure, 0);
  assert.equal((seen.messages[0] as Uint8Array).length, count);

  await withServer({}, async (server) => {
    const peer = await RawPeer.connect(server.port);
    try {
      await peer.handshake(new Prng(9));
      await peer.write(binary);
      await peer.write(text);
      const bytes = await peer.waitFor(
        (b) => serverFrames(b).frames.length >= 2,
        "both echoes",
        60_000,
      );
      const [first, second] = serverFrames(bytes).frames;
      assert.equal(first!.payload.length, count);
      assert.ok(first!.payload.every((b, i) => b === (i & 0xff)));
      assert.equal(second!.opcode, 0x1);
      assert.equal(new TextDecoder().decode(second!.payload), expectedText);
    } finally {
      await peer.close();
    }
  });
});

// --- ping floods ----------------------------------------------------------------------

function pings(count: number, payloadOf: (i: number) => Uint8Array): Uint8Array {
  return concat(
    Array.from({ length: count }, (_, i) => clientFrame(0x9, payloadOf(i), true, MASK ^ i)),
  );
}

function counter(i: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, i);
  return bytes;
}

Deno.test("5.5.2 hostile: a ping flood from a peer that reads (100,000 pings) gets pongs in order, the last ping's included, and the connection stays healthy", async () => {
  const count = 100_000;
  await withServer({}, async (server) => {
    const peer = await RawPeer.connect(server.port);
    try {
      await peer.handshake(new Prng(10));
      const all = pings(count, counter);
      const serverSocket = () => server.sockets[0]!.socket;
      let maxQueued = 0;
      for (let at = 0; at < all.length; at += 10 * 1000) {
        await peer.write(all.subarray(at, at + 10 * 1000));
        maxQueued = Math.max(maxQueued, serverSocket().bytesToWrite());
      }
      const last = (b: Uint8Array) => {
        const frames = serverFrames(b).frames;
        const final = frames.at(-1);
        return final !== undefined && final.opcode === 0xa &&
          new DataView(final.payload.buffer, final.payload.byteOffset).getUint32(0) === count - 1;
      };
      const bytes = await peer.waitFor(last, "the pong of the last ping", 60_000);
      const payloads = serverFrames(bytes).frames.map((f) => {
        assert.equal(f.opcode, 0xa);
        return new DataView(f.payload.buffer, f.payload.byteOffset).getUint32(0);
      });
      // In order and never invented. RFC 6455 §5.5.3 lets the server answer
      // only the latest ping while earlier pongs are unsent: once this peer
      // falls 64 KiB behind, some pongs are skipped, never the last one.
      for (let i = 1; i < payloads.length; i++) assert.ok(payloads[i]! > payloads[i - 1]!);
      assert.ok(maxQueued <= 64 * 1024 + 200, `the server queued ${maxQueued} bytes`);
      // The connection still carries messages.
      await peer.write(clientFrame(0x1, "still there?"));
      const after = await peer.waitFor(
        (b) => serverFrames(b).frames.at(-1)?.opcode === 0x1,
        "the echo",
      );
      assert.equal(
        new TextDecoder().decode(serverFrames(after).frames.at(-1)!.payload),
        "still there?",
      );
    } finally {
      await peer.close();
    }
  });
});

Deno.test("5.5.3 hostile: a ping flood from a peer that never reads (100,000 pings of 125 bytes) keeps the server's write queue bounded", async () => {
  const count = 100_000;
  await withServer({}, async (server) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    const peer = RawPeer.wrap(conn);
    try {
      // The handshake without the background reader: this peer reads nothing.
      const key = "dGhlIHNhbXBsZSBub25jZQ==";
      await peer.write(new TextEncoder().encode(
        `GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      ));
      const payload = (i: number) => {
        const bytes = new Uint8Array(125).fill(0x70);
        bytes.set(counter(i));
        return bytes;
      };
      const all = pings(count, payload);
      let maxQueued = 0;
      for (let at = 0; at < all.length; at += 131 * 1000) {
        await peer.write(all.subarray(at, at + 131 * 1000));
        if (server.sockets.length > 0) {
          maxQueued = Math.max(maxQueued, server.sockets[0]!.socket.bytesToWrite());
        }
      }
      // 12.7 MB of pongs were asked for; at most 64 KiB and one pong wait.
      await sleep(200);
      maxQueued = Math.max(maxQueued, server.sockets[0]!.socket.bytesToWrite());
      assert.ok(maxQueued <= 64 * 1024 + 2 * 127, `the server queued ${maxQueued} bytes`);
      // Reading now: the latest ping is answered, and messages still flow.
      await peer.write(clientFrame(0x1, "hello after the flood"));
      const framesOf = (b: Uint8Array) => {
        const end = headEnd(b);
        return end === -1 ? [] : serverFrames(b.subarray(end)).frames;
      };
      const bytes = await peer.waitFor(
        (b) => framesOf(b).at(-1)?.opcode === 0x1,
        "the echo after the flood",
        60_000,
      );
      const frames = framesOf(bytes);
      assert.equal(new TextDecoder().decode(frames.at(-1)!.payload), "hello after the flood");
      const pongs = frames.filter((f) => f.opcode === 0xa).map((f) =>
        new DataView(f.payload.buffer, f.payload.byteOffset).getUint32(0)
      );
      for (let i = 1; i < pongs.length; i++) assert.ok(pongs[i]! > pongs[i - 1]!);
      assert.equal(pongs.at(-1), count - 1, "the latest ping is answered");
    } finally {
      await peer.close();
    }
  });
});

// --- invalid UTF-8 across frames, bad close frames -----------------------------------

Deno.test("8.1 hostile: invalid UTF-8 split across frames fails with 1007 before the message ends", async () => {
  await withServer({}, async (server) => {
    // F0 9F starts a 4-byte character; the next frame's 0x28 cannot continue it.
    const frames = await exchange(server, [
      clientFrame(0x1, new Uint8Array([0x61, 0xf0, 0x9f]), false),
      clientFrame(0x0, new Uint8Array([0x28, 0x62]), false),
    ], "invalid UTF-8 across frames");
    assert.equal(closeCodeOf(frames), 1007);
    assert.equal(frames.length, 1);
  });
  await withServer({}, async (server) => {
    // The same character split validly is fine and echoed whole.
    const peer = await RawPeer.connect(server.port);
    try {
      await peer.handshake(new Prng(11));
      await peer.write(clientFrame(0x1, new Uint8Array([0x61, 0xf0, 0x9f]), false));
      await peer.write(clientFrame(0x0, new Uint8Array([0x98]), false));
      await peer.write(clientFrame(0x0, new Uint8Array([0x80, 0x62]), true));
      const bytes = await peer.waitFor((b) => serverFrames(b).frames.length > 0, "the echo");
      assert.equal(new TextDecoder().decode(serverFrames(bytes).frames[0]!.payload), "a😀b");
    } finally {
      await peer.close();
    }
  });
});

Deno.test("8.1 hostile client side: invalid UTF-8 split across a server's frames makes QWebSocket close with 1007", async () => {
  const raw = new RawServer();
  const socket = new QWebSocket();
  const done = new Promise<void>((r) =>
    socket.addEventListener("disconnected", () => r(), { once: true })
  );
  try {
    socket.open(raw.url);
    const peer = await raw.accept();
    try {
      await peer.acceptHandshake();
      await peer.write(serverFrame(0x1, new Uint8Array([0xe2, 0x82]), false));
      await peer.write(serverFrame(0x0, new Uint8Array([0x41]), false));
      const bytes = await peer.waitFor(
        (b) => closeCodeOf(clientFrames(b).frames) !== null,
        "the client's close frame",
      );
      assert.equal(closeCodeOf(clientFrames(bytes).frames), 1007);
      await peer.closeWrite();
      await within(done, "the client to disconnect");
    } finally {
      await peer.close();
    }
  } finally {
    socket.abort();
    await within(done, "the client to disconnect");
    raw.close();
  }
});

Deno.test("7.4 hostile: a close frame with a code that may not be sent (0, 999, 1004-1006, 1015, 1016, 2999, 5000, 65535) fails with 1002", async () => {
  await withServer({}, async (server) => {
    for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535]) {
      const frames = await exchange(
        server,
        clientFrame(0x8, closePayload(code, "bye")),
        `close code ${code}`,
      );
      assert.equal(closeCodeOf(frames), 1002, `close code ${code}`);
    }
    // A 1-byte close payload cannot hold a code.
    const frames = await exchange(server, clientFrame(0x8, new Uint8Array([0x03])), "1-byte close");
    assert.equal(closeCodeOf(frames), 1002);
  });
});

Deno.test("7.4 hostile: a close frame whose reason is not UTF-8 fails with 1007", async () => {
  await withServer({}, async (server) => {
    for (const reason of [[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0x61, 0xe2, 0x82]]) {
      const frames = await exchange(
        server,
        clientFrame(0x8, closePayload(1000, new Uint8Array(reason))),
        `close reason ${reason}`,
      );
      assert.equal(closeCodeOf(frames), 1007, `reason bytes ${reason}`);
    }
  });
});

Deno.test("7.4 hostile client side: a server's close frame with code 1005 on the wire makes QWebSocket answer 1002", async () => {
  const raw = new RawServer();
  const socket = new QWebSocket();
  const done = new Promise<void>((r) =>
    socket.addEventListener("disconnected", () => r(), { once: true })
  );
  try {
    socket.open(raw.url);
    const peer = await raw.accept();
    try {
      await peer.acceptHandshake();
      await peer.write(serverFrame(0x8, closePayload(1005)));
      const bytes = await peer.waitFor(
        (b) => closeCodeOf(clientFrames(b).frames) !== null,
        "the client's close frame",
      );
      assert.equal(closeCodeOf(clientFrames(bytes).frames), 1002);
      await peer.closeWrite();
      await within(done, "the client to disconnect");
    } finally {
      await peer.close();
    }
  } finally {
    socket.abort();
    await within(done, "the client to disconnect");
    raw.close();
  }
});
