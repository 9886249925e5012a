/**
 * Throughput of the protocol core: frame encoding and decoding, masking
 * (against a plain byte loop) and UTF-8 validation, at 1 KiB, 64 KiB and 1 MiB.
 *
 * Run with `deno bench bench/protocol_bench.ts` (no permissions needed).
 * `deno bench` prints time per iteration; bench/README.md turns the numbers
 * into MB/s (payload bytes / time).
 *
 * @module
 */

import {
  applyMask,
  decodeUtf8,
  encodeFrame,
  FrameEncoder,
  FrameParser,
  QMaskGenerator,
  Utf8StreamDecoder,
} from "../lib/protocol/mod.ts";

const SIZES: ReadonlyArray<readonly [string, number]> = [
  ["1 KiB", 1024],
  ["64 KiB", 65536],
  ["1 MiB", 1048576],
];

// Fewer, longer iterations for the large sizes keep each bench under a second.
function iterations(size: number): { n?: number; warmup?: number } {
  return size >= 1048576 ? { n: 300, warmup: 30 } : {};
}

const KEY = 0x37fa213d;

// A fixed key, so the bench does not measure the random source.
class FixedMask extends QMaskGenerator {
  seed(): boolean {
    return true;
  }
  nextMask(): number {
    return KEY;
  }
}

function payloadOf(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 131 + 7) & 0xff;
  return bytes;
}

// The reference the word-wise applyMask is compared with.
function maskByteLoop(data: Uint8Array, mask: number): void {
  const k0 = mask >>> 24;
  const k1 = (mask >>> 16) & 0xff;
  const k2 = (mask >>> 8) & 0xff;
  const k3 = mask & 0xff;
  const key = [k0, k1, k2, k3];
  for (let i = 0; i < data.length; i++) data[i] ^= key[i & 3]!;
}

// Text of exactly `size` UTF-8 bytes: ASCII only, or a mix of 1- to 4-byte characters.
function textOf(size: number, mixed: boolean): Uint8Array {
  const unit = mixed ? "Grüße, κόσμε! € 😀 — " : "The quick brown fox jumps over the lazy dog. ";
  const encoder = new TextEncoder();
  let text = "";
  while (encoder.encode(text).length < size) text += unit;
  let bytes = encoder.encode(text);
  // Cut back to a character boundary at or below `size`, then pad with ASCII.
  let end = size;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  bytes = bytes.slice(0, size);
  bytes.fill(0x20, end);
  return bytes;
}

let sink = 0;

for (const [label, size] of SIZES) {
  const payload = payloadOf(size);
  const server = new FrameEncoder({ role: "server", frameSize: 0 });
  const client = new FrameEncoder({ role: "client", frameSize: 0, maskGenerator: new FixedMask() });

  Deno.bench({
    name: `encode ${label}, server (unmasked)`,
    group: `encode ${label}`,
    baseline: true,
    ...iterations(size),
    fn() {
      sink ^= server.encode(0x82, payload).length;
    },
  });
  Deno.bench({
    name: `encode ${label}, client (masked)`,
    group: `encode ${label}`,
    ...iterations(size),
    fn() {
      sink ^= client.encode(0x82, payload).length;
    },
  });

  // A masked client frame as a server receives it. The parser unmasks in
  // place, so each run flips the payload between masked and clear text: the
  // work per run is the same.
  const wire = encodeFrame(0x82, payload, KEY);
  const parser = new FrameParser({ role: "server" }, {
    frame(_opcode, _fin, _rsv, data) {
      sink ^= data.length;
    },
  });
  Deno.bench({
    name: `decode ${label}, server (masked), one chunk`,
    group: `decode ${label}`,
    baseline: true,
    ...iterations(size),
    fn() {
      parser.push(wire);
    },
  });
  if (size >= 65536) {
    // The same frame arriving in 16 KiB reads: the accumulate-and-join path.
    const chunks: Uint8Array[] = [];
    for (let at = 0; at < wire.length; at += 16384) chunks.push(wire.subarray(at, at + 16384));
    Deno.bench({
      name: `decode ${label}, server (masked), 16 KiB chunks`,
      group: `decode ${label}`,
      ...iterations(size),
      fn() {
        for (const chunk of chunks) parser.push(chunk);
      },
    });
  }

  const data = payloadOf(size);
  Deno.bench({
    name: `mask ${label}, byte loop`,
    group: `mask ${label}`,
    baseline: true,
    ...iterations(size),
    fn() {
      maskByteLoop(data, KEY);
    },
  });
  Deno.bench({
    name: `mask ${label}, applyMask (word-wise)`,
    group: `mask ${label}`,
    ...iterations(size),
    fn() {
      applyMask(data, KEY);
    },
  });

  const ascii = textOf(size, false);
  const mixed = textOf(size, true);
  Deno.bench({
    name: `utf8 ${label}, decodeUtf8 ASCII`,
    group: `utf8 ${label}`,
    baseline: true,
    ...iterations(size),
    fn() {
      sink ^= decodeUtf8(ascii).length;
    },
  });
  Deno.bench({
    name: `utf8 ${label}, decodeUtf8 mixed`,
    group: `utf8 ${label}`,
    ...iterations(size),
    fn() {
      sink ^= decodeUtf8(mixed).length;
    },
  });
  // Pieces of 4 KiB cut at byte positions, so characters straddle pieces.
  const pieces: Uint8Array[] = [];
  for (let at = 0; at < size; at += 4096) pieces.push(mixed.subarray(at, at + 4096));
  const stream = new Utf8StreamDecoder();
  Deno.bench({
    name: `utf8 ${label}, Utf8StreamDecoder mixed, 4 KiB pieces`,
    group: `utf8 ${label}`,
    ...iterations(size),
    fn() {
      for (const piece of pieces) sink ^= stream.push(piece).length;
      sink ^= stream.finish().length;
    },
  });
}

// Keep the results observable so no work is optimised away.
globalThis.addEventListener("unload", () => {
  if (sink === 0.5) console.log(sink);
});
