import assert from "node:assert/strict";
import {
  encodeClosePayload,
  MAX_CLOSE_REASON_BYTES,
  NO_STATUS_CODE,
  parseClosePayload,
  truncateUtf8,
} from "../../lib/protocol/mod.ts";
import { bytes, concat, expectProtocolError, utf8 } from "./_helpers.ts";

const VALID_CODES = [
  1000,
  1001,
  1002,
  1003,
  1007,
  1008,
  1009,
  1010,
  1011,
  1012,
  1013,
  1014,
  3000,
  3999,
  4000,
  4999,
];
const INVALID_CODES = [0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535];

function codeBytes(code: number): Uint8Array {
  return bytes(code >>> 8, code & 0xff);
}

Deno.test("5.5.1 encode: the status code goes first, big-endian, then the UTF-8 reason", () => {
  assert.deepEqual(encodeClosePayload(1000), bytes(0x03, 0xe8));
  assert.deepEqual(encodeClosePayload(1001, "bye"), bytes(0x03, 0xe9, 0x62, 0x79, 0x65));
  assert.deepEqual(encodeClosePayload(4999, "€"), bytes(0x13, 0x87, 0xe2, 0x82, 0xac));
});

Deno.test("5.5.1 encode: code 1005 (no status) gives an empty payload", () => {
  assert.equal(NO_STATUS_CODE, 1005);
  assert.equal(encodeClosePayload(1005).length, 0);
  assert.equal(encodeClosePayload(1005, "ignored").length, 0);
});

Deno.test("5.5 / Qt close(): a reason of 123 bytes fits; longer reasons are cut to 123", () => {
  assert.equal(MAX_CLOSE_REASON_BYTES, 123);
  const exact = encodeClosePayload(1000, "r".repeat(123));
  assert.equal(exact.length, 125);
  assert.deepEqual(exact.subarray(2), utf8("r".repeat(123)));
  const long = encodeClosePayload(1000, "x".repeat(500));
  assert.equal(long.length, 125);
  assert.deepEqual(long.subarray(2), utf8("x".repeat(123)));
});

Deno.test("5.5.1 / Qt close(): a long reason is cut on a UTF-8 character boundary", () => {
  const cases: Array<[string, number]> = [
    ["é".repeat(100), 122], // 2-byte characters: 61 of them
    ["€".repeat(50), 123], // 3-byte characters: 41 fit exactly
    ["😀".repeat(40), 120], // 4-byte characters: 30 of them
    ["a" + "😀".repeat(40), 121], // 1 + 30 * 4
    ["ab" + "€".repeat(50), 122], // 2 + 40 * 3
  ];
  const strict = new TextDecoder("utf-8", { fatal: true });
  for (const [reason, reasonBytes] of cases) {
    const payload = encodeClosePayload(1000, reason);
    assert.equal(payload.length, 2 + reasonBytes, reason.slice(0, 3));
    const text = strict.decode(payload.subarray(2)); // throws if a character was cut
    assert.ok(reason.startsWith(text));
  }
});

Deno.test("5.5.1 truncateUtf8: fits unchanged, cuts at a boundary, and can cut to nothing", () => {
  assert.deepEqual(truncateUtf8("abc", 3), utf8("abc"));
  assert.deepEqual(truncateUtf8("abc", 2), utf8("ab"));
  assert.deepEqual(truncateUtf8("a€", 3), utf8("a"));
  assert.deepEqual(truncateUtf8("a€", 4), utf8("a€"));
  assert.deepEqual(truncateUtf8("😀", 3), new Uint8Array(0));
  assert.deepEqual(truncateUtf8("abc", 0), new Uint8Array(0));
  assert.deepEqual(truncateUtf8("", 10), new Uint8Array(0));
});

Deno.test("5.5.1 parse: an empty payload means no status code (1005) and no reason", () => {
  assert.deepEqual(parseClosePayload(new Uint8Array(0)), { code: 1005, reason: "" });
});

Deno.test("5.5.1 close: a 1-byte payload fails with 1002", () => {
  for (const value of [0x00, 0x03, 0xff]) {
    expectProtocolError(() => parseClosePayload(bytes(value)), 1002, "INVALID_CLOSE_PAYLOAD");
  }
});

Deno.test("7.4.1 parse: every code that may be sent is accepted, with and without a reason", () => {
  for (const code of VALID_CODES) {
    assert.deepEqual(parseClosePayload(codeBytes(code)), { code, reason: "" });
    assert.deepEqual(parseClosePayload(concat(codeBytes(code), utf8("why"))), {
      code,
      reason: "why",
    });
  }
});

Deno.test("7.4.1 parse: codes that may not appear on the wire fail with 1002 (0-999, 1004-1006, 1015, 1016-2999, 5000+)", () => {
  for (const code of INVALID_CODES) {
    expectProtocolError(() => parseClosePayload(codeBytes(code)), 1002, "INVALID_CLOSE_CODE");
  }
  // The whole 16-bit range agrees with the rule.
  for (let code = 0; code <= 0xffff; code++) {
    const valid = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
      (code >= 3000 && code <= 4999);
    let accepted = true;
    try {
      parseClosePayload(codeBytes(code));
    } catch {
      accepted = false;
    }
    if (accepted !== valid) assert.fail(`code ${code}: accepted ${accepted}`);
  }
});

Deno.test("5.5.1 / 8.1 parse: a reason that is not valid UTF-8 fails with 1007", () => {
  for (
    const reason of [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [
      0x41,
      0xe2,
      0x82,
    ]]
  ) {
    const error = expectProtocolError(
      () => parseClosePayload(concat(codeBytes(1000), bytes(...reason))),
      1007,
      "INVALID_UTF8",
    );
    assert.match(error.message, /Close reason/);
  }
});

Deno.test("5.5.1 parse: the code is checked before the reason (an invalid code with a bad reason is 1002)", () => {
  expectProtocolError(
    () => parseClosePayload(concat(codeBytes(1005), bytes(0xff))),
    1002,
    "INVALID_CLOSE_CODE",
  );
});

Deno.test("5.5.1 round trip: encode then parse gives the code and the (cut) reason back", () => {
  for (const code of VALID_CODES) {
    for (const reason of ["", "normal", "κόσμε 😀", "€".repeat(60)]) {
      const parsed = parseClosePayload(encodeClosePayload(code, reason));
      assert.equal(parsed.code, code);
      assert.ok(reason.startsWith(parsed.reason));
      assert.ok(utf8(parsed.reason).length <= 123);
    }
  }
});
