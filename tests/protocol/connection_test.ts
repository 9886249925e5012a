import assert from "node:assert/strict";
import {
  encodeFrame,
  FrameEncoder,
  FrameParser,
  type Role,
  WebSocketConnection,
  type WebSocketConnectionOptions,
  WebSocketProtocolError,
} from "../../lib/protocol/mod.ts";
import { bytes, concat, FixedMaskGenerator, RFC_KEY, utf8 } from "./_helpers.ts";
import { chopBytewise, chopRandomly, mulberry32, pick, randomBytes, randomInt } from "./_prng.ts";

type Event = [string, ...unknown[]];

function open(options: WebSocketConnectionOptions) {
  const events: Event[] = [];
  const failures: WebSocketProtocolError[] = [];
  const connection = new WebSocketConnection(options, {
    textFrame: (frame, last) => events.push(["textFrame", frame, last]),
    binaryFrame: (frame, last) => events.push(["binaryFrame", [...frame], last]),
    textMessage: (message) => events.push(["textMessage", message]),
    binaryMessage: (message) => events.push(["binaryMessage", [...message]]),
    ping: (payload) => events.push(["ping", [...payload]]),
    pong: (payload) => events.push(["pong", [...payload]]),
    closeReceived: (code, reason) => events.push(["closeReceived", code, reason]),
    failed: (error) => {
      failures.push(error);
      events.push(["failed", error.closeCode]);
    },
  });
  return { connection, events, failures };
}

// What the peer sees: the queued output parsed as frames.
function takeFrames(
  connection: WebSocketConnection,
): Array<{ opcode: number; fin: boolean; payload: Uint8Array }> {
  const peer: Role = connection.role === "server" ? "client" : "server";
  const frames: Array<{ opcode: number; fin: boolean; payload: Uint8Array }> = [];
  const parser = new FrameParser({ role: peer }, {
    frame(opcode, fin, _rsv, payload) {
      frames.push({ opcode, fin, payload: payload.slice() });
    },
  });
  parser.push(concat(...connection.takeOutput()));
  assert.ok(parser.atFrameBoundary);
  return frames;
}

// Frames the way the peer of `role` would send them.
function fromPeer(role: Role, firstByte: number, payload: Uint8Array): Uint8Array {
  return encodeFrame(firstByte, payload, role === "server" ? 0x5a5a0f0f : undefined);
}

function closeCodeOf(payload: Uint8Array): number {
  return (payload[0]! << 8) | payload[1]!;
}

// --- Ping and pong -------------------------------------------------------------

Deno.test("5.5.2 / 5.7 a client answers the RFC's unmasked ping \"Hello\" with the RFC's masked pong", () => {
  const { connection, events } = open({
    role: "client",
    maskGenerator: new FixedMaskGenerator(RFC_KEY),
  });
  connection.receive(bytes(0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f));
  assert.deepEqual(events, [["ping", [...utf8("Hello")]]]);
  assert.equal(connection.outputBytes, 11);
  assert.deepEqual(connection.takeOutput(), [
    bytes(0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58),
  ]);
  assert.equal(connection.outputBytes, 0);
});

Deno.test("5.5.2 a server answers a masked ping with an unmasked pong carrying the same payload", () => {
  const { connection } = open({ role: "server" });
  const payload = new Uint8Array(125).map((_, i) => i);
  connection.receive(encodeFrame(0x89, payload, RFC_KEY));
  assert.deepEqual(connection.takeOutput(), [concat(bytes(0x8a, 125), payload)]);
  connection.receive(encodeFrame(0x89, new Uint8Array(0), RFC_KEY));
  assert.deepEqual(connection.takeOutput(), [bytes(0x8a, 0x00)]);
});

