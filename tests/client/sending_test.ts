/**
 * What the client puts on the wire (RFC 6455 §5.1–§5.4, Qt's sending API),
 * read frame by frame by raw scripted TCP peers: fragmentation at
 * `outgoingFrameSize()`, masking through `QMaskGenerator`, `bytesToWrite()`,
 * `bytesWritten`, `flush()`, ordering under load and `abort()`.
 */

import assert from "node:assert/strict";
import { QMaskGenerator, QWebSocket } from "../../mod.ts";
import {
  type ClientFrame,
  closePayload,
  disconnected,
  EventLog,
  nextEvent,
  type RawConn,
  rawPeer,
  serverFrame,
  within,
} from "./_helpers.ts";

/** A mask generator with a fixed key: frames become byte-exact. */
class FixedMask extends QMaskGenerator {
  seeded = 0;
  constructor(readonly key: number) {
    super();
  }
  seed(): boolean {
    this.seeded++;
    return true;
  }
  nextMask(): number {
    return this.key;
  }
}

/** Reads frames until the client's close frame, answers it, returns the data frames. */
async function readUntilClose(conn: RawConn): Promise<ClientFrame[]> {
  const frames: ClientFrame[] = [];
  for (;;) {
    const frame = await conn.readFrame();
    if (frame.opcode === 0x8) {
      await conn.write(serverFrame(0x8, frame.payload));
      return frames;
    }
    frames.push(frame);
  }
}

/** A peer that records the client's frames; `act` runs once connected. */
async function framesSent(
  act: (socket: QWebSocket) => void | Promise<void>,
  configure?: (socket: QWebSocket) => void,
): Promise<ClientFrame[]> {
  let frames: ClientFrame[] = [];
  const peer = rawPeer(async (conn) => {
    await conn.handshake();
    frames = await readUntilClose(conn);
  });
  const socket = new QWebSocket();
  configure?.(socket);
  const connected = nextEvent(socket, "connected");
  const end = disconnected(socket);
  socket.open(peer.url);
  await within(connected, "connected");
  await act(socket);
  socket.close();
  await end;
  await peer.close();
  return frames;
}

const summary = (frames: ClientFrame[]) =>
  frames.map((f) => `${f.opcode}:${f.payload.length}${f.fin ? "" : "+"}`);

Deno.test("Qt QWebSocket::setOutgoingFrameSize: messages are split into frames of that size, seen frame by frame", async () => {
  const binary = new Uint8Array(250).map((_, i) => i);
  const frames = await framesSent((socket) => {
    socket.setOutgoingFrameSize(100);
    assert.equal(socket.outgoingFrameSize(), 100);
    assert.equal(socket.sendBinaryMessage(binary), 250);
    assert.equal(socket.sendTextMessage("t".repeat(200)), 200);
    assert.equal(socket.sendTextMessage("short"), 5);
  });
  assert.deepEqual(summary(frames), ["2:100+", "0:100+", "0:50", "1:100+", "0:100", "1:5"]);
  assert.deepEqual([...frames.slice(0, 3).flatMap((f) => [...f.payload])], [...binary]);
  assert.ok(frames.every((f) => f.rsv === 0), "no RSV bits without an extension");
});

Deno.test("Qt QWebSocket::outgoingFrameSize: 512 KiB by default", async () => {
  const frames = await framesSent((socket) => {
    socket.sendBinaryMessage(new Uint8Array(512 * 1024 * 2 + 7));
    socket.sendBinaryMessage(new Uint8Array(512 * 1024));
  });
  assert.deepEqual(summary(frames), ["2:524288+", "0:524288+", "0:7", "2:524288"]);
});

Deno.test("Qt QWebSocket::setOutgoingFrameSize: text is split without breaking a character apart in a frame's text", async () => {
  const text = "€".repeat(100); // 300 bytes
  const frames = await framesSent((socket) => {
    socket.setOutgoingFrameSize(100);
    socket.sendTextMessage(text);
  });
  assert.ok(frames.length >= 3);
  assert.ok(frames.every((f) => f.payload.length <= 100));
  const joined = new Uint8Array(frames.reduce((n, f) => n + f.payload.length, 0));
  let at = 0;
  for (const f of frames) {
    joined.set(f.payload, at);
    at += f.payload.length;
  }
  assert.equal(new TextDecoder().decode(joined), text);
});

