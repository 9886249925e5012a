/**
 * Seeded fuzzing of whole connections against a live `QWebSocketServer`: raw
 * `Deno.connect` clients send mutated handshakes and mutated frame streams,
 * chopped into random writes. Each must get exactly the status line (for a
 * handshake) or the echoes, pongs and close code (for frames) that the
 * reference model in `_wire.ts` and the fuzzed sans-I/O handshake code
 * decide, and after every batch a long-lived client and a new client still
 * get their echoes.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  HandshakeError,
  type HttpHead,
  HttpHeadParser,
  parseClientRequest,
} from "../../lib/protocol/mod.ts";
import { fuzzPlan } from "./_fuzz_config.ts";
import { generateRequest, headBytes, KNOWN_REQUEST_MUTATIONS, mutateHeadBytes } from "./_heads.ts";
import {
  closeCodeOf,
  type EchoServer,
  goodClientRoundTrip,
  LongLivedClient,
  RawPeer,
  serverFrames,
  startEchoServer,
  statusOf,
} from "./_live.ts";
import { Prng } from "./_prng.ts";
import { fuzzStream } from "./_streams.ts";
import { hex, referenceReceive, utf8Text } from "./_wire.ts";

const LIMITS = { maxFrameSize: 1000, maxMessageSize: 3000 };
const BATCH = 8;

// What the server must answer: 101, the refusal's status, or nothing (0) for a
// head that never ends.
function expectedStatus(bytes: Uint8Array): number {
  let head: HttpHead | null;
  try {
    head = new HttpHeadParser().push(bytes.slice());
  } catch (error) {
    assert.ok(error instanceof HandshakeError);
    return error.status;
  }
  if (head === null) return 0;
  try {
    parseClientRequest(head);
  } catch (error) {
    assert.ok(error instanceof HandshakeError);
    return error.status;
  }
  return 101;
}

async function hostileHandshake(rng: Prng, server: EchoServer, hint: string): Promise<string> {
  let lines = generateRequest(rng, `127.0.0.1:${server.port}`).lines;
  if (rng.chance(0.5)) lines = rng.pick(KNOWN_REQUEST_MUTATIONS).apply(lines);
  let bytes = headBytes(lines);
  if (rng.chance(0.6)) bytes = mutateHeadBytes(rng, bytes);
  const want = expectedStatus(bytes);
  const peer = await RawPeer.connect(server.port);
  try {
    peer.startReading();
    const chunks = rng.chop(bytes, Math.max(1, bytes.length >> 2));
    await peer.writeChunks(chunks.length > 64 ? [bytes] : chunks);
    await peer.closeWrite();
    const received = await peer.readToEnd(`${hint}: the server to answer the handshake`);
    assert.equal(statusOf(received), want, `${hint}: ${hex(bytes)} → ${hex(received)}`);
    return `handshake ${want}`;
  } finally {
    await peer.close();
  }
}

async function hostileFrames(rng: Prng, server: EchoServer, hint: string): Promise<string> {
  const peer = await RawPeer.connect(server.port);
  try {
    await peer.handshake(rng);
    const { bytes, kind } = fuzzStream(rng, {
      masked: rng.chance(0.95),
      maxPayload: rng.pick([50, 1200]),
    });
    const expected = referenceReceive(bytes, "server", LIMITS);
    const chunks = rng.chop(bytes, Math.max(1, bytes.length >> 2));
    await peer.writeChunks(chunks.length > 64 ? [bytes] : chunks);
    await peer.closeWrite();
    const received = await peer.readToEnd(`${hint}: the server to end the connection`);
    const context = `${hint} (${kind}): sent ${hex(bytes)}, got ${hex(received)}`;
    const { frames, clean } = serverFrames(received);
    assert.ok(clean, `${context}: the server's bytes are not whole frames`);

    // The echo server answers each message with the same message, and the
    // connection answers each ping with a pong, in order.
    const want: string[] = [];
    for (const event of expected.events) {
      if (event.kind === "text") want.push(`text:${event.data}`);
      else if (event.kind === "binary") want.push(`binary:${hex(event.data)}:${event.data.length}`);
      else if (event.kind === "ping") want.push(`pong:${hex(event.payload)}`);
    }
    const got: string[] = [];
    let parts: Uint8Array[] = [];
    let type = 0;
    for (const frame of frames) {
      if (frame.opcode === 0xa) got.push(`pong:${hex(frame.payload)}`);
      if (frame.opcode > 2 || frame.opcode === 0 && type === 0) continue;
      if (frame.opcode !== 0) type = frame.opcode;
      parts.push(frame.payload);
      if (frame.fin) {
        const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
        let at = 0;
        for (const p of parts) {
          all.set(p, at);
          at += p.length;
        }
        got.push(
          type === 1 ? `text:${utf8Text(all)}` : `binary:${hex(all)}:${all.length}`,
        );
        parts = [];
        type = 0;
      }
    }
    assert.deepEqual(got, want, context);
    const outcome = expected.outcome;
    const code = closeCodeOf(frames);
    if (outcome.kind === "failed") {
      assert.equal(code, outcome.closeCode, context);
    } else if (outcome.kind === "closed") {
      assert.equal(code, outcome.code, context);
    } else {
      // The peer's stream ended without a close frame: the server just ends too.
      assert.equal(code, null, context);
    }
    assert.equal(
      frames.at(-1)?.opcode === 0x8,
      code !== null,
      `${context}: frames after the close`,
    );
    return outcome.kind === "failed" ? `frames ${outcome.closeCode}` : `frames ${outcome.kind}`;
  } finally {
    await peer.close();
  }
}

Deno.test("fuzz live QWebSocketServer: raw clients with mutated handshakes and frames get the right status or close code; good clients are served throughout", async () => {
  const plan = fuzzPlan("live_server", 0x5eed_0030, 480);
  const rng = new Prng(plan.seed);
  const server = startEchoServer({ handshakeTimeout: 5000, ...LIMITS });
  const longLived = new LongLivedClient();
  const outcomes = new Map<string, number>();
  try {
    await longLived.open(server.url);
    for (let start = 0; start < plan.iterations; start += BATCH) {
      const runs = [];
      for (let k = start; k < Math.min(plan.iterations, start + BATCH); k++) {
        const own = new Prng(rng.u32());
        const hint = `${plan.label}, connection ${k}`;
        runs.push(
          own.chance(0.4) ? hostileHandshake(own, server, hint) : hostileFrames(own, server, hint),
        );
      }
      for (const outcome of await Promise.all(runs)) {
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }
      await longLived.roundTrip(`after batch ${start / BATCH}`);
      await goodClientRoundTrip(server.url, `a new client after batch ${start / BATCH}`);
    }
  } finally {
    await longLived.close();
    await server.dispose();
  }
  for (const key of ["handshake 101", "handshake 400", "frames open", "frames 1002"]) {
    assert.ok((outcomes.get(key) ?? 0) > 0, `${key} never happened: ${[...outcomes]}`);
  }
});
