/**
 * WebSocket frames (RFC 6455 §5.2): the frame record and its encoding.
 *
 * ```text
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-------+-+-------------+-------------------------------+
 * |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
 * |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
 * |N|V|V|V|       |S|             |   (if payload len==126/127)   |
 * | |1|2|3|       |K|             |                               |
 * +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
 * |     Extended payload length continued, if payload len == 127  |
 * + - - - - - - - - - - - - - - - +-------------------------------+
 * |                               |Masking-key, if MASK set to 1  |
 * +-------------------------------+-------------------------------+
 * | Masking-key (continued)       |          Payload Data         |
 * +-------------------------------- - - - - - - - - - - - - - - - +
 * ```
 *
 * @module
 */

import type { FramePool } from "./frame_pool.ts";
import { applyMask } from "./mask.ts";

/**
 * One WebSocket frame, with its payload unmasked.
 *
 * @example A final text frame
 * ```ts
 * import type { Frame } from "@qtws/websockets/protocol";
 *
 * const frame: Frame = {
 *   fin: true,
 *   rsv1: false,
 *   rsv2: false,
 *   rsv3: false,
 *   opcode: 0x1,
 *   payload: new TextEncoder().encode("Hello"),
 * };
 * ```
 */
export interface Frame {
  /** Whether this is the last frame of its message (FIN). */
  readonly fin: boolean;
  /** RSV1: set only when an extension (such as permessage-deflate) says so. */
  readonly rsv1: boolean;
  /** RSV2: set only when an extension says so. */
  readonly rsv2: boolean;
  /** RSV3: set only when an extension says so. */
  readonly rsv3: boolean;
  /** The 4-bit opcode (`QWebSocketProtocol.OpCode`). */
  readonly opcode: number;
  /** The application data, unmasked. */
  readonly payload: Uint8Array;
}

/**
 * The largest payload a control frame may carry (RFC 6455 §5.5).
 *
 * @example Cut a ping's payload to fit; a longer one from the peer fails with 1002
 * ```ts
 * import { encodeFrame, FrameParser, MAX_CONTROL_PAYLOAD } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * const payload = new TextEncoder().encode("x".repeat(200)).subarray(0, MAX_CONTROL_PAYLOAD);
 * assert.equal(encodeFrame(0x89, payload).length, 2 + MAX_CONTROL_PAYLOAD);
 *
 * const parser = new FrameParser({ role: "client" }, { frame() {} });
 * const tooLong = encodeFrame(0x89, new Uint8Array(MAX_CONTROL_PAYLOAD + 1));
 * assert.throws(() => parser.push(tooLong), { code: "CONTROL_FRAME_TOO_BIG", closeCode: 1002 });
 * ```
 */
export const MAX_CONTROL_PAYLOAD = 125;

/**
 * The longest frame header: 2 bytes, a 64-bit length and a masking key.
 *
 * @example Room for any header in front of a payload
 * ```ts
 * import { frameHeaderSize, MAX_HEADER_SIZE } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * assert.equal(frameHeaderSize(125, false), 2);
 * assert.equal(frameHeaderSize(2 ** 32, true), MAX_HEADER_SIZE); // 2 + 8 + 4
 * ```
 */
export const MAX_HEADER_SIZE = 14;

/**
 * An empty payload, shared so empty frames do not allocate.
 *
 * @example An empty ping
 * ```ts
 * import { EMPTY_PAYLOAD, encodeFrame } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual([...encodeFrame(0x89, EMPTY_PAYLOAD)], [0x89, 0x00]);
 * ```
 */
export const EMPTY_PAYLOAD: Uint8Array = new Uint8Array(0);

/**
 * The size of the header of a frame with a payload of `length` bytes.
 *
 * @example The 7-bit, 16-bit and 64-bit lengths
 * ```ts
 * import { frameHeaderSize } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * assert.equal(frameHeaderSize(125, false), 2);
 * assert.equal(frameHeaderSize(126, true), 8);
 * assert.equal(frameHeaderSize(65536, true), 14);
 * ```
 *
 * @param length The payload length.
 * @param masked Whether the frame carries a masking key.
 * @returns The header size in bytes.
 */
export function frameHeaderSize(length: number, masked: boolean): number {
  const base = length < 126 ? 2 : length < 65536 ? 4 : 10;
  return masked ? base + 4 : base;
}

/**
 * Writes a frame header into `target` at `offset`, using the shortest length
 * form RFC 6455 §5.2 allows.
 *
 * @param target Where to write; needs `frameHeaderSize(length, mask !== undefined)` bytes.
 * @param offset The index of the first header byte.
 * @param firstByte FIN, RSV1–3 and opcode, as they go on the wire.
 * @param length The payload length.
 * @param mask The masking key, or `undefined` for an unmasked frame.
 * @returns The header size in bytes.
 */
