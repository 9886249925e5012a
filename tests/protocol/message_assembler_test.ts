import assert from "node:assert/strict";
import { MAX_MESSAGE_SIZE, MessageAssembler } from "../../lib/protocol/mod.ts";
import { bytes, concat, expectProtocolError, utf8 } from "./_helpers.ts";

type Event =
  | ["textFrame", string, boolean]
  | ["binaryFrame", number[], boolean]
  | ["textMessage", string]
  | ["binaryMessage", number[]];

function recordingAssembler(maxMessageSize?: number) {
  const events: Event[] = [];
  const binaries: Uint8Array[] = [];
  const assembler = new MessageAssembler({ maxMessageSize }, {
    textFrame(frame, isLastFrame) {
      events.push(["textFrame", frame, isLastFrame]);
    },
    binaryFrame(frame, isLastFrame) {
      events.push(["binaryFrame", [...frame], isLastFrame]);
    },
    textMessage(message) {
      events.push(["textMessage", message]);
    },
    binaryMessage(message) {
      binaries.push(message);
      events.push(["binaryMessage", [...message]]);
    },
  });
  // Feeds one complete frame the way FrameParser does: header, then payload.
  const feed = (opcode: number, fin: boolean, payload: Uint8Array) => {
    assembler.header(opcode, fin, payload.length);
    assembler.frame(opcode, fin, payload);
  };
  // Feeds a frame whose payload arrives in pieces: partial() for all but the
  // last piece, then frame() with the whole payload, as FrameParser does.
  const feedInPieces = (opcode: number, fin: boolean, pieces: Uint8Array[]) => {
    const payload = concat(...pieces);
    assembler.header(opcode, fin, payload.length);
    for (const piece of pieces.slice(0, -1)) assembler.partial(piece);
    assembler.frame(opcode, fin, payload);
  };
  return { assembler, events, binaries, feed, feedInPieces };
}

// Code points of every UTF-8 length, at the edges of each class (Autobahn 6.2-6.3).
const CODE_POINTS = [
  "\u0080",
  "\u07ff",
  "\u0800",
  "\ud7ff",
  "\ue000",
  "\uffff",
  "\u{10000}",
  "\u{10ffff}",
  "€",
  "😀",
];

Deno.test("5.6 a single-frame text message: textFrame(isLastFrame) then textMessage", () => {
  const { events, feed } = recordingAssembler();
  feed(0x1, true, utf8("Hello"));
  assert.deepEqual(events, [["textFrame", "Hello", true], ["textMessage", "Hello"]]);
});

Deno.test("5.6 a single-frame binary message: binaryFrame(isLastFrame) then binaryMessage", () => {
  const { events, feed } = recordingAssembler();
  feed(0x2, true, bytes(1, 2, 3));
  assert.deepEqual(events, [["binaryFrame", [1, 2, 3], true], ["binaryMessage", [1, 2, 3]]]);
});

Deno.test('5.4 / 5.7 the fragmented "Hel" + "lo": two text frames, one message', () => {
  const { events, feed } = recordingAssembler();
  feed(0x1, false, utf8("Hel"));
  feed(0x0, true, utf8("lo"));
  assert.deepEqual(events, [
    ["textFrame", "Hel", false],
    ["textFrame", "lo", true],
    ["textMessage", "Hello"],
  ]);
});

Deno.test("5.4 a fragmented binary message, with empty fragments, is joined in order", () => {
  const { events, feed } = recordingAssembler();
  feed(0x2, false, new Uint8Array(0));
  feed(0x0, false, bytes(1, 2));
  feed(0x0, false, new Uint8Array(0));
  feed(0x0, false, new Uint8Array(5000).fill(3));
  feed(0x0, true, bytes(4));
  const message = events.at(-1)!;
  assert.equal(message[0], "binaryMessage");
  assert.deepEqual(message[1], [1, 2, ...new Array(5000).fill(3), 4]);
  assert.deepEqual(events.slice(0, -1).map((e) => [e[0], (e[1] as number[]).length, e[2]]), [
    ["binaryFrame", 0, false],
    ["binaryFrame", 2, false],
    ["binaryFrame", 0, false],
    ["binaryFrame", 5000, false],
    ["binaryFrame", 1, true],
  ]);
});

Deno.test("5.4 empty messages: an empty text and an empty binary message", () => {
  const { events, feed } = recordingAssembler();
  feed(0x1, true, new Uint8Array(0));
  feed(0x2, true, new Uint8Array(0));
  feed(0x1, false, new Uint8Array(0));
  feed(0x0, true, new Uint8Array(0));
  assert.deepEqual(events.filter((e) => e[0].endsWith("Message")), [
    ["textMessage", ""],
    ["binaryMessage", []],
    ["textMessage", ""],
  ]);
});