Deno.test("5.5.2 the ping handler gets its own copy of the payload; the pong is already queued", () => {
  let handed: Uint8Array | undefined;
  let queuedBefore = -1;
  const connection: WebSocketConnection = new WebSocketConnection({ role: "client" }, {
    textFrame() {},
    binaryFrame() {},
    textMessage() {},
    binaryMessage() {},
    ping(payload) {
      handed = payload;
      queuedBefore = connection.outputBytes;
    },
    pong() {},
    closeReceived() {},
    failed() {},
  });
  const wire = bytes(0x89, 0x02, 0x01, 0x02);
  connection.receive(wire);
  assert.ok(queuedBefore > 0);
  assert.notEqual(handed!.buffer, wire.buffer);
  handed!.fill(0);
  const pong = takeFrames(connection)[0]!;
  assert.deepEqual(pong.payload, bytes(1, 2));
});

Deno.test("5.5.3 a pong reaches the handler and is not answered", () => {
  const { connection, events } = open({ role: "server" });
  connection.receive(encodeFrame(0x8a, utf8("beat"), 1));
  assert.deepEqual(events, [["pong", [...utf8("beat")]]]);
  assert.equal(connection.outputBytes, 0);
});

Deno.test("5.5 sendPing/sendPong clip the payload to 125 bytes", () => {
  const { connection } = open({ role: "server" });
  assert.equal(connection.sendPing(new Uint8Array(200).fill(1)), true);
  assert.equal(connection.sendPong(new Uint8Array(126).fill(2)), true);
  assert.equal(connection.sendPing(), true);
  const frames = takeFrames(connection);
  assert.deepEqual(frames.map((f) => [f.opcode, f.fin, f.payload.length]), [[0x9, true, 125], [
    0xa,
    true,
    125,
  ], [0x9, true, 0]]);
  assert.ok(frames[0]!.payload.every((b) => b === 1));
});

Deno.test("5.4 control frames between the fragments of a message are handled and do not disturb it", () => {
  const { connection, events } = open({ role: "server" });
  connection.receive(concat(
    fromPeer("server", 0x01, utf8("Hel")),
    fromPeer("server", 0x89, utf8("p1")),
    fromPeer("server", 0x8a, utf8("p2")),
    fromPeer("server", 0x80, utf8("lo")),
  ));
  assert.deepEqual(events, [
    ["textFrame", "Hel", false],
    ["ping", [...utf8("p1")]],
    ["pong", [...utf8("p2")]],
    ["textFrame", "lo", true],
    ["textMessage", "Hello"],
  ]);
  assert.deepEqual(takeFrames(connection).map((f) => [f.opcode, [...f.payload]]), [[0xa, [
    ...utf8("p1"),
  ]]]);
});

// --- Closing handshake -----------------------------------------------------------

Deno.test("5.5.1 a peer-initiated close is answered with a close frame echoing the code", () => {
  const { connection, events } = open({ role: "server" });
  connection.receive(fromPeer("server", 0x88, concat(bytes(0x03, 0xe9), utf8("going"))));
  assert.deepEqual(events, [["closeReceived", 1001, "going"]]);
  assert.equal(connection.closeReceived, true);
  assert.equal(connection.closeSent, true);
  assert.equal(connection.closeCode, 1001);
  assert.equal(connection.closeReason, "going");
  assert.equal(connection.inputEnded, true);
  const reply = takeFrames(connection);
  assert.equal(reply.length, 1);
  assert.equal(reply[0]!.opcode, 0x8);
  assert.equal(closeCodeOf(reply[0]!.payload), 1001);
});

Deno.test("5.5.1 a close without a status code is answered with an empty close; the code reads 1005", () => {
  const { connection, events } = open({ role: "client" });
  assert.equal(connection.closeCode, 1005);
  connection.receive(bytes(0x88, 0x00));
  assert.deepEqual(events, [["closeReceived", 1005, ""]]);
  assert.deepEqual(connection.takeOutput().map((f) => [f[0], f[1]! & 0x7f]), [[0x88, 0]]);
});

