import assert from "node:assert/strict";
import {
  EMPTY_PAYLOAD,
  encodeFrame,
  encodeFrameHeader,
  firstHeaderByte,
  frameHeaderSize,
  MAX_CONTROL_PAYLOAD,
  MAX_HEADER_SIZE,
} from "../../lib/protocol/mod.ts";
import { bytes, concat, maskByteLoop, RFC_KEY, utf8 } from "./_helpers.ts";
import { mulberry32, randomBytes } from "./_prng.ts";

const BOUNDARIES = [0, 1, 125, 126, 127, 65535, 65536];

// The header RFC 6455 §5.2 prescribes for a payload length, written out by hand.
function expectedLengthBytes(length: number): number[] {
  if (length < 126) return [length];
  if (length < 65536) return [126, length >>> 8, length & 0xff];
  const high = Math.floor(length / 2 ** 32);
  const low = length >>> 0;
  return [
    127,
    high >>> 24,
    (high >>> 16) & 0xff,
    (high >>> 8) & 0xff,
    high & 0xff,
    low >>> 24,
    (low >>> 16) & 0xff,
    (low >>> 8) & 0xff,
    low & 0xff,
  ];
}

Deno.test('5.7 example: a single-frame unmasked text message "Hello"', () => {
  assert.deepEqual(
    encodeFrame(0x81, utf8("Hello")),
    bytes(0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f),
  );
});

Deno.test('5.7 example: a single-frame masked text message "Hello" with key 37 fa 21 3d', () => {
  assert.deepEqual(
    encodeFrame(0x81, utf8("Hello"), RFC_KEY),
    bytes(0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58),
  );
});

Deno.test('5.7 example: a fragmented unmasked text message "Hel" + "lo"', () => {
  assert.deepEqual(encodeFrame(0x01, utf8("Hel")), bytes(0x01, 0x03, 0x48, 0x65, 0x6c));
  assert.deepEqual(encodeFrame(0x80, utf8("lo")), bytes(0x80, 0x02, 0x6c, 0x6f));
});

Deno.test('5.7 example: an unmasked ping "Hello" and its masked pong', () => {
  assert.deepEqual(
    encodeFrame(0x89, utf8("Hello")),
    bytes(0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f),
  );
  assert.deepEqual(
    encodeFrame(0x8a, utf8("Hello"), RFC_KEY),
    bytes(0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58),
  );
});

Deno.test("5.7 example: 256 bytes of binary data in a single unmasked frame: 82 7E 0100", () => {
  const payload = new Uint8Array(256).map((_, i) => i);
  const frame = encodeFrame(0x82, payload);
  assert.deepEqual(frame.subarray(0, 4), bytes(0x82, 0x7e, 0x01, 0x00));
  assert.equal(frame.length, 4 + 256);
  assert.deepEqual(frame.subarray(4), payload);
  assert.deepEqual(encodeFrameHeader(0x82, 256), bytes(0x82, 0x7e, 0x01, 0x00));
});

Deno.test("5.7 example: 64 KiB of binary data in a single unmasked frame: 82 7F 0000000000010000", () => {
  const payload = new Uint8Array(65536).fill(0xab);
  const frame = encodeFrame(0x82, payload);
  const header = bytes(0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0);
  assert.deepEqual(frame.subarray(0, 10), header);
  assert.equal(frame.length, 10 + 65536);
  assert.deepEqual(frame.subarray(10), payload);
  assert.deepEqual(encodeFrameHeader(0x82, 65536), header);
});

Deno.test("5.2 payload length: frameHeaderSize at every length boundary, masked and unmasked", () => {
  const expected: Array<[number, number]> = [
    [0, 2],
    [1, 2],
    [125, 2],
    [126, 4],
    [127, 4],
    [65535, 4],
    [65536, 10],
    [2 ** 32, 10],
    [2 ** 53 - 1, 10],
  ];
  for (const [length, size] of expected) {
    assert.equal(frameHeaderSize(length, false), size, `unmasked ${length}`);
    assert.equal(frameHeaderSize(length, true), size + 4, `masked ${length}`);
  }
  assert.equal(MAX_HEADER_SIZE, 14);
  assert.equal(frameHeaderSize(2 ** 32, true), MAX_HEADER_SIZE);
});