Deno.test("5.4 a continuation frame with no message to continue fails with 1002", () => {
  const { assembler, feed } = recordingAssembler();
  expectProtocolError(() => assembler.header(0x0, true, 1), 1002, "UNEXPECTED_CONTINUATION");
  // Also right after a message has ended.
  const other = recordingAssembler();
  other.feed(0x1, true, utf8("done"));
  expectProtocolError(() => other.feed(0x0, false, utf8("more")), 1002, "UNEXPECTED_CONTINUATION");
  void feed;
});

Deno.test("5.4 a new data frame inside a fragmented message fails with 1002", () => {
  for (const [first, second] of [[0x1, 0x1], [0x1, 0x2], [0x2, 0x1], [0x2, 0x2]]) {
    const { assembler, feed } = recordingAssembler();
    feed(first!, false, utf8("part"));
    assert.equal(assembler.inMessage, true);
    expectProtocolError(() => assembler.header(second!, true, 1), 1002, "EXPECTED_CONTINUATION");
  }
});

Deno.test("10.4 message limit: a single frame over the limit fails with 1009 at its header", () => {
  const { assembler, events } = recordingAssembler(10);
  assert.equal(assembler.maxMessageSize, 10);
  expectProtocolError(() => assembler.header(0x2, true, 11), 1009, "MESSAGE_TOO_BIG");
  assert.deepEqual(events, []);
});

Deno.test("10.4 message limit: fragments that together exceed it fail with 1009 at the header of the crossing frame", () => {
  const { assembler, events, feed } = recordingAssembler(10);
  feed(0x2, false, new Uint8Array(6));
  feed(0x0, false, new Uint8Array(4)); // exactly 10 so far
  expectProtocolError(() => assembler.header(0x0, true, 1), 1009, "MESSAGE_TOO_BIG");
  assert.equal(events.length, 2);
});

Deno.test("10.4 message limit: messages exactly at the limit pass, and the count starts over per message", () => {
  const { assembler, events, feed } = recordingAssembler(10);
  feed(0x1, false, utf8("12345"));
  feed(0x0, true, utf8("67890"));
  feed(0x2, true, new Uint8Array(10));
  feed(0x2, false, new Uint8Array(9));
  feed(0x0, true, new Uint8Array(1));
  assert.equal(events.filter((e) => e[0].endsWith("Message")).length, 3);
  assembler.maxMessageSize = 3;
  expectProtocolError(() => assembler.header(0x1, true, 4), 1009, "MESSAGE_TOO_BIG");
  assert.equal(
    new MessageAssembler({}, {
      textFrame() {},
      binaryFrame() {},
      textMessage() {},
      binaryMessage() {},
    }).maxMessageSize,
    MAX_MESSAGE_SIZE,
  );
});

Deno.test("6.x UTF-8 across frames: every code point split at every byte position across two frames passes", () => {
  for (const codePoint of CODE_POINTS) {
    const encoded = utf8(`a${codePoint}b`);
    for (let cut = 0; cut <= encoded.length; cut++) {
      const { events, feed } = recordingAssembler();
      feed(0x1, false, encoded.subarray(0, cut));
      feed(0x0, true, encoded.subarray(cut));
      const frames = events.filter((e) => e[0] === "textFrame").map((e) => e[1]).join("");
      assert.equal(frames, `a${codePoint}b`, `${JSON.stringify(codePoint)} cut at ${cut}`);
      assert.deepEqual(events.at(-1), ["textMessage", `a${codePoint}b`]);
    }
  }
});

Deno.test("6.x UTF-8 across frames: a text frame holds only the characters it completes", () => {
  const { events, feed } = recordingAssembler();
  feed(0x1, false, bytes(0x41, 0xe2, 0x82)); // "A" and the first two bytes of "€"
  feed(0x0, false, bytes(0xac)); // completes "€"
  feed(0x0, true, bytes(0xf0, 0x9f, 0x98, 0x80));
  assert.deepEqual(events, [
    ["textFrame", "A", false],
    ["textFrame", "€", false],
    ["textFrame", "😀", true],
    ["textMessage", "A€😀"],
  ]);
});

Deno.test("6.x UTF-8 across frames: one code point per byte-sized frame", () => {
  const text = CODE_POINTS.join("");
  const encoded = utf8(text);
  const { events, feed } = recordingAssembler();
  feed(0x1, false, encoded.subarray(0, 1));
  for (let i = 1; i < encoded.length; i++) {
    feed(0x0, i === encoded.length - 1, encoded.subarray(i, i + 1));
  }
  assert.deepEqual(events.at(-1), ["textMessage", text]);
});