Deno.test("RFC 6455 §5.3 client: a deterministic QMaskGenerator gives byte-exact frames; setMaskGenerator(null) restores random masks", async () => {
  const fixed = new FixedMask(0x37fa213d);
  const frames = await framesSent((socket) => {
    socket.setMaskGenerator(fixed);
    assert.equal(socket.maskGenerator(), fixed);
    assert.equal(fixed.seeded, 1, "seed() is called when the generator is set");
    socket.sendTextMessage("Hello");
    socket.flush();
    socket.setMaskGenerator(null);
    assert.equal(socket.maskGenerator(), null);
    for (let i = 0; i < 4; i++) socket.sendTextMessage("Hello");
  });
  // RFC 6455 §5.7: a single-frame masked text message "Hello".
  assert.deepEqual(
    [...frames[0]!.wire],
    [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58],
  );
  const randomMasks = frames.slice(1).map((f) => f.mask);
  assert.equal(randomMasks.length, 4);
  assert.ok(randomMasks.some((m) => m !== 0x37fa213d), "the default generator is back");
  assert.ok(new Set(randomMasks).size > 1, "masks vary from frame to frame");
  assert.ok(frames.every((f) => new TextDecoder().decode(f.payload) === "Hello"));
});

Deno.test("Qt QWebSocket::setMaskGenerator: set before open() it masks the handshake's first frames too, and rejects non-generators", async () => {
  const fixed = new FixedMask(0x01020304);
  const frames = await framesSent((socket) => {
    socket.sendBinaryMessage(new Uint8Array([0x01, 0x02, 0x03, 0x04]));
  }, (socket) => socket.setMaskGenerator(fixed));
  assert.deepEqual([...frames[0]!.wire], [0x82, 0x84, 1, 2, 3, 4, 0, 0, 0, 0]);
  assert.throws(
    () => new QWebSocket().setMaskGenerator({} as unknown as QMaskGenerator),
    TypeError,
  );
});

Deno.test("Qt QWebSocket::bytesToWrite/flush/bytesWritten: queued bytes are counted until the socket takes them", async () => {
  const written: number[] = [];
  const frames = await framesSent(async (socket) => {
    socket.addEventListener("bytesWritten", (e) => written.push(e.bytes));
    assert.equal(socket.bytesToWrite(), 0);
    assert.equal(socket.flush(), false, "nothing to flush");
    socket.sendBinaryMessage(new Uint8Array(1000));
    // 2-byte header, 2-byte length, 4-byte mask, payload.
    assert.equal(socket.bytesToWrite(), 1008);
    socket.sendTextMessage("abc");
    assert.equal(socket.bytesToWrite(), 1008 + 9);
    assert.equal(socket.flush(), true);
    const drained = nextEvent(socket, "bytesWritten");
    await within(drained, "bytesWritten");
    while (written.reduce((a, b) => a + b, 0) < 1017) {
      await within(nextEvent(socket, "bytesWritten"), "more bytesWritten");
    }
    assert.equal(socket.bytesToWrite(), 0);
    assert.equal(written.reduce((a, b) => a + b, 0), 1017);
  });
  assert.deepEqual(summary(frames), ["2:1000", "1:3"]);
});

