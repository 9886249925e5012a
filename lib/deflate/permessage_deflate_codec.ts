/**
 * The permessage-deflate codec (RFC 7692 §7.2) over `node:zlib`: what the
 * protocol core calls to compress outgoing messages and inflate incoming
 * ones, per the parameters agreed in the opening handshake.
 *
 * @module
 */

import { WebSocketProtocolError } from "../protocol/errors.ts";
import type { Role } from "../protocol/frame_parser.ts";
import type { InflateSink, MessageCodec } from "../protocol/message_codec.ts";
import {
  DEFAULT_DEFLATE_THRESHOLD,
  type PerMessageDeflateOptions,
  type PerMessageDeflateParameters,
} from "../protocol/permessage_deflate_params.ts";
import { type DeflateSettings, RawZlib, ZlibDataError } from "./raw_zlib.ts";

// RFC 7692 §7.2.2: the receiver appends the empty stored block's tail that
// the sender stripped.
const TAIL = new Uint8Array([0x00, 0x00, 0xff, 0xff]);
// An empty DEFLATE block with no compression, less that tail (§7.2.3.6).
const EMPTY_BLOCK = new Uint8Array([0x00]);

const DEFAULT_LEVEL = 6;
const DEFAULT_MEM_LEVEL = 8;

// zlib cannot compress with a 256-byte window (raw windowBits 8; madler/zlib
// #171). With 9 it keeps every match within 250 bytes (its window minus the
// 262-byte lookahead), so the output is valid for a peer that agreed to 8,
// which is what Node's zlib (and so ws) do.
function compressorWindowBits(bits: number): number {
  return bits < 9 ? 9 : bits;
}

// Senders without context takeover share one compressor per setting: a
// message is compressed in one synchronous call and the stream is reset
// after it, so no state outlives the call. Such connections then hold no
// compressor memory of their own.
const sharedDeflaters = new Map<string, RawZlib>();

function sharedDeflater(settings: DeflateSettings): RawZlib {
  const key = `${settings.windowBits}/${settings.level}/${settings.memLevel}`;
  let deflater = sharedDeflaters.get(key);
  if (deflater === undefined) {
    deflater = RawZlib.deflater(settings);
    sharedDeflaters.set(key, deflater);
  }
  return deflater;
}

/**
 * permessage-deflate for one connection. Compressor and decompressor are
 * created on first use, so a connection that never sends (or never receives)
 * a compressed message holds no zlib memory for that direction.
 *
 * @example Compress "Hello" as RFC 7692 §7.2.3.1 does
 * ```ts
 * import { PerMessageDeflateCodec } from "./permessage_deflate_codec.ts";
 * import assert from "node:assert/strict";
 *
 * const codec = new PerMessageDeflateCodec("server", {
 *   serverNoContextTakeover: false,
 *   clientNoContextTakeover: false,
 *   serverMaxWindowBits: 15,
 *   clientMaxWindowBits: 15,
 * }, {});
 * const payload = codec.compress(new TextEncoder().encode("Hello"));
 * assert.deepEqual([...payload], [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]);
 * codec.close();
 * ```
 */
export class PerMessageDeflateCodec implements MessageCodec {
  /** Shorter outgoing messages are sent uncompressed; 0 with context takeover. */
  readonly threshold: number;
  readonly #sendSettings: DeflateSettings;
  readonly #sendNoContext: boolean;
  readonly #receiveBits: number;
  readonly #receiveNoContext: boolean;
  #deflater: RawZlib | null = null;
  #inflater: RawZlib | null = null;
  // The peer's DEFLATE stream ended (BFINAL) inside the current message.
  #streamEnded = false;
  // Compressed bytes of the current incoming message so far.
  #received = 0;
  #closed = false;