Deno.test("5.5.1 after a close frame nothing is processed: bytes after it in the same chunk are ignored", () => {
  const { connection, events } = open({ role: "server" });
  connection.receive(concat(
    fromPeer("server", 0x81, utf8("before")),
    fromPeer("server", 0x88, bytes(0x03, 0xe8)),
    fromPeer("server", 0x81, utf8("after")),
    fromPeer("server", 0x89, utf8("ping")),
    bytes(0xff, 0xff, 0xff), // would be a protocol error if parsed
  ));
  connection.receive(fromPeer("server", 0x81, utf8("later")));
  assert.deepEqual(events, [
    ["textFrame", "before", true],
    ["textMessage", "before"],
    ["closeReceived", 1000, ""],
  ]);
  assert.equal(connection.failure, null);
  assert.deepEqual(takeFrames(connection).map((f) => f.opcode), [0x8]);
});

Deno.test("5.5.1 a close in the middle of a fragmented message drops the unfinished message", () => {
  const { connection, events } = open({ role: "client" });
  connection.receive(concat(bytes(0x02, 0x7e, 0x10, 0x00), new Uint8Array(4096)));
  connection.receive(bytes(0x88, 0x02, 0x03, 0xe8));
  assert.equal(connection.bufferedBytes, 0);
  assert.deepEqual(events.map((e) => e[0]), ["binaryFrame", "closeReceived"]);
});

Deno.test("5.5.1 a close answering ours is not answered again", () => {
  const { connection, events } = open({ role: "server" });
  assert.equal(connection.sendClose(4000, "done"), true);
  assert.equal(connection.sendClose(1000), false, "only one close frame");
  const ours = takeFrames(connection);
  assert.equal(ours.length, 1);
  assert.equal(closeCodeOf(ours[0]!.payload), 4000);
  assert.equal(new TextDecoder().decode(ours[0]!.payload.subarray(2)), "done");
  connection.receive(fromPeer("server", 0x88, bytes(0x0f, 0xa0)));
  assert.deepEqual(events, [["closeReceived", 4000, ""]]);
  assert.equal(connection.outputBytes, 0);
});

Deno.test("5.5 / Qt close(): sendClose cuts the reason to 123 bytes; 1005 sends an empty close", () => {
  const long = open({ role: "server" });
  long.connection.sendClose(1000, "€".repeat(100));
  const frame = takeFrames(long.connection)[0]!;
  assert.equal(frame.payload.length, 2 + 123);
  const empty = open({ role: "server" });
  empty.connection.sendClose(1005);
  assert.deepEqual(empty.connection.takeOutput(), [bytes(0x88, 0x00)]);
});

Deno.test("7.1.1 shouldCloseTransport: the server closes TCP once close frames went both ways", () => {
  const initiator = open({ role: "server" });
  assert.equal(initiator.connection.shouldCloseTransport, false);
  initiator.connection.sendClose();
  assert.equal(initiator.connection.shouldCloseTransport, false);
  initiator.connection.receive(fromPeer("server", 0x88, bytes(0x03, 0xe8)));
  assert.equal(initiator.connection.shouldCloseTransport, true);

  const responder = open({ role: "server" });
  responder.connection.receive(fromPeer("server", 0x88, bytes(0x03, 0xe8)));
  assert.equal(responder.connection.shouldCloseTransport, true);
});

Deno.test("7.1.1 shouldCloseTransport: a client waits for the server to close TCP", () => {
  const { connection } = open({ role: "client" });
  connection.sendClose();
  connection.receive(bytes(0x88, 0x02, 0x03, 0xe8));
  assert.equal(connection.closeSent && connection.closeReceived, true);
  assert.equal(connection.shouldCloseTransport, false);
});

