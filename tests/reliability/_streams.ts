/**
 * Valid WebSocket frame streams and their mutations, for the fuzzers. A
 * stream is generated as frames (so mutations can aim at headers, lengths,
 * opcodes and text), then encoded and optionally damaged byte by byte.
 *
 * @module
 */

import type { Prng } from "./_prng.ts";
import { closePayload, concat, encodeFrame, type FrameSpec } from "./_wire.ts";

/** Random text with 1- to 4-byte UTF-8 characters. */
export function randomText(rng: Prng, maxBytes: number): string {
  let text = "";
  let bytes = 0;
  const target = rng.length(maxBytes);
  while (bytes < target) {
    const kind = rng.int(0, 9);
    let cp: number;
    if (kind < 6) cp = rng.int(0x20, 0x7e);
    else if (kind < 8) cp = rng.int(0x80, 0x7ff);
    else if (kind < 9) {
      do cp = rng.int(0x800, 0xffff); while (cp >= 0xd800 && cp <= 0xdfff);
    } else cp = rng.int(0x10000, 0x10ffff);
    const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (bytes + size > target) break;
    text += String.fromCodePoint(cp);
    bytes += size;
  }
  return text;
}

/** Options of {@linkcode generateFrames}. */
export interface StreamOptions {
  /** Whether the frames are masked (a client's frames, read by a server). */
  masked: boolean;
  /** Largest message payload. */
  maxPayload: number;
  /** Largest number of messages. */
  maxMessages?: number;
}

function control(rng: Prng, masked: boolean): FrameSpec {
  const opcode = rng.pick([0x9, 0xa]);
  return {
    fin: true,
    rsv: 0,
    opcode,
    payload: rng.bytes(rng.pick([0, 1, 4, 125, rng.int(0, 125)])),
    mask: masked ? rng.u32() : null,
  };
}

/**
 * A valid sequence of frames: text and binary messages, some fragmented at
 * arbitrary byte offsets (text split inside characters), pings and pongs
 * between fragments, sometimes a close frame at the end.
 */
export function generateFrames(rng: Prng, options: StreamOptions): FrameSpec[] {
  const frames: FrameSpec[] = [];
  const mask = () => (options.masked ? rng.u32() : null);
  const messages = rng.int(0, options.maxMessages ?? 5);
  for (let m = 0; m < messages; m++) {
    if (rng.chance(0.2)) frames.push(control(rng, options.masked));
    const text = rng.chance(0.5);
    const payload = text
      ? new TextEncoder().encode(randomText(rng, options.maxPayload))
      : rng.bytes(rng.length(options.maxPayload));
    const pieces = rng.chance(0.4) ? rng.int(2, 6) : 1;
    const cuts = [0];
    for (let i = 1; i < pieces; i++) cuts.push(rng.int(0, payload.length));
    cuts.sort((a, b) => a - b);
    cuts.push(payload.length);
    for (let i = 0; i < pieces; i++) {
      frames.push({
        fin: i === pieces - 1,
        rsv: 0,
        opcode: i === 0 ? (text ? 0x1 : 0x2) : 0x0,
        payload: payload.subarray(cuts[i]!, cuts[i + 1]!),
        mask: mask(),
      });
      if (i < pieces - 1 && rng.chance(0.2)) frames.push(control(rng, options.masked));
    }
  }
  if (rng.chance(0.3)) {
    const code = rng.pick([1000, 1001, 1003, 1008, 1011, 3000, 4999]);
    frames.push({
      fin: true,
      rsv: 0,
      opcode: 0x8,
      payload: rng.chance(0.2)
        ? new Uint8Array(0)
        : closePayload(code, randomText(rng, 20).slice(0, 20)),
      mask: mask(),
    });
  }
  return frames;
}

