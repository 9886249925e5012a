import assert from "node:assert/strict";
import {
  encodeFrame,
  FrameParser,
  type FrameParserOptions,
  MAX_FRAME_SIZE,
  type Role,
  type WebSocketProtocolError,
} from "../../lib/protocol/mod.ts";
import { bytes, concat, expectProtocolError, RFC_KEY, utf8 } from "./_helpers.ts";
import {
  chopBytewise,
  chopRandomly,
  mulberry32,
  pick,
  randomBytes,
  randomInt,
  type Rng,
} from "./_prng.ts";

interface SeenFrame {
  opcode: number;
  fin: boolean;
  rsv: number;
  payload: Uint8Array;
}

const BOUNDARIES = [0, 1, 125, 126, 127, 65535, 65536];

// A parser that records every frame (payload copied, as the parser may reuse
// the memory of its input).
function recordingParser(options: FrameParserOptions) {
  const frames: SeenFrame[] = [];
  const parser = new FrameParser(options, {
    frame(opcode, fin, rsv, payload) {
      frames.push({ opcode, fin, rsv, payload: payload.slice() });
    },
  });
  return { parser, frames };
}

function parseChunks(options: FrameParserOptions, chunks: Uint8Array[]): SeenFrame[] {
  const { parser, frames } = recordingParser(options);
  for (const chunk of chunks) parser.push(chunk);
  assert.ok(parser.atFrameBoundary, "input ended inside a frame");
  return frames;
}

// Feeds `input` to a fresh parser and returns the error it throws.
function parseError(
  options: FrameParserOptions,
  input: Uint8Array,
  closeCode: number,
  code: string,
): WebSocketProtocolError {
  const { parser } = recordingParser(options);
  return expectProtocolError(() => parser.push(input), closeCode, code);
}

// A long stream of mixed frames, encoded for delivery to `receiver`, and the
// frames the receiver must see.
function mixedStream(rng: Rng, receiver: Role, count: number) {
  const lengths = [
    0,
    1,
    2,
    3,
    4,
    5,
    7,
    24,
    25,
    125,
    126,
    127,
    1000,
    4095,
    4096,
    4097,
    65535,
    65536,
    70000,
  ];
  const expected: SeenFrame[] = [];
  const encoded: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const control = rng() < 0.25;
    const opcode = control ? pick(rng, [0x8, 0x9, 0xa]) : pick(rng, [0x0, 0x1, 0x2]);
    const length = control ? randomInt(rng, 0, 125) : pick(rng, lengths);
    const fin = control || rng() < 0.5;
    const payload = randomBytes(rng, length);
    const mask = receiver === "server" ? (rng() * 2 ** 32) >>> 0 : undefined;
    encoded.push(encodeFrame((fin ? 0x80 : 0) | opcode, payload, mask));
    expected.push({ opcode, fin, rsv: 0, payload });
  }
  return { bytes: concat(...encoded), expected };
}

function sameFrames(actual: SeenFrame[], expected: SeenFrame[]): void {
  assert.equal(actual.length, expected.length, "frame count");
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    assert.equal(a.opcode, e.opcode, `frame ${i} opcode`);
    assert.equal(a.fin, e.fin, `frame ${i} fin`);
    assert.equal(a.rsv, e.rsv, `frame ${i} rsv`);
    assert.equal(a.payload.length, e.payload.length, `frame ${i} length`);
    if (a.payload.some((b, j) => b !== e.payload[j])) assert.fail(`frame ${i} payload differs`);
  }
}

// --- RFC 6455 §5.7 examples -------------------------------------------------

Deno.test('5.7 example: a client parses the unmasked single-frame "Hello"', () => {
  const frames = parseChunks({ role: "client" }, [bytes(0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f)]);
  assert.deepEqual(frames, [{ opcode: 1, fin: true, rsv: 0, payload: utf8("Hello") }]);
});

Deno.test('5.7 example: a server unmasks the masked "Hello" (key 37 fa 21 3d)', () => {
  const frames = parseChunks({ role: "server" }, [
    bytes(0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58),
  ]);
  assert.deepEqual(frames, [{ opcode: 1, fin: true, rsv: 0, payload: utf8("Hello") }]);
});

