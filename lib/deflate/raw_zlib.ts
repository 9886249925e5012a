/**
 * Raw DEFLATE streams from Deno's built-in `node:zlib`, driven synchronously.
 *
 * `node:zlib` offers persistent streams only asynchronously, and its `*Sync`
 * functions (`_processChunk` without a callback) close the stream after one
 * call, as Node's do. Each stream's native handle, however, has a
 * synchronous `writeSync(flush, in, inOffset, inLength, out, outOffset,
 * outLength)` that leaves the bytes still free in `out` and still unread in
 * `in` in the stream's `_writeState`, and reports errors through
 * `handle.onerror(message, errno)` before returning. That is the binding
 * Node's own `zlibBufferSync` loop uses, and Deno 2 implements it the same
 * way. Driving it directly gives a stream that keeps its LZ77 window between
 * calls (context takeover) with no promise per message.
 *
 * These are internals of `node:zlib`: {@linkcode rawZlibAvailable} checks,
 * once per process, that they exist and round-trip RFC 7692's example; when
 * they do not, qtws negotiates no compression rather than fail.
 *
 * @module
 */

import { constants, createDeflateRaw, createInflateRaw } from "node:zlib";

const Z_SYNC_FLUSH = constants.Z_SYNC_FLUSH;

// Output is produced into one shared buffer per direction: zlib runs
// synchronously, so only one call is ever in progress, and each consumer is
// done with a chunk before the next call (see InflateSink).
const SCRATCH_SIZE = 64 * 1024;
let inflateScratch: Uint8Array | null = null;
let deflateScratch: Uint8Array | null = null;

interface NativeHandle {
  writeSync(
    flush: number,
    input: Uint8Array,
    inOffset: number,
    inLength: number,
    output: Uint8Array,
    outOffset: number,
    outLength: number,
  ): unknown;
  reset(): unknown;
  onerror?: (message: string, errno: number) => void;
}

interface StreamInternals {
  _handle?: NativeHandle | null;
  _writeState?: unknown;
  close(): void;
}

/** Settings of a compressing stream. */
export interface DeflateSettings {
  /** Window size as a base-2 logarithm, 9–15. */
  windowBits: number;
  /** Compression level, 0–9. */
  level: number;
  /** Memory level, 1–9. */
  memLevel: number;
}

/** A failure reported by zlib (corrupt input). */
export class ZlibDataError extends Error {
  /** zlib's error number (Z_DATA_ERROR is -3). */
  readonly errno: number;

  /**
   * @param message zlib's message, e.g. "invalid block type".
   * @param errno zlib's error number.
   */
  constructor(message: string, errno: number) {
    super(message);
    this.name = "ZlibDataError";
    this.errno = errno;
  }
}

/**
 * One raw DEFLATE stream (compressing or decompressing) with its native
 * state. Not thread-safe and not re-entrant; close it when done, since the
 * native memory (see docs/permessage-deflate.md) is freed only then.
 */
export class RawZlib {
  readonly #stream: StreamInternals;
  readonly #handle: NativeHandle;
  readonly #state: Uint32Array;
  #error: ZlibDataError | null = null;
  #closed = false;

  private constructor(stream: StreamInternals) {
    const handle = stream._handle;
    const state = stream._writeState;
    if (
      handle === null || handle === undefined || typeof handle.writeSync !== "function" ||
      typeof handle.reset !== "function" || !(state instanceof Uint32Array)
    ) {
      stream.close();
      throw new Error("node:zlib has no synchronous stream handle in this runtime");
    }
    this.#stream = stream;
    this.#handle = handle;
    this.#state = state;
    // Replaces the stream's own handler, which would emit an async 'error'.
    handle.onerror = (message, errno) => {
      this.#error ??= new ZlibDataError(message, errno);
    };
  }

  /**
   * A compressing stream.
   *
   * @param settings Window, level and memory level.
   * @returns The stream.
   */
  static deflater(settings: DeflateSettings): RawZlib {
    return new RawZlib(
      createDeflateRaw({
        windowBits: settings.windowBits,
        level: settings.level,
        memLevel: settings.memLevel,
        // The stream's own output buffer is never used: keep it minimal.
        chunkSize: 64,
      }) as unknown as StreamInternals,
    );
  }

  /**
   * A decompressing stream.
   *
   * @param windowBits The peer's window, 8–15.
   * @returns The stream.
   */
  static inflater(windowBits: number): RawZlib {
    return new RawZlib(
      createInflateRaw({ windowBits, chunkSize: 64 }) as unknown as StreamInternals,
    );
  }

