/**
 * The protocol core with permessage-deflate negotiated: RSV1 rules, the codec
 * on both paths, limits counted on inflated bytes, UTF-8 checked as inflated
 * text arrives.
 */

import assert from "node:assert/strict";
import { PerMessageDeflateCodec } from "../../lib/deflate/permessage_deflate_codec.ts";
import {
  encodeFrame,
  type InflateSink,
  type MessageCodec,
  type PerMessageDeflateOptions,
  type PerMessageDeflateParameters,
  type Role,
  WebSocketConnection,
  type WebSocketProtocolError,
} from "../../lib/protocol/mod.ts";
import { FixedMaskGenerator } from "../protocol/_helpers.ts";

const DEFAULTS: PerMessageDeflateParameters = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};

type Event =
  | ["textFrame", string, boolean]
  | ["binaryFrame", Uint8Array, boolean]
  | ["text", string]
  | ["binary", Uint8Array]
  | ["ping", Uint8Array]
  | ["failed", number, string];

interface Endpoint {
  conn: WebSocketConnection;
  codec: PerMessageDeflateCodec | null;
  events: Event[];
  failure(): WebSocketProtocolError | null;
  close(): void;
}

function endpoint(
  role: Role,
  options: {
    parameters?: Partial<PerMessageDeflateParameters> | null;
    deflate?: PerMessageDeflateOptions;
    maxMessageSize?: number;
    outgoingFrameSize?: number;
    codec?: MessageCodec;
  } = {},
): Endpoint {
  const events: Event[] = [];
  const codec = options.parameters === null ? null : new PerMessageDeflateCodec(
    role,
    { ...DEFAULTS, ...options.parameters },
    options.deflate ?? {},
  );
  const conn = new WebSocketConnection({
    role,
    codec: options.codec ?? codec,
    maxMessageSize: options.maxMessageSize,
    outgoingFrameSize: options.outgoingFrameSize,
    maskGenerator: role === "client" ? new FixedMaskGenerator(0x01020304) : null,
  }, {
    textFrame: (frame, last) => events.push(["textFrame", frame, last]),
    binaryFrame: (frame, last) => events.push(["binaryFrame", frame, last]),
    textMessage: (message) => events.push(["text", message]),
    binaryMessage: (message) => events.push(["binary", message]),
    ping: (payload) => events.push(["ping", payload]),
    pong: () => {},
    closeReceived: () => {},
    failed: (error) => events.push(["failed", error.closeCode, error.message]),
  });
  return {
    conn,
    codec,
    events,
    failure: () => conn.failure,
    close: () => codec?.close(),
  };
}

function bytes(text: string): Uint8Array {
  return new Uint8Array(text.split(" ").map((b) => parseInt(b, 16)));
}

function hex(data: Uint8Array): string {
  return Array.from(data, (b) => b.toString(16).padStart(2, "0")).join(" ");
}

function messages(events: Event[]): Array<string | Uint8Array> {
  return events.filter((e) => e[0] === "text" || e[0] === "binary").map((e) => e[1] as string);
}

// Moves everything `from` queued into `to`.
function pump(from: Endpoint, to: Endpoint): void {
  for (const chunk of from.conn.takeOutput()) to.conn.receive(chunk);
}

function closeCodeSent(endpoint: Endpoint): number | null {
  for (const frame of endpoint.conn.takeOutput()) {
    if ((frame[0]! & 0x0f) === 0x8) {
      const masked = (frame[1]! & 0x80) !== 0;
      const at = masked ? 6 : 2;
      let code = (frame[at]! << 8) | frame[at + 1]!;
      if (masked) code ^= (frame[2]! << 8) | frame[3]!;
      return code;
    }
  }
  return null;
}

Deno.test('RFC 7692 §7.2.3.1: a client reads c1 07 f2 48 cd c9 c9 07 00 as "Hello", also fragmented 3 + 4', () => {
  const client = endpoint("client");
  try {
    client.conn.receive(bytes("c1 07 f2 48 cd c9 c9 07 00"));
    client.conn.receive(bytes("41 03 f2 48 cd"));
    assert.deepEqual(messages(client.events), ["Hello"]);
    client.conn.receive(bytes("80 04 c9 c9 07 00"));
    assert.deepEqual(messages(client.events), ["Hello", "Hello"]);
    // One frame event per wire frame, carrying the text that frame inflated to.
    const frames = client.events.filter((e) => e[0] === "textFrame");
    assert.deepEqual(frames.map((e) => e[2]), [true, false, true]);
    assert.equal(frames.slice(1).map((e) => e[1]).join(""), "Hello");
  } finally {
    client.close();
  }
});

