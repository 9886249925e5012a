import assert from "node:assert/strict";
import {
  DEFAULT_OUTGOING_FRAME_SIZE,
  DefaultMaskGenerator,
  encodeFrame,
  type Frame,
  FrameEncoder,
  type FrameParserOptions,
  FrameReader,
  FrameWriter,
  type FrameWriterInput,
  type QMaskGenerator,
  WebSocketProtocolError,
} from "../../lib/protocol/mod.ts";
import { bytes, concat, FixedMaskGenerator, maskByteLoop, RFC_KEY, utf8 } from "./_helpers.ts";
import { chopBytewise, chopRandomly, mulberry32, pick, randomBytes, randomInt } from "./_prng.ts";

function frame(opcode: number, payload: Uint8Array, fin = true, rsv1 = false): Frame {
  return { fin, rsv1, rsv2: false, rsv3: false, opcode, payload };
}

async function readFrames(options: FrameParserOptions, chunks: Uint8Array[]): Promise<Frame[]> {
  return await Array.fromAsync(ReadableStream.from(chunks).pipeThrough(new FrameReader(options)));
}

// Reads until the stream errors; returns the frames before the error and the error.
async function readUntilError(options: FrameParserOptions, chunks: Uint8Array[]) {
  const frames: Frame[] = [];
  let error: unknown;
  try {
    for await (const f of ReadableStream.from(chunks).pipeThrough(new FrameReader(options))) {
      frames.push(f);
    }
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof WebSocketProtocolError, `expected a protocol error, got ${error}`);
  return { frames, error };
}

async function writeAll(
  options: ConstructorParameters<typeof FrameWriter>[0],
  inputs: FrameWriterInput[],
): Promise<Uint8Array[]> {
  return await Array.fromAsync(ReadableStream.from(inputs).pipeThrough(new FrameWriter(options)));
}

// --- FrameReader ---------------------------------------------------------------

Deno.test("5.7 FrameReader: the RFC examples fed a byte at a time become frames", async () => {
  const wire = concat(
    bytes(0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f),
    bytes(0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f),
    bytes(0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f),
    bytes(0x82, 0x7e, 0x01, 0x00),
    new Uint8Array(256).fill(9),
  );
  const frames = await readFrames({ role: "client" }, chopBytewise(wire));
  assert.deepEqual(frames, [
    frame(0x1, utf8("Hello")),
    frame(0x1, utf8("Hel"), false),
    frame(0x0, utf8("lo")),
    frame(0x9, utf8("Hello")),
    frame(0x2, new Uint8Array(256).fill(9)),
  ]);
});

Deno.test('5.7 FrameReader: a server unmasks the masked "Hello" and the masked pong', async () => {
  const frames = await readFrames({ role: "server" }, [
    bytes(0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58),
    bytes(0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58),
  ]);
  assert.deepEqual(frames, [frame(0x1, utf8("Hello")), frame(0xa, utf8("Hello"))]);
});

Deno.test("5.2 FrameReader: seeded random chunking of a long mixed stream gives the written frames", async () => {
  for (const role of ["client", "server"] as const) {
    const rng = mulberry32(role === "client" ? 99 : 100);
    const expected: Frame[] = [];
    const wire: Uint8Array[] = [];
    for (let i = 0; i < 200; i++) {
      const opcode = pick(rng, [0x0, 0x1, 0x2, 0x9, 0xa]);
      const length = opcode >= 0x8
        ? randomInt(rng, 0, 125)
        : pick(rng, [0, 1, 125, 126, 65535, 65536, 3000]);
      const fin = opcode >= 0x8 || rng() < 0.5;
      const payload = randomBytes(rng, length);
      expected.push(frame(opcode, payload, fin));
      wire.push(
        encodeFrame(
          (fin ? 0x80 : 0) | opcode,
          payload,
          role === "server" ? (rng() * 2 ** 32) >>> 0 : undefined,
        ),
      );
    }
    const frames = await readFrames({ role }, chopRandomly(rng, concat(...wire), 5000));
    assert.equal(frames.length, expected.length);
    assert.deepEqual(frames, expected);
  }
});