  /**
   * Compresses `input` and flushes with Z_SYNC_FLUSH, so the output ends on a
   * byte boundary with an empty stored block (`00 00 ff ff`).
   *
   * @param input The bytes to compress.
   * @returns The output; a view of a shared buffer when it fits one, valid
   *   until the next call on any deflater.
   */
  deflate(input: Uint8Array): Uint8Array {
    let out = deflateScratch ??= new Uint8Array(SCRATCH_SIZE);
    let filled = 0;
    let inOffset = 0;
    let inLength = input.length;
    for (;;) {
      this.#write(input, inOffset, inLength, out, filled);
      const freeAfter = this.#state[0]!;
      const unread = this.#state[1]!;
      filled = out.length - freeAfter;
      inOffset += inLength - unread;
      inLength = unread;
      if (freeAfter > 0) return out.subarray(0, filled);
      // Out of room: continue in a larger, private buffer.
      const larger = new Uint8Array(Math.max(out.length * 2, filled + inLength + 1024));
      larger.set(out.subarray(0, filled));
      out = larger;
    }
  }

  /**
   * Decompresses `input`, handing output to `sink` in chunks of at most 64
   * KiB as it is produced; `sink` may throw to stop at once.
   *
   * @param input Compressed bytes.
   * @param sink Receives views of a shared buffer, valid during the call.
   * @returns `true` when the DEFLATE stream ended (a block with BFINAL set):
   *   the rest of `input` was not read.
   * @throws {ZlibDataError} When the input is not valid DEFLATE data.
   */
  inflate(input: Uint8Array, sink: (chunk: Uint8Array) => void): boolean {
    const out = inflateScratch ??= new Uint8Array(SCRATCH_SIZE);
    let inOffset = 0;
    let inLength = input.length;
    for (;;) {
      this.#write(input, inOffset, inLength, out, 0);
      const freeAfter = this.#state[0]!;
      const unread = this.#state[1]!;
      inOffset += inLength - unread;
      inLength = unread;
      const produced = out.length - freeAfter;
      if (produced > 0) sink(out.subarray(0, produced));
      // Room left in the output means zlib took all it could: either all the
      // input, or it stopped at the end of the stream.
      if (freeAfter > 0) return unread > 0;
    }
  }

  /** Starts a new stream with an empty window (deflateReset / inflateReset). */
  reset(): void {
    if (this.#closed) return;
    this.#error = null;
    this.#handle.reset();
  }

  /** Frees the native state; the stream is unusable afterwards. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stream.close();
  }

  #write(
    input: Uint8Array,
    inOffset: number,
    inLength: number,
    out: Uint8Array,
    outOffset: number,
  ): void {
    if (this.#closed) throw new Error("The zlib stream is closed");
    this.#handle.writeSync(
      Z_SYNC_FLUSH,
      input,
      inOffset,
      inLength,
      out,
      outOffset,
      out.length - outOffset,
    );
    const error = this.#error;
    if (error !== null) throw error;
  }
}

let available: boolean | null = null;

/**
 * Whether this runtime's `node:zlib` can be driven synchronously: checked
 * once, by compressing and inflating "Hello" twice and comparing with RFC
 * 7692 §7.2.3.2's bytes (`f2 48 cd c9 c9 07 00`, then `f2 00 11 00 00` with
 * the shared window).
 *
 * @returns `true` when permessage-deflate can be offered and accepted.
 */
export function rawZlibAvailable(): boolean {
  if (available !== null) return available;
  available = false;
  let deflater: RawZlib | null = null;
  let inflater: RawZlib | null = null;
  try {
    deflater = RawZlib.deflater({ windowBits: 15, level: 6, memLevel: 8 });
    inflater = RawZlib.inflater(15);
    const hello = new Uint8Array([0x48, 0x65, 0x6c, 0x6c, 0x6f]);
    const first = hex(deflater.deflate(hello));
    const second = hex(deflater.deflate(hello));
    let text = "";
    const sink = (chunk: Uint8Array) => (text += String.fromCharCode(...chunk));
    inflater.inflate(
      new Uint8Array([0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00, 0x00, 0xff, 0xff]),
      sink,
    );
    inflater.inflate(new Uint8Array([0xf2, 0x00, 0x11, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff]), sink);
    available = first === "f248cdc9c907000000ffff" && second === "f2001100000000ffff" &&
      text === "HelloHello";
  } catch {
    available = false;
  } finally {
    deflater?.close();
    inflater?.close();
  }
  return available;
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
