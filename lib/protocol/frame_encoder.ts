/**
 * The send side: messages and frames to bytes, fragmented and masked.
 *
 * @module
 */

import { encodeFrame, firstHeaderByte, type Frame } from "./frame.ts";
import type { FramePool } from "./frame_pool.ts";
import type { Role } from "./frame_parser.ts";
import { DefaultMaskGenerator, type QMaskGenerator } from "./qmask_generator.ts";

/**
 * Options of a {@linkcode FrameEncoder}.
 *
 * @example A client that splits messages into 4-byte frames
 * ```ts
 * import { FrameEncoder, type FrameEncoderOptions } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * const options: FrameEncoderOptions = { role: "client", frameSize: 4 };
 * const frames = new FrameEncoder(options).encodeMessage(0x1, new TextEncoder().encode("Hello!"));
 * // Each frame: 2 header bytes, a 4-byte masking key, then its payload.
 * assert.deepEqual(frames.map((frame) => frame.length), [2 + 4 + 4, 2 + 4 + 2]);
 * ```
 */
export interface FrameEncoderOptions {
  /** Which end sends: a client masks every frame (RFC 6455 §5.3), a server never does. */
  role: Role;
  /** Messages longer than this go out in several frames; 0 never splits (default 512 KiB). */
  frameSize?: number;
  /** Where a client gets its masking keys (default: a {@linkcode DefaultMaskGenerator}). */
  maskGenerator?: QMaskGenerator | null;
  /**
   * Where frames of up to 2 MiB get their memory; whoever writes them gives
   * them back (default: none, every frame is a new buffer).
   */
  pool?: FramePool | null;
}

/**
 * Qt's default outgoing frame size: 512 KiB.
 *
 * @example A 1 MiB message leaves in two frames
 * ```ts
 * import { DEFAULT_OUTGOING_FRAME_SIZE, FrameEncoder } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * const encoder = new FrameEncoder({ role: "server" });
 * assert.equal(encoder.frameSize, DEFAULT_OUTGOING_FRAME_SIZE);
 * const frames = encoder.encodeMessage(0x2, new Uint8Array(2 * DEFAULT_OUTGOING_FRAME_SIZE));
 * assert.equal(frames.length, 2);
 * ```
 */
export const DEFAULT_OUTGOING_FRAME_SIZE = 524288;

/**
 * Encodes frames and messages for one endpoint. Each frame is one buffer
 * (header and payload together); the caller's data is copied, never changed.
 *
 * @example A server splits a message into 2-byte frames
 * ```ts
 * import { FrameEncoder } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * const encoder = new FrameEncoder({ role: "server", frameSize: 2 });
 * const frames = encoder.encodeMessage(0x2, new Uint8Array([1, 2, 3]));
 * assert.deepEqual(frames.map((f) => [...f]), [[0x02, 2, 1, 2], [0x80, 1, 3]]);
 * ```
 */
export class FrameEncoder {
  readonly #role: Role;
  #frameSize: number;
  #maskGenerator: QMaskGenerator | null;
  readonly #pool: FramePool | null;

  /**
   * Creates an encoder.
   *
   * @param options The role, frame size and mask source.
   */
  constructor(options: FrameEncoderOptions) {
    this.#role = options.role;
    this.#frameSize = options.frameSize ?? DEFAULT_OUTGOING_FRAME_SIZE;
    this.#pool = options.pool ?? null;
    this.#maskGenerator = options.role === "client"
      ? options.maskGenerator ?? new DefaultMaskGenerator()
      : null;
  }

  /** Messages longer than this go out in several frames; 0 never splits. */
  get frameSize(): number {
    return this.#frameSize;
  }

  set frameSize(size: number) {
    this.#frameSize = size;
  }

  /** The client's mask source; `null` on a server. */
  get maskGenerator(): QMaskGenerator | null {
    return this.#maskGenerator;
  }

  set maskGenerator(generator: QMaskGenerator | null) {
    if (this.#role === "client") this.#maskGenerator = generator ?? new DefaultMaskGenerator();
  }

  /**
   * Encodes one frame.
   *
   * @param firstByte FIN, RSV1–3 and opcode, as on the wire.
   * @param payload The payload (not changed).
   * @returns The frame's bytes.
   */
  encode(firstByte: number, payload: Uint8Array): Uint8Array {
    const generator = this.#maskGenerator;
    return generator === null
      ? encodeFrame(firstByte, payload, undefined, this.#pool)
      : encodeFrame(firstByte, payload, generator.nextMask() >>> 0, this.#pool);
  }

  /**
   * Encodes a {@linkcode Frame} record.
   *
   * @param frame The frame.
   * @returns The frame's bytes.
   */
  encodeFrame(frame: Frame): Uint8Array {
    const rsv = (frame.rsv1 ? 4 : 0) | (frame.rsv2 ? 2 : 0) | (frame.rsv3 ? 1 : 0);
    return this.encode(firstHeaderByte(frame.fin, rsv, frame.opcode), frame.payload);
  }

  /**
   * Encodes a message as one frame, or as several when it is longer than
   * `frameSize`: the first with `opcode`, the rest continuations, the last
   * with FIN. Text (opcode 1) is split on UTF-8 character boundaries so a peer
   * that checks each frame on its own still sees valid UTF-8, unless `rsv` is
   * set: an extension's payload (compressed text) has no characters to keep whole.
   *
   * @param opcode 1 (text, `data` is UTF-8) or 2 (binary).
   * @param data The payload.
   * @param rsv RSV bits for the first frame (RSV1 is 4), for extensions.
   * @returns The frames' bytes, in order.
   */
  encodeMessage(opcode: number, data: Uint8Array, rsv = 0): Uint8Array[] {
    const total = data.length;
    const frameSize = this.#frameSize;
    const first = firstHeaderByte(true, rsv, opcode);
    if (frameSize === 0 || total <= frameSize) return [this.encode(first, data)];
    const frames: Uint8Array[] = [];
    let offset = 0;
    while (offset < total) {
      let end = Math.min(offset + frameSize, total);
      if (opcode === 0x1 && rsv === 0 && end < total) {
        let cut = end;
        // Step back over UTF-8 continuation bytes (10xxxxxx).
        while (cut > offset && (data[cut]! & 0xc0) === 0x80) cut--;
        if (cut > offset) {
          end = cut;
        } else {
          // A frame size below one character (under 4 bytes): take the whole
          // character rather than cut it.
          while (end < total && (data[end]! & 0xc0) === 0x80) end++;
        }
      }
      const fin = end === total;
      const head = offset === 0 ? first & 0x7f : 0x00;
      frames.push(this.encode(fin ? head | 0x80 : head, data.subarray(offset, end)));
      offset = end;
    }
    return frames;
  }
}
