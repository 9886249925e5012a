/**
 * Seeded fuzzing of the opening handshake, both roles: the bounded HTTP head
 * parser, the server's request check (`parseClientRequest`) and the client's
 * response check (`validateServerResponse`). Valid heads must pass in any
 * chopping, each rule-breaking change must get its exact status, and random
 * damage may only ever give a `HandshakeError` with 400, 426 or 431 (server)
 * or a refusal with the status received (client) — never another exception.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  HandshakeError,
  type HttpHead,
  HttpHeadParser,
  parseClientRequest,
  validateServerResponse,
} from "../../lib/protocol/mod.ts";
import { fuzzPlan } from "./_fuzz_config.ts";
import {
  generateRequest,
  generateResponse,
  headBytes,
  KNOWN_REQUEST_MUTATIONS,
  mutateHeadBytes,
  randomKey,
  referenceVerdict,
} from "./_heads.ts";
import { Prng } from "./_prng.ts";
import { concat, hex } from "./_wire.ts";

type HeadResult =
  | { kind: "head"; head: HttpHead; leftover: Uint8Array; consumed: number }
  | { kind: "error"; status: number; message: string }
  | { kind: "incomplete" };

function parseHead(chunks: readonly Uint8Array[], hint: () => string): HeadResult {
  const parser = new HttpHeadParser();
  let consumed = 0;
  for (let c = 0; c < chunks.length; c++) {
    const chunk = chunks[c]!;
    let head: HttpHead | null;
    try {
      head = parser.push(chunk);
    } catch (error) {
      assert.ok(error instanceof HandshakeError, `${hint()}: HttpHeadParser threw ${error}`);
      return { kind: "error", status: error.status, message: error.message };
    }
    if (head !== null) {
      const leftover = concat([parser.leftover(), ...chunks.slice(c + 1)]);
      consumed += chunk.length - parser.leftover().length;
      return { kind: "head", head, leftover, consumed };
    }
    consumed += chunk.length;
  }
  return { kind: "incomplete" };
}

function summary(result: HeadResult): unknown {
  if (result.kind === "head") {
    return {
      startLine: result.head.startLine,
      headers: result.head.headers.entries(),
      leftover: hex(result.leftover),
      consumed: result.consumed,
    };
  }
  if (result.kind === "error") return { status: result.status };
  return result;
}

Deno.test("4.2.1 fuzz server handshake: every request gives a ClientRequest, 400, 426 or 431, the same in any chopping", () => {
  const plan = fuzzPlan("server_handshake", 0x5eed_0010, 3000);
  const rng = new Prng(plan.seed);
  const statuses = new Map<number, number>();
  for (let i = 0; i < plan.iterations; i++) {
    const request = generateRequest(rng);
    let lines = request.lines;
    let expectedStatus: number | null = null;
    const mode = rng.pick(["valid", "known", "known", "bytes", "bytes", "bytes", "noise"]);
    let known = "";
    if (mode === "known") {
      const mutation = rng.pick(KNOWN_REQUEST_MUTATIONS);
      lines = mutation.apply(lines);
      expectedStatus = mutation.status;
      known = mutation.name;
    }
    let bytes = headBytes(lines, request.eol);
    if (mode === "bytes") {
      bytes = mutateHeadBytes(rng, bytes);
      expectedStatus = null;
    } else if (mode === "noise") {
      bytes = rng.bytes(rng.int(0, 400));
    }
    // A client may send its first frame in the same packet as the handshake.
    const after = rng.chance(0.3) ? rng.bytes(rng.int(1, 20)) : new Uint8Array(0);
    const input = concat([bytes, after]);
    const hint = () => `${plan.label}, iteration ${i} (${mode} ${known}): ${hex(input)}`;

    const whole = parseHead([input], hint);
    const chopped = parseHead(rng.chop(input, rng.pick([1, 5, 100])), hint);
    assert.deepEqual(summary(chopped), summary(whole), `${hint()}: chopping changed the result`);

    let status: number | null = null;
    if (whole.kind === "error") {
      assert.ok(
        whole.status === 400 || whole.status === 431,
        `${hint()}: head status ${whole.status}`,
      );
      status = whole.status;
    } else if (whole.kind === "head") {
      // The bounds held: a head that passed fits 64 KiB, 8 KiB lines, 100 fields.
      assert.ok(whole.consumed <= 65536, hint());
      assert.ok(whole.head.headers.size <= 100, hint());
      assert.deepEqual(hex(whole.leftover), hex(input.subarray(whole.consumed)), hint());
      let parsed: ReturnType<typeof parseClientRequest> | null = null;
      try {
        parsed = parseClientRequest(whole.head);
      } catch (error) {
        assert.ok(error instanceof HandshakeError, `${hint()}: parseClientRequest threw ${error}`);
        assert.ok(
          error.status === 400 || error.status === 426,
          `${hint()}: status ${error.status}`,
        );
        if (error.status === 426) {
          assert.deepEqual(error.headers, [["Sec-WebSocket-Version", "13"]], hint());
        }
        status = error.status;
      }
      if (parsed !== null && mode === "valid") {
        assert.equal(parsed.target, request.target, hint());
        assert.equal(parsed.key, request.key, hint());
        assert.deepEqual(parsed.protocols, request.protocols, hint());
        assert.equal(parsed.origin, request.origin, hint());
        assert.equal(parsed.version, 13, hint());
      }
    } else {
      // Only a head without its empty line may stay incomplete.
      assert.notEqual(mode, "valid", hint());
      assert.notEqual(mode, "known", hint());
    }
    if (mode === "valid") assert.equal(status, null, `${hint()}: a valid request was refused`);
    if (mode === "known") assert.equal(status, expectedStatus, `${hint()}: ${known}`);
    if (status !== null) statuses.set(status, (statuses.get(status) ?? 0) + 1);
  }
  for (const status of [400, 426, 431]) assert.ok((statuses.get(status) ?? 0) > 0, `no ${status}`);
});

Deno.test("4.1 fuzz client handshake: validateServerResponse accepts exactly what RFC 6455 allows and rejects only with HandshakeError", async () => {
  const plan = fuzzPlan("client_handshake", 0x5eed_0011, 1500);
  const rng = new Prng(plan.seed);
  let accepted = 0;
  let rejected = 0;
  for (let i = 0; i < plan.iterations; i++) {
    const key = randomKey(rng);
    const response = await generateResponse(rng, key);
    let lines = response.lines;
    const mode = rng.pick(["valid", "rule", "rule", "bytes", "bytes"]);
    if (mode === "rule") {
      lines = rng.pick<(l: string[]) => string[]>([
        (
          l,
        ) => [
          rng.pick([
            "HTTP/1.1 200 OK",
            "HTTP/1.1 404 Not Found",
            "HTTP/1.0 101 x",
            "HTTP/1.1 302 Found",
          ]),
          ...l.slice(1),
        ],
        (l) => l.filter((x) => !x.toLowerCase().startsWith("upgrade:")),
        (l) => l.filter((x) => !x.startsWith("Connection:")),
        (l) => l.filter((x) => !x.startsWith("Sec-WebSocket-Accept:")),
        (
          l,
        ) => [
          ...l.filter((x) => !x.startsWith("Sec-WebSocket-Accept:")),
          `Sec-WebSocket-Accept: ${randomKey(rng)}`,
        ],
        (
          l,
        ) => [
          ...l,
          `Sec-WebSocket-Accept: ${
            l.find((x) => x.startsWith("Sec-WebSocket-Accept:"))!.slice(22)
          }`,
        ],
        (l) => [...l, "Sec-WebSocket-Protocol: not-offered"],
        (l) => [...l, "Sec-WebSocket-Protocol: chat, v2"],
        (l) => [...l, "Sec-WebSocket-Extensions: permessage-deflate"],
      ])(lines);
    }
    let bytes = headBytes(lines);
    if (mode === "bytes") bytes = mutateHeadBytes(rng, bytes);
    const hint = () => `${plan.label}, iteration ${i} (${mode}): ${hex(bytes)}`;
    const parsed = parseHead(rng.chop(bytes, 50), hint);
    if (parsed.kind !== "head") {
      assert.notEqual(mode, "valid", hint());
      continue;
    }
    const want = await referenceVerdict(parsed.head, key, response.offered);
    let got: { ok: true; protocol: string } | { ok: false; status: number };
    try {
      const result = await validateServerResponse(parsed.head, {
        key,
        protocols: response.offered,
      });
      got = { ok: true, protocol: result.protocol };
      accepted++;
    } catch (error) {
      assert.ok(error instanceof HandshakeError, `${hint()}: rejected with ${error}`);
      got = { ok: false, status: error.status };
      rejected++;
    }
    assert.deepEqual(got, want, hint());
    if (mode === "valid") assert.ok(got.ok, hint());
  }
  assert.ok(
    accepted > plan.iterations / 10 && rejected > plan.iterations / 10,
    `${accepted}/${rejected}`,
  );
});
