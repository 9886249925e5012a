/**
 * The incremental frame parser: bytes in, frames out, with every rule of
 * RFC 6455 §5.2 that a single frame can break checked as soon as the header is
 * read, before any of its payload is held.
 *
 * @module
 */

import { ByteAccumulator } from "./byte_accumulator.ts";
import { WebSocketProtocolError } from "./errors.ts";
import { EMPTY_PAYLOAD, MAX_CONTROL_PAYLOAD, MAX_HEADER_SIZE } from "./frame.ts";
import { applyMask, readMaskKey } from "./mask.ts";

/**
 * Which end of the connection an endpoint is.
 *
 * @example Clients mask what they send, servers never do (RFC 6455 §5.3)
 * ```ts
 * import { FrameEncoder, type Role } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * function maskBit(role: Role): number {
 *   const [frame] = new FrameEncoder({ role }).encodeMessage(0x1, new Uint8Array([0x68]));
 *   return frame![1]! & 0x80;
 * }
 * assert.equal(maskBit("client"), 0x80);
 * assert.equal(maskBit("server"), 0);
 * ```
 */
export type Role = "client" | "server";

/**
 * The largest frame this implementation accepts: Qt's limit (`INT_MAX - 1`),
 * which fits any `Uint8Array` V8 can allocate.
 *
 * @example The default limit, checked on the header alone
 * ```ts
 * import { encodeFrameHeader, FrameParser, MAX_FRAME_SIZE } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * const parser = new FrameParser({ role: "client" }, { frame() {} });
 * assert.equal(parser.maxFrameSize, MAX_FRAME_SIZE);
 * // A frame that announces more fails with 1009 before any payload is held.
 * const header = encodeFrameHeader(0x82, MAX_FRAME_SIZE + 1);
 * assert.throws(() => parser.push(header), { code: "FRAME_TOO_BIG", closeCode: 1009 });
 * ```
 */
export const MAX_FRAME_SIZE = 2147483646;

/**
 * Options of a {@linkcode FrameParser}.
 *
 * @example A server with a 64 KiB frame limit and permessage-deflate's RSV1
 * ```ts
 * import { encodeFrame, FrameParser, type FrameParserOptions } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * const options: FrameParserOptions = { role: "server", maxFrameSize: 65536, allowedRsv: 4 };
 * const sizes: number[] = [];
 * const parser = new FrameParser(options, {
 *   frame(_opcode, _fin, _rsv, payload) {
 *     sizes.push(payload.length);
 *   },
 * });
 * parser.push(encodeFrame(0xc2, new Uint8Array(10), 0x01020304)); // RSV1 set: allowed
 * assert.deepEqual(sizes, [10]);
 * const tooBig = encodeFrame(0x82, new Uint8Array(65537), 0x01020304);
 * assert.throws(() => parser.push(tooBig), { closeCode: 1009 });
 * ```
 */
export interface FrameParserOptions {
  /**
   * The role of the endpoint that receives the frames. A server requires
   * every frame to be masked; a client refuses masked frames (RFC 6455 §5.1).
   */
  role: Role;
  /** The largest payload a frame may declare; larger frames fail with 1009. */
  maxFrameSize?: number;
  /**
   * The RSV bits that negotiated extensions use, as a 3-bit number (RSV1 is 4,
   * RSV2 is 2, RSV3 is 1). Frames with any other RSV bit set fail with 1002.
   */
  allowedRsv?: number;
}

