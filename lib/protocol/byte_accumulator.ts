/**
 * Collects the pieces of a payload that arrives in parts, with memory that
 * stays close to the number of bytes held.
 *
 * @module
 */

// Pieces smaller than this are copied into a shared tail buffer, so a peer that
// sends a payload one byte per packet (or per frame) cannot make us hold one
// object, or one whole read buffer, per byte.
const SMALL_PIECE = 4096;

/**
 * An append-only list of byte pieces that joins them once, at the end.
 *
 * Large pieces are kept as they are (no copy until {@linkcode ByteAccumulator.concat});
 * small ones are copied into a growing tail buffer.
 *
 * @example Gather chunks, then join them
 * ```ts
 * import { ByteAccumulator } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * const bytes = new ByteAccumulator();
 * bytes.push(new Uint8Array([1, 2]));
 * bytes.push(new Uint8Array([3]));
 * assert.equal(bytes.length, 3);
 * assert.deepEqual([...bytes.concat()], [1, 2, 3]);
 * ```
 */
export class ByteAccumulator {
  #pieces: Uint8Array[] = [];
  #tail: Uint8Array | null = null;
  #tailUsed = 0;
  #length = 0;

  /** The number of bytes held. */
  get length(): number {
    return this.#length;
  }

  /**
   * Appends a piece. Pieces of 4 KiB or more are kept by reference, so the
   * caller must not change them afterwards.
   *
   * @param piece The bytes to append.
   */
  push(piece: Uint8Array): void {
    const size = piece.length;
    if (size === 0) return;
    this.#length += size;
    if (size >= SMALL_PIECE) {
      this.#sealTail();
      this.#pieces.push(piece);
      return;
    }
    let tail = this.#tail;
    if (tail === null || this.#tailUsed + size > tail.length) {
      this.#sealTail();
      tail = this.#tail = new Uint8Array(Math.max(SMALL_PIECE, size * 2));
    }
    tail.set(piece, this.#tailUsed);
    this.#tailUsed += size;
  }

  /**
   * Returns all bytes as one array and empties the accumulator. A single
   * piece is returned without copying.
   *
   * @returns The joined bytes.
   */
  concat(): Uint8Array {
    this.#sealTail();
    const pieces = this.#pieces;
    const length = this.#length;
    this.#pieces = [];
    this.#length = 0;
    if (pieces.length === 1) return pieces[0]!;
    const joined = new Uint8Array(length);
    let offset = 0;
    for (const piece of pieces) {
      joined.set(piece, offset);
      offset += piece.length;
    }
    return joined;
  }

  /** Drops everything held. */
  clear(): void {
    this.#pieces = [];
    this.#tail = null;
    this.#tailUsed = 0;
    this.#length = 0;
  }

  #sealTail(): void {
    if (this.#tail !== null && this.#tailUsed > 0) {
      this.#pieces.push(this.#tail.subarray(0, this.#tailUsed));
    }
    this.#tail = null;
    this.#tailUsed = 0;
  }
}