Deno.test('5.7 example: the fragmented "Hel" + "lo" parses as a non-final text frame and a final continuation', () => {
  const frames = parseChunks({ role: "client" }, [
    bytes(0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f),
  ]);
  assert.deepEqual(frames, [
    { opcode: 0x1, fin: false, rsv: 0, payload: utf8("Hel") },
    { opcode: 0x0, fin: true, rsv: 0, payload: utf8("lo") },
  ]);
});

Deno.test('5.7 example: an unmasked ping "Hello" (client) and its masked pong (server)', () => {
  assert.deepEqual(
    parseChunks({ role: "client" }, [bytes(0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f)]),
    [{ opcode: 0x9, fin: true, rsv: 0, payload: utf8("Hello") }],
  );
  assert.deepEqual(
    parseChunks({ role: "server" }, [
      bytes(0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58),
    ]),
    [{ opcode: 0xa, fin: true, rsv: 0, payload: utf8("Hello") }],
  );
});

Deno.test("5.7 example: 256-byte and 64 KiB binary frames with 16-bit and 64-bit lengths", () => {
  const small = new Uint8Array(256).map((_, i) => i);
  const big = new Uint8Array(65536).map((_, i) => i * 7);
  const frames = parseChunks({ role: "client" }, [
    concat(bytes(0x82, 0x7e, 0x01, 0x00), small, bytes(0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0), big),
  ]);
  assert.equal(frames.length, 2);
  assert.deepEqual(frames[0]!.payload, small);
  assert.deepEqual(frames[1]!.payload, big);
});

// --- Length forms -----------------------------------------------------------

Deno.test("5.2 payload length: hand-written headers at every length boundary decode (client role)", () => {
  const headers: Array<[number, number[]]> = [
    [0, [0x00]],
    [1, [0x01]],
    [125, [0x7d]],
    [126, [0x7e, 0x00, 0x7e]],
    [127, [0x7e, 0x00, 0x7f]],
    [65535, [0x7e, 0xff, 0xff]],
    [65536, [0x7f, 0, 0, 0, 0, 0, 1, 0, 0]],
  ];
  for (const [length, lengthBytes] of headers) {
    const payload = new Uint8Array(length).map((_, i) => i ^ 0x5a);
    const frames = parseChunks({ role: "client" }, [concat(bytes(0x82, ...lengthBytes), payload)]);
    assert.equal(frames.length, 1, `length ${length}`);
    assert.deepEqual(frames[0]!.payload, payload, `length ${length}`);
  }
});

Deno.test("5.2 payload length: every boundary round-trips through encodeFrame and FrameParser for both roles", () => {
  const rng = mulberry32(2024);
  for (const role of ["client", "server"] as const) {
    for (const length of BOUNDARIES) {
      const payload = randomBytes(rng, length);
      const wire = encodeFrame(0x82, payload, role === "server" ? 0xc0ffee11 : undefined);
      for (const chunks of [[wire.slice()], chopRandomly(rng, wire.slice(), 5000)]) {
        const frames = parseChunks({ role }, chunks);
        assert.deepEqual(frames.length, 1, `${role} ${length}`);
        assert.equal(frames[0]!.payload.length, length);
        assert.deepEqual(frames[0]!.payload, payload, `${role} ${length}`);
      }
    }
  }
});