Deno.test("5.2 FrameReader: RSV bits map to rsv1-3 when allowed", async () => {
  const frames = await readFrames({ role: "client", allowedRsv: 7 }, [
    bytes(0xc1, 0x00, 0xa2, 0x00, 0x90, 0x00),
  ]);
  assert.deepEqual(
    frames.map((f) => [f.fin, f.rsv1, f.rsv2, f.rsv3, f.opcode]),
    [[true, true, false, false, 1], [true, false, true, false, 2], [true, false, false, true, 0]],
  );
});

Deno.test("7.1.5 FrameReader: a stream that ends inside a header errors with 1006", async () => {
  const { frames, error } = await readUntilError({ role: "client" }, [
    bytes(0x81, 0x01, 0x41, 0x82, 0x7e, 0x01),
  ]);
  assert.equal(frames.length, 1);
  assert.equal(error.closeCode, 1006);
  assert.equal(error.code, "TRUNCATED_FRAME");
});

Deno.test("7.1.5 FrameReader: a stream that ends inside a payload errors with 1006", async () => {
  const { error } = await readUntilError({ role: "server" }, [
    encodeFrame(0x82, new Uint8Array(10), 1).subarray(0, 12),
  ]);
  assert.equal(error.closeCode, 1006);
  assert.equal(error.code, "TRUNCATED_FRAME");
});

Deno.test("7.1.5 FrameReader: a stream that ends between frames, or is empty, ends cleanly", async () => {
  assert.deepEqual(await readFrames({ role: "client" }, []), []);
  assert.equal((await readFrames({ role: "client" }, [bytes(0x88, 0x00)])).length, 1);
});

Deno.test("7.1.7 FrameReader: a violation errors the stream with the close code (1002, 1009)", async () => {
  const unmasked = await readUntilError({ role: "server" }, [bytes(0x81, 0x01, 0x41)]);
  assert.equal(unmasked.error.closeCode, 1002);
  assert.equal(unmasked.error.code, "MASK_REQUIRED");
  const big = await readUntilError({ role: "client", maxFrameSize: 10 }, [
    bytes(0x81, 0x01, 0x41),
    bytes(0x82, 0x0b),
  ]);
  assert.equal(big.frames.length, 1);
  assert.equal(big.error.closeCode, 1009);
  const reserved = await readUntilError({ role: "client" }, [bytes(0x85, 0x00)]);
  assert.equal(reserved.error.closeCode, 1002);
});

// --- FrameWriter ---------------------------------------------------------------

Deno.test('5.7 FrameWriter: a server writes "Hello" unmasked, byte-exact', async () => {
  assert.deepEqual(await writeAll({ role: "server" }, ["Hello"]), [
    bytes(0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f),
  ]);
});

Deno.test('5.7 FrameWriter: a client with a fixed QMaskGenerator writes the RFC\'s masked "Hello"', async () => {
  const generator = new FixedMaskGenerator(RFC_KEY);
  assert.deepEqual(await writeAll({ role: "client", maskGenerator: generator }, ["Hello"]), [
    bytes(0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58),
  ]);
  assert.equal(generator.calls, 1);
});

Deno.test('5.7 FrameWriter: a frame size of 3 splits "Hello" into the RFC\'s "Hel" + "lo"', async () => {
  assert.deepEqual(await writeAll({ role: "server", frameSize: 3 }, ["Hello"]), [
    bytes(0x01, 0x03, 0x48, 0x65, 0x6c),
    bytes(0x80, 0x02, 0x6c, 0x6f),
  ]);
});

Deno.test("5.7 FrameWriter: Frame records go out as they are (the 256-byte binary example, a ping)", async () => {
  const payload = new Uint8Array(256).fill(3);
  const chunks = await writeAll({ role: "server" }, [
    frame(0x2, payload),
    frame(0x9, utf8("Hello")),
  ]);
  assert.deepEqual(chunks, [
    concat(bytes(0x82, 0x7e, 0x01, 0x00), payload),
    bytes(0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f),
  ]);
});