Deno.test('RFC 7692 §7.2.3.2: a server sends "Hello" twice as c1 07 … then c1 05 f2 00 11 00 00', () => {
  const server = endpoint("server");
  try {
    server.conn.sendText("Hello");
    server.conn.sendText("Hello");
    assert.deepEqual(server.conn.takeOutput().map(hex), [
      "c1 07 f2 48 cd c9 c9 07 00",
      "c1 05 f2 00 11 00 00",
    ]);
  } finally {
    server.close();
  }
});

Deno.test('RFC 7692 §7.2.3.2: without context takeover both "Hello"s are the same bytes (threshold 0)', () => {
  const server = endpoint("server", {
    parameters: { serverNoContextTakeover: true },
    deflate: { threshold: 0 },
  });
  try {
    assert.equal(server.conn.sendText("Hello"), 5);
    server.conn.sendText("Hello");
    assert.deepEqual(server.conn.takeOutput().map(hex), [
      "c1 07 f2 48 cd c9 c9 07 00",
      "c1 07 f2 48 cd c9 c9 07 00",
    ]);
  } finally {
    server.close();
  }
});

Deno.test("RFC 7692 §7.2.3.3–§7.2.3.6: uncompressed block, BFINAL, two blocks and an empty last fragment", () => {
  const client = endpoint("client");
  try {
    client.conn.receive(bytes("c1 0b 00 05 00 fa ff 48 65 6c 6c 6f 00"));
    client.conn.receive(bytes("c1 08 f3 48 cd c9 c9 07 00 00"));
    client.conn.receive(bytes("c1 0d f2 48 05 00 00 00 ff ff ca c9 c9 07 00"));
    // Three frames: the data flushed in two, then the empty block 00 alone with FIN.
    client.conn.receive(bytes("41 03 f2 48 cd"));
    client.conn.receive(bytes("00 08 c9 c9 07 00 00 00 ff ff"));
    client.conn.receive(bytes("80 01 00"));
    client.conn.receive(bytes("c1 01 00"));
    assert.deepEqual(messages(client.events), ["Hello", "Hello", "Hello", "Hello", ""]);
    assert.equal(client.failure(), null);
  } finally {
    client.close();
  }
});

Deno.test("RFC 7692 §6.1: RSV1 on a continuation frame fails with 1002", () => {
  const client = endpoint("client");
  try {
    client.conn.receive(bytes("41 03 f2 48 cd"));
    client.conn.receive(bytes("c0 04 c9 c9 07 00"));
    assert.equal(client.failure()?.closeCode, 1002);
    assert.match(client.failure()!.message, /Continuation frame has RSV1 set/);
    assert.equal(closeCodeSent(client), 1002);
  } finally {
    client.close();
  }
});

Deno.test("RFC 7692 §6.1: RSV1 on a control frame fails with 1002", () => {
  for (const opcode of [0x8, 0x9, 0xa]) {
    const client = endpoint("client");
    try {
      client.conn.receive(new Uint8Array([0xc0 | opcode, 0x00]));
      assert.equal(client.failure()?.closeCode, 1002, `opcode ${opcode}`);
      assert.match(client.failure()!.message, /control frames are never compressed/);
    } finally {
      client.close();
    }
  }
});

Deno.test("RFC 6455 §5.2: RSV2 and RSV3 still fail with 1002 when permessage-deflate is negotiated; RSV1 without it too", () => {
  for (const first of [0xa1, 0x91, 0xe1]) {
    const client = endpoint("client");
    try {
      client.conn.receive(new Uint8Array([first, 0x01, 0x00]));
      assert.equal(client.failure()?.closeCode, 1002, first.toString(16));
    } finally {
      client.close();
    }
  }
  const plain = endpoint("client", { parameters: null });
  plain.conn.receive(bytes("c1 07 f2 48 cd c9 c9 07 00"));
  assert.equal(plain.failure()?.closeCode, 1002);
  assert.match(plain.failure()!.message, /no negotiated extension uses/);
});

Deno.test("RFC 7692 §6: uncompressed messages mix with compressed ones and leave the window alone", () => {
  const client = endpoint("client");
  try {
    client.conn.receive(bytes("c1 07 f2 48 cd c9 c9 07 00"));
    client.conn.receive(encodeFrame(0x81, new TextEncoder().encode("plain")));
    client.conn.receive(encodeFrame(0x82, new Uint8Array([1, 2, 3])));
    // A back-reference to the first message, across the uncompressed ones.
    client.conn.receive(bytes("c1 05 f2 00 11 00 00"));
    assert.deepEqual(messages(client.events), [
      "Hello",
      "plain",
      new Uint8Array([1, 2, 3]),
      "Hello",
    ]);
  } finally {
    client.close();
  }
});