Deno.test("5.2 payload length: a 64-bit length with the top bit set fails with 1009", () => {
  parseError(
    { role: "client" },
    bytes(0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0),
    1009,
    "FRAME_TOO_BIG",
  );
  parseError(
    { role: "client" },
    bytes(0x82, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
    1009,
    "FRAME_TOO_BIG",
  );
});

Deno.test("5.2 payload length: any 64-bit length of 2^53 or more fails with 1009, even with no limit", () => {
  // No frame limit at all: only the 2^53 rule can refuse these.
  const options = { role: "client" as const, maxFrameSize: Infinity };
  // 2^53 exactly, and 2^53 + 1 which a JavaScript number cannot hold.
  parseError(options, bytes(0x82, 0x7f, 0, 0x20, 0, 0, 0, 0, 0, 0), 1009, "FRAME_TOO_BIG");
  parseError(options, bytes(0x82, 0x7f, 0, 0x20, 0, 0, 0, 0, 0, 1), 1009, "FRAME_TOO_BIG");
  parseError(options, bytes(0x82, 0x7f, 0x7f, 0xff, 0, 0, 0, 0, 0, 0), 1009, "FRAME_TOO_BIG");
  // 2^53 - 1 is representable: the parser accepts the header and waits for the payload.
  const { parser } = recordingParser(options);
  parser.push(bytes(0x82, 0x7f, 0, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff));
  assert.equal(parser.stopped, false);
  assert.equal(parser.atFrameBoundary, false);
});

Deno.test("5.2 payload length: with the default limit a length of 2^53 - 1 fails with 1009", () => {
  parseError(
    { role: "client" },
    bytes(0x82, 0x7f, 0, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
    1009,
    "FRAME_TOO_BIG",
  );
  assert.equal(MAX_FRAME_SIZE, 2147483646);
});

Deno.test("5.2 payload length: non-minimal length encodings fail with 1002 (Qt behaviour)", () => {
  const cases: number[][] = [
    [0x7e, 0x00, 0x00], // 0 in 16 bits
    [0x7e, 0x00, 0x7d], // 125 in 16 bits
    [0x7f, 0, 0, 0, 0, 0, 0, 0, 0x05], // 5 in 64 bits
    [0x7f, 0, 0, 0, 0, 0, 0, 0, 0x7e], // 126 in 64 bits
    [0x7f, 0, 0, 0, 0, 0, 0, 0xff, 0xff], // 65535 in 64 bits
  ];
  for (const lengthBytes of cases) {
    parseError({ role: "client" }, bytes(0x82, ...lengthBytes), 1002, "NON_MINIMAL_LENGTH");
  }
  // The smallest values of each long form are minimal.
  assert.equal(
    parseChunks({ role: "client" }, [concat(bytes(0x82, 0x7e, 0, 126), new Uint8Array(126))])
      .length,
    1,
  );
  assert.equal(
    parseChunks({ role: "client" }, [
      concat(bytes(0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0), new Uint8Array(65536)),
    ]).length,
    1,
  );
});

// --- Per-frame rules ---------------------------------------------------------

Deno.test("5.2 RSV1-3: any reserved bit without a negotiated extension fails with 1002", () => {
  for (const firstByte of [0xc1, 0xa1, 0x91, 0xf1, 0xc9]) {
    parseError({ role: "client" }, bytes(firstByte, 0x00), 1002, "RESERVED_BITS_SET");
  }
});

Deno.test("5.2 RSV1-3: allowedRsv lets an extension's bit through and still refuses the others", () => {
  const { parser, frames } = recordingParser({ role: "client", allowedRsv: 4 });
  parser.push(bytes(0xc1, 0x01, 0x41));
  assert.deepEqual(frames, [{ opcode: 1, fin: true, rsv: 4, payload: bytes(0x41) }]);
  expectProtocolError(() => parser.push(bytes(0xe1, 0x00)), 1002, "RESERVED_BITS_SET");

  const other = recordingParser({ role: "client" });
  assert.equal(other.parser.allowedRsv, 0);
  other.parser.allowedRsv = 0xf; // only three bits exist
  assert.equal(other.parser.allowedRsv, 7);
  other.parser.push(bytes(0xf2, 0x00));
  assert.equal(other.frames[0]!.rsv, 7);
});

Deno.test("5.2 opcodes: every reserved opcode (3-7, B-F) fails with 1002", () => {
  for (const opcode of [0x3, 0x4, 0x5, 0x6, 0x7, 0xb, 0xc, 0xd, 0xe, 0xf]) {
    parseError({ role: "client" }, bytes(0x80 | opcode, 0x00), 1002, "RESERVED_OPCODE");
    parseError({ role: "server" }, bytes(0x80 | opcode, 0x80, 1, 2, 3, 4), 1002, "RESERVED_OPCODE");
  }
});

Deno.test("5.5 control frames: a fragmented close, ping or pong fails with 1002", () => {
  for (const opcode of [0x8, 0x9, 0xa]) {
    parseError({ role: "client" }, bytes(opcode, 0x00), 1002, "CONTROL_FRAME_FRAGMENTED");
  }
});

Deno.test("5.5 control frames: a payload of 126 bytes or more fails with 1002; 125 is fine", () => {
  for (const opcode of [0x8, 0x9, 0xa]) {
    parseError(
      { role: "client" },
      concat(bytes(0x80 | opcode, 0x7e, 0x00, 0x7e), new Uint8Array(126)),
      1002,
      "CONTROL_FRAME_TOO_BIG",
    );
    parseError(
      { role: "client" },
      bytes(0x80 | opcode, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0),
      1002,
      "CONTROL_FRAME_TOO_BIG",
    );
  }
  const frames = parseChunks({ role: "client" }, [concat(bytes(0x89, 0x7d), new Uint8Array(125))]);
  assert.equal(frames[0]!.payload.length, 125);
});

Deno.test("5.1 masking direction: a server refuses an unmasked frame with 1002", () => {
  parseError(
    { role: "server" },
    bytes(0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f),
    1002,
    "MASK_REQUIRED",
  );
  parseError({ role: "server" }, bytes(0x88, 0x00), 1002, "MASK_REQUIRED");
});

Deno.test("5.1 masking direction: a client refuses a masked frame with 1002", () => {
  parseError(
    { role: "client" },
    bytes(0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58),
    1002,
    "MASK_FORBIDDEN",
  );
});

// --- Frame size limit, checked from the header ---------------------------------

Deno.test("10.4 frame limit: only the header of a too-large frame is enough to fail with 1009", () => {
  for (
    const [role, header] of [
      ["client", bytes(0x82, 0x7e, 0x04, 0x01)], // 1025 bytes
      ["server", bytes(0x82, 0xfe, 0x04, 0x01, 1, 2, 3, 4)],
      ["client", bytes(0x82, 0x7f, 0, 0, 0, 0, 0x40, 0, 0, 0)], // 1 GiB
      ["server", bytes(0x82, 0xff, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff, 1, 2, 3, 4)],
    ] as const
  ) {
    const { parser, frames } = recordingParser({ role, maxFrameSize: 1024 });
    expectProtocolError(() => parser.push(header), 1009, "FRAME_TOO_BIG");
    assert.equal(frames.length, 0);
    assert.equal(parser.bufferedBytes, 0);
    assert.equal(parser.stopped, true);
  }
});

Deno.test("10.4 frame limit: fed a byte at a time, the error comes with the last header byte, not later", () => {
  const header = bytes(0x82, 0xff, 0, 0, 0, 0, 0x10, 0, 0, 0, 9, 9, 9, 9);
  const { parser } = recordingParser({ role: "server", maxFrameSize: 65536 });
  for (let i = 0; i < header.length - 1; i++) parser.push(header.subarray(i, i + 1));
  assert.equal(parser.stopped, false);
  expectProtocolError(() => parser.push(header.subarray(header.length - 1)), 1009, "FRAME_TOO_BIG");
});

Deno.test("10.4 frame limit: a frame exactly at the limit is accepted; one byte more is not", () => {
  const atLimit = parseChunks({ role: "client", maxFrameSize: 300 }, [
    concat(bytes(0x82, 0x7e, 0x01, 0x2c), new Uint8Array(300)),
  ]);
  assert.equal(atLimit[0]!.payload.length, 300);
  parseError(
    { role: "client", maxFrameSize: 300 },
    bytes(0x82, 0x7e, 0x01, 0x2d),
    1009,
    "FRAME_TOO_BIG",
  );
  parseError({ role: "client", maxFrameSize: 0 }, bytes(0x82, 0x01), 1009, "FRAME_TOO_BIG");
  assert.equal(parseChunks({ role: "client", maxFrameSize: 0 }, [bytes(0x82, 0x00)]).length, 1);
});

Deno.test("10.4 frame limit: the maxFrameSize setter applies to the next header", () => {
  const { parser, frames } = recordingParser({ role: "client" });
  assert.equal(parser.maxFrameSize, MAX_FRAME_SIZE);
  parser.push(bytes(0x82, 0x03, 1, 2, 3));
  parser.maxFrameSize = 2;
  assert.equal(parser.maxFrameSize, 2);
  expectProtocolError(() => parser.push(bytes(0x82, 0x03)), 1009, "FRAME_TOO_BIG");
  assert.equal(frames.length, 1);
});

// --- Incremental parsing -----------------------------------------------------

for (const role of ["client", "server"] as const) {
  Deno.test(`5.2 incremental parsing (${role}): 1-byte chunks give the same frames as one chunk`, () => {
    const stream = mixedStream(mulberry32(role === "client" ? 11 : 12), role, 120);
    const whole = parseChunks({ role }, [stream.bytes.slice()]);
    sameFrames(whole, stream.expected);
    const bytewise = parseChunks({ role }, chopBytewise(stream.bytes.slice()));
    sameFrames(bytewise, stream.expected);
  });

  Deno.test(`5.2 incremental parsing (${role}): seeded random chunking gives the same frames`, () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const rng = mulberry32(seed * 7919);
      const stream = mixedStream(rng, role, 150);
      for (const maxChunk of [3, 17, 700, 9000, 100000]) {
        const frames = parseChunks({ role }, chopRandomly(rng, stream.bytes.slice(), maxChunk));
        sameFrames(frames, stream.expected);
      }
    }
  });
}