Deno.test("7.1.5 receiveEof: clean after the peer's close, abnormal (1006) otherwise; later input is ignored", () => {
  const clean = open({ role: "client" });
  clean.connection.receive(bytes(0x88, 0x02, 0x03, 0xe8));
  assert.equal(clean.connection.receiveEof(), true);

  const abnormal = open({ role: "client" });
  abnormal.connection.receive(bytes(0x01, 0x02, 0x41, 0x42)); // an unfinished message
  assert.equal(abnormal.connection.receiveEof(), false);
  assert.equal(abnormal.connection.inputEnded, true);
  abnormal.connection.receive(bytes(0x80, 0x01, 0x43));
  assert.deepEqual(abnormal.events.map((e) => e[0]), ["textFrame"]);
  assert.equal(abnormal.connection.receiveEof(), false);
});

// --- Failing the connection --------------------------------------------------------

const VIOLATIONS: Array<[string, Role, Uint8Array, number, WebSocketConnectionOptions?]> = [
  ["an unmasked frame to a server", "server", bytes(0x81, 0x01, 0x41), 1002],
  ["a masked frame to a client", "client", encodeFrame(0x81, utf8("A"), 1), 1002],
  ["RSV1 without an extension", "client", bytes(0xc1, 0x01, 0x41), 1002],
  ["a reserved opcode", "client", bytes(0x83, 0x00), 1002],
  ["a fragmented ping", "client", bytes(0x09, 0x00), 1002],
  ["a 126-byte ping", "client", concat(bytes(0x89, 0x7e, 0x00, 0x7e), new Uint8Array(126)), 1002],
  ["a non-minimal length", "client", bytes(0x82, 0x7e, 0x00, 0x05), 1002],
  ["a stray continuation", "client", bytes(0x80, 0x01, 0x41), 1002],
  [
    "a new message inside a fragmented one",
    "client",
    bytes(0x01, 0x01, 0x41, 0x81, 0x01, 0x42),
    1002,
  ],
  ["invalid UTF-8 in a text message", "client", bytes(0x81, 0x02, 0xc0, 0x80), 1007],
  ["invalid UTF-8 across two frames", "client", bytes(0x01, 0x01, 0xf4, 0x80, 0x01, 0x90), 1007],
  ["a text message ending mid-character", "client", bytes(0x81, 0x02, 0xe2, 0x82), 1007],
  ["a 1-byte close payload", "client", bytes(0x88, 0x01, 0x03), 1002],
  ["close code 1005 on the wire", "client", bytes(0x88, 0x02, 0x03, 0xed), 1002],
  ["close code 1006 on the wire", "client", bytes(0x88, 0x02, 0x03, 0xee), 1002],
  ["close code 999", "client", bytes(0x88, 0x02, 0x03, 0xe7), 1002],
  ["close code 5000", "client", bytes(0x88, 0x02, 0x13, 0x88), 1002],
  ["an invalid UTF-8 close reason", "client", bytes(0x88, 0x03, 0x03, 0xe8, 0xff), 1007],
  ["a frame over the frame limit", "client", bytes(0x82, 0x7e, 0x01, 0x00), 1009, {
    role: "client",
    maxFrameSize: 255,
  }],
  ["a message over the message limit", "client", bytes(0x02, 0x7e, 0x00, 0xc8), 1009, {
    role: "client",
    maxMessageSize: 199,
  }],
  [
    "a 64-bit length with the top bit set",
    "client",
    bytes(0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0),
    1009,
  ],
  [
    "a 64-bit length of 2^53",
    "server",
    bytes(0x82, 0xff, 0, 0x20, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4),
    1009,
  ],
];

for (const [name, role, wire, closeCode, options] of VIOLATIONS) {
  Deno.test(`7.1.7 fail the connection: ${name} queues one close frame with ${closeCode} and calls failed`, () => {
    const { connection, events, failures } = open(options ?? { role });
    connection.receive(wire);
    assert.equal(failures.length, 1);
    assert.ok(failures[0] instanceof WebSocketProtocolError);
    assert.equal(connection.failure, failures[0]);
    const frames = takeFrames(connection);
    assert.equal(frames.length, 1, "exactly one frame queued");
    assert.equal(frames[0]!.opcode, 0x8);
    assert.equal(closeCodeOf(frames[0]!.payload), failures[0]!.closeCode);
    assert.equal(connection.closeSent, true);
    assert.equal(connection.inputEnded, true);
    assert.equal(connection.shouldCloseTransport, true);
    // Nothing more is read or sent.
    connection.receive(fromPeer(role, 0x89, utf8("ping")));
    assert.equal(connection.outputBytes, 0);
    assert.equal(connection.sendText("late"), 0);
    assert.equal(failures.length, 1);
    assert.equal(events.filter((e) => e[0] === "failed").length, 1);
    assert.equal(failures[0]!.closeCode, closeCode, failures[0]!.message);
  });
}

