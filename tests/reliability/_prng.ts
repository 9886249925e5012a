/**
 * A seeded pseudo-random generator for the fuzzers: the same seed gives the
 * same inputs and the same chunk boundaries, so any failure is replayed with
 * `deno task fuzz --seed N`.
 *
 * @module
 */

/**
 * mulberry32 (Tommy Ettinger, public domain): 32 bits of state, fast, and
 * plenty for picking lengths, offsets and mutations.
 */
export class Prng {
  #state: number;

  /** @param seed Any integer; only its low 32 bits count. */
  constructor(seed: number) {
    this.#state = seed | 0;
  }

  /** A number in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) | 0;
    let t = Math.imul(this.#state ^ (this.#state >>> 15), 1 | this.#state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** A 32-bit unsigned integer. */
  u32(): number {
    return Math.floor(this.next() * 4294967296) >>> 0;
  }

  /** `true` with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One of `items`. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** `length` random bytes. */
  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = Math.floor(this.next() * 256);
    return out;
  }

  /** A length skewed towards small values and the RFC 6455 length boundaries. */
  length(max: number): number {
    const boundaries = [0, 1, 2, 125, 126, 127, 65535, 65536].filter((n) => n <= max);
    if (this.chance(0.15)) return this.pick(boundaries);
    return Math.min(max, Math.floor(Math.pow(this.next(), 3) * (max + 1)));
  }

  /**
   * Cuts `bytes` into consecutive views of 1 to `maxChunk` bytes (sometimes
   * one byte each, sometimes whole).
   */
  chop(bytes: Uint8Array, maxChunk = 64): Uint8Array[] {
    const mode = this.int(0, 9);
    if (mode === 0) return bytes.length === 0 ? [] : [bytes];
    const limit = mode === 1 ? 1 : maxChunk;
    const chunks: Uint8Array[] = [];
    for (let at = 0; at < bytes.length;) {
      const size = this.int(1, limit);
      chunks.push(bytes.subarray(at, at + size));
      at += size;
    }
    return chunks;
  }
}

/**
 * Derives an independent seed for one fuzz target from the run's seed, so one
 * printed seed replays every target.
 */
export function deriveSeed(seed: number, target: string): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (let i = 0; i < target.length; i++) {
    h = Math.imul(h ^ target.charCodeAt(i), 0x01000193) >>> 0;
  }
  return h;
}
