/**
 * Memory measurements that need a garbage collector on demand, run by
 * `memory_test.ts` in a child process with `--v8-flags=--expose-gc` (so the
 * numbers are live objects, not garbage waiting for a collection). Prints one
 * JSON object on stdout.
 *
 * - `continuations`: bytes retained while a message arrives as 100,000 one-byte
 *   frames, against the same bytes as 1,000 hundred-byte frames.
 * - `cycles`: heap and RSS after a warm-up and after 1,000 connect/disconnect
 *   cycles against one `QWebSocketServer`.
 * - `backpressure`: what a `QWebSocket` holds after queueing 64 MiB for a peer
 *   that never reads, and after `abort()`.
 *
 * @module
 */

import { QWebSocket } from "../../mod.ts";
import { WebSocketConnection } from "../../lib/protocol/mod.ts";
import { connectCycle, CYCLE_KINDS } from "./_cycles.ts";
import { RawServer, sleep, startEchoServer, within } from "./_live.ts";
import { concat, encodeFrame } from "./_wire.ts";

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with --v8-flags=--expose-gc");

function live(): number {
  gc!();
  gc!();
  const usage = Deno.memoryUsage();
  return usage.heapUsed + usage.external;
}

function fragments(total: number, size: number, opcode: number): Uint8Array {
  const frames: Uint8Array[] = [];
  const count = total / size;
  for (let i = 0; i < count; i++) {
    const payload = new Uint8Array(size).fill(0x61 + (i % 26));
    frames.push(
      encodeFrame({
        fin: i === count - 1,
        rsv: 0,
        opcode: i === 0 ? opcode : 0,
        payload,
        mask: 0x0badcafe,
      }),
    );
  }
  return concat(frames);
}

// Bytes retained by a connection that has received all but the last frame.
function retainedWhileAssembling(bytes: Uint8Array, lastFrameSize: number): number {
  let delivered = 0;
  const conn = new WebSocketConnection({ role: "server" }, {
    textFrame() {},
    binaryFrame() {},
    textMessage: (m) => (delivered = m.length),
    binaryMessage: (m) => (delivered = m.length),
    ping() {},
    pong() {},
    closeReceived() {},
    failed(error) {
      throw error;
    },
  });
  const cut = bytes.length - lastFrameSize;
  const before = live();
  // 7,000 bytes at a time: reads of a realistic size, cut inside frames.
  for (let at = 0; at < cut; at += 7000) conn.receive(bytes.slice(at, Math.min(cut, at + 7000)));
  const after = live();
  conn.receive(bytes.slice(cut));
  if (delivered !== 100_000) throw new Error(`delivered ${delivered} bytes`);
  return after - before;
}

async function cycles(): Promise<Record<string, number>> {
  const server = startEchoServer();
  try {
    for (let i = 0; i < 100; i++) await connectCycle(server, CYCLE_KINDS[i % CYCLE_KINDS.length]!);
    // The test's own record of each socket is dropped: only the library may hold on.
    server.sockets.length = 0;
    const heap0 = live();
    const rss0 = Deno.memoryUsage().rss;
    for (let i = 0; i < Number(Deno.args[1] ?? 1000); i++) {
      await connectCycle(server, CYCLE_KINDS[i % CYCLE_KINDS.length]!);
      server.sockets.length = 0;
    }
    const heap1 = live();
    const rss1 = Deno.memoryUsage().rss;
    return { heapGrowth: heap1 - heap0, rssGrowth: rss1 - rss0, heapAfterWarmup: heap0 };
  } finally {
    await server.dispose();
  }
}

async function backpressure(): Promise<Record<string, number>> {
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
      const chunk = new Uint8Array(1024 * 1024).fill(0x42);
      const before = live();
      let queued = 0;
      for (let i = 0; i < 64; i++) queued += socket.sendBinaryMessage(chunk);
      await sleep(500);
      const bytesToWrite = socket.bytesToWrite();
      const held = live() - before;
      socket.abort();
      await within(done, "the client to disconnect");
      const afterAbort = live() - before;
      return {
        queued,
        bytesToWrite,
        held,
        afterAbort,
        bytesToWriteAfterAbort: socket.bytesToWrite(),
      };
    } finally {
      await peer.close();
    }
  } finally {
    socket.abort();
    await within(done, "the client to disconnect");
    raw.close();
  }
}

const mode = Deno.args[0];
let result: unknown;
if (mode === "continuations") {
  result = {
    binaryTiny: retainedWhileAssembling(fragments(100_000, 1, 0x2), 7),
    binaryLarger: retainedWhileAssembling(fragments(100_000, 100, 0x2), 106),
    textTiny: retainedWhileAssembling(fragments(100_000, 1, 0x1), 7),
    textLarger: retainedWhileAssembling(fragments(100_000, 100, 0x1), 106),
  };
} else if (mode === "backpressure") {
  result = await backpressure();
} else if (mode === "cycles") {
  result = await cycles();
} else {
  throw new Error(`unknown mode ${mode}`);
}
console.log(JSON.stringify(result));