Deno.test("Qt QWebSocket::sendTextMessage/sendBinaryMessage: thousands of mixed messages keep their order under load", async () => {
  const count = 3000;
  let received: string[] = [];
  const peer = rawPeer(async (conn) => {
    await conn.handshake();
    const frames = await readUntilClose(conn);
    // Reassemble: a message's continuation frames must follow it directly.
    let current: { opcode: number; parts: Uint8Array[] } | null = null;
    const messages: string[] = [];
    for (const f of frames) {
      if (f.opcode !== 0) {
        assert.equal(current, null, "a new message started inside another");
        current = { opcode: f.opcode, parts: [] };
      } else {
        assert.notEqual(current, null, "a continuation frame with no message");
      }
      current!.parts.push(f.payload);
      if (f.fin) {
        const size = current!.parts.reduce((n, p) => n + p.length, 0);
        const first = current!.parts[0]!;
        const index = first.length >= 4
          ? new DataView(first.buffer, first.byteOffset, 4).getUint32(0)
          : -1;
        messages.push(current!.opcode === 1 ? `t${size}` : `b${index}:${size}`);
        current = null;
      }
    }
    received = messages;
  });
  const socket = new QWebSocket();
  const connected = nextEvent(socket, "connected");
  const end = disconnected(socket);
  socket.open(peer.url);
  await within(connected, "connected");
  socket.setOutgoingFrameSize(4096);
  const expected: string[] = [];
  let seed = 7;
  for (let i = 0; i < count; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const size = 4 + (seed % (i % 100 === 0 ? 70_000 : 600));
    if (i % 3 === 0) {
      socket.sendTextMessage("x".repeat(size));
      expected.push(`t${size}`);
    } else {
      const data = new Uint8Array(size);
      new DataView(data.buffer).setUint32(0, i);
      socket.sendBinaryMessage(data);
      expected.push(`b${i}:${size}`);
    }
    // Yield now and then so writes and sends interleave.
    if (i % 250 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
  }
  socket.close();
  await end;
  await peer.close();
  assert.equal(received.length, count);
  assert.deepEqual(received, expected);
});

Deno.test("Qt QWebSocket::abort: drops the connection at once, discarding queued data", async () => {
  let after = -1;
  const peer = rawPeer(async (conn) => {
    await conn.handshake();
    after = (await conn.readToEnd()).length;
  });
  const socket = new QWebSocket();
  const connected = nextEvent(socket, "connected");
  const end = disconnected(socket);
  socket.open(peer.url);
  await within(connected, "connected");
  const log = new EventLog(socket);
  socket.sendBinaryMessage(new Uint8Array(8 * 1024 * 1024));
  assert.ok(socket.bytesToWrite() > 8 * 1024 * 1024);
  socket.abort();
  await end;
  await peer.close();
  assert.equal(after, 0, "nothing queued reached the peer, not even a close frame");
  assert.equal(socket.bytesToWrite(), 0);
  assert.deepEqual(log.only("aboutToClose", "error", "stateChanged", "disconnected"), [
    "stateChanged(Unconnected)",
    "disconnected",
  ]);
  assert.equal(socket.errorString(), "");
  assert.equal(socket.sendTextMessage("late"), 0, "nothing is sent once disconnected");
  assert.equal(socket.sendBinaryMessage(new Uint8Array(3)), 0);
});

Deno.test("Qt QWebSocket::close: queued messages go out before the close frame; the reason is cut to 123 bytes on a character boundary", async () => {
  let frames: ClientFrame[] = [];
  let close: Uint8Array = new Uint8Array();
  const peer = rawPeer(async (conn) => {
    await conn.handshake();
    for (;;) {
      const frame = await conn.readFrame();
      if (frame.opcode === 0x8) {
        close = frame.payload;
        await conn.write(serverFrame(0x8, closePayload(4002, "ok")));
        return;
      }
      frames.push(frame);
    }
  });
  const socket = new QWebSocket();
  const connected = nextEvent(socket, "connected");
  const end = disconnected(socket);
  socket.open(peer.url);
  await within(connected, "connected");
  socket.sendTextMessage("one");
  socket.sendBinaryMessage(new Uint8Array(100_000));
  socket.sendTextMessage("three");
  socket.close(4001, "é".repeat(100));
  assert.equal(socket.sendTextMessage("after close"), 0);
  await end;
  await peer.close();
  assert.deepEqual(summary(frames), ["1:3", "2:100000", "1:5"]);
  assert.equal(close.length, 2 + 122, "61 two-byte characters fit in 123 bytes");
  assert.equal((close[0]! << 8) | close[1]!, 4001);
  assert.equal(new TextDecoder("utf-8", { fatal: true }).decode(close.subarray(2)), "é".repeat(61));
  assert.equal(socket.closeCode(), 4002, "closeCode() is the peer's");
  assert.equal(socket.closeReason(), "ok");
  frames = [];
});

Deno.test("Qt QWebSocket::close: codes that may not be sent are refused with a RangeError", () => {
  const socket = new QWebSocket();
  for (const code of [0, 999, 1004, 1005, 1006, 1015, 2999, 5000]) {
    assert.throws(() => socket.close(code), RangeError, `code ${code}`);
  }
  assert.throws(() => socket.close(1000, 42 as unknown as string), TypeError);
  socket.close(1000); // not connected: nothing happens
  socket.close(4999, "fine");
  assert.equal(socket.state(), 0);
});

Deno.test("RFC 6455 §7.1.1 client: a peer that never answers our close is dropped after closeTimeout(), with 1006", async () => {
  let sawClose = false;
  const peer = rawPeer(async (conn) => {
    await conn.handshake();
    const frame = await conn.readFrame();
    sawClose = frame.opcode === 0x8;
    await conn.readToEnd(); // never answers
  });
  const socket = new QWebSocket();
  socket.setCloseTimeout(300);
  assert.equal(socket.closeTimeout(), 300);
  const log = new EventLog(socket);
  const connected = nextEvent(socket, "connected");
  const end = disconnected(socket);
  socket.open(peer.url);
  await within(connected, "connected");
  socket.close(1000, "bye");
  await end;
  await peer.close();
  assert.ok(sawClose);
  assert.equal(socket.closeCode(), 1006);
  assert.match(socket.errorString(), /closing handshake within 300 ms/);
  assert.deepEqual(log.events.slice(3), [
    "aboutToClose",
    "stateChanged(Closing)",
    "readChannelFinished",
    "error(5)",
    "errorOccurred(5)",
    "stateChanged(Unconnected)",
    "disconnected",
  ]);
});
