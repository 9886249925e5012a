// Reading the rest of a large frame straight into its own buffer
// (FrameParser.payloadSpace / pushPayload, WebSocketConnection.payloadSpace /
// receivePayload), as the stream engine does: the same frames, messages and
// failures as pushing every byte through push() (RFC 6455 §5.2, §5.6, §8.1).

import assert from "node:assert/strict";
import {
  encodeFrame,
  FrameParser,
  WebSocketConnection,
  type WebSocketProtocolError,
} from "../../lib/protocol/mod.ts";
import { concat, utf8 } from "./_helpers.ts";
import { mulberry32, randomBytes, randomInt, type Rng } from "./_prng.ts";

type Seen = Array<[number, boolean, Uint8Array]>;

function recordingParser(seen: Seen): FrameParser {
  return new FrameParser({ role: "server" }, {
    frame(opcode, fin, _rsv, payload) {
      seen.push([opcode, fin, payload.slice()]);
    },
  });
}

// Feeds `wire` as a socket reader would: chunks of random size, and, while the
// parser offers payload space, reads of random size into it.
function feed(rng: Rng, wire: Uint8Array, target: {
  push(chunk: Uint8Array): void;
  readonly payloadSpace: Uint8Array | null;
  pushPayload(n: number): void;
}): number {
  let at = 0;
  let direct = 0;
  while (at < wire.length) {
    const space = target.payloadSpace;
    if (space !== null) {
      const n = Math.min(space.length, wire.length - at, randomInt(rng, 1, 200_000));
      space.set(wire.subarray(at, at + n));
      target.pushPayload(n);
      at += n;
      direct += n;
      continue;
    }
    const n = Math.min(wire.length - at, randomInt(rng, 1, 150_000));
    // A fresh copy, as a socket read gives: the parser may unmask in place.
    target.push(wire.slice(at, at + n));
    at += n;
  }
  return direct;
}

Deno.test("5.2 frames read partly through payloadSpace equal the frames push() gives", () => {
  const rng = mulberry32(0x11);
  let directBytes = 0;
  for (let round = 0; round < 30; round++) {
    const frames: Uint8Array[] = [];
    for (let i = 0; i < 6; i++) {
      const size = rng() < 0.5 ? randomInt(rng, 0, 2000) : randomInt(rng, 60_000, 400_000);
      const opcode = rng() < 0.5 ? 0x2 : 0x1;
      const payload = opcode === 0x1 ? utf8("é".repeat(size >> 1)) : randomBytes(rng, size);
      frames.push(encodeFrame(0x80 | opcode, payload, (rng() * 0xffffffff) >>> 0 || 1));
    }
    const wire = concat(...frames);
    const expected: Seen = [];
    recordingParser(expected).push(wire.slice());
    const seen: Seen = [];
    const parser = recordingParser(seen);
    directBytes += feed(rng, wire, parser);
    assert.equal(seen.length, expected.length);
    for (let i = 0; i < seen.length; i++) {
      assert.equal(seen[i]![0], expected[i]![0]);
      assert.equal(seen[i]![1], expected[i]![1]);
      assert.deepEqual(seen[i]![2], expected[i]![2], `frame ${i} of round ${round}`);
    }
    assert.equal(parser.bufferedBytes, 0);
    assert.equal(parser.payloadSpace, null);
  }
  assert.ok(directBytes > 1_000_000, "most large-frame bytes went through payloadSpace");
});

Deno.test("5.2 payloadSpace is offered only from a quarter of a frame of 64 KiB or more", () => {
  const seen: Seen = [];
  const parser = recordingParser(seen);
  const wire = encodeFrame(0x82, new Uint8Array(100_000).fill(1), 0x0a0b0c0d);
  // A header alone, and then less than a quarter: nothing allocated yet.
  parser.push(wire.slice(0, 14));
  assert.equal(parser.payloadSpace, null);
  parser.push(wire.slice(14, 14 + 24_999));
  assert.equal(parser.payloadSpace, null);
  parser.push(wire.slice(14 + 24_999, 14 + 25_000));
  assert.equal(parser.payloadSpace!.length, 75_000);
  // Smaller frames never get one.
  const small: Seen = [];
  const other = recordingParser(small);
  other.push(encodeFrame(0x82, new Uint8Array(65_535), 1).slice(0, 60_000));
  assert.equal(other.payloadSpace, null);
});

Deno.test("5.6 a text message read through payloadSpace is checked and decoded across the seams", () => {
  const rng = mulberry32(0x22);
  const text = "ascii, é, €, 𝄞 ".repeat(20_000);
  const messages: string[] = [];
  const conn = new WebSocketConnection({ role: "server" }, {
    textFrame() {},
    binaryFrame() {},
    textMessage(message) {
      messages.push(message);
    },
    binaryMessage() {},
    ping() {},
    pong() {},
    closeReceived() {},
    failed(error) {
      throw error;
    },
  });
  const wire = concat(
    encodeFrame(0x01, utf8(text), 0x01020304),
    encodeFrame(0x80, utf8(text), 0x05060708),
  );
  const direct = feed(rng, wire, {
    push: (chunk) => conn.receive(chunk),
    get payloadSpace() {
      return conn.payloadSpace;
    },
    pushPayload: (n) => conn.receivePayload(n),
  });
  assert.ok(direct > 0);
  assert.deepEqual(messages, [text + text]);
});

Deno.test("8.1 invalid UTF-8 in bytes read through payloadSpace fails with 1007 before the frame ends", () => {
  const failures: WebSocketProtocolError[] = [];
  const conn = new WebSocketConnection({ role: "server" }, {
    textFrame() {},
    binaryFrame() {},
    textMessage() {
      assert.fail("no message may be delivered");
    },
    binaryMessage() {},
    ping() {},
    pong() {},
    closeReceived() {},
    failed(error) {
      failures.push(error);
    },
  });
  const payload = utf8("a".repeat(200_000));
  payload[120_000] = 0xff;
  const wire = encodeFrame(0x81, payload, 0x0badcafe);
  conn.receive(wire.slice(0, 14 + 60_000));
  const space = conn.payloadSpace!;
  // The next 70,000 bytes hold the bad one; the frame is not complete.
  space.set(wire.subarray(14 + 60_000, 14 + 130_000));
  conn.receivePayload(70_000);
  assert.equal(failures.length, 1);
  assert.equal(failures[0]!.closeCode, 1007);
  assert.equal(conn.payloadSpace, null, "nothing more is read into the frame");
  assert.ok(conn.inputEnded);
});
