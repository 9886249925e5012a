import assert from "node:assert/strict";
import { decodeUtf8, encodeUtf8, isValidUtf8, Utf8StreamDecoder } from "../../lib/protocol/mod.ts";
import { bytes, concat, expectProtocolError, utf8 } from "./_helpers.ts";

// Invalid sequences with the index of the first byte at which a strict
// streaming decoder can know the input is invalid (WHATWG Encoding, §8.1.1).
const INVALID: Array<[string, number[], number]> = [
  ["overlong 2-byte NUL C0 80", [0xc0, 0x80], 0],
  ["overlong 2-byte C1 BF", [0xc1, 0xbf], 0],
  ["overlong 3-byte E0 80 80", [0xe0, 0x80, 0x80], 1],
  ["overlong 3-byte E0 9F BF", [0xe0, 0x9f, 0xbf], 1],
  ["overlong 4-byte F0 80 80 80", [0xf0, 0x80, 0x80, 0x80], 1],
  ["overlong 4-byte F0 8F BF BF", [0xf0, 0x8f, 0xbf, 0xbf], 1],
  ["surrogate U+D800 ED A0 80", [0xed, 0xa0, 0x80], 1],
  ["surrogate U+DFFF ED BF BF", [0xed, 0xbf, 0xbf], 1],
  ["surrogate pair ED A0 80 ED B0 80", [0xed, 0xa0, 0x80, 0xed, 0xb0, 0x80], 1],
  ["above U+10FFFF F4 90 80 80", [0xf4, 0x90, 0x80, 0x80], 1],
  ["F5 lead byte", [0xf5, 0x80, 0x80, 0x80], 0],
  ["5-byte form F8 88 80 80 80", [0xf8, 0x88, 0x80, 0x80, 0x80], 0],
  ["6-byte form FC 84 80 80 80 80", [0xfc, 0x84, 0x80, 0x80, 0x80, 0x80], 0],
  ["FE", [0xfe], 0],
  ["FF", [0xff], 0],
  ["lone continuation 80", [0x80], 0],
  ["lone continuation BF", [0xbf], 0],
  ["2-byte lead then ASCII C2 41", [0xc2, 0x41], 1],
  ["3-byte lead, one continuation, then ASCII E2 82 41", [0xe2, 0x82, 0x41], 2],
  ["4-byte lead, two continuations, then a lead F0 9F 98 F0", [0xf0, 0x9f, 0x98, 0xf0], 3],
];

// Sequences that are only invalid because the text ends inside them.
const TRUNCATED: Array<[string, number[]]> = [
  ["C2", [0xc2]],
  ["E2 82", [0xe2, 0x82]],
  ["F0 9F 98", [0xf0, 0x9f, 0x98]],
  ["F4 8F BF", [0xf4, 0x8f, 0xbf]],
];

// Every length class of UTF-8 at its edges (Autobahn 6.2-6.3 and Markus Kuhn's test file).
const VALID_SAMPLES = [
  "\u0000",
  "\u007f",
  "\u0080",
  "\u07ff",
  "\u0800",
  "\ud7ff",
  "\ue000",
  "\ufffd",
  "\uffff",
  "\u{10000}",
  "\u{10ffff}",
  "\u03ba\u1f79\u03c3\u03bc\u03b5", // κόσμε, with U+1F79 as in the test file
  "Hello-µ@ßöäüàá-UTF-8!!",
  "😀€é",
];

Deno.test('8.1 decodeUtf8: the classic "κόσμε" vector (U+1F79 in the middle)', () => {
  const vector = bytes(0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5);
  assert.equal(decodeUtf8(vector), "\u03ba\u1f79\u03c3\u03bc\u03b5");
  // The first two characters, as in the module's documentation example.
  assert.equal(decodeUtf8(vector.subarray(0, 5)), "\u03ba\u1f79");
});