/**
 * Receives what a {@linkcode FrameParser} reads.
 *
 * @example Refuse big frames on their header; see text as it arrives
 * ```ts
 * import {
 *   encodeFrame,
 *   encodeFrameHeader,
 *   FrameParser,
 *   type FrameParserHandler,
 *   WebSocketProtocolError,
 * } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * const pieces: string[] = [];
 * const frames: string[] = [];
 * const handler: FrameParserHandler = {
 *   frameHeader(_opcode, _fin, _rsv, length) {
 *     if (length > 1024) {
 *       throw new WebSocketProtocolError("MESSAGE_TOO_BIG", 1009, `A ${length}-byte frame`);
 *     }
 *   },
 *   partialPayload(piece) {
 *     pieces.push(new TextDecoder().decode(piece));
 *   },
 *   frame(_opcode, _fin, _rsv, payload) {
 *     frames.push(new TextDecoder().decode(payload));
 *   },
 * };
 * const parser = new FrameParser({ role: "client" }, handler);
 * const hello = encodeFrame(0x81, new TextEncoder().encode("Hello"));
 * parser.push(hello.subarray(0, 4)); // the header and "He"
 * parser.push(hello.subarray(4));
 * assert.deepEqual(pieces, ["He"]);
 * assert.deepEqual(frames, ["Hello"]);
 * assert.throws(() => parser.push(encodeFrameHeader(0x82, 2048)), { closeCode: 1009 });
 * ```
 */
export interface FrameParserHandler {
  /**
   * Called when a frame header has been read and checked, before its payload.
   * Throwing a {@linkcode WebSocketProtocolError} here fails the frame before
   * its payload is held (for message-level limits and sequence rules).
   */
  frameHeader?(opcode: number, fin: boolean, rsv: number, length: number): void;
  /**
   * Called with each newly arrived, unmasked piece of the payload of a frame
   * that is not complete yet, so text can be validated as it arrives. The
   * complete payload is still passed to `frame` at the end.
   */
  partialPayload?(piece: Uint8Array): void;
  /** Called with each complete frame; `payload` is unmasked. */
  frame(opcode: number, fin: boolean, rsv: number, payload: Uint8Array): void;
}

// Frames from this size on get a buffer of their own once a quarter has
// arrived (see payloadSpace).
const DIRECT_MIN = 65536;

const enum Stage {
  Header,
  Payload,
}

/**
 * Parses WebSocket frames from arbitrarily chopped bytes and hands each one to
 * a handler as soon as it is complete: input split into 1-byte chunks gives
 * the same frames as one chunk.
 *
 * A frame that sits inside one pushed chunk is delivered as a view of that
 * chunk (no copy), unmasked in place; pushed chunks therefore become the
 * parser's to change. A violation throws a {@linkcode WebSocketProtocolError}
 * from {@linkcode FrameParser.push} and stops the parser: later input is ignored.
 *
 * @example Parse the RFC 6455 §5.7 examples from one chunk
 * ```ts
 * import { FrameParser } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * const seen: Array<[number, boolean, string]> = [];
 * const parser = new FrameParser({ role: "client" }, {
 *   frame(opcode, fin, _rsv, payload) {
 *     seen.push([opcode, fin, new TextDecoder().decode(payload)]);
 *   },
 * });
 * // A fragmented unmasked text message: "Hel" then "lo".
 * parser.push(new Uint8Array([0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f]));
 * assert.deepEqual(seen, [[1, false, "Hel"], [0, true, "lo"]]);
 * ```
 */
export class FrameParser {
  readonly #handler: FrameParserHandler;
  readonly #expectMask: boolean;
  #maxFrameSize: number;
  #allowedRsv: number;

  #stage: Stage = Stage.Header;
  #stopped = false;
  // A header split across chunks is gathered here.
  #header: Uint8Array | null = null;
  #headerFill = 0;
  // The frame whose payload is being read.
  #opcode = 0;
  #fin = false;
  #rsv = 0;
  #length = 0;
  #mask = 0;
  #masked = false;
  #received = 0;
  #parts: ByteAccumulator | null = null;
  // A large frame's own payload buffer, once a quarter of it has arrived.
  #direct: Uint8Array | null = null;

  /**
   * Creates a parser.
   *
   * @param options The receiving role and the limits.
   * @param handler Receives the frames.
   */
  constructor(options: FrameParserOptions, handler: FrameParserHandler) {
    this.#handler = handler;
    this.#expectMask = options.role === "server";
    this.#maxFrameSize = options.maxFrameSize ?? MAX_FRAME_SIZE;
    this.#allowedRsv = options.allowedRsv ?? 0;
  }