// Byte sequences that are never valid UTF-8 wherever they appear.
const BAD_UTF8: readonly number[][] = [
  [0xff],
  [0xc0, 0xaf], // overlong "/"
  [0xed, 0xa0, 0x80], // a UTF-16 surrogate
  [0xf4, 0x90, 0x80, 0x80], // beyond U+10FFFF
  [0x80], // a lone continuation byte
  [0xe2, 0x28, 0xa1],
];

const BAD_CLOSE_CODES = [0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535];

/**
 * Damages frames in ways that aim at the RFC's rules: FIN, RSV, opcodes,
 * mask bits, non-minimal lengths, oversized control frames, invalid UTF-8 in
 * text and close reasons, invalid close codes, and frames dropped, repeated
 * or reordered. Returns new specs; the input is left alone.
 */
export function mutateFrames(rng: Prng, input: readonly FrameSpec[]): FrameSpec[] {
  const frames = input.map((f) => ({ ...f }));
  const count = rng.int(1, 3);
  for (let n = 0; n < count; n++) {
    if (frames.length === 0) {
      frames.push({ fin: true, rsv: 0, opcode: rng.int(0, 15), payload: rng.bytes(3), mask: null });
      continue;
    }
    const i = rng.int(0, frames.length - 1);
    const f = frames[i]!;
    switch (rng.int(0, 12)) {
      case 0:
        f.fin = !f.fin;
        break;
      case 1:
        f.rsv = rng.int(1, 7);
        break;
      case 2:
        f.opcode = rng.int(0, 15);
        break;
      case 3:
        f.mask = f.mask === null ? rng.u32() : null;
        break;
      case 4:
        f.lengthForm = rng.pick(["16", "64"] as const);
        break;
      case 5:
        if (f.opcode >= 8) f.payload = rng.bytes(rng.int(126, 300));
        else f.opcode = rng.pick([0x9, 0xa, 0x8]);
        break;
      case 6: {
        // Invalid UTF-8 somewhere in a text frame (or at a fragment's edge).
        const bad = rng.pick(BAD_UTF8);
        const at = rng.int(0, f.payload.length);
        f.payload = concat([
          f.payload.subarray(0, at),
          new Uint8Array(bad),
          f.payload.subarray(at),
        ]);
        if (f.opcode === 0x2) f.opcode = 0x1;
        break;
      }
      case 7: {
        // A text frame that ends inside a character.
        f.payload = concat([
          f.payload,
          new Uint8Array(rng.pick([[0xc3], [0xe2, 0x82], [0xf0, 0x9f, 0x98]])),
        ]);
        break;
      }
      case 8:
        f.opcode = 0x8;
        f.fin = true;
        f.payload = rng.pick([
          new Uint8Array([rng.int(0, 255)]),
          closePayload(rng.pick(BAD_CLOSE_CODES), "bye"),
          closePayload(1000, new Uint8Array(rng.pick(BAD_UTF8))),
          closePayload(rng.pick([1000, 1002, 1007, 1012, 1014, 3000, 4000])),
        ]);
        break;
      case 9:
        frames.splice(i, 1);
        break;
      case 10:
        frames.splice(i, 0, { ...f });
        break;
      case 11: {
        const j = rng.int(0, frames.length - 1);
        frames[i] = frames[j]!;
        frames[j] = f;
        break;
      }
      case 12:
        frames.splice(i, 0, {
          fin: rng.chance(0.5),
          rsv: 0,
          opcode: 0x0,
          payload: rng.bytes(rng.int(0, 10)),
          mask: f.mask === null ? null : rng.u32(),
        });
        break;
    }
  }
  return frames;
}

/** Encodes frames, remembering where each header starts. */
export function encodeFrames(
  frames: readonly FrameSpec[],
): { bytes: Uint8Array; starts: number[] } {
  const encoded = frames.map(encodeFrame);
  const starts: number[] = [];
  let at = 0;
  for (const frame of encoded) {
    starts.push(at);
    at += frame.length;
  }
  return { bytes: concat(encoded), starts };
}