function writeHeader(
  target: Uint8Array,
  offset: number,
  firstByte: number,
  length: number,
  mask: number | undefined,
): number {
  const maskBit = mask === undefined ? 0 : 0x80;
  let at = offset;
  target[at++] = firstByte;
  if (length < 126) {
    target[at++] = maskBit | length;
  } else if (length < 65536) {
    target[at++] = maskBit | 126;
    target[at++] = length >>> 8;
    target[at++] = length & 0xff;
  } else {
    target[at++] = maskBit | 127;
    const high = Math.floor(length / 0x100000000);
    const low = length >>> 0;
    target[at++] = high >>> 24;
    target[at++] = (high >>> 16) & 0xff;
    target[at++] = (high >>> 8) & 0xff;
    target[at++] = high & 0xff;
    target[at++] = low >>> 24;
    target[at++] = (low >>> 16) & 0xff;
    target[at++] = (low >>> 8) & 0xff;
    target[at++] = low & 0xff;
  }
  if (mask !== undefined) {
    target[at++] = mask >>> 24;
    target[at++] = (mask >>> 16) & 0xff;
    target[at++] = (mask >>> 8) & 0xff;
    target[at++] = mask & 0xff;
  }
  return at - offset;
}

/**
 * Builds the first header byte from FIN, the RSV bits and the opcode.
 *
 * @param fin The FIN bit.
 * @param rsv The RSV bits as a 3-bit number: RSV1 is 4, RSV2 is 2, RSV3 is 1.
 * @param opcode The 4-bit opcode.
 * @returns The byte.
 *
 * @example The first byte of a compressed text frame, and of a fragment
 * ```ts
 * import { encodeFrame, firstHeaderByte, QWebSocketProtocol } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * // FIN, RSV1 (permessage-deflate's "compressed" bit) and the text opcode.
 * assert.equal(firstHeaderByte(true, 4, QWebSocketProtocol.OpCode.OpCodeText), 0xc1);
 * // The first fragment of a binary message: FIN clear.
 * const fragment = encodeFrame(firstHeaderByte(false, 0, 0x2), new Uint8Array([1, 2]));
 * assert.deepEqual([...fragment], [0x02, 0x02, 1, 2]);
 * ```
 */
export function firstHeaderByte(fin: boolean, rsv: number, opcode: number): number {
  return (fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0xf);
}

/**
 * Encodes one frame as a single buffer: header, then payload, masked when
 * `mask` is given. The caller's payload is never changed: masking happens on
 * the copy. The payload is copied to a 4-byte boundary of the new buffer so
 * masking can work a word at a time.
 *
 * @example RFC 6455 §5.7: a masked "Hello"
 * ```ts
 * import { encodeFrame } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeFrame(0x81, new TextEncoder().encode("Hello"), 0x37fa213d);
 * assert.deepEqual(
 *   [...bytes],
 *   [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58],
 * );
 * ```
 *
 * @param firstByte FIN, RSV1–3 and opcode (see {@linkcode firstHeaderByte}).
 * @param payload The unmasked payload.
 * @param mask The masking key (client frames), or `undefined` (server frames).
 * @param pool Where the frame's memory comes from (up to 2 MiB), to be given
 *   back once the frame is written; without one, the frame is a new buffer.
 * @returns The encoded frame.
 */
export function encodeFrame(
  firstByte: number,
  payload: Uint8Array,
  mask?: number,
  pool?: FramePool | null,
): Uint8Array {
  const length = payload.length;
  const headerSize = frameHeaderSize(length, mask !== undefined);
  // Pad the front so the payload starts on a 4-byte boundary of the buffer.
  const pad = (4 - (headerSize & 3)) & 3;
  const frame = pool?.take(pad, headerSize + length) ??
    new Uint8Array(new ArrayBuffer(pad + headerSize + length), pad);
  writeHeader(frame, 0, firstByte, length, mask);
  if (length > 0) {
    frame.set(payload, headerSize);
    if (mask !== undefined) applyMask(frame.subarray(headerSize), mask);
  }
  return frame;
}

/**
 * Encodes only a frame header, for sending a large unmasked payload as a
 * second chunk without copying it.
 *
 * @example The header of a 64 KiB binary frame
 * ```ts
 * import { encodeFrameHeader } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual([...encodeFrameHeader(0x82, 65536)], [0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0]);
 * ```
 *
 * @param firstByte FIN, RSV1–3 and opcode.
 * @param length The payload length.
 * @param mask The masking key, or `undefined`.
 * @returns The header bytes.
 */
export function encodeFrameHeader(
  firstByte: number,
  length: number,
  mask?: number,
): Uint8Array {
  const header = new Uint8Array(frameHeaderSize(length, mask !== undefined));
  writeHeader(header, 0, firstByte, length, mask);
  return header;
}
