/**
 * The seam between the protocol core and a per-message compression codec
 * (RFC 7692). The core decides which messages and frames are compressed and
 * enforces the limits; the codec only turns bytes into bytes, synchronously,
 * so message order needs no queue and the core stays free of I/O.
 *
 * @module
 */

/**
 * Receives inflated bytes. `chunk` is a view that is valid only during the
 * call (the codec reuses its buffer): copy what must be kept. Throwing stops
 * the inflation at once, before more output is produced (how the core stops a
 * message that inflates beyond its size limit).
 *
 * @example A sink that keeps the output and stops past a limit
 * ```ts
 * import { type InflateSink, WebSocketProtocolError } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * const kept: Uint8Array[] = [];
 * let size = 0;
 * const sink: InflateSink = (chunk) => {
 *   size += chunk.length;
 *   if (size > 1024) {
 *     throw new WebSocketProtocolError("MESSAGE_TOO_BIG", 1009, "The message inflates past 1 KiB");
 *   }
 *   kept.push(chunk.slice()); // the view is only valid during the call
 * };
 * // A codec calls it as output is produced:
 * sink(new Uint8Array(1000));
 * assert.throws(() => sink(new Uint8Array(100)), { closeCode: 1009 });
 * assert.equal(kept.length, 1);
 * ```
 */
export type InflateSink = (chunk: Uint8Array) => void;

/**
 * A negotiated per-message compression codec, such as permessage-deflate.
 * Implementations are synchronous.
 *
 * @example A codec that stores messages as they are (for tests)
 * ```ts
 * import type { InflateSink, MessageCodec } from "@qtws/websockets/protocol";
 *
 * class IdentityCodec implements MessageCodec {
 *   readonly threshold = 0;
 *   compress(message: Uint8Array): Uint8Array {
 *     return message;
 *   }
 *   decompress(piece: Uint8Array, sink: InflateSink): void {
 *     if (piece.length > 0) sink(piece);
 *   }
 *   endMessage(_sink: InflateSink): void {}
 *   reset(): void {}
 *   close(): void {}
 * }
 * ```
 */
export interface MessageCodec {
  /**
   * Outgoing messages shorter than this many bytes are sent uncompressed
   * (0: compress every message).
   */
  readonly threshold: number;
  /**
   * Compresses one whole outgoing message.
   *
   * @param message The message's payload.
   * @returns The compressed payload (for permessage-deflate, without the
   *   trailing `00 00 ff ff`); may be a view that is valid only until the
   *   next call.
   */
  compress(message: Uint8Array): Uint8Array;
  /**
   * Decompresses the next piece of an incoming compressed message, handing
   * the output to `sink` as it is produced.
   *
   * @param piece Compressed bytes, in order.
   * @param sink Receives the output.
   * @throws {WebSocketProtocolError} 1007 when the data is not valid; whatever `sink` throws.
   */
  decompress(piece: Uint8Array, sink: InflateSink): void;
  /**
   * Ends an incoming message: flushes what remains to `sink` and, when no
   * context is kept, forgets the message's history.
   *
   * @param sink Receives the last output.
   * @throws {WebSocketProtocolError} 1007 when the data is not valid; whatever `sink` throws.
   */
  endMessage(sink: InflateSink): void;
  /** Drops a half-received message after a failure. */
  reset(): void;
  /** Releases the codec's resources; it is not used afterwards. */
  close(): void;
}