Deno.test("6.x UTF-8 across frames: an invalid sequence split across two frames fails with 1007 at the second", () => {
  const cases: Array<[number[], number[]]> = [
    [[0xf4], [0x90, 0x80, 0x80]], // > U+10FFFF
    [[0xed], [0xa0, 0x80]], // surrogate
    [[0xe0], [0x80, 0x80]], // overlong
    [[0xf0, 0x9f], [0x41]], // truncated by ASCII
  ];
  for (const [first, second] of cases) {
    const { events, feed } = recordingAssembler();
    feed(0x1, false, concat(utf8("κόσμε"), bytes(...first)));
    assert.deepEqual(events, [["textFrame", "κόσμε", false]]);
    expectProtocolError(() => feed(0x0, true, bytes(...second)), 1007, "INVALID_UTF8");
  }
});

Deno.test("6.4.1 fail fast: a non-final text frame with invalid UTF-8 fails before any continuation", () => {
  const { events, feed } = recordingAssembler();
  expectProtocolError(
    () => feed(0x1, false, concat(utf8("κόσμε"), bytes(0xf4, 0x90, 0x80, 0x80), utf8("edited"))),
    1007,
    "INVALID_UTF8",
  );
  assert.deepEqual(events, []);
});

Deno.test("6.4.3 fail fast mid-frame: invalid UTF-8 in a piece of a frame's payload fails on that piece", () => {
  const { assembler, events } = recordingAssembler();
  const valid = utf8("κόσμε");
  const payload = concat(valid, bytes(0xed, 0xa0, 0x80), utf8("edited"));
  const at = valid.length;
  assembler.header(0x1, true, payload.length);
  assembler.partial(payload.subarray(0, at)); // valid
  assembler.partial(payload.subarray(at, at + 1)); // ED: could still start a valid character
  expectProtocolError(
    () => assembler.partial(payload.subarray(at + 1, at + 2)),
    1007,
    "INVALID_UTF8",
  );
  assert.deepEqual(events, []);
});

Deno.test("6.x mid-frame validation: a frame whose payload came in pieces gives the right text", () => {
  const text = "Grüße, κόσμε, 😀!";
  const encoded = utf8(text);
  for (let cut = 1; cut < encoded.length; cut++) {
    const { events, feedInPieces } = recordingAssembler();
    feedInPieces(0x1, true, [encoded.subarray(0, cut), encoded.subarray(cut)]);
    assert.deepEqual(events, [["textFrame", text, true], ["textMessage", text]], `cut ${cut}`);
  }
  // Three pieces in a fragmented message.
  const { events, feedInPieces } = recordingAssembler();
  feedInPieces(0x1, false, [
    encoded.subarray(0, 3),
    encoded.subarray(3, 9),
    encoded.subarray(9, 20),
  ]);
  feedInPieces(0x0, true, [encoded.subarray(20, 21), encoded.subarray(21)]);
  assert.deepEqual(events.at(-1), ["textMessage", text]);
  assert.equal(events.filter((e) => e[0] === "textFrame").map((e) => e[1]).join(""), text);
});

Deno.test("6.x mid-frame validation: a binary frame's pieces are not decoded", () => {
  const { assembler, events } = recordingAssembler();
  assembler.header(0x2, true, 4);
  assembler.partial(bytes(0xff, 0xfe));
  assembler.frame(0x2, true, bytes(0xff, 0xfe, 0xc0, 0x80));
  assert.deepEqual(events.at(-1), ["binaryMessage", [0xff, 0xfe, 0xc0, 0x80]]);
});

Deno.test("8.1 invalid UTF-8 in a single-frame text message fails with 1007", () => {
  for (
    const sequence of [[0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xff], [0x80]]
  ) {
    const { events, feed } = recordingAssembler();
    expectProtocolError(
      () => feed(0x1, true, concat(utf8("ok"), bytes(...sequence))),
      1007,
      "INVALID_UTF8",
    );
    assert.deepEqual(events, []);
  }
});

Deno.test("8.1 a text message that ends inside a character fails with 1007 (single frame and fragmented)", () => {
  const single = recordingAssembler();
  expectProtocolError(() => single.feed(0x1, true, bytes(0x41, 0xe2, 0x82)), 1007, "INVALID_UTF8");
  const fragmented = recordingAssembler();
  fragmented.feed(0x1, false, bytes(0x41, 0xf0));
  fragmented.feed(0x0, false, bytes(0x9f, 0x98));
  expectProtocolError(() => fragmented.feed(0x0, true, new Uint8Array(0)), 1007, "INVALID_UTF8");
  const pieces = recordingAssembler();
  expectProtocolError(
    () => pieces.feedInPieces(0x1, true, [bytes(0x41, 0x42), bytes(0xe2, 0x82)]),
    1007,
    "INVALID_UTF8",
  );
});