Deno.test("5.2 incremental parsing: frameHeader comes before the payload, with the header's values", () => {
  const events: unknown[] = [];
  const parser = new FrameParser({ role: "server" }, {
    frameHeader(opcode, fin, rsv, length) {
      events.push(["header", opcode, fin, rsv, length]);
    },
    partialPayload(piece) {
      events.push(["partial", [...piece]]);
    },
    frame(opcode, fin, rsv, payload) {
      events.push(["frame", opcode, fin, rsv, [...payload]]);
    },
  });
  const wire = encodeFrame(0x02, bytes(1, 2, 3, 4, 5, 6), RFC_KEY);
  // Header and one payload byte, then two bytes, then the rest.
  parser.push(wire.slice(0, 7));
  parser.push(wire.slice(7, 9));
  parser.push(wire.slice(9));
  assert.deepEqual(events, [
    ["header", 2, false, 0, 6],
    ["partial", [1]],
    ["partial", [2, 3]],
    ["frame", 2, false, 0, [1, 2, 3, 4, 5, 6]],
  ]);
});

Deno.test("5.2 incremental parsing: no partialPayload call when the payload arrives in one piece", () => {
  let partials = 0;
  let frames = 0;
  const parser = new FrameParser({ role: "client" }, {
    partialPayload() {
      partials++;
    },
    frame() {
      frames++;
    },
  });
  const wire = encodeFrame(0x82, new Uint8Array(5000));
  parser.push(wire.slice(0, 4)); // the header alone
  parser.push(wire.slice(4)); // the whole payload
  parser.push(encodeFrame(0x81, utf8("one chunk")));
  assert.equal(partials, 0);
  assert.equal(frames, 2);
});

