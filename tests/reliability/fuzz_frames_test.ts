/**
 * Seeded fuzzing of the frame layer and the connection state machine: random,
 * frame-mutated and byte-mutated streams, chopped at random boundaries, go
 * into `FrameParser`, `FrameReader` and `WebSocketConnection` (both roles).
 * Each result is compared with the reference receiver in `_wire.ts`, which
 * reads RFC 6455 on its own: the same frames and messages, then the same
 * close code. Nothing but `WebSocketProtocolError` may escape, and no more
 * than a frame's worth of payload may be held.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  FrameParser,
  FrameReader,
  WebSocketConnection,
  WebSocketProtocolError,
} from "../../lib/protocol/mod.ts";
import { fuzzPlan } from "./_fuzz_config.ts";
import { Prng } from "./_prng.ts";
import { fuzzStream } from "./_streams.ts";
import {
  describeEvents,
  hex,
  referenceFrames,
  referenceReceive,
  type WireEvent,
  type WireFrame,
} from "./_wire.ts";

const UNLIMITED = 2147483646;

function replayHint(label: string, i: number, kind: string, bytes: Uint8Array): string {
  return `${label}, iteration ${i} (${kind}), input ${bytes.length} bytes: ${hex(bytes)}`;
}

Deno.test("5.2 fuzz FrameParser: mutated streams in any chopping give the RFC's frames, then its close code", () => {
  const plan = fuzzPlan("frame_parser", 0x5eed_0001, 4000);
  const rng = new Prng(plan.seed);
  for (let i = 0; i < plan.iterations; i++) {
    const role = rng.chance(0.5) ? "server" : "client";
    const maxFrameSize = rng.pick([UNLIMITED, 1000, 125]);
    const { bytes, kind } = fuzzStream(rng, {
      masked: rng.chance(0.9) === (role === "server"),
      maxPayload: rng.chance(0.05) ? 70000 : rng.pick([40, 300]),
    });
    const hint = () => replayHint(plan.label, i, kind, bytes);
    const expected = referenceFrames(bytes, role, maxFrameSize);

    const frames: WireFrame[] = [];
    const parser = new FrameParser({ role, maxFrameSize }, {
      frame(opcode, fin, rsv, payload) {
        frames.push({ opcode, fin, rsv, payload: payload.slice() });
      },
    });
    let errorCode: number | null = null;
    for (
      const chunk of rng.chop(bytes.slice(), bytes.length > 5000 ? 4096 : rng.pick([1, 7, 64]))
    ) {
      try {
        parser.push(chunk);
      } catch (error) {
        assert.ok(error instanceof WebSocketProtocolError, `${hint()}: threw ${error}`);
        assert.equal(errorCode, null, `${hint()}: threw twice`);
        errorCode = error.closeCode;
        assert.ok(parser.stopped, hint());
      }
      // A frame's payload is held until it completes, and never past the limit.
      assert.ok(parser.bufferedBytes <= Math.min(maxFrameSize, 200000) + 14, hint());
    }
    assert.equal(errorCode, expected.errorCode, hint());
    assert.equal(frames.length, expected.frames.length, hint());
    for (let f = 0; f < frames.length; f++) {
      const got = frames[f]!;
      const want = expected.frames[f]!;
      assert.deepEqual(
        [got.opcode, got.fin, got.rsv, hex(got.payload), got.payload.length],
        [want.opcode, want.fin, want.rsv, hex(want.payload), want.payload.length],
        `${hint()}: frame ${f}`,
      );
      assert.ok(equalBytes(got.payload, want.payload), `${hint()}: frame ${f} payload`);
    }
    if (errorCode === null) assert.equal(parser.atFrameBoundary, expected.atBoundary, hint());
  }
});

Deno.test("5.2 fuzz FrameReader: the stream errors with the RFC's close code, or 1006 when it ends inside a frame", async () => {
  const plan = fuzzPlan("frame_reader", 0x5eed_0002, 600);
  const rng = new Prng(plan.seed);
  for (let i = 0; i < plan.iterations; i++) {
    const role = rng.chance(0.5) ? "server" : "client";
    const { bytes, kind } = fuzzStream(rng, { masked: role === "server", maxPayload: 300 });
    const hint = () => replayHint(plan.label, i, kind, bytes);
    const expected = referenceFrames(bytes, role, 1000);
    const chunks = rng.chop(bytes.slice(), 32);
    let got: WireFrame[] = [];
    let errorCode: number | null = null;
    try {
      got = (await Array.fromAsync(
        ReadableStream.from(chunks).pipeThrough(new FrameReader({ role, maxFrameSize: 1000 })),
      )).map((f) => ({
        opcode: f.opcode,
        fin: f.fin,
        rsv: (f.rsv1 ? 4 : 0) | (f.rsv2 ? 2 : 0) | (f.rsv3 ? 1 : 0),
        payload: f.payload,
      }));
    } catch (error) {
      assert.ok(error instanceof WebSocketProtocolError, `${hint()}: rejected with ${error}`);
      errorCode = error.closeCode;
    }
    const wantCode = expected.errorCode ?? (expected.atBoundary ? null : 1006);
    assert.equal(errorCode, wantCode, hint());
    if (errorCode === null) assert.deepEqual(got, expected.frames, hint());
  }
});

interface ConnectionRun {
  events: WireEvent[];
  failure: number | null;
  closed: { code: number; reason: string } | null;
  output: Uint8Array[];
}

function runConnection(
  rng: Prng,
  bytes: Uint8Array,
  role: "client" | "server",
  limits: { maxFrameSize: number; maxMessageSize: number },
  hint: () => string,
): ConnectionRun {
  const run: ConnectionRun = { events: [], failure: null, closed: null, output: [] };
  const conn = new WebSocketConnection({ role, ...limits }, {
    textFrame() {},
    binaryFrame() {},
    textMessage: (data) => run.events.push({ kind: "text", data }),
    binaryMessage: (data) => run.events.push({ kind: "binary", data: data.slice() }),
    ping: (payload) => run.events.push({ kind: "ping", payload }),
    pong: (payload) => run.events.push({ kind: "pong", payload }),
    closeReceived(code, reason) {
      assert.equal(run.closed, null, `${hint()}: closeReceived twice`);
      run.closed = { code, reason };
    },
    failed(error) {
      assert.equal(run.failure, null, `${hint()}: failed twice`);
      assert.ok(error instanceof WebSocketProtocolError, hint());
      run.failure = error.closeCode;
    },
  });
  for (const chunk of rng.chop(bytes.slice(), rng.pick([1, 9, 100, 5000]))) {
    // A peer's bytes never make receive() throw: violations become close frames.
    conn.receive(chunk);
    run.output.push(...conn.takeOutput());
    assert.ok(conn.bufferedBytes <= limits.maxFrameSize + limits.maxMessageSize + 14, hint());
  }
  const clean = conn.receiveEof();
  assert.equal(clean, run.closed !== null, hint());
  run.output.push(...conn.takeOutput());
  return run;
}

Deno.test("5.4 5.5 5.6 7.4 fuzz WebSocketConnection, both roles: the RFC's messages, pongs and closing, or its close code", () => {
  const plan = fuzzPlan("connection", 0x5eed_0003, 3000);
  const rng = new Prng(plan.seed);
  const outcomes = new Map<string, number>();
  for (let i = 0; i < plan.iterations; i++) {
    const role = rng.chance(0.5) ? "server" : "client";
    const limits = rng.pick([
      { maxFrameSize: UNLIMITED, maxMessageSize: UNLIMITED },
      { maxFrameSize: 200, maxMessageSize: 500 },
      { maxFrameSize: 1000, maxMessageSize: 1000 },
    ]);
    const { bytes, kind } = fuzzStream(rng, {
      masked: rng.chance(0.95) === (role === "server"),
      maxPayload: rng.pick([40, 400, 3000]),
    });
    const hint = () => replayHint(plan.label, i, kind, bytes) + ` role ${role}`;
    const expected = referenceReceive(bytes, role, limits);
    const run = runConnection(rng, bytes, role, limits, hint);

    assert.deepEqual(describeEvents(run.events), describeEvents(expected.events), hint());
    assert.deepEqual(run.events, expected.events, hint());

    // What this end sent: a pong per ping, then the close frame, if any.
    const sent = referenceFrames(
      concatAll(run.output),
      role === "server" ? "client" : "server",
      UNLIMITED,
    );
    assert.equal(sent.errorCode, null, `${hint()}: output is not valid framing`);
    assert.ok(sent.atBoundary, hint());
    const pings = expected.events.filter((e) => e.kind === "ping");
    const pongs = sent.frames.filter((f) => f.opcode === 0xa);
    assert.deepEqual(pongs.map((f) => f.payload), pings.map((e) => e.payload), `${hint()}: pongs`);
    const closes = sent.frames.filter((f) => f.opcode === 0x8);
    const outcome = expected.outcome;
    const outcomeKey = outcome.kind + (outcome.kind === "failed" ? outcome.closeCode : "");
    outcomes.set(outcomeKey, 1 + (outcomes.get(outcomeKey) ?? 0));
    if (outcome.kind === "open") {
      assert.equal(run.failure, null, hint());
      assert.equal(run.closed, null, hint());
      assert.equal(closes.length, 0, hint());
    } else if (outcome.kind === "failed") {
      assert.equal(run.failure, outcome.closeCode, hint());
      assert.equal(closes.length, 1, hint());
      const code = (closes[0]!.payload[0]! << 8) | closes[0]!.payload[1]!;
      assert.equal(code, outcome.closeCode, `${hint()}: close frame sent`);
      assert.equal(sent.frames.at(-1)!.opcode, 0x8, `${hint()}: nothing after the close frame`);
    } else {
      assert.equal(run.failure, null, hint());
      assert.deepEqual(run.closed, { code: outcome.code, reason: outcome.reason }, hint());
      // §5.5.1: the reply echoes the status code (none for a close without one).
      assert.equal(closes.length, 1, hint());
      const payload = closes[0]!.payload;
      if (outcome.code === 1005) assert.equal(payload.length, 0, hint());
      else assert.equal((payload[0]! << 8) | payload[1]!, outcome.code, hint());
      assert.equal(sent.frames.at(-1)!.opcode, 0x8, hint());
    }
  }
  // The generator reaches every outcome, so the comparison above proves something.
  for (const key of ["open", "closed", "failed1002", "failed1007", "failed1009"]) {
    assert.ok(
      (outcomes.get(key) ?? 0) > plan.iterations / 100,
      `outcome ${key} too rare: ${[...outcomes]}`,
    );
  }
});

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function concatAll(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
