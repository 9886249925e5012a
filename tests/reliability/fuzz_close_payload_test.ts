/**
 * Seeded fuzzing of the close-payload parser (RFC 6455 §5.5.1, §7.4): every
 * payload of up to 125 bytes gives the code and reason, or 1002 for a 1-byte
 * payload or a code that may not be sent, or 1007 for a reason that is not
 * UTF-8 — and nothing else escapes.
 *
 * @module
 */

import assert from "node:assert/strict";
import { parseClosePayload, WebSocketProtocolError } from "../../lib/protocol/mod.ts";
import { fuzzPlan } from "./_fuzz_config.ts";
import { Prng } from "./_prng.ts";
import { randomText } from "./_streams.ts";
import { closePayload, hex, isSendableCloseCode, isValidUtf8, utf8Text } from "./_wire.ts";

function reference(payload: Uint8Array): { code: number; reason: string } | number {
  if (payload.length === 0) return { code: 1005, reason: "" };
  if (payload.length === 1) return 1002;
  const code = (payload[0]! << 8) | payload[1]!;
  if (!isSendableCloseCode(code)) return 1002;
  const reason = payload.subarray(2);
  if (!isValidUtf8(reason)) return 1007;
  return { code, reason: utf8Text(reason) };
}

Deno.test("5.5.1 7.4 fuzz close payloads: the code and reason, 1002 or 1007, nothing else", () => {
  const plan = fuzzPlan("close_payload", 0x5eed_0020, 20000);
  const rng = new Prng(plan.seed);
  const seen = new Map<string, number>();
  for (let i = 0; i < plan.iterations; i++) {
    let payload: Uint8Array;
    const roll = rng.int(0, 3);
    if (roll === 0) {
      payload = rng.bytes(rng.length(125));
    } else {
      // A plausible code (every boundary of §7.4 is near one of these) and text.
      const code = rng.chance(0.5) ? rng.int(0, 65535) : rng.pick([
        999,
        1000,
        1003,
        1004,
        1005,
        1006,
        1007,
        1011,
        1014,
        1015,
        1016,
        2999,
        3000,
        4999,
        5000,
      ]);
      const reason = new TextEncoder().encode(randomText(rng, 123));
      payload = closePayload(code, reason);
      if (roll === 2 && payload.length > 2) {
        payload[rng.int(2, payload.length - 1)] = rng.int(0x80, 0xff);
      }
      if (roll === 3) payload = payload.subarray(0, rng.int(0, payload.length));
    }
    const want = reference(payload);
    let got: { code: number; reason: string } | number;
    try {
      got = parseClosePayload(payload);
    } catch (error) {
      assert.ok(error instanceof WebSocketProtocolError, `${plan.label}, ${i}: threw ${error}`);
      got = error.closeCode;
    }
    assert.deepEqual(got, want, `${plan.label}, iteration ${i}: ${hex(payload)}`);
    const key = typeof want === "number" ? String(want) : "ok";
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  for (const key of ["ok", "1002", "1007"]) {
    assert.ok((seen.get(key) ?? 0) > 100, `${key}: ${[...seen]}`);
  }
});
