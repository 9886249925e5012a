/**
 * Messages the interop tests exchange: text and binary of exact byte sizes
 * at the RFC 6455 §5.2 payload length boundaries, and their digests, so a
 * peer can report what it received in one short JSON line.
 *
 * @module
 */

/**
 * The payload lengths where the frame header changes (RFC 6455 §5.2: 7-bit
 * length up to 125, 16-bit from 126 to 65535, 64-bit from 65536), plus 1 MiB,
 * which is two frames at Qt's default 512 KiB outgoing frame size.
 */
export const SIZES: readonly number[] = [0, 1, 125, 126, 65535, 65536, 1024 * 1024];

/**
 * Characters of every UTF-8 length (1 to 4 bytes), so text that a peer
 * splits into frames at a byte count also splits inside characters.
 */
export const TEXT_PATTERN: string = "qtws ↔ interop: é ü € 中 😀 ";

/**
 * Text of exactly `size` UTF-8 bytes with 1-, 2-, 3- and 4-byte characters
 * (ASCII fills the last few bytes).
 */
export function makeText(size: number): string {
  const encoder = new TextEncoder();
  const unit = encoder.encode(TEXT_PATTERN).length;
  let text = TEXT_PATTERN.repeat(Math.floor(size / unit));
  let bytes = encoder.encode(text).length;
  for (const char of TEXT_PATTERN) {
    const length = encoder.encode(char).length;
    if (bytes + length > size) break;
    text += char;
    bytes += length;
  }
  return text + "x".repeat(size - bytes);
}

/** `size` bytes of a fixed pseudo-random pattern (every byte value occurs). */
export function makeBinary(size: number): Uint8Array {
  const data = new Uint8Array(size);
  let state = 0x9e3779b9 ^ size;
  for (let i = 0; i < size; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    data[i] = state >>> 24;
  }
  return data;
}

/** The UTF-8 bytes of `text`. */
export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** Lower-case hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Bytes from lower- or upper-case hex. */
export function fromHex(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

/** The SHA-256 of `data` (text as UTF-8) in lower-case hex. */
export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  const bytes = typeof data === "string" ? utf8(data) : data;
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return toHex(new Uint8Array(digest));
}

/** A close reason with 2-, 3- and 4-byte characters, well under the 123-byte limit. */
export const CLOSE_REASON = "bye: é € 😀";