Deno.test("10.4 limits: the frame limit fails at the header before payload is held; setters apply", () => {
  const { connection, failures } = open({ role: "server" });
  connection.maxFrameSize = 1000;
  connection.maxMessageSize = 1500;
  assert.equal(connection.maxFrameSize, 1000);
  assert.equal(connection.maxMessageSize, 1500);
  connection.receive(fromPeer("server", 0x02, new Uint8Array(1000)));
  assert.equal(connection.bufferedBytes, 1000);
  // Only the header of the next frame: the message would reach 1600 bytes.
  connection.receive(bytes(0x80, 0xfe, 0x02, 0x58, 1, 2, 3, 4));
  assert.equal(failures[0]!.closeCode, 1009);
  assert.equal(failures[0]!.code, "MESSAGE_TOO_BIG");
  assert.equal(connection.bufferedBytes, 0);
});

Deno.test("7.1.7 a failure after our close frame queues no second close frame but still reports", () => {
  const { connection, failures } = open({ role: "client" });
  connection.sendClose(1000);
  connection.takeOutput();
  connection.receive(bytes(0x83, 0x00));
  assert.equal(failures.length, 1);
  assert.equal(connection.outputBytes, 0);
  assert.equal(connection.shouldCloseTransport, true);
});

Deno.test("7.1.7 the close frame of a failure carries a reason no longer than 123 bytes", () => {
  const { connection } = open({ role: "client" });
  connection.receive(bytes(0x81, 0x01, 0xff));
  const frame = takeFrames(connection)[0]!;
  assert.equal(closeCodeOf(frame.payload), 1007);
  assert.ok(frame.payload.length <= 125);
  assert.match(new TextDecoder().decode(frame.payload.subarray(2)), /not valid UTF-8/);
});

Deno.test("7.1.7 fail(): a local failure queues a close frame with its code and stops reading, without failed()", () => {
  const { connection, events } = open({ role: "server" });
  connection.fail(1008, "too slow");
  const frame = takeFrames(connection)[0]!;
  assert.equal(closeCodeOf(frame.payload), 1008);
  assert.equal(new TextDecoder().decode(frame.payload.subarray(2)), "too slow");
  assert.equal(connection.failure?.code, "LOCAL_FAILURE");
  assert.equal(connection.shouldCloseTransport, true);
  connection.receive(fromPeer("server", 0x81, utf8("x")));
  assert.deepEqual(events, []);
});

// --- Sending -------------------------------------------------------------------------

Deno.test("Qt sendTextMessage/sendBinaryMessage: return the payload bytes queued, 0 once close was sent", () => {
  const { connection } = open({ role: "server" });
  assert.equal(connection.sendText("Hello"), 5);
  assert.equal(connection.sendText("€"), 3);
  assert.equal(connection.sendText(""), 0);
  assert.equal(connection.sendBinary(new Uint8Array(300)), 300);
  assert.equal(connection.outputBytes, 7 + 5 + 2 + 4 + 300);
  connection.sendClose();
  assert.equal(connection.sendText("late"), 0);
  assert.equal(connection.sendBinary(bytes(1)), 0);
  assert.equal(connection.sendPing(), false);
  assert.equal(connection.sendPong(), false);
  assert.deepEqual(takeFrames(connection).map((f) => f.opcode), [0x1, 0x1, 0x1, 0x2, 0x8]);
});