Deno.test("8.1 decodeUtf8: ASCII through the short fast path and the long path", () => {
  assert.equal(decodeUtf8(new Uint8Array(0)), "");
  for (const length of [1, 31, 32, 33, 1000]) {
    const text = "x".repeat(length - 1) + "}";
    assert.equal(decodeUtf8(utf8(text)), text);
  }
  // Every ASCII byte value.
  const ascii = new Uint8Array(128).map((_, i) => i);
  assert.equal(decodeUtf8(ascii), String.fromCharCode(...ascii));
  assert.equal(decodeUtf8(ascii.subarray(0, 32)), String.fromCharCode(...ascii.subarray(0, 32)));
});

Deno.test("8.1 decodeUtf8: every UTF-8 length class at its edges decodes", () => {
  for (const text of VALID_SAMPLES) {
    assert.equal(decodeUtf8(encodeUtf8(text)), text);
    // Also past the 32-byte fast-path limit.
    const long = "a".repeat(40) + text;
    assert.equal(decodeUtf8(encodeUtf8(long)), long);
  }
});

Deno.test("8.1 decodeUtf8: a BOM (EF BB BF) at the start is kept, short and long", () => {
  assert.equal(decodeUtf8(bytes(0xef, 0xbb, 0xbf, 0x41)), "\ufeffA");
  assert.equal(decodeUtf8(bytes(0xef, 0xbb, 0xbf)), "\ufeff");
  const long = concat(bytes(0xef, 0xbb, 0xbf), utf8("b".repeat(100)));
  assert.equal(decodeUtf8(long), "\ufeff" + "b".repeat(100));
  assert.equal(decodeUtf8(bytes(0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf)), "\ufeff\ufeff");
});

Deno.test("8.1 decodeUtf8: overlongs, surrogates, >U+10FFFF and stray bytes fail with 1007", () => {
  for (const [name, sequence] of INVALID) {
    for (
      const input of [
        bytes(...sequence),
        concat(utf8("ok "), bytes(...sequence), utf8(" ok")),
        concat(utf8("x".repeat(40)), bytes(...sequence)),
      ]
    ) {
      const error = expectProtocolError(() => decodeUtf8(input), 1007, "INVALID_UTF8");
      assert.match(error.message, /Text message is not valid UTF-8/, name);
    }
    assert.equal(isValidUtf8(bytes(...sequence)), false, name);
  }
});

Deno.test("8.1 decodeUtf8: a text that ends inside a character fails with 1007", () => {
  for (const [name, sequence] of TRUNCATED) {
    expectProtocolError(
      () => decodeUtf8(concat(utf8("abc"), bytes(...sequence))),
      1007,
      "INVALID_UTF8",
    );
    assert.equal(isValidUtf8(bytes(...sequence)), false, name);
  }
});

Deno.test("8.1 decodeUtf8: the error message names what was decoded", () => {
  const error = expectProtocolError(() => decodeUtf8(bytes(0xff), "Close reason"), 1007);
  assert.equal(error.message, "Close reason is not valid UTF-8");
});

Deno.test("8.1 isValidUtf8 and encodeUtf8", () => {
  assert.equal(isValidUtf8(utf8("κόσμε 😀")), true);
  assert.equal(isValidUtf8(new Uint8Array(0)), true);
  assert.deepEqual(encodeUtf8("€"), bytes(0xe2, 0x82, 0xac));
  assert.deepEqual(encodeUtf8("\u{10ffff}"), bytes(0xf4, 0x8f, 0xbf, 0xbf));
  // A lone surrogate cannot be encoded: it becomes U+FFFD.
  assert.deepEqual(encodeUtf8("\ud800"), bytes(0xef, 0xbf, 0xbd));
});

Deno.test("6.x Utf8StreamDecoder: valid text split at every byte position gives the same text (Autobahn 6.2)", () => {
  for (const text of VALID_SAMPLES) {
    const encoded = encodeUtf8(text);
    for (let cut = 0; cut <= encoded.length; cut++) {
      const decoder = new Utf8StreamDecoder();
      const decoded = decoder.push(encoded.subarray(0, cut)) + decoder.push(encoded.subarray(cut)) +
        decoder.finish();
      assert.equal(decoded, text, `${JSON.stringify(text)} cut at ${cut}`);
    }
  }
});

