/**
 * Close frame payloads (RFC 6455 §5.5.1): a 2-byte status code, then a UTF-8
 * reason, at most 125 bytes in all.
 *
 * @module
 */

import { WebSocketProtocolError } from "./errors.ts";
import { isValidCloseCode } from "./qwebsocket_protocol.ts";
import { decodeUtf8, encodeUtf8 } from "./utf8.ts";
import { EMPTY_PAYLOAD } from "./frame.ts";

/**
 * The longest close reason that fits a control frame after the code.
 *
 * @example A long reason is cut to fit
 * ```ts
 * import {
 *   encodeClosePayload,
 *   MAX_CLOSE_REASON_BYTES,
 *   parseClosePayload,
 * } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * const payload = encodeClosePayload(1001, "x".repeat(500));
 * assert.equal(parseClosePayload(payload).reason.length, MAX_CLOSE_REASON_BYTES);
 * ```
 */
export const MAX_CLOSE_REASON_BYTES = 123;

/**
 * The code a close frame without a payload stands for (never sent).
 *
 * @example An empty close frame reads as 1005
 * ```ts
 * import {
 *   encodeClosePayload,
 *   NO_STATUS_CODE,
 *   parseClosePayload,
 * } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseClosePayload(new Uint8Array()).code, NO_STATUS_CODE);
 * // Closing "with" 1005 sends a close frame without a payload.
 * assert.equal(encodeClosePayload(NO_STATUS_CODE).length, 0);
 * ```
 */
export const NO_STATUS_CODE = 1005;

/**
 * Encodes `text` as UTF-8 and cuts it to at most `maxBytes`, never inside a
 * character.
 *
 * @example Cut on a character boundary
 * ```ts
 * import { truncateUtf8 } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * // "é" is 2 bytes: 3 bytes of "éé" keep only the first one.
 * assert.equal(new TextDecoder().decode(truncateUtf8("éé", 3)), "é");
 * ```
 *
 * @param text The text to encode.
 * @param maxBytes The largest number of bytes to keep.
 * @returns At most `maxBytes` bytes of valid UTF-8.
 */
export function truncateUtf8(text: string, maxBytes: number): Uint8Array {
  const bytes = encodeUtf8(text);
  if (bytes.length <= maxBytes) return bytes;
  let end = maxBytes;
  // Step back over continuation bytes (10xxxxxx) to the start of a character.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}

/**
 * Encodes a close payload. The reason is cut to 123 bytes on a character
 * boundary, as Qt's `QWebSocket::close()` documents. A `code` of 1005 (no
 * status) gives an empty payload.
 *
 * @example A normal close with a reason, and a reason cut to fit
 * ```ts
 * import { encodeClosePayload } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual([...encodeClosePayload(1000, "ok")], [0x03, 0xe8, 0x6f, 0x6b]);
 * assert.equal(encodeClosePayload(1000, "x".repeat(200)).length, 125);
 * ```
 *
 * @param code The status code.
 * @param reason The reason.
 * @returns The payload.
 */
export function encodeClosePayload(code: number, reason = ""): Uint8Array {
  if (code === NO_STATUS_CODE) return EMPTY_PAYLOAD;
  const text = truncateUtf8(reason, MAX_CLOSE_REASON_BYTES);
  const payload = new Uint8Array(2 + text.length);
  payload[0] = code >>> 8;
  payload[1] = code & 0xff;
  payload.set(text, 2);
  return payload;
}

/**
 * A parsed close payload.
 *
 * @example Describe how the peer closed
 * ```ts
 * import { type ClosePayload, parseClosePayload } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * function describeClose({ code, reason }: ClosePayload): string {
 *   return reason === "" ? `closed with ${code}` : `closed with ${code}: ${reason}`;
 * }
 * const payload = new Uint8Array([0x03, 0xe9, 0x62, 0x79, 0x65]); // 1001, "bye"
 * assert.equal(describeClose(parseClosePayload(payload)), "closed with 1001: bye");
 * ```
 */
export interface ClosePayload {
  /** The status code; 1005 when the payload was empty. */
  readonly code: number;
  /** The reason; empty when none was given. */
  readonly reason: string;
}

/**
 * Parses and checks a received close payload.
 *
 * @example Valid, empty and malformed payloads
 * ```ts
 * import { parseClosePayload } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseClosePayload(new Uint8Array([0x03, 0xe8])), { code: 1000, reason: "" });
 * assert.deepEqual(parseClosePayload(new Uint8Array()), { code: 1005, reason: "" });
 * assert.throws(() => parseClosePayload(new Uint8Array([0x03])), { closeCode: 1002 });
 * ```
 *
 * @param payload The payload of a close frame.
 * @returns The code and reason.
 * @throws {WebSocketProtocolError} 1002 for a 1-byte payload or a code that may
 * not be sent; 1007 for a reason that is not valid UTF-8.
 */
export function parseClosePayload(payload: Uint8Array): ClosePayload {
  if (payload.length === 0) return { code: NO_STATUS_CODE, reason: "" };
  if (payload.length === 1) {
    throw new WebSocketProtocolError(
      "INVALID_CLOSE_PAYLOAD",
      1002,
      "Close frame has a 1-byte payload; a status code takes 2 bytes",
    );
  }
  const code = (payload[0]! << 8) | payload[1]!;
  if (!isValidCloseCode(code)) {
    throw new WebSocketProtocolError(
      "INVALID_CLOSE_CODE",
      1002,
      `Close frame carries the status code ${code}, which may not be sent`,
    );
  }
  const reason = payload.length === 2 ? "" : decodeUtf8(payload.subarray(2), "Close reason");
  return { code, reason };
}