Deno.test("5.3 incremental parsing: a masked payload in pieces of every phase unmasks correctly", () => {
  const payload = new Uint8Array(97).map((_, i) => i * 3);
  const wire = encodeFrame(0x82, payload, 0x01fe7f80);
  for (let cut1 = 15; cut1 < 22; cut1++) {
    for (let cut2 = cut1 + 1; cut2 < cut1 + 6; cut2++) {
      const frames = parseChunks({ role: "server" }, [
        wire.slice(0, cut1),
        wire.slice(cut1, cut2),
        wire.slice(cut2),
      ]);
      assert.deepEqual(frames[0]!.payload, payload, `cuts ${cut1}, ${cut2}`);
    }
  }
});

Deno.test("5.2 incremental parsing: atFrameBoundary and bufferedBytes follow a frame as it arrives", () => {
  const { parser } = recordingParser({ role: "client" });
  assert.equal(parser.atFrameBoundary, true);
  assert.equal(parser.bufferedBytes, 0);
  const wire = encodeFrame(0x82, new Uint8Array(300).fill(1));
  parser.push(wire.slice(0, 1));
  assert.equal(parser.atFrameBoundary, false);
  assert.equal(parser.bufferedBytes, 1);
  parser.push(wire.slice(1, 4));
  assert.equal(parser.atFrameBoundary, false);
  assert.equal(parser.bufferedBytes, 0);
  parser.push(wire.slice(4, 104));
  assert.equal(parser.bufferedBytes, 100);
  parser.push(wire.slice(104));
  assert.equal(parser.atFrameBoundary, true);
  assert.equal(parser.bufferedBytes, 0);
});