Deno.test("5.2 payload length: encodeFrameHeader uses the minimal 7/16/64-bit form at every boundary", () => {
  for (
    const length of [...BOUNDARIES, 2 ** 16 + 1, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 5, 2 ** 53 - 1]
  ) {
    assert.deepEqual(
      [...encodeFrameHeader(0x82, length)],
      [0x82, ...expectedLengthBytes(length)],
      `length ${length}`,
    );
    assert.deepEqual(
      [...encodeFrameHeader(0x82, length, 0x01020304)],
      [
        0x82,
        0x80 | expectedLengthBytes(length)[0]!,
        ...expectedLengthBytes(length).slice(1),
        1,
        2,
        3,
        4,
      ],
      `masked length ${length}`,
    );
  }
});

Deno.test("5.2 payload length: a 2^32 + 5 byte length puts 1 in the high word and 5 in the low word", () => {
  assert.deepEqual(
    [...encodeFrameHeader(0x02, 2 ** 32 + 5)],
    [0x02, 127, 0, 0, 0, 1, 0, 0, 0, 5],
  );
});

Deno.test("5.2 frames: encodeFrame at every length boundary, unmasked (server) and masked (client)", () => {
  const rng = mulberry32(1);
  for (const length of BOUNDARIES) {
    const payload = randomBytes(rng, length);
    const unmasked = encodeFrame(0x82, payload);
    assert.deepEqual(unmasked, concat(bytes(0x82, ...expectedLengthBytes(length)), payload));

    const key = 0x9e3779b9;
    const masked = encodeFrame(0x82, payload, key);
    const maskedPayload = payload.slice();
    maskByteLoop(maskedPayload, key);
    const lengthBytes = expectedLengthBytes(length);
    assert.deepEqual(
      masked,
      concat(
        bytes(0x82, 0x80 | lengthBytes[0]!, ...lengthBytes.slice(1), 0x9e, 0x37, 0x79, 0xb9),
        maskedPayload,
      ),
      `masked length ${length}`,
    );
  }
});

Deno.test("5.3 frames: encodeFrame masks a copy; the caller's payload is never changed", () => {
  const payload = utf8("caller data that must survive masking, longer than a few words");
  const copy = payload.slice();
  const frame = encodeFrame(0x81, payload, 0xffffffff);
  assert.deepEqual(payload, copy);
  assert.notEqual(frame.buffer, payload.buffer);
  // A view into a bigger buffer: the bytes around it stay too.
  const big = new Uint8Array(100).fill(7);
  encodeFrame(0x82, big.subarray(3, 90), 0x12345678);
  assert.ok(big.every((b) => b === 7));
});

Deno.test("5.3 frames: the payload of an encoded frame starts on a 4-byte boundary of its buffer", () => {
  for (const length of BOUNDARIES) {
    for (const mask of [undefined, RFC_KEY]) {
      const frame = encodeFrame(0x82, new Uint8Array(length), mask);
      const payloadOffset = frame.byteOffset + frameHeaderSize(length, mask !== undefined);
      assert.equal(payloadOffset % 4, 0, `length ${length}, masked ${mask !== undefined}`);
      assert.equal(frame.length, frameHeaderSize(length, mask !== undefined) + length);
    }
  }
});

Deno.test("5.2 frames: firstHeaderByte packs FIN, RSV1-3 and the opcode", () => {
  assert.equal(firstHeaderByte(true, 0, 0x1), 0x81);
  assert.equal(firstHeaderByte(false, 0, 0x0), 0x00);
  assert.equal(firstHeaderByte(true, 4, 0x2), 0xc2);
  assert.equal(firstHeaderByte(false, 2, 0x2), 0x22);
  assert.equal(firstHeaderByte(false, 1, 0x1), 0x11);
  assert.equal(firstHeaderByte(true, 7, 0xf), 0xff);
  // Out-of-range inputs do not spill into neighbouring bits.
  assert.equal(firstHeaderByte(false, 8, 0x10), 0x00);
});

Deno.test("5.2 frames: FIN, RSV bits and opcode go out as given; empty payloads have a 2-byte header", () => {
  assert.deepEqual(encodeFrame(0xc1, EMPTY_PAYLOAD), bytes(0xc1, 0x00));
  assert.deepEqual(encodeFrame(0x88, EMPTY_PAYLOAD), bytes(0x88, 0x00));
  assert.deepEqual(
    encodeFrame(0x89, EMPTY_PAYLOAD, RFC_KEY),
    bytes(0x89, 0x80, 0x37, 0xfa, 0x21, 0x3d),
  );
});

Deno.test("5.5 control frames: MAX_CONTROL_PAYLOAD is 125", () => {
  assert.equal(MAX_CONTROL_PAYLOAD, 125);
  assert.equal(frameHeaderSize(MAX_CONTROL_PAYLOAD, false), 2);
});
