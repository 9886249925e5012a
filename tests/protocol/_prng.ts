/**
 * A small seeded pseudo-random generator for reproducible test data: the same
 * seed always gives the same payloads and the same chunk boundaries, so a
 * failure found with seed N can be replayed.
 *
 * @module
 */

/** A function returning numbers in [0, 1), like `Math.random`. */
export type Rng = () => number;

/**
 * mulberry32 (Tommy Ettinger, public domain): 32 bits of state, good enough
 * to pick lengths and chunk sizes, and fast.
 *
 * @param seed Any 32-bit integer.
 * @returns A generator of numbers in [0, 1).
 */
export function mulberry32(seed: number): Rng {
  let state = seed | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [min, max], both included. */
export function randomInt(rng: Rng, min: number, max: number): number {
  return min + Math.floor(rng() * (max - min + 1));
}

/** `length` random bytes. */
export function randomBytes(rng: Rng, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(rng() * 256);
  return bytes;
}

/** One element of `items`, chosen at random. */
export function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)]!;
}

/**
 * Cuts `bytes` into consecutive views of 1 to `maxChunk` bytes each.
 *
 * @param rng The generator that picks the sizes.
 * @param bytes The bytes to cut.
 * @param maxChunk The largest chunk.
 * @returns Views of `bytes` that together cover it in order.
 */
export function chopRandomly(rng: Rng, bytes: Uint8Array, maxChunk: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    const size = randomInt(rng, 1, maxChunk);
    chunks.push(bytes.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

/** Cuts `bytes` into 1-byte views. */
export function chopBytewise(bytes: Uint8Array): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i++) chunks.push(bytes.subarray(i, i + 1));
  return chunks;
}