Deno.test("5.4 FrameWriter: a binary message splits into frames of frameSize; one key per frame", async () => {
  const generator = new FixedMaskGenerator(0x11111111, 0x22222222, 0x33333333);
  const data = new Uint8Array(10).map((_, i) => i);
  const chunks = await writeAll({ role: "client", frameSize: 4, maskGenerator: generator }, [data]);
  const expected = [
    [0x02, 0x11111111, data.subarray(0, 4)],
    [0x00, 0x22222222, data.subarray(4, 8)],
    [0x80, 0x33333333, data.subarray(8)],
  ] as const;
  assert.equal(chunks.length, 3);
  expected.forEach(([first, key, part], i) => {
    const masked = part.slice();
    maskByteLoop(masked, key);
    assert.deepEqual(
      chunks[i],
      concat(
        bytes(
          first,
          0x80 | part.length,
          key >>> 24,
          (key >>> 16) & 0xff,
          (key >>> 8) & 0xff,
          key & 0xff,
        ),
        masked,
      ),
    );
  });
  assert.deepEqual(data, new Uint8Array(10).map((_, i) => i), "the caller's bytes are unchanged");
});

Deno.test("5.6 FrameWriter: text is split on UTF-8 character boundaries; each frame is valid UTF-8", async () => {
  const text = "a€😀é€€b😀😀";
  const strict = new TextDecoder("utf-8", { fatal: true });
  for (let frameSize = 4; frameSize <= 12; frameSize++) {
    const chunks = await writeAll({ role: "server", frameSize }, [text]);
    const frames = await readFrames({ role: "client" }, chunks);
    let joined = "";
    frames.forEach((f, i) => {
      assert.equal(f.opcode, i === 0 ? 0x1 : 0x0);
      assert.equal(f.fin, i === frames.length - 1);
      assert.ok(f.payload.length <= frameSize && f.payload.length > 0, `size ${frameSize}`);
      joined += strict.decode(f.payload); // throws if a character was cut
    });
    assert.equal(joined, text);
  }
});

Deno.test("5.3 FrameWriter: the caller's bytes are never changed by client masking", async () => {
  const data = new Uint8Array(1000).map((_, i) => i * 13);
  const copy = data.slice();
  const payload = utf8("ping data");
  await writeAll({ role: "client" }, [data, frame(0x9, payload)]);
  assert.deepEqual(data, copy);
  assert.deepEqual(payload, utf8("ping data"));
});

Deno.test("5.1 FrameWriter to FrameReader: messages round-trip in both directions", async () => {
  const rng = mulberry32(5);
  const inputs: FrameWriterInput[] = [
    "",
    "Hello",
    "κόσμε".repeat(200),
    randomBytes(rng, 70000),
    new Uint8Array(0),
  ];
  for (const [writer, reader] of [["client", "server"], ["server", "client"]] as const) {
    const chunks = await writeAll({ role: writer, frameSize: 1000 }, inputs);
    const frames = await readFrames({ role: reader }, chopRandomly(rng, concat(...chunks), 777));
    // Reassemble the messages from the frames.
    const messages: Array<string | Uint8Array> = [];
    let parts: Uint8Array[] = [];
    let opcode = 0;
    for (const f of frames) {
      if (f.opcode !== 0) opcode = f.opcode;
      parts.push(f.payload);
      if (f.fin) {
        const data = concat(...parts);
        messages.push(opcode === 1 ? new TextDecoder().decode(data) : data);
        parts = [];
      }
    }
    assert.deepEqual(messages, inputs);
  }
});

// --- FrameEncoder ------------------------------------------------------------------

Deno.test("Qt outgoingFrameSize: the default is 512 KiB; a message that size is one frame, one byte more is two", () => {
  assert.equal(DEFAULT_OUTGOING_FRAME_SIZE, 524288);
  const encoder = new FrameEncoder({ role: "server" });
  assert.equal(encoder.frameSize, 524288);
  assert.equal(encoder.encodeMessage(0x2, new Uint8Array(524288)).length, 1);
  const two = encoder.encodeMessage(0x2, new Uint8Array(524289));
  assert.equal(two.length, 2);
  assert.deepEqual(two[1], bytes(0x80, 0x01, 0x00));
});