Deno.test("8.1 a BOM at the start of a text message is kept (single frame, fragmented, split BOM)", () => {
  const single = recordingAssembler();
  single.feed(0x1, true, bytes(0xef, 0xbb, 0xbf, 0x48, 0x69));
  assert.deepEqual(single.events.at(-1), ["textMessage", "\ufeffHi"]);

  const split = recordingAssembler();
  split.feed(0x1, false, bytes(0xef));
  split.feed(0x0, false, bytes(0xbb));
  split.feed(0x0, true, bytes(0xbf, 0x48, 0x69));
  assert.deepEqual(split.events.at(-1), ["textMessage", "\ufeffHi"]);

  const pieces = recordingAssembler();
  pieces.feedInPieces(0x1, true, [bytes(0xef, 0xbb), bytes(0xbf, 0x48, 0x69)]);
  assert.deepEqual(pieces.events.at(-1), ["textMessage", "\ufeffHi"]);

  // The BOM of a second message is kept too.
  split.feed(0x1, true, bytes(0xef, 0xbb, 0xbf));
  assert.deepEqual(split.events.at(-1), ["textMessage", "\ufeff"]);
});

Deno.test("5.4 many fragments: a text message of 3000 one-character frames is joined correctly", () => {
  const { events, feed } = recordingAssembler();
  let expected = "";
  for (let i = 0; i < 3000; i++) {
    const character = String.fromCharCode(0x41 + (i % 26));
    expected += character;
    feed(i === 0 ? 0x1 : 0x0, i === 2999, utf8(character));
  }
  assert.deepEqual(events.at(-1), ["textMessage", expected]);
});

Deno.test("Qt binaryMessageReceived: a message handed on owns its buffer; later changes to the input do not reach it", () => {
  const { binaries, feed } = recordingAssembler();
  const chunk = bytes(9, 9, 1, 2, 3, 9, 9);
  feed(0x2, true, chunk.subarray(2, 5));
  const message = binaries[0]!;
  assert.equal(message.byteOffset, 0);
  assert.equal(message.buffer.byteLength, 3);
  chunk.fill(0);
  assert.deepEqual(message, bytes(1, 2, 3));

  // The same for the frames of a fragmented message.
  const fragmented = recordingAssembler();
  const input = bytes(7, 1, 2, 7, 3, 4, 7);
  fragmented.feed(0x2, false, input.subarray(1, 3));
  fragmented.feed(0x0, true, input.subarray(4, 6));
  input.fill(0);
  assert.deepEqual(fragmented.binaries[0], bytes(1, 2, 3, 4));
});

Deno.test("Qt re-entrancy: state is reset before a message is handed on, so a handler may start the next one", () => {
  const seen: string[] = [];
  const assembler: MessageAssembler = new MessageAssembler({}, {
    textFrame() {},
    binaryFrame() {},
    textMessage(message) {
      seen.push(message);
      assert.equal(assembler.inMessage, false);
      if (message === "first") {
        assembler.header(0x1, true, 6);
        assembler.frame(0x1, true, utf8("second"));
      }
    },
    binaryMessage() {
      assert.equal(assembler.inMessage, false);
      assert.equal(assembler.bufferedBytes, 0);
      seen.push("binary");
    },
  });
  assembler.header(0x1, false, 2);
  assembler.frame(0x1, false, utf8("fi"));
  assembler.header(0x0, true, 3);
  assembler.frame(0x0, true, utf8("rst"));
  assembler.header(0x2, false, 1);
  assembler.frame(0x2, false, bytes(1));
  assembler.header(0x0, true, 1);
  assembler.frame(0x0, true, bytes(2));
  assert.deepEqual(seen, ["first", "second", "binary"]);
});

Deno.test("5.4 reset() drops an unfinished message, its bytes and any partial character", () => {
  const { assembler, events, feed } = recordingAssembler();
  feed(0x2, false, new Uint8Array(100));
  assert.equal(assembler.bufferedBytes, 100);
  assembler.reset();
  assert.equal(assembler.inMessage, false);
  assert.equal(assembler.bufferedBytes, 0);
  expectProtocolError(() => assembler.header(0x0, true, 0), 1002, "UNEXPECTED_CONTINUATION");

  const text = recordingAssembler();
  text.feed(0x1, false, bytes(0x41, 0xe2, 0x82));
  text.assembler.reset();
  text.feed(0x1, false, bytes(0x42));
  text.feed(0x0, true, bytes(0x43));
  assert.deepEqual(text.events.at(-1), ["textMessage", "BC"]);
  void events;
});