Deno.test("RFC 7692 §6.1: a compressed message split into frames has RSV1 on the first only and round-trips", () => {
  const text = "compressed but fragmented € 𝄞 ".repeat(400);
  const server = endpoint("server", { outgoingFrameSize: 37 });
  const client = endpoint("client");
  try {
    server.conn.sendText(text);
    const frames = server.conn.takeOutput();
    assert.ok(frames.length > 3);
    assert.equal(frames[0]![0], 0x41);
    for (const frame of frames.slice(1, -1)) assert.equal(frame[0], 0x00);
    assert.equal(frames.at(-1)![0], 0x80);
    // Compressed text is not cut on character boundaries: every frame but the last is full.
    for (const frame of frames.slice(0, -1)) assert.equal(frame[1], 37);
    for (const frame of frames) client.conn.receive(frame);
    assert.deepEqual(messages(client.events), [text]);
  } finally {
    server.close();
    client.close();
  }
});

Deno.test("RFC 7692 §7.2.1: without context takeover, messages under the threshold go out uncompressed", () => {
  const client = endpoint("client", { parameters: { clientNoContextTakeover: true } });
  const server = endpoint("server", { parameters: { clientNoContextTakeover: true } });
  try {
    client.conn.sendText("x".repeat(1023));
    client.conn.sendBinary(new Uint8Array(1024));
    const [small, large] = client.conn.takeOutput();
    assert.equal(small![0], 0x81);
    assert.equal(large![0], 0xc2);
    assert.ok(large!.length < 100);
    server.conn.receive(small!);
    server.conn.receive(large!);
    assert.deepEqual(messages(server.events), ["x".repeat(1023), new Uint8Array(1024)]);
  } finally {
    client.close();
    server.close();
  }
});

Deno.test("RFC 7692: both roles round-trip text and binary of many sizes for every parameter combination", () => {
  const sizes = [0, 1, 125, 126, 1023, 1024, 4000, 65535, 65536, 70000];
  let seed = 1;
  const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 16;
  for (const serverNoContextTakeover of [false, true]) {
    for (const clientNoContextTakeover of [false, true]) {
      for (const serverMaxWindowBits of [8, 11, 15]) {
        for (const clientMaxWindowBits of [8, 11, 15]) {
          const parameters = {
            serverNoContextTakeover,
            clientNoContextTakeover,
            serverMaxWindowBits,
            clientMaxWindowBits,
          };
          const label = JSON.stringify(parameters);
          const client = endpoint("client", { parameters, outgoingFrameSize: 20000 });
          const server = endpoint("server", { parameters, outgoingFrameSize: 20000 });
          try {
            const sent: Array<string | Uint8Array> = [];
            for (const size of sizes) {
              const binary = new Uint8Array(size);
              for (let i = 0; i < size; i++) binary[i] = random() % 16 + (i % 64 < 32 ? 0 : 200);
              const text = Array.from(
                { length: size },
                (_, i) => ["a", "b", "€", "😀"][(i * 7 + size) % 4],
              )
                .join("");
              client.conn.sendText(text);
              client.conn.sendBinary(binary);
              server.conn.sendText(text);
              server.conn.sendBinary(binary);
              sent.push(text, binary);
            }
            pump(client, server);
            pump(server, client);
            assert.deepEqual(messages(server.events), sent, `client → server ${label}`);
            assert.deepEqual(messages(client.events), sent, `server → client ${label}`);
          } finally {
            client.close();
            server.close();
          }
        }
      }
    }
  }
});

Deno.test("RFC 7692 §7.2.2: compressed frames delivered a byte at a time inflate to the same messages", () => {
  const server = endpoint("server", { outgoingFrameSize: 50 });
  const client = endpoint("client");
  try {
    const texts = ["Hello", "Hello", "€uro ".repeat(100), ""];
    for (const text of texts) server.conn.sendText(text);
    for (const frame of server.conn.takeOutput()) {
      for (let i = 0; i < frame.length; i++) client.conn.receive(frame.slice(i, i + 1));
    }
    assert.deepEqual(messages(client.events), texts);
  } finally {
    server.close();
    client.close();
  }
});

Deno.test("RFC 7692 §7.2.2: a ping between the frames of a compressed message is answered", () => {
  const client = endpoint("client");
  try {
    client.conn.receive(bytes("41 03 f2 48 cd"));
    client.conn.receive(bytes("89 01 2a"));
    client.conn.receive(bytes("80 04 c9 c9 07 00"));
    assert.deepEqual(client.events.filter((e) => e[0] !== "textFrame"), [
      ["ping", new Uint8Array([0x2a])],
      ["text", "Hello"],
    ]);
  } finally {
    client.close();
  }
});