Deno.test("5.4 FrameEncoder: frameSize 0 never splits; the setter takes effect", () => {
  const encoder = new FrameEncoder({ role: "server", frameSize: 0 });
  assert.equal(encoder.encodeMessage(0x2, new Uint8Array(2_000_000)).length, 1);
  encoder.frameSize = 500_000;
  assert.equal(encoder.frameSize, 500_000);
  assert.equal(encoder.encodeMessage(0x2, new Uint8Array(2_000_000)).length, 4);
});

Deno.test("5.4 FrameEncoder: RSV bits go on the first frame only; continuations carry opcode 0", () => {
  const encoder = new FrameEncoder({ role: "server", frameSize: 2 });
  const frames = encoder.encodeMessage(0x2, bytes(1, 2, 3, 4, 5), 4);
  assert.deepEqual(frames, [
    bytes(0x42, 0x02, 1, 2),
    bytes(0x00, 0x02, 3, 4),
    bytes(0x80, 0x01, 5),
  ]);
  assert.deepEqual(encoder.encodeMessage(0x1, utf8("x"), 4), [bytes(0xc1, 0x01, 0x78)]);
  assert.deepEqual(encoder.encodeMessage(0x1, new Uint8Array(0)), [bytes(0x81, 0x00)]);
});

Deno.test("5.2 FrameEncoder.encodeFrame: FIN, RSV flags and opcode of a Frame record", () => {
  const encoder = new FrameEncoder({ role: "server" });
  assert.deepEqual(
    encoder.encodeFrame({
      fin: false,
      rsv1: true,
      rsv2: true,
      rsv3: true,
      opcode: 0x2,
      payload: bytes(9),
    }),
    bytes(0x72, 0x01, 9),
  );
});

Deno.test("5.3 FrameEncoder: a client masks every frame, a server never; the mask generator can be swapped", () => {
  const server = new FrameEncoder({ role: "server", maskGenerator: new FixedMaskGenerator() });
  assert.equal(server.maskGenerator, null);
  assert.deepEqual(server.encode(0x81, utf8("Hi")), bytes(0x81, 0x02, 0x48, 0x69));
  server.maskGenerator = new FixedMaskGenerator();
  assert.equal(server.maskGenerator, null);

  const client = new FrameEncoder({ role: "client" });
  assert.ok(client.maskGenerator instanceof DefaultMaskGenerator);
  const fixed = new FixedMaskGenerator(0x01020304);
  client.maskGenerator = fixed;
  assert.equal(client.maskGenerator, fixed);
  const hi = utf8("Hi");
  assert.deepEqual(client.encode(0x81, hi), bytes(0x81, 0x82, 1, 2, 3, 4, 0x48 ^ 1, 0x69 ^ 2));
  client.maskGenerator = null;
  // Read through a function: TypeScript would narrow the property to the null just assigned.
  const restored = ((e: FrameEncoder): QMaskGenerator | null => e.maskGenerator)(client);
  assert.ok(restored instanceof DefaultMaskGenerator, "null restores the default");
  const random = client.encode(0x81, hi);
  assert.equal(random[1], 0x82);
});

Deno.test("5.3 FrameEncoder: a negative int32 from nextMask() is used as its unsigned value", () => {
  const encoder = new FrameEncoder({ role: "client", maskGenerator: new FixedMaskGenerator(-1) });
  assert.deepEqual(
    encoder.encode(0x82, bytes(0x00, 0x0f)),
    bytes(0x82, 0x82, 0xff, 0xff, 0xff, 0xff, 0xff, 0xf0),
  );
});

Deno.test("5.6 FrameEncoder: a frame size below one character never splits the character", () => {
  const encoder = new FrameEncoder({ role: "server", frameSize: 2 });
  const text = "a€b😀";
  const frames = encoder.encodeMessage(0x1, new TextEncoder().encode(text));
  const decoder = new TextDecoder("utf-8", { fatal: true });
  // Every frame's payload (after the 2-byte header) is valid UTF-8 on its own.
  const pieces = frames.map((frame) => decoder.decode(frame.subarray(2)));
  assert.equal(pieces.join(""), text);
  assert.deepEqual(pieces, ["a", "€", "b", "😀"]);
});
