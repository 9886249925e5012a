/**
 * The nonce and the proof of the opening handshake (RFC 6455 §1.3, §4.1,
 * §4.2.2): the client sends a random 16-byte `Sec-WebSocket-Key`, and the
 * server proves it speaks WebSocket by answering with the SHA-1 of that key
 * and a fixed GUID in `Sec-WebSocket-Accept`.
 *
 * @module
 */

import { sha1 } from "./sha1.ts";

/**
 * The GUID RFC 6455 §1.3 appends to the client's key before hashing it. No
 * endpoint that does not understand WebSocket would use it.
 *
 * @example The GUID of RFC 6455 §1.3
 * ```ts
 * import { WEBSOCKET_GUID } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * assert.equal(WEBSOCKET_GUID.length, 36);
 * ```
 */
export const WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

// A 16-byte value in base64 is 22 significant characters and "==" (RFC 4648 §4).
const KEY_PATTERN = /^[A-Za-z0-9+/]{22}==$/;

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
  return btoa(binary);
}

/**
 * Makes a fresh `Sec-WebSocket-Key`: 16 bytes from `crypto.getRandomValues`,
 * base64-encoded. RFC 6455 §4.1 requires a new random nonce per connection.
 *
 * @example A fresh key for each handshake
 * ```ts
 * import { generateKey, isValidKey } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * const key = generateKey();
 * assert.equal(key.length, 24);
 * assert.ok(isValidKey(key));
 * assert.notEqual(generateKey(), key);
 * ```
 *
 * @returns A 24-character base64 string.
 */
export function generateKey(): string {
  return toBase64(crypto.getRandomValues(new Uint8Array(16)));
}

/**
 * Computes the `Sec-WebSocket-Accept` value for a key: the base64 of the
 * SHA-1 of the key followed by {@linkcode WEBSOCKET_GUID} (RFC 6455 §4.2.2,
 * point 5.4). The key is hashed as it was sent, without decoding it.
 *
 * @example The RFC 6455 §1.3 example
 * ```ts
 * import { computeAcceptKey } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   await computeAcceptKey("dGhlIHNhbXBsZSBub25jZQ=="),
 *   "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
 * );
 * ```
 *
 * @param key The `Sec-WebSocket-Key` value.
 * @returns The 28-character base64 accept value.
 */
export async function computeAcceptKey(key: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-1",
    new TextEncoder().encode(key + WEBSOCKET_GUID),
  );
  return toBase64(new Uint8Array(digest));
}

/**
 * Computes the `Sec-WebSocket-Accept` value for a key, synchronously: the
 * same value as {@linkcode computeAcceptKey}, from a SHA-1 written in
 * TypeScript. For the 60 bytes of a handshake it takes about 2 µs, where
 * `crypto.subtle.digest` hands the work to another thread and answers in a
 * later turn of the event loop, some 60 µs later (`deno bench
 * bench/load/accept_key_bench.ts`). `QWebSocketServer` uses this one.
 *
 * @example The RFC 6455 §1.3 example
 * ```ts
 * import { computeAcceptKeySync } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * assert.equal(computeAcceptKeySync("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
 * ```
 *
 * @param key The `Sec-WebSocket-Key` value.
 * @returns The 28-character base64 accept value.
 */
export function computeAcceptKeySync(key: string): string {
  return base64Of20(sha1(keyAndGuid(key)));
}

const GUID_BYTES: Uint8Array = new TextEncoder().encode(WEBSOCKET_GUID);

// The key's bytes and the GUID's. A key is ASCII (anything else fails
// isValidKey): its bytes are its char codes, without a TextEncoder and its
// call into the runtime per handshake.
function keyAndGuid(key: string): Uint8Array {
  const length = key.length;
  const bytes = new Uint8Array(length + GUID_BYTES.length);
  for (let i = 0; i < length; i++) {
    const code = key.charCodeAt(i);
    if (code >= 0x80) return new TextEncoder().encode(key + WEBSOCKET_GUID);
    bytes[i] = code;
  }
  bytes.set(GUID_BYTES, length);
  return bytes;
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// The 28-character base64 of a SHA-1 digest (RFC 4648 §4), without btoa's
// call into the runtime: six groups of three bytes, then two bytes and "=".
function base64Of20(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < 18; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += BASE64[n >>> 18]! + BASE64[(n >>> 12) & 63]! + BASE64[(n >>> 6) & 63]! +
      BASE64[n & 63]!;
  }
  const n = (bytes[18]! << 16) | (bytes[19]! << 8);
  return out + BASE64[n >>> 18]! + BASE64[(n >>> 12) & 63]! + BASE64[(n >>> 6) & 63]! + "=";
}

/**
 * Whether `key` is a `Sec-WebSocket-Key` a server may accept: base64 that
 * decodes to exactly 16 bytes (RFC 6455 §4.2.1, point 5). Like ws and
 * python-websockets, the unused low bits of the last character are not
 * required to be zero.
 *
 * @example A key must decode to 16 bytes
 * ```ts
 * import { isValidKey } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isValidKey("dGhlIHNhbXBsZSBub25jZQ=="));
 * assert.ok(!isValidKey("dGhlIHNhbXBsZSBub25jZQ")); // padding missing
 * assert.ok(!isValidKey("c2hvcnQ=")); // 5 bytes
 * ```
 *
 * @param key The header value.
 * @returns `true` when the key decodes to 16 bytes.
 */
export function isValidKey(key: string): boolean {
  return KEY_PATTERN.test(key);
}