  /**
   * Creates the codec of one endpoint.
   *
   * @param role Which end this is: it compresses with its own parameters and
   *   inflates with the peer's.
   * @param parameters What the handshake agreed.
   * @param options This end's settings (threshold, level, memory level).
   */
  constructor(
    role: Role,
    parameters: PerMessageDeflateParameters,
    options: PerMessageDeflateOptions,
  ) {
    const server = role === "server";
    this.#sendNoContext = server
      ? parameters.serverNoContextTakeover
      : parameters.clientNoContextTakeover;
    this.#receiveNoContext = server
      ? parameters.clientNoContextTakeover
      : parameters.serverNoContextTakeover;
    this.#sendSettings = {
      windowBits: compressorWindowBits(
        server ? parameters.serverMaxWindowBits : parameters.clientMaxWindowBits,
      ),
      level: options.level ?? DEFAULT_LEVEL,
      memLevel: options.memLevel ?? DEFAULT_MEM_LEVEL,
    };
    this.#receiveBits = server ? parameters.clientMaxWindowBits : parameters.serverMaxWindowBits;
    this.threshold = this.#sendNoContext ? options.threshold ?? DEFAULT_DEFLATE_THRESHOLD : 0;
  }

  /**
   * Compresses one message (RFC 7692 §7.2.1): sync flush, then the trailing
   * `00 00 ff ff` removed.
   *
   * @param message The payload.
   * @returns The compressed payload, valid until the next call.
   */
  compress(message: Uint8Array): Uint8Array {
    this.#checkOpen();
    let output: Uint8Array;
    if (this.#sendNoContext) {
      const deflater = sharedDeflater(this.#sendSettings);
      try {
        output = deflater.deflate(message);
      } finally {
        deflater.reset();
      }
    } else {
      output = (this.#deflater ??= RawZlib.deflater(this.#sendSettings)).deflate(message);
    }
    // With nothing pending since the last flush (an empty message after
    // another one), zlib writes no flush block at all. An empty payload would
    // not inflate (the appended tail alone is a broken stored block), so send
    // the empty block that RFC 7692 §7.2.3.6 describes: 00.
    if (output.length === 0) return EMPTY_BLOCK;
    // Otherwise a sync flush ends with an empty stored block: 00 00 ff ff.
    return output.subarray(0, output.length - TAIL.length);
  }

  /**
   * Inflates a piece of a compressed message.
   *
   * @param piece Compressed bytes.
   * @param sink Receives the output.
   * @throws {WebSocketProtocolError} 1007 when the data is not valid DEFLATE.
   */
  decompress(piece: Uint8Array, sink: InflateSink): void {
    this.#checkOpen();
    if (piece.length === 0) return;
    this.#received += piece.length;
    // Bytes after a final block belong to no stream: ignored, as ws does.
    if (this.#streamEnded) return;
    this.#inflate(piece, sink);
  }

  /**
   * Ends a compressed message (RFC 7692 §7.2.2): inflates the appended
   * `00 00 ff ff`, then starts afresh if the peer keeps no context or ended
   * its DEFLATE stream.
   *
   * @param sink Receives the last output.
   * @throws {WebSocketProtocolError} 1007 when the data is not valid DEFLATE.
   */
  endMessage(sink: InflateSink): void {
    this.#checkOpen();
    // An empty payload carries no DEFLATE block at all; it stands for the
    // empty message and leaves the stream alone (appending the tail to
    // nothing would leave zlib inside a stored block).
    if (this.#received > 0 && !this.#streamEnded) this.#inflate(TAIL, sink);
    if (this.#streamEnded || (this.#receiveNoContext && this.#received > 0)) {
      this.#inflater?.reset();
    }
    this.#streamEnded = false;
    this.#received = 0;
  }

  /** Drops a half-inflated message. */
  reset(): void {
    if (this.#closed) return;
    if (this.#received > 0) this.#inflater?.reset();
    this.#streamEnded = false;
    this.#received = 0;
  }

  /** Frees the zlib state of this connection. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#deflater?.close();
    this.#inflater?.close();
    this.#deflater = null;
    this.#inflater = null;
  }

  #inflate(data: Uint8Array, sink: InflateSink): void {
    const inflater = this.#inflater ??= RawZlib.inflater(this.#receiveBits);
    try {
      if (inflater.inflate(data, sink)) this.#streamEnded = true;
    } catch (error) {
      if (error instanceof ZlibDataError) {
        throw new WebSocketProtocolError(
          "EXTENSION_FAILURE",
          1007,
          `Compressed message is not valid DEFLATE data (${error.message})`,
        );
      }
      throw error;
    }
  }

  #checkOpen(): void {
    if (this.#closed) throw new Error("The permessage-deflate codec was closed");
  }
}
