/**
 * Recycled memory for outgoing frames.
 *
 * @module
 */

// Size classes: buffers of 64 B << k bytes, up to 64 KiB.
const MIN_SHIFT = 6;
const MAX_SHIFT = 16;
// Each class keeps up to this many bytes of free buffers, at least 16 and at
// most 1,024 of them: enough for the frames of many connections that wait
// for their writes in the same turn of the event loop.
const CLASS_BYTES = 512 * 1024;
// Larger frames (up to 2 MiB: Qt's default 512 KiB frames and more) come
// from buffers rounded up to 4 KiB and kept whole: a fresh 512 KiB frame
// costs its page faults and zeroing on top of the copy (a client sending
// 1 MiB messages spent 17% of its time in encodeFrame). Four, and 4 MiB, are
// kept for good; up to 64 more only weakly, until V8's next full collection,
// so a 16 MiB message (32 frames, all queued at once) reuses the memory of
// the last one while the messages keep coming (1.29x the throughput of
// 16 MiB echoes), and an idle process gives it back.
const LARGE_MAX = 2 * 1024 * 1024;
const LARGE_KEEP = 4;
const LARGE_BYTES = 4 * 1024 * 1024;
const SPARE_KEEP = 64;

/**
 * Recycles the memory of outgoing frames: a frame taken from the pool is
 * given back once it has been written, and the next frame reuses its
 * memory.
 *
 * In Deno a new `ArrayBuffer` costs about a microsecond and, from a few KiB
 * on, counts as external memory that makes V8 run full collections: echoing
 * 16 KiB messages started one every 15 ms. A frame that is given back
 * instead costs nothing of that. Frames of up to 64 KiB come from size
 * classes that keep many buffers; larger ones, up to 2 MiB, from buffers
 * kept whole (a buffer serves a frame of at least half its size): four for
 * good, up to 64 more only until V8's next full collection.
 *
 * The pool hands out views of `ArrayBuffer`s it keeps; a view may be given
 * back only once nothing refers to it any more (after the write that sent
 * it), and only once. A frame that is never given back (its connection was
 * dropped) is simply collected.
 *
 * @example Reuse the memory of a written frame
 * ```ts
 * import { FrameEncoder, FramePool } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * const pool = new FramePool();
 * const encoder = new FrameEncoder({ role: "server", pool });
 * const first = encoder.encode(0x82, new Uint8Array(1000).fill(1));
 * // ... once `first` is written:
 * pool.give(first);
 * const second = encoder.encode(0x82, new Uint8Array(1000).fill(2));
 * assert.equal(second.buffer, first.buffer);
 * assert.equal(second[4], 2);
 * ```
 */
export class FramePool {
  // Free buffers by size class (index: log2(size) - MIN_SHIFT).
  readonly #free: ArrayBuffer[][] = [];
  readonly #keep: number[] = [];
  // The buffers this pool made: nothing else is ever adopted.
  readonly #own = new WeakSet<ArrayBuffer>();
  // Free buffers of more than 64 KiB, and their total size.
  readonly #large: ArrayBuffer[] = [];
  #largeBytes = 0;
  // Free buffers beyond those, held weakly.
  readonly #spare: WeakRef<ArrayBuffer>[] = [];

  /** Creates an empty pool. */
  constructor() {
    for (let shift = MIN_SHIFT; shift <= MAX_SHIFT; shift++) {
      this.#free.push([]);
      this.#keep.push(Math.min(1024, Math.max(16, CLASS_BYTES >>> shift)));
    }
  }

  /** The largest `offset + length` the pool serves; larger frames allocate their own buffer. */
  static readonly MAX_SIZE: number = LARGE_MAX;

  /**
   * A view of `length` bytes starting `offset` bytes into a pooled buffer
   * (the offset lets a payload start on a 4-byte boundary). Its bytes are
   * left over from earlier frames: write every one of them.
   *
   * @param offset Where the view starts in its buffer (0 to 3).
   * @param length The view's length.
   * @returns The view, or `null` when `offset + length` exceeds {@linkcode FramePool.MAX_SIZE}.
   */
  take(offset: number, length: number): Uint8Array | null {
    const size = offset + length;
    if (size > 1 << MAX_SHIFT) return this.#takeLarge(size, offset, length);
    const index = size <= 64 ? 0 : 32 - MIN_SHIFT - Math.clz32(size - 1);
    let buffer = this.#free[index]!.pop();
    if (buffer === undefined) {
      buffer = new ArrayBuffer(1 << (index + MIN_SHIFT));
      this.#own.add(buffer);
    }
    return new Uint8Array(buffer, offset, length);
  }

  /**
   * Gives back a view that {@linkcode FramePool.take} returned, once nothing
   * refers to its bytes any more, and only once. Views of buffers the pool
   * did not make are ignored.
   *
   * @param frame The view.
   */
  give(frame: Uint8Array): void {
    const buffer = frame.buffer as ArrayBuffer;
    if (!this.#own.has(buffer)) return;
    const bytes = buffer.byteLength;
    if (bytes > 1 << MAX_SHIFT) {
      if (this.#large.length < LARGE_KEEP && this.#largeBytes + bytes <= LARGE_BYTES) {
        this.#large.push(buffer);
        this.#largeBytes += bytes;
      } else if (this.#spare.length < SPARE_KEEP) {
        this.#spare.push(new WeakRef(buffer));
      }
      return;
    }
    const index = 31 - MIN_SHIFT - Math.clz32(buffer.byteLength);
    const free = this.#free[index]!;
    if (free.length < this.#keep[index]!) free.push(buffer);
  }

  #takeLarge(size: number, offset: number, length: number): Uint8Array | null {
    if (size > LARGE_MAX) return null;
    const large = this.#large;
    for (let i = 0; i < large.length; i++) {
      const buffer = large[i]!;
      const bytes = buffer.byteLength;
      // Not more than twice the size: a small frame does not pin a big buffer.
      if (bytes >= size && bytes <= 2 * size) {
        large[i] = large[large.length - 1]!;
        large.pop();
        this.#largeBytes -= bytes;
        return new Uint8Array(buffer, offset, length);
      }
    }
    const spare = this.#spare;
    for (let i = spare.length - 1; i >= 0; i--) {
      const buffer = spare[i]!.deref();
      const bytes = buffer?.byteLength ?? 0;
      if (buffer !== undefined && (bytes < size || bytes > 2 * size)) continue;
      // Taken, or collected: either way the entry goes.
      spare[i] = spare[spare.length - 1]!;
      spare.pop();
      if (buffer !== undefined) return new Uint8Array(buffer, offset, length);
    }
    const buffer = new ArrayBuffer((size + 0xfff) & ~0xfff);
    this.#own.add(buffer);
    return new Uint8Array(buffer, offset, length);
  }
}
