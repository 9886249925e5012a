/**
 * UTF-8 for text messages (RFC 6455 §5.6, §8.1): strict decoding that fails
 * at the first invalid byte, also when a character is split across frames.
 *
 * @module
 */

import { WebSocketProtocolError } from "./errors.ts";

// `ignoreBOM: true` keeps a leading U+FEFF: it is part of the message.
const strictDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

// A TypeError from the decoder means invalid UTF-8 (1007); a RangeError means
// the text is longer than V8's longest string, which is a size problem (1009).
function decodeFailure(error: unknown, where: string): WebSocketProtocolError {
  if (error instanceof RangeError) {
    return new WebSocketProtocolError(
      "MESSAGE_TOO_BIG",
      1009,
      `${where} is longer than the longest string this runtime can hold`,
    );
  }
  return new WebSocketProtocolError("INVALID_UTF8", 1007, `${where} is not valid UTF-8`);
}

/**
 * Decodes `bytes` as UTF-8, refusing anything that is not valid UTF-8
 * (overlong forms, surrogates, code points above U+10FFFF, truncated sequences).
 *
 * @example Decode text, or fail with 1007
 * ```ts
 * import { decodeUtf8 } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * // E1 BD B9 is U+1F79 (omicron with oxia), not the look-alike U+03CC: spell it out.
 * assert.equal(decodeUtf8(new Uint8Array([0xce, 0xba, 0xe1, 0xbd, 0xb9])), "\u03ba\u1f79");
 * assert.throws(() => decodeUtf8(new Uint8Array([0xc0, 0x80])), { closeCode: 1007 });
 * ```
 *
 * @param bytes The bytes to decode.
 * @param where What the bytes are, for the error message.
 * @returns The text.
 * @throws {WebSocketProtocolError} With close code 1007 for invalid UTF-8.
 */
export function decodeUtf8(bytes: Uint8Array, where = "Text message"): string {
  const length = bytes.length;
  if (length === 0) return "";
  // Short ASCII text (the common case for chat and JSON) is decoded here:
  // cheaper than a call into the runtime's decoder.
  if (length <= 32) {
    let ascii = true;
    for (let i = 0; i < length; i++) {
      if (bytes[i]! >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) return String.fromCharCode.apply(null, bytes as unknown as number[]);
  }
  try {
    return strictDecoder.decode(bytes);
  } catch (error) {
    throw decodeFailure(error, where);
  }
}

/**
 * Encodes text as UTF-8.
 *
 * @example The euro sign takes 3 bytes
 * ```ts
 * import { encodeUtf8 } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual([...encodeUtf8("€")], [0xe2, 0x82, 0xac]);
 * ```
 *
 * @param text The text.
 * @returns Its UTF-8 bytes.
 */
export function encodeUtf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/**
 * Whether `bytes` are valid UTF-8.
 *
 * @example An encoded surrogate is not valid UTF-8
 * ```ts
 * import { isValidUtf8 } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isValidUtf8(new Uint8Array([0xed, 0xa0, 0x80])), false); // a surrogate
 * ```
 *
 * @param bytes The bytes to check.
 * @returns `true` when the bytes are valid UTF-8.
 */
export function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    decodeUtf8(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * Decodes UTF-8 that arrives in pieces, failing at the first byte that
 * cannot start or continue a valid character, not only at the end. A
 * character split between pieces is carried over to the next one.
 *
 * @example A character split across two frames
 * ```ts
 * import { Utf8StreamDecoder } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * const decoder = new Utf8StreamDecoder();
 * assert.equal(decoder.push(new Uint8Array([0x61, 0xe2, 0x82])), "a");
 * assert.equal(decoder.push(new Uint8Array([0xac])), "€");
 * assert.equal(decoder.finish(), "");
 * // 0xe2 0x28 can never be valid: it fails at once.
 * assert.throws(() => decoder.push(new Uint8Array([0xe2, 0x28])), { closeCode: 1007 });
 * ```
 */
export class Utf8StreamDecoder {
  #decoder: TextDecoder | null = null;

  /**
   * Decodes the next piece.
   *
   * @param piece The next bytes.
   * @returns The characters completed by this piece.
   * @throws {WebSocketProtocolError} With close code 1007 at the first invalid byte.
   */
  push(piece: Uint8Array): string {
    const decoder = this.#decoder ??= new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
    try {
      return decoder.decode(piece, { stream: true });
    } catch (error) {
      this.#decoder = null;
      throw decodeFailure(error, "Text message");
    }
  }

  /**
   * Ends the text and resets the decoder for the next one.
   *
   * @returns Always `""` for valid input.
   * @throws {WebSocketProtocolError} With close code 1007 when the text ends inside a character.
   */
  finish(): string {
    const decoder = this.#decoder;
    if (decoder === null) return "";
    try {
      return decoder.decode();
    } catch (error) {
      this.#decoder = null;
      throw decodeFailure(error, "Text message");
    }
  }

  /** Forgets any partial character, for reuse after a failure. */
  reset(): void {
    this.#decoder = null;
  }
}