  /** The largest payload a frame may declare. */
  get maxFrameSize(): number {
    return this.#maxFrameSize;
  }

  set maxFrameSize(size: number) {
    this.#maxFrameSize = size;
  }

  /** The RSV bits that extensions use (RSV1 is 4, RSV2 is 2, RSV3 is 1). */
  get allowedRsv(): number {
    return this.#allowedRsv;
  }

  set allowedRsv(bits: number) {
    this.#allowedRsv = bits & 7;
  }

  /** Whether the parser has stopped, after an error or {@linkcode FrameParser.stop}. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /**
   * The number of bytes held for a frame that is not complete yet.
   */
  get bufferedBytes(): number {
    return this.#headerFill + (this.#parts?.length ?? 0) +
      (this.#direct === null ? 0 : this.#received);
  }

  /**
   * Where the rest of a large frame's payload can be read to directly: the
   * unfilled part of the frame's own buffer, so the bytes are neither kept
   * in pieces nor copied once more when the frame is complete. Hand what was
   * written there to {@linkcode FrameParser.pushPayload}.
   *
   * `null` unless a frame of 64 KiB or more is being read and a quarter of it
   * has arrived: a header alone never makes the parser allocate its payload.
   *
   * @example Read the second half of a frame into its own buffer
   * ```ts
   * import { encodeFrame, FrameParser } from "@qtws/websockets/protocol";
   * import assert from "node:assert/strict";
   *
   * const sent = new Uint8Array(100_000).fill(7);
   * const wire = encodeFrame(0x82, sent, 0x01020304);
   * let received: Uint8Array | null = null;
   * const parser = new FrameParser({ role: "server" }, {
   *   frame(_opcode, _fin, _rsv, payload) {
   *     received = payload;
   *   },
   * });
   * parser.push(wire.slice(0, 50_014));
   * const space = parser.payloadSpace!;
   * assert.equal(space.length, 50_000);
   * space.set(wire.subarray(50_014));
   * parser.pushPayload(space.length);
   * assert.deepEqual(received, sent);
   * ```
   */
  get payloadSpace(): Uint8Array | null {
    const direct = this.#direct;
    return direct === null || this.#stopped ? null : direct.subarray(this.#received);
  }

  /**
   * Whether the parser is between frames (nothing of a next frame was read).
   */
  get atFrameBoundary(): boolean {
    return this.#stage === Stage.Header && this.#headerFill === 0;
  }

  /**
   * Ignores all further input and drops what is buffered; used after a close
   * frame (RFC 6455 §5.5.1: nothing is processed after it) or a failure.
   */
  stop(): void {
    this.#stopped = true;
    this.#header = null;
    this.#headerFill = 0;
    this.#parts?.clear();
    this.#parts = null;
    this.#direct = null;
  }

  /**
   * Takes `n` bytes that were written at the start of
   * {@linkcode FrameParser.payloadSpace}: unmasks them and, when they complete
   * the frame, hands it on.
   *
   * @param n How many bytes were written (at most `payloadSpace.length`).
   * @throws {WebSocketProtocolError} When a handler rejects the payload.
   */
  pushPayload(n: number): void {
    const direct = this.#direct;
    if (this.#stopped || direct === null || n <= 0) return;
    const start = this.#received;
    if (n > direct.length - start) {
      throw new RangeError(`Cannot take ${n} bytes: only ${direct.length - start} were free`);
    }
    const piece = direct.subarray(start, start + n);
    try {
      if (this.#masked) applyMask(piece, this.#mask, start & 3);
      this.#received = start + n;
      if (this.#received < this.#length) {
        this.#handler.partialPayload?.(piece);
        return;
      }
      this.#direct = null;
      this.#stage = Stage.Header;
      this.#handler.frame(this.#opcode, this.#fin, this.#rsv, direct);
    } catch (error) {
      this.stop();
      throw error;
    }
  }

  /**
   * Parses `chunk`, handing every frame it completes to the handler.
   *
   * @param chunk The next bytes from the peer; the parser may change them.
   * @throws {WebSocketProtocolError} When the peer broke the protocol.
   */
  push(chunk: Uint8Array): void {
    if (this.#stopped) return;
    try {
      this.#parse(chunk);
    } catch (error) {
      this.stop();
      throw error;
    }
  }

  #parse(chunk: Uint8Array): void {
    const end = chunk.length;
    let pos = 0;
    while (pos < end && !this.#stopped) {
      if (this.#stage === Stage.Payload) {
        pos = this.#readPayload(chunk, pos);
        continue;
      }
      if (this.#headerFill === 0 && end - pos >= 2) {
        const size = headerSizeOf(chunk[pos + 1]!);
        if (end - pos >= size) {
          this.#readHeader(chunk, pos);
          pos += size;
          continue;
        }
      }
      pos = this.#gatherHeader(chunk, pos);
    }
  }

  // Copies header bytes that straddle chunks into a small buffer.
  #gatherHeader(chunk: Uint8Array, pos: number): number {
    const header = this.#header ??= new Uint8Array(MAX_HEADER_SIZE);
    if (this.#headerFill < 2) {
      const take = Math.min(2 - this.#headerFill, chunk.length - pos);
      header.set(chunk.subarray(pos, pos + take), this.#headerFill);
      this.#headerFill += take;
      pos += take;
      if (this.#headerFill < 2) return pos;
    }
    const size = headerSizeOf(header[1]!);
    const take = Math.min(size - this.#headerFill, chunk.length - pos);
    header.set(chunk.subarray(pos, pos + take), this.#headerFill);
    this.#headerFill += take;
    pos += take;
    if (this.#headerFill === size) {
      this.#headerFill = 0;
      this.#readHeader(header, 0);
    }
    return pos;
  }

  // Reads and checks a complete header; starts the payload stage or, for an
  // empty payload, delivers the frame at once.
  #readHeader(bytes: Uint8Array, at: number): void {
    const b0 = bytes[at]!;
    const b1 = bytes[at + 1]!;
    const fin = (b0 & 0x80) !== 0;
    const rsv = (b0 >>> 4) & 7;
    const opcode = b0 & 0x0f;
    const masked = (b1 & 0x80) !== 0;
    let length = b1 & 0x7f;
    let next = at + 2;

    if ((rsv & ~this.#allowedRsv) !== 0) {
      throw new WebSocketProtocolError(
        "RESERVED_BITS_SET",
        1002,
        `Frame has reserved bits set (RSV ${
          rsv.toString(2).padStart(3, "0")
        }) that no negotiated extension uses`,
      );
    }
    if ((opcode >= 0x3 && opcode <= 0x7) || opcode >= 0xb) {
      throw new WebSocketProtocolError(
        "RESERVED_OPCODE",
        1002,
        `Frame uses the reserved opcode 0x${opcode.toString(16)}`,
      );
    }
    if (opcode >= 0x8) {
      // RFC 6455 §5.5: control frames are never fragmented and carry ≤125 bytes.
      if (!fin) {
        throw new WebSocketProtocolError(
          "CONTROL_FRAME_FRAGMENTED",
          1002,
          `Control frame (opcode 0x${opcode.toString(16)}) is fragmented`,
        );
      }
      if (length > MAX_CONTROL_PAYLOAD) {
        throw new WebSocketProtocolError(
          "CONTROL_FRAME_TOO_BIG",
          1002,
          `Control frame (opcode 0x${opcode.toString(16)}) carries more than 125 bytes`,
        );
      }
    }
    if (masked !== this.#expectMask) {
      // RFC 6455 §5.1: clients mask every frame, servers never do.
      throw masked
        ? new WebSocketProtocolError(
          "MASK_FORBIDDEN",
          1002,
          "Server sent a masked frame; servers must not mask frames",
        )
        : new WebSocketProtocolError(
          "MASK_REQUIRED",
          1002,
          "Client sent an unmasked frame; clients must mask every frame",
        );
    }
    if (length === 126) {
      length = (bytes[next]! << 8) | bytes[next + 1]!;
      next += 2;
      if (length < 126) throw nonMinimal(length);
    } else if (length === 127) {
      const high = ((bytes[next]! << 24) | (bytes[next + 1]! << 16) | (bytes[next + 2]! << 8) |
        bytes[next + 3]!) >>> 0;
      const low = ((bytes[next + 4]! << 24) | (bytes[next + 5]! << 16) |
        (bytes[next + 6]! << 8) | bytes[next + 7]!) >>> 0;
      next += 8;
      // RFC 6455 §5.2 reserves the top bit; above 2^53 a length has no exact
      // JavaScript number. Either way no payload of that size can be held.
      if (high > 0x1fffff) {
        throw new WebSocketProtocolError(
          "FRAME_TOO_BIG",
          1009,
          "Frame declares a payload length of 2^53 bytes or more",
        );
      }
      length = high * 0x100000000 + low;
      if (length < 65536) throw nonMinimal(length);
    }
    if (length > this.#maxFrameSize) {
      throw new WebSocketProtocolError(
        "FRAME_TOO_BIG",
        1009,
        `Frame of ${length} bytes exceeds the limit of ${this.#maxFrameSize} bytes`,
      );
    }
    this.#handler.frameHeader?.(opcode, fin, rsv, length);
    if (length === 0) {
      this.#handler.frame(opcode, fin, rsv, EMPTY_PAYLOAD);
      return;
    }
    this.#opcode = opcode;
    this.#fin = fin;
    this.#rsv = rsv;
    this.#length = length;
    this.#masked = masked;
    this.#mask = masked ? readMaskKey(bytes, next) : 0;
    this.#received = 0;
    this.#stage = Stage.Payload;
  }

  #readPayload(chunk: Uint8Array, pos: number): number {
    const available = chunk.length - pos;
    const needed = this.#length - this.#received;
    if (this.#received === 0 && available >= needed) {
      // The whole payload is in this chunk: deliver a view, no copy.
      const payload = chunk.subarray(pos, pos + needed);
      if (this.#masked) applyMask(payload, this.#mask, 0);
      this.#stage = Stage.Header;
      this.#handler.frame(this.#opcode, this.#fin, this.#rsv, payload);
      return pos + needed;
    }
    const take = available < needed ? available : needed;
    const piece = chunk.subarray(pos, pos + take);
    if (this.#masked) applyMask(piece, this.#mask, this.#received & 3);
    const received = this.#received + take;
    let direct = this.#direct;
    if (
      direct === null && this.#length >= DIRECT_MIN && received * 4 >= this.#length &&
      received < this.#length
    ) {
      // A quarter has arrived: the frame gets its own buffer, so the rest
      // can be read straight into it (payloadSpace) and nothing is joined.
      direct = this.#direct = new Uint8Array(this.#length);
      if (this.#parts !== null) direct.set(this.#parts.concat());
      this.#parts = null;
    }
    if (direct !== null) direct.set(piece, this.#received);
    else (this.#parts ??= new ByteAccumulator()).push(piece);
    this.#received = received;
    if (received < this.#length) {
      this.#handler.partialPayload?.(piece);
      return pos + take;
    }
    const payload = direct ?? this.#parts!.concat();
    this.#direct = null;
    this.#stage = Stage.Header;
    this.#handler.frame(this.#opcode, this.#fin, this.#rsv, payload);
    return pos + take;
  }
}

// The header size implied by the second header byte (mask bit + length code).
function headerSizeOf(b1: number): number {
  const code = b1 & 0x7f;
  const size = code < 126 ? 2 : code === 126 ? 4 : 10;
  return (b1 & 0x80) !== 0 ? size + 4 : size;
}

function nonMinimal(length: number): WebSocketProtocolError {
  // RFC 6455 §5.2: "the minimal number of bytes MUST be used to encode the length".
  return new WebSocketProtocolError(
    "NON_MINIMAL_LENGTH",
    1002,
    `Frame encodes the payload length ${length} in more bytes than needed`,
  );
}