Deno.test("5.7 a deterministic QMaskGenerator makes client output byte-exact", () => {
  const generator = new FixedMaskGenerator(RFC_KEY, 0x01020304);
  const { connection } = open({ role: "client", maskGenerator: generator, outgoingFrameSize: 3 });
  assert.equal(connection.maskGenerator, generator);
  assert.equal(connection.sendText("Hello"), 5);
  const hel = utf8("Hel").map((b, i) => b ^ [0x37, 0xfa, 0x21, 0x3d][i]!);
  const lo = utf8("lo").map((b, i) => b ^ [1, 2, 3, 4][i]!);
  assert.deepEqual(connection.takeOutput(), [
    concat(bytes(0x01, 0x83, 0x37, 0xfa, 0x21, 0x3d), hel),
    concat(bytes(0x80, 0x82, 1, 2, 3, 4), lo),
  ]);
  assert.equal(generator.calls, 2);
  // Swapping the generator takes effect on the next frame.
  connection.maskGenerator = new FixedMaskGenerator(RFC_KEY);
  connection.outgoingFrameSize = 0;
  assert.equal(connection.outgoingFrameSize, 0);
  connection.sendText("Hello");
  assert.deepEqual(connection.takeOutput(), [
    bytes(0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58),
  ]);
});

Deno.test("5.3 a client's sendBinary masks a copy: the caller's buffer is unchanged and may be reused", () => {
  const { connection } = open({
    role: "client",
    maskGenerator: new FixedMaskGenerator(0xffffffff),
  });
  const data = new Uint8Array(64).map((_, i) => i);
  connection.sendBinary(data);
  assert.deepEqual(data, new Uint8Array(64).map((_, i) => i));
  data.fill(0xee);
  const frame = takeFrames(connection)[0]!;
  assert.deepEqual(frame.payload, new Uint8Array(64).map((_, i) => i));
});

Deno.test("Qt outgoingFrameSize: messages longer than it go out in several frames", () => {
  const { connection } = open({ role: "server", outgoingFrameSize: 100 });
  assert.equal(connection.outgoingFrameSize, 100);
  connection.sendBinary(new Uint8Array(250));
  assert.deepEqual(
    takeFrames(connection).map((f) => [f.opcode, f.fin, f.payload.length]),
    [[0x2, false, 100], [0x0, false, 100], [0x0, true, 50]],
  );
  const plain = open({ role: "server" });
  assert.equal(plain.connection.outgoingFrameSize, 524288);
  assert.equal(plain.connection.maskGenerator, null);
});

// --- Whole conversations ---------------------------------------------------------------

