/**
 * Tests of the suite itself: the fuzzer's framing against RFC 6455's own
 * examples, the verdict rules, the catalogue's shape, and the proof that a
 * broken peer is reported as broken (a suite that passes everything proves
 * nothing).
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  type CaseResult,
  FAILED,
  FAILED_BY_CLIENT,
  INFORMATIONAL,
  NON_STRICT,
  OK,
  overallVerdict,
  sameEvents,
  UNCLEAN,
  WRONG_CODE,
} from "./case.ts";
import { catalogue, selectCases } from "./cases/mod.ts";
import { runFuzzingClient } from "./fuzzing_client.ts";
import { startLaxPeer } from "./_lax_peer.ts";
import { bytes, encodeFrame, hex, readFrameHead, repeatTo, utf8 } from "./wire.ts";

const RFC_KEY = bytes(0x37, 0xfa, 0x21, 0x3d);

Deno.test('5.7 fuzzer framing: the RFC\'s single-frame unmasked and masked "Hello"', () => {
  assert.deepEqual(encodeFrame(1, utf8("Hello")), hex("810548656c6c6f"));
  assert.deepEqual(encodeFrame(1, utf8("Hello"), { mask: RFC_KEY }), hex("818537fa213d7f9f4d5158"));
});

Deno.test("5.7 fuzzer framing: the RFC's fragmented text and its 256-byte and 64 KiB headers", () => {
  assert.deepEqual(encodeFrame(1, utf8("Hel"), { fin: false }), hex("010348656c"));
  assert.deepEqual(encodeFrame(0, utf8("lo")), hex("80026c6f"));
  assert.deepEqual(encodeFrame(2, new Uint8Array(256)).subarray(0, 4), hex("827e0100"));
  assert.deepEqual(
    encodeFrame(2, new Uint8Array(65536)).subarray(0, 10),
    hex("827f0000000000010000"),
  );
});

Deno.test("5.2 fuzzer framing: any RSV bits and opcode go out as asked, and are read back", () => {
  const frame = encodeFrame(0xb, utf8("x"), { fin: false, rsv: 5 });
  assert.equal(frame[0], 0x5b);
  const read = readFrameHead(frame);
  assert.ok(read !== null);
  assert.deepEqual(
    { fin: read.head.fin, rsv: read.head.rsv, opcode: read.head.opcode, length: read.head.length },
    { fin: false, rsv: 5, opcode: 0xb, length: 1 },
  );
});

Deno.test("5.2 fuzzer framing: a length not in the minimal encoding is flagged", () => {
  assert.equal(readFrameHead(hex("817e0005"))?.head.nonMinimal, true);
  assert.equal(readFrameHead(hex("827f000000000000ffff"))?.head.nonMinimal, true);
  assert.equal(readFrameHead(hex("827f8000000000010000"))?.head.tooLong, true);
  assert.equal(readFrameHead(hex("817e")), null, "an incomplete header waits for more bytes");
});

Deno.test("fuzzer: payload_len repeats a motif to any length", () => {
  assert.deepEqual(repeatTo(utf8("abc"), 7), utf8("abcabca"));
  assert.deepEqual(repeatTo(utf8("abc"), 2), utf8("ab"));
  assert.equal(repeatTo(utf8("*"), 0).length, 0);
});

Deno.test("Autobahn verdicts: the close behaviour folds into the case verdict", () => {
  assert.equal(overallVerdict(OK, OK), OK);
  assert.equal(overallVerdict(NON_STRICT, OK), NON_STRICT);
  assert.equal(overallVerdict(INFORMATIONAL, INFORMATIONAL), INFORMATIONAL);
  assert.equal(overallVerdict(OK, UNCLEAN), FAILED);
  assert.equal(overallVerdict(OK, FAILED), FAILED);
  assert.equal(overallVerdict(OK, WRONG_CODE), NON_STRICT);
  assert.equal(overallVerdict(OK, FAILED_BY_CLIENT), NON_STRICT);
  assert.equal(overallVerdict(FAILED, OK), FAILED);
});

Deno.test("Autobahn verdicts: received events must match an expected list exactly", () => {
  const text = utf8("Hello");
  assert.ok(sameEvents([["message", text, false]], [["message", utf8("Hello"), false]]));
  assert.ok(!sameEvents([["message", text, true]], [["message", text, false]]));
  assert.ok(!sameEvents([["message", text, false]], []));
  assert.ok(!sameEvents([["pong", text]], [["message", text, false]]));
  assert.ok(sameEvents([["timeout", "A"]], [["timeout", "A"]]));
});

Deno.test("catalogue: Autobahn's case ids, unique, in order, with the counts of its categories", () => {
  const ids = catalogue({ full: true }).map((c) => c.id);
  assert.equal(new Set(ids).size, ids.length);
  const count = (prefix: string) => ids.filter((id) => id.startsWith(prefix)).length;
  assert.deepEqual(
    [count("1."), count("2."), count("3."), count("4."), count("5."), count("6."), count("7.")],
    [16, 11, 7, 10, 20, 145, 37],
  );
  assert.deepEqual([count("9."), count("10.")], [54, 1]);
  assert.equal(count("6.22."), 34, "6.22: every non-character code point of the BMP's planes");
  assert.deepEqual(ids.slice(0, 3), ["1.1.1", "1.1.2", "1.1.3"]);
  assert.equal(ids.at(-1), "10.1.1");
});

async function againstLaxPeer(
  ids: string[],
  options: Parameters<typeof startLaxPeer>[0] = {},
): Promise<Map<string, CaseResult>> {
  const peer = startLaxPeer(options);
  try {
    const settings = { full: false };
    const results = await runFuzzingClient({
      hostname: "127.0.0.1",
      port: peer.port,
      agent: "lax",
      cases: selectCases(catalogue(settings), ids),
      settings,
      patience: 1,
    });
    return new Map(results.map((r) => [r.id, r]));
  } finally {
    await peer.close();
  }
}

Deno.test("suite self-check: a peer that ignores RSV bits, reserved opcodes, bad UTF-8 and bad close codes fails those cases", async () => {
  const results = await againstLaxPeer(["1.1.2", "3.1", "4.1.1", "5.1", "6.3.1", "7.9.1"]);
  assert.equal(results.get("1.1.2")?.verdict, OK, "a valid echo still passes");
  for (const id of ["3.1", "4.1.1", "5.1", "6.3.1", "7.9.1"]) {
    assert.equal(results.get(id)?.verdict, FAILED, `${id}: ${JSON.stringify(results.get(id))}`);
  }
});

Deno.test("suite self-check: a server that never drops TCP after the closing handshake is UNCLEAN", async () => {
  // 2.1 has no killAfter that could drop the connection first.
  const results = await againstLaxPeer(["2.1"], { neverCloseTcp: true });
  const result = results.get("2.1")!;
  assert.equal(result.behavior, OK);
  assert.equal(result.behaviorClose, UNCLEAN);
  assert.equal(result.verdict, FAILED);
});

Deno.test("suite self-check: answering a valid close code with a different one fails 7.7.x", async () => {
  const results = await againstLaxPeer(["7.7.2", "7.3.3"], { closeWith: 1002 });
  assert.equal(results.get("7.7.2")?.behaviorClose, WRONG_CODE);
  assert.equal(results.get("7.7.2")?.verdict, FAILED);
  assert.equal(results.get("7.3.3")?.verdict, FAILED);
});