Deno.test("RFC 7692 §7.2.2: data that is not DEFLATE closes with 1007", () => {
  const client = endpoint("client");
  try {
    client.conn.receive(bytes("c2 04 ff ff ff ff"));
    assert.equal(client.failure()?.closeCode, 1007);
    assert.match(client.failure()!.message, /not valid DEFLATE data/);
    assert.equal(closeCodeSent(client), 1007);
    assert.deepEqual(messages(client.events), []);
  } finally {
    client.close();
  }
});

Deno.test("RFC 6455 §8.1 with RFC 7692: invalid UTF-8 in compressed text fails with 1007 at the first frame, before FIN", () => {
  const sender = endpoint("server", { parameters: { serverNoContextTakeover: true } });
  const client = endpoint("client");
  try {
    const bad = new Uint8Array([0x61, 0xc0, 0x80, 0x62]); // an overlong NUL
    const compressed = sender.codec!.compress(bad).slice();
    // First frame of a fragmented message, FIN clear: the failure cannot wait for the end.
    client.conn.receive(encodeFrame(0x41, compressed));
    assert.equal(client.failure()?.closeCode, 1007);
    assert.match(client.failure()!.message, /not valid UTF-8/);
  } finally {
    sender.close();
    client.close();
  }
});

Deno.test("RFC 6455 §8.1 with RFC 7692: invalid UTF-8 inside one compressed frame fails while the frame still arrives", () => {
  const sender = endpoint("server");
  const client = endpoint("client");
  try {
    const text = new Uint8Array(200_000).fill(0x61);
    text[10] = 0xff;
    const frame = encodeFrame(0xc1, sender.codec!.compress(text).slice());
    assert.ok(frame.length > 40);
    // All but the last byte: the frame is incomplete, the error is already known.
    client.conn.receive(frame.slice(0, frame.length - 1));
    assert.equal(client.failure()?.closeCode, 1007);
  } finally {
    sender.close();
    client.close();
  }
});

// Counts what the real codec hands to the assembler.
class CountingCodec implements MessageCodec {
  readonly inner: PerMessageDeflateCodec;
  inflated = 0;
  readonly threshold = 0;

  constructor(inner: PerMessageDeflateCodec) {
    this.inner = inner;
  }
  compress(message: Uint8Array): Uint8Array {
    return this.inner.compress(message);
  }
  decompress(piece: Uint8Array, sink: InflateSink): void {
    this.inner.decompress(piece, (chunk) => {
      this.inflated += chunk.length;
      sink(chunk);
    });
  }
  endMessage(sink: InflateSink): void {
    this.inner.endMessage((chunk) => {
      this.inflated += chunk.length;
      sink(chunk);
    });
  }
  reset(): void {
    this.inner.reset();
  }
  close(): void {
    this.inner.close();
  }
}

Deno.test("Zip bomb: a 256 MiB inflation in a 256 KiB message closes with 1009 once 1 MiB is passed", () => {
  const sender = new PerMessageDeflateCodec("server", DEFAULTS, {});
  const counting = new CountingCodec(new PerMessageDeflateCodec("client", DEFAULTS, {}));
  const client = endpoint("client", { codec: counting, maxMessageSize: 1024 * 1024 });
  try {
    const zeros = new Uint8Array(16 * 1024 * 1024);
    const parts: Uint8Array[] = [];
    for (let i = 0; i < 16; i++) parts.push(sender.compress(zeros).slice());
    const total = parts.reduce((n, p) => n + p.length, 0);
    assert.ok(total < 300 * 1024, `bomb of ${total} bytes`);
    const bomb = new Uint8Array(total);
    let at = 0;
    for (const part of parts) {
      bomb.set(part, at);
      at += part.length;
    }
    // Under the limit on the wire, 256 MiB once inflated.
    client.conn.receive(encodeFrame(0xc2, bomb));
    assert.equal(client.failure()?.closeCode, 1009);
    assert.match(client.failure()!.message, /inflates to more than the limit of 1048576 bytes/);
    // Inflation stopped within one 64 KiB chunk of the limit: the rest was never produced.
    assert.ok(counting.inflated <= 1024 * 1024 + 64 * 1024, `${counting.inflated} bytes inflated`);
    assert.equal(client.events.filter((e) => e[0] === "binaryFrame").length, 0);
    assert.equal(closeCodeSent(client), 1009);
  } finally {
    sender.close();
    client.close();
  }
});

Deno.test("Zip bomb: a text bomb spread over frames fails with 1009 before its last frame", () => {
  const sender = new PerMessageDeflateCodec("server", DEFAULTS, {});
  const client = endpoint("client", { maxMessageSize: 100_000 });
  try {
    const compressed = sender.compress(new Uint8Array(1_000_000).fill(0x61)).slice();
    const half = compressed.length >> 1;
    client.conn.receive(encodeFrame(0x41, compressed.subarray(0, half)));
    assert.equal(client.failure()?.closeCode, 1009);
  } finally {
    sender.close();
    client.close();
  }
});