Deno.test("5.2 incremental parsing: a frame inside one chunk is a view of that chunk, unmasked in place", () => {
  const wire = encodeFrame(0x82, bytes(10, 20, 30, 40, 50), RFC_KEY);
  let seen: Uint8Array | undefined;
  const parser = new FrameParser({ role: "server" }, {
    frame(_opcode, _fin, _rsv, payload) {
      seen = payload;
    },
  });
  parser.push(wire);
  assert.ok(seen !== undefined);
  assert.equal(seen.buffer, wire.buffer);
  assert.deepEqual(wire.subarray(6), bytes(10, 20, 30, 40, 50));
});

Deno.test("5.2 empty payloads: zero-length data and control frames are delivered at once", () => {
  const frames = parseChunks({ role: "server" }, [
    bytes(0x81, 0x80, 1, 2, 3, 4, 0x89, 0x80, 5, 6, 7, 8, 0x88, 0x80, 0, 0, 0, 0),
  ]);
  assert.deepEqual(frames.map((f) => [f.opcode, f.payload.length]), [[1, 0], [9, 0], [8, 0]]);
});

// --- Stopping ----------------------------------------------------------------

Deno.test("7.1.7 after a violation the parser stops: later input, even valid, is ignored", () => {
  const { parser, frames } = recordingParser({ role: "client" });
  expectProtocolError(() => parser.push(concat(bytes(0x83, 0x00), bytes(0x81, 0x01, 0x41))), 1002);
  assert.equal(parser.stopped, true);
  parser.push(bytes(0x81, 0x01, 0x41));
  assert.equal(frames.length, 0);
});

Deno.test("7.1.7 a violation after good frames in the same chunk: the good frames were delivered first", () => {
  const { parser, frames } = recordingParser({ role: "client" });
  expectProtocolError(
    () => parser.push(concat(bytes(0x81, 0x01, 0x41, 0x82, 0x01, 0x42), bytes(0x89, 0x7e, 0, 126))),
    1002,
    "CONTROL_FRAME_TOO_BIG",
  );
  assert.deepEqual(frames.map((f) => [...f.payload]), [[0x41], [0x42]]);
});

Deno.test("5.5.1 stop() from the handler: frames after a close frame in the same chunk are not parsed", () => {
  const opcodes: number[] = [];
  const parser: FrameParser = new FrameParser({ role: "client" }, {
    frame(opcode) {
      opcodes.push(opcode);
      if (opcode === 0x8) parser.stop();
    },
  });
  // A close frame followed by a text frame and then garbage that would fail.
  parser.push(concat(bytes(0x88, 0x02, 0x03, 0xe8), bytes(0x81, 0x01, 0x41), bytes(0xff, 0xff)));
  assert.deepEqual(opcodes, [0x8]);
  assert.equal(parser.stopped, true);
  assert.equal(parser.bufferedBytes, 0);
});

Deno.test("5.2 stop() drops a partly received frame and ignores what follows", () => {
  const { parser, frames } = recordingParser({ role: "client" });
  parser.push(bytes(0x82, 0x7e, 0x10, 0x00, 1, 2, 3));
  parser.stop();
  assert.equal(parser.bufferedBytes, 0);
  parser.push(new Uint8Array(4096));
  assert.equal(frames.length, 0);
});