// 64-bit lengths that break limits or the RFC: 2^63 and up (the reserved
// MSB), 2^53 (not representable), 2^32, just over the server's limits.
const HOSTILE_LENGTHS: readonly bigint[] = [
  2n ** 64n - 1n,
  2n ** 63n,
  2n ** 53n,
  2n ** 53n - 1n,
  2n ** 32n,
  2n ** 31n - 1n,
  16n * 1024n * 1024n + 1n,
  65536n,
  65535n,
  126n,
  0n,
];

/**
 * Damages encoded bytes: bit flips, random bytes, insertions, deletions,
 * repeats, truncation, and length fields rewritten in place (`starts` are
 * the header offsets of the frames).
 */
export function mutateBytes(rng: Prng, input: Uint8Array, starts: readonly number[]): Uint8Array {
  let bytes: Uint8Array = input.slice();
  const count = rng.int(1, 4);
  for (let n = 0; n < count; n++) {
    const op = rng.int(0, 6);
    if (bytes.length === 0 && op !== 2) {
      bytes = rng.bytes(rng.int(1, 16));
      continue;
    }
    const at = rng.int(0, Math.max(0, bytes.length - 1));
    switch (op) {
      case 0:
        bytes[at]! ^= 1 << rng.int(0, 7);
        break;
      case 1:
        bytes[at] = rng.int(0, 255);
        break;
      case 2: {
        const extra = rng.bytes(rng.int(1, 16));
        bytes = concat([bytes.subarray(0, at), extra, bytes.subarray(at)]);
        break;
      }
      case 3:
        bytes = concat([bytes.subarray(0, at), bytes.subarray(at + rng.int(1, 16))]);
        break;
      case 4: {
        const end = Math.min(bytes.length, at + rng.int(1, 32));
        bytes = concat([bytes.subarray(0, end), bytes.subarray(at, end), bytes.subarray(end)]);
        break;
      }
      case 5:
        bytes = bytes.slice(0, at);
        break;
      case 6: {
        // Rewrite a header's length field as a 64-bit length, keeping the
        // mask bit, and leave the rest of the stream as it was.
        const start = starts.length > 0 ? rng.pick(starts) : 0;
        if (start + 2 > bytes.length) break;
        const b1 = bytes[start + 1]!;
        const code = b1 & 0x7f;
        const oldExtended = code === 126 ? 2 : code === 127 ? 8 : 0;
        const length = rng.pick(HOSTILE_LENGTHS);
        const field = new Uint8Array(8);
        new DataView(field.buffer).setBigUint64(0, length);
        bytes = concat([
          bytes.subarray(0, start),
          new Uint8Array([bytes[start]!, (b1 & 0x80) | 127]),
          field,
          bytes.subarray(start + 2 + oldExtended),
        ]);
        break;
      }
    }
  }
  return bytes;
}

/**
 * A fuzz input for a receiver: a valid stream (30%), a stream with damaged
 * frames (35%), damaged bytes (25%), or pure noise (10%).
 */
export function fuzzStream(rng: Prng, options: StreamOptions): { bytes: Uint8Array; kind: string } {
  const frames = generateFrames(rng, options);
  const roll = rng.next();
  if (roll < 0.3) return { bytes: encodeFrames(frames).bytes, kind: "valid" };
  if (roll < 0.65) {
    const mutated = mutateFrames(rng, frames);
    const { bytes, starts } = encodeFrames(mutated);
    return rng.chance(0.3)
      ? { bytes: mutateBytes(rng, bytes, starts), kind: "frames+bytes" }
      : { bytes, kind: "frames" };
  }
  if (roll < 0.9) {
    const { bytes, starts } = encodeFrames(frames);
    return { bytes: mutateBytes(rng, bytes, starts), kind: "bytes" };
  }
  return { bytes: rng.bytes(rng.int(0, 300)), kind: "noise" };
}
