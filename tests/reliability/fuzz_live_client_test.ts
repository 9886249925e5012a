/**
 * Seeded fuzzing of whole connections from the client's side: a `QWebSocket`
 * opens to a raw TCP server that answers with a mutated 101 (or a refusal),
 * or with a valid 101 followed by a mutated frame stream. The client must
 * connect exactly when RFC 6455 §4.1 says it may, deliver exactly the
 * reference model's messages, answer its pings, and send the close code the
 * model decides, always ending with `disconnected`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { QWebSocket } from "../../mod.ts";
import { HandshakeError, type HttpHead, HttpHeadParser } from "../../lib/protocol/mod.ts";
import { fuzzPlan } from "./_fuzz_config.ts";
import { generateResponse, headBytes, mutateHeadBytes, referenceVerdict } from "./_heads.ts";
import { clientFrames, closeCodeOf, RawServer, within } from "./_live.ts";
import { Prng } from "./_prng.ts";
import { fuzzStream } from "./_streams.ts";
import { describeEvents, hex, referenceReceive, type WireEvent } from "./_wire.ts";

const LIMITS = { maxFrameSize: 1000, maxMessageSize: 3000 };
const BATCH = 8;

interface ClientRun {
  socket: QWebSocket;
  connected: boolean;
  errors: number;
  events: WireEvent[];
  done: Promise<void>;
}

function openClient(url: string): ClientRun {
  const socket = new QWebSocket();
  socket.setMaxAllowedIncomingFrameSize(LIMITS.maxFrameSize);
  socket.setMaxAllowedIncomingMessageSize(LIMITS.maxMessageSize);
  // A dropped peer must not leave the client waiting for long.
  socket.setCloseTimeout(2000);
  const run: ClientRun = {
    socket,
    connected: false,
    errors: 0,
    events: [],
    done: new Promise((resolve) =>
      socket.addEventListener("disconnected", () => resolve(), { once: true })
    ),
  };
  socket.addEventListener("connected", () => (run.connected = true));
  socket.addEventListener("error", () => run.errors++);
  socket.addEventListener(
    "textMessageReceived",
    (e) => run.events.push({ kind: "text", data: e.message }),
  );
  socket.addEventListener(
    "binaryMessageReceived",
    (e) => run.events.push({ kind: "binary", data: e.message }),
  );
  socket.open(url);
  return run;
}

async function oneConnection(rng: Prng, raw: RawServer, hint: string): Promise<string> {
  const run = openClient(raw.url);
  const peer = await raw.accept();
  try {
    const request = await peer.waitFor(
      (b) => new TextDecoder().decode(b).includes("\r\n\r\n"),
      "the request",
    );
    const text = new TextDecoder().decode(request);
    const key = /^sec-websocket-key:[ \t]*(\S+)/im.exec(text)![1]!;
    // Everything the client sends after its request, kept by the peer's reader.
    const requestEnd = text.indexOf("\r\n\r\n") + 4;

    if (rng.chance(0.35)) {
      // A damaged answer to the handshake.
      const response = await generateResponse(rng, key);
      let bytes = headBytes(response.lines);
      bytes = mutateHeadBytes(rng, bytes);
      await peer.writeChunks(rng.chop(bytes, Math.max(1, bytes.length >> 1)));
      await peer.closeWrite();
      let head: HttpHead | null = null;
      try {
        head = new HttpHeadParser().push(bytes.slice());
      } catch (error) {
        assert.ok(error instanceof HandshakeError);
      }
      const verdict = head === null ? { ok: false } : await referenceVerdict(head, key, []);
      await within(run.done, `${hint}: the client to finish (${hex(bytes)})`);
      assert.equal(run.connected, verdict.ok, `${hint}: connected? answer ${hex(bytes)}`);
      if (!verdict.ok) assert.equal(run.errors, 1, `${hint}: one error for a refused opening`);
      return verdict.ok ? "handshake accepted" : "handshake refused";
    }

    await peer.write(new TextEncoder().encode(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        `Sec-WebSocket-Accept: ${await acceptOf(key)}\r\n\r\n`,
    ));
    const { bytes, kind } = fuzzStream(rng, {
      masked: rng.chance(0.05),
      maxPayload: rng.pick([50, 1200]),
    });
    const expected = referenceReceive(bytes, "client", LIMITS);
    const context = `${hint} (${kind}): sent ${hex(bytes)}`;
    const chunks = rng.chop(bytes, Math.max(1, bytes.length >> 2));
    await peer.writeChunks(chunks.length > 64 ? [bytes] : chunks);
    // After a close frame or a failure the client answers, then waits for
    // the server to end TCP (RFC 6455 §7.1.1): end it once its close came.
    const framesSent = (b: Uint8Array) => clientFrames(b.subarray(requestEnd)).frames;
    if (expected.outcome.kind !== "open") {
      await peer.waitFor(
        (b) => closeCodeOf(framesSent(b)) !== null,
        `${context}: the client's close frame`,
      );
    }
    await peer.closeWrite();
    await within(run.done, `${context}: the client to finish`);
    // The client closed its end once done: everything it wrote is here by EOF.
    const { frames, clean } = clientFrames((await peer.readToEnd()).subarray(requestEnd));
    assert.ok(clean, `${context}: the client's bytes are not whole masked frames`);

    assert.deepEqual(
      describeEvents(run.events),
      describeEvents(expected.events.filter((e) => e.kind === "text" || e.kind === "binary")),
      context,
    );
    const pongs = frames.filter((f) => f.opcode === 0xa).map((f) => hex(f.payload));
    const pings = expected.events.filter((e) => e.kind === "ping").map((e) =>
      hex((e as { payload: Uint8Array }).payload)
    );
    assert.deepEqual(pongs, pings, `${context}: a pong for each ping`);
    const outcome = expected.outcome;
    const code = closeCodeOf(frames);
    if (outcome.kind === "failed") assert.equal(code, outcome.closeCode, context);
    else if (outcome.kind === "closed") assert.equal(code, outcome.code, context);
    else assert.equal(code, null, `${context}: no close frame after a plain end of stream`);
    return outcome.kind === "failed" ? `frames ${outcome.closeCode}` : `frames ${outcome.kind}`;
  } finally {
    run.socket.abort();
    await within(run.done, `${hint}: the client to disconnect`);
    await peer.close();
  }
}

async function acceptOf(key: string): Promise<string> {
  const data = new TextEncoder().encode(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
  return btoa(String.fromCharCode(...new Uint8Array(await crypto.subtle.digest("SHA-1", data))));
}

Deno.test("fuzz live QWebSocket: mutated 101 answers and frame streams from a raw server give the RFC's connection, messages, pongs and close code", async () => {
  const plan = fuzzPlan("live_client", 0x5eed_0040, 240);
  const rng = new Prng(plan.seed);
  const outcomes = new Map<string, number>();
  for (let start = 0; start < plan.iterations; start += BATCH) {
    // One raw server per connection: each accept() pairs with one open().
    const runs = [];
    const servers: RawServer[] = [];
    for (let k = start; k < Math.min(plan.iterations, start + BATCH); k++) {
      const raw = new RawServer();
      servers.push(raw);
      runs.push(oneConnection(new Prng(rng.u32()), raw, `${plan.label}, connection ${k}`));
    }
    try {
      for (const outcome of await Promise.all(runs)) {
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }
    } finally {
      for (const raw of servers) raw.close();
    }
  }
  for (
    const key of [
      "handshake accepted",
      "handshake refused",
      "frames open",
      "frames 1002",
      "frames closed",
    ]
  ) {
    assert.ok((outcomes.get(key) ?? 0) > 0, `${key} never happened: ${[...outcomes]}`);
  }
});