Deno.test("6.x Utf8StreamDecoder: valid text fed a byte at a time gives the same text; characters complete as their last byte arrives", () => {
  const text = VALID_SAMPLES.join("");
  const decoder = new Utf8StreamDecoder();
  let decoded = "";
  for (const byte of encodeUtf8(text)) decoded += decoder.push(bytes(byte));
  decoded += decoder.finish();
  assert.equal(decoded, text);

  const euro = new Utf8StreamDecoder();
  assert.equal(euro.push(bytes(0x61, 0xe2)), "a");
  assert.equal(euro.push(bytes(0x82)), "");
  assert.equal(euro.push(bytes(0xac, 0x62)), "€b");
  assert.equal(euro.finish(), "");
});

Deno.test("6.x Utf8StreamDecoder: fed a byte at a time, invalid input fails at its first invalid byte (fail fast)", () => {
  for (const [name, sequence, failAt] of INVALID) {
    const input = concat(utf8("κόσμε"), bytes(...sequence), utf8("edited"));
    const prefix = utf8("κόσμε").length;
    const decoder = new Utf8StreamDecoder();
    let failedAt = -1;
    for (let i = 0; i < input.length; i++) {
      try {
        decoder.push(input.subarray(i, i + 1));
      } catch (error) {
        assert.equal((error as { closeCode?: number }).closeCode, 1007);
        failedAt = i;
        break;
      }
    }
    assert.equal(failedAt, prefix + failAt, name);
  }
});

Deno.test("6.x Utf8StreamDecoder: invalid input inside one piece fails on that piece", () => {
  for (const [name, sequence] of INVALID) {
    const decoder = new Utf8StreamDecoder();
    assert.equal(decoder.push(utf8("valid start ")), "valid start ", name);
    expectProtocolError(
      () => decoder.push(concat(bytes(...sequence), utf8("!"))),
      1007,
      "INVALID_UTF8",
    );
  }
});

Deno.test("6.x Utf8StreamDecoder: a text that ends inside a character fails at finish() with 1007", () => {
  for (const [name, sequence] of TRUNCATED) {
    const decoder = new Utf8StreamDecoder();
    assert.equal(decoder.push(concat(utf8("ab"), bytes(...sequence))), "ab", name);
    expectProtocolError(() => decoder.finish(), 1007, "INVALID_UTF8");
  }
});

Deno.test("6.x Utf8StreamDecoder: finish() resets for the next text; reset() forgets a partial character", () => {
  const decoder = new Utf8StreamDecoder();
  assert.equal(decoder.finish(), "");
  assert.equal(decoder.push(bytes(0x41)), "A");
  assert.equal(decoder.finish(), "");
  assert.equal(decoder.push(bytes(0xe2, 0x82)), "");
  decoder.reset();
  assert.equal(decoder.push(bytes(0x42)), "B");
  assert.equal(decoder.finish(), "");
  // After a failure the decoder starts over.
  expectProtocolError(() => decoder.push(bytes(0xc0)), 1007);
  assert.equal(decoder.push(bytes(0x43)), "C");
  assert.equal(decoder.finish(), "");
});

Deno.test("8.1 Utf8StreamDecoder: a BOM at the start of each text is kept, also when split", () => {
  const decoder = new Utf8StreamDecoder();
  assert.equal(decoder.push(bytes(0xef)) + decoder.push(bytes(0xbb, 0xbf, 0x41)), "\ufeffA");
  assert.equal(decoder.finish(), "");
  // A second text on the same decoder keeps its BOM too.
  assert.equal(decoder.push(bytes(0xef, 0xbb, 0xbf, 0x42)), "\ufeffB");
  assert.equal(decoder.finish(), "");
});