Deno.test("5.2 a long mixed conversation gives the same events in one chunk, 1-byte chunks and random chunks", () => {
  const rng = mulberry32(777);
  const encoder = new FrameEncoder({
    role: "client",
    maskGenerator: new FixedMaskGenerator(0x0badf00d, 0x12345678, 0xfedcba98),
  });
  const expected: Event[] = [];
  const wire: Uint8Array[] = [];
  const alphabet = ["a", "é", "€", "😀", "\ufeff", " "];
  for (let i = 0; i < 150; i++) {
    encoder.frameSize = randomInt(rng, 1, 40);
    const kind = rng();
    if (kind < 0.4) {
      let text = "";
      for (let n = randomInt(rng, 0, 30); n > 0; n--) text += pick(rng, alphabet);
      wire.push(...encoder.encodeMessage(0x1, utf8(text)));
      expected.push(["textMessage", text]);
    } else if (kind < 0.8) {
      const data = randomBytes(rng, rng() < 0.1 ? 70000 : randomInt(rng, 0, 300));
      wire.push(...encoder.encodeMessage(0x2, data));
      expected.push([
        "binaryMessage",
        data.length,
        data.reduce((sum, b) => (sum * 31 + b) >>> 0, 0),
      ]);
    } else {
      const payload = randomBytes(rng, randomInt(rng, 0, 125));
      wire.push(encoder.encode(0x89, payload));
      expected.push(["ping", [...payload]]);
    }
  }
  wire.push(encoder.encode(0x88, bytes(0x03, 0xe8)));
  expected.push(["closeReceived", 1000, ""]);
  const all = concat(...wire);

  const run = (chunks: Uint8Array[]) => {
    const seen: Event[] = [];
    const connection = new WebSocketConnection({ role: "server" }, {
      textFrame() {},
      binaryFrame() {},
      textMessage: (m) => seen.push(["textMessage", m]),
      binaryMessage: (m) =>
        seen.push(["binaryMessage", m.length, m.reduce((sum, b) => (sum * 31 + b) >>> 0, 0)]),
      ping: (p) => seen.push(["ping", [...p]]),
      pong() {},
      closeReceived: (code, reason) => seen.push(["closeReceived", code, reason]),
      failed: (e) => seen.push(["failed", e.message]),
    });
    for (const chunk of chunks) connection.receive(chunk);
    assert.equal(connection.shouldCloseTransport, true);
    return seen;
  };
  assert.deepEqual(run([all.slice()]), expected);
  assert.deepEqual(run(chopBytewise(all.slice())), expected);
  for (const seed of [1, 2, 3]) {
    assert.deepEqual(
      run(chopRandomly(mulberry32(seed), all.slice(), 2000)),
      expected,
      `seed ${seed}`,
    );
  }
});

Deno.test("6.4.3 fail fast on a connection: invalid UTF-8 fails while the rest of the frame is still to come", () => {
  const { connection, failures } = open({ role: "server" });
  const payload = concat(
    utf8("valid text "),
    bytes(0xf4, 0x90, 0x80, 0x80),
    new Uint8Array(10000).fill(0x41),
  );
  const wire = fromPeer("server", 0x81, payload);
  connection.receive(wire.subarray(0, 8 + 11 + 2)); // header, valid text, F4 90
  assert.equal(failures.length, 1);
  assert.equal(failures[0]!.closeCode, 1007);
  assert.equal(closeCodeOf(takeFrames(connection)[0]!.payload), 1007);
});

Deno.test("Qt bufferedBytes: counts a partly received frame and the held fragments of a message", () => {
  const { connection } = open({ role: "client" });
  assert.equal(connection.bufferedBytes, 0);
  connection.receive(bytes(0x02, 0x03, 1, 2, 3)); // a complete first fragment
  assert.equal(connection.bufferedBytes, 3);
  connection.receive(bytes(0x80, 0x04, 4, 5)); // half of the last fragment
  assert.equal(connection.bufferedBytes, 5);
  connection.receive(bytes(6, 7));
  assert.equal(connection.bufferedBytes, 0);
});

Deno.test("7.4.1 a handler that throws fails the connection with 1011 instead of leaving it open but deaf", () => {
  let messages = 0;
  const connection = new WebSocketConnection({ role: "server" }, {
    textFrame() {},
    binaryFrame() {},
    textMessage(message) {
      messages++;
      if (message === "boom") throw new Error("listener bug");
    },
    binaryMessage() {},
    ping() {},
    pong() {},
    closeReceived() {},
    failed() {
      assert.fail("failed() is for the peer's violations");
    },
  });
  assert.throws(
    () =>
      connection.receive(
        concat(fromPeer("server", 0x81, utf8("boom")), fromPeer("server", 0x81, utf8("lost"))),
      ),
    { message: "listener bug" },
  );
  // The connection says what happened: it is failed, with a close frame queued.
  assert.equal(connection.inputEnded, true);
  assert.equal(connection.failure?.closeCode, 1011);
  assert.equal(connection.shouldCloseTransport, true);
  const frames = takeFrames(connection);
  assert.equal(frames.length, 1);
  assert.equal(closeCodeOf(frames[0]!.payload), 1011);
  assert.equal(messages, 1);
});
