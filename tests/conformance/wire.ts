/**
 * The fuzzer's own RFC 6455 framing: frame encoding (any opcode, any RSV bits,
 * any FIN, with or without a mask), an incremental frame header reader and
 * the opening-handshake helpers.
 *
 * Written independently of `lib/protocol/` on purpose: a conformance suite
 * that shared the parser of the implementation under test would share its
 * bugs too.
 *
 * @module
 */

/** An empty payload. */
export const EMPTY: Uint8Array<ArrayBuffer> = new Uint8Array(0);

const encoder = new TextEncoder();

/** UTF-8 bytes of `text`. */
export function utf8(text: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(text);
}

/** Bytes from numbers. */
export function bytes(...values: number[]): Uint8Array {
  return new Uint8Array(values);
}

/** Bytes written as hex pairs, for the UTF-8 catalogue ("cebae1bdb9"). */
export function hex(text: string): Uint8Array {
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Hex of `data` (what Autobahn's reports print for binary payloads). */
export function toHex(data: Uint8Array): string {
  let out = "";
  for (const b of data) out += b.toString(16).padStart(2, "0");
  return out;
}

/** Joins byte arrays. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const part of parts) total += part.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * `pattern` repeated (and cut) to exactly `length` bytes: Autobahn's
 * `payload_len`, which sends large payloads made of a short motif.
 */
export function repeatTo(pattern: Uint8Array, length: number): Uint8Array {
  if (pattern.length === length) return pattern;
  const out = new Uint8Array(length);
  if (length === 0 || pattern.length === 0) return out;
  out.set(pattern.subarray(0, Math.min(pattern.length, length)));
  // Doubling copies: log2(length) calls instead of a byte loop.
  let filled = Math.min(pattern.length, length);
  while (filled < length) {
    const take = Math.min(filled, length - filled);
    out.copyWithin(filled, 0, take);
    filled += take;
  }
  return out;
}

/** XORs `data` in place with `mask`, starting at mask phase `phase`. */
export function xorMask(data: Uint8Array, mask: Uint8Array, phase = 0): void {
  for (let i = 0; i < data.length; i++) data[i]! ^= mask[(i + phase) & 3]!;
}

/** A random 4-byte masking key. */
export function randomMask(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(4));
}

/**
 * The header of a frame of `length` payload bytes (RFC 6455 §5.2), always in
 * the minimal length encoding.
 */
export function frameHeader(
  opcode: number,
  fin: boolean,
  rsv: number,
  length: number,
  mask: Uint8Array | null,
): Uint8Array {
  const extended = length <= 125 ? 0 : length <= 0xffff ? 2 : 8;
  const header = new Uint8Array(2 + extended + (mask === null ? 0 : 4));
  header[0] = (fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0x0f);
  const maskBit = mask === null ? 0 : 0x80;
  if (extended === 0) {
    header[1] = maskBit | length;
  } else if (extended === 2) {
    header[1] = maskBit | 126;
    header[2] = length >>> 8;
    header[3] = length & 0xff;
  } else {
    header[1] = maskBit | 127;
    const high = Math.floor(length / 0x100000000);
    const view = new DataView(header.buffer);
    view.setUint32(2, high);
    view.setUint32(6, length >>> 0);
  }
  if (mask !== null) header.set(mask, 2 + extended);
  return header;
}

/** A whole frame; the payload is copied before it is masked. */
export function encodeFrame(
  opcode: number,
  payload: Uint8Array,
  options: { fin?: boolean; rsv?: number; mask?: Uint8Array | null } = {},
): Uint8Array {
  const mask = options.mask ?? null;
  const header = frameHeader(opcode, options.fin ?? true, options.rsv ?? 0, payload.length, mask);
  const frame = new Uint8Array(header.length + payload.length);
  frame.set(header);
  frame.set(payload, header.length);
  if (mask !== null) xorMask(frame.subarray(header.length), mask);
  return frame;
}

/** A decoded frame header. */
export interface FrameHead {
  fin: boolean;
  rsv: number;
  opcode: number;
  /** The masking key, or `null` for an unmasked frame. */
  mask: Uint8Array | null;
  /** The payload length as declared. */
  length: number;
  /** The length was not encoded in the minimal number of bytes. */
  nonMinimal: boolean;
  /** The 64-bit length had its most significant bit set. */
  tooLong: boolean;
}

/**
 * Reads a frame header from the start of `data`.
 *
 * @returns The header and its size, or `null` when more bytes are needed.
 */
export function readFrameHead(data: Uint8Array): { head: FrameHead; size: number } | null {
  if (data.length < 2) return null;
  const b0 = data[0]!;
  const b1 = data[1]!;
  const masked = (b1 & 0x80) !== 0;
  const code = b1 & 0x7f;
  const size = 2 + (code === 126 ? 2 : code === 127 ? 8 : 0) + (masked ? 4 : 0);
  if (data.length < size) return null;
  let length = code;
  let nonMinimal = false;
  let tooLong = false;
  let at = 2;
  if (code === 126) {
    length = (data[2]! << 8) | data[3]!;
    nonMinimal = length < 126;
    at = 4;
  } else if (code === 127) {
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const high = view.getUint32(2);
    const low = view.getUint32(6);
    tooLong = high >= 0x80000000;
    length = (high & 0x7fffffff) * 0x100000000 + low;
    nonMinimal = length < 65536;
    at = 10;
  }
  const mask = masked ? data.slice(at, at + 4) : null;
  return {
    head: {
      fin: (b0 & 0x80) !== 0,
      rsv: (b0 >>> 4) & 7,
      opcode: b0 & 0x0f,
      mask,
      length,
      nonMinimal,
      tooLong,
    },
    size,
  };
}

/** The `Sec-WebSocket-Accept` value for a key (RFC 6455 §4.2.2, SHA-1 + base64). */
export async function acceptKey(key: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-1",
    utf8(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"),
  );
  let binary = "";
  for (const b of new Uint8Array(digest)) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** A fresh `Sec-WebSocket-Key`: 16 random bytes, base64. */
export function newKey(): string {
  let binary = "";
  for (const b of crypto.getRandomValues(new Uint8Array(16))) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** A parsed HTTP head (request or response). */
export interface HttpHead {
  /** The first line: request line or status line. */
  startLine: string;
  /** Header names in lower case; repeated headers joined with ", ". */
  headers: Map<string, string>;
}

/** The end of an HTTP head in `data` (index after CRLF CRLF), or -1. */
export function headEnd(data: Uint8Array): number {
  for (let i = 3; i < data.length; i++) {
    if (
      data[i] === 0x0a && data[i - 1] === 0x0d && data[i - 2] === 0x0a && data[i - 3] === 0x0d
    ) {
      return i + 1;
    }
  }
  return -1;
}

/** Parses an HTTP head (ISO-8859-1, as HTTP/1.1 allows in headers). */
export function parseHead(data: Uint8Array): HttpHead {
  let text = "";
  for (const b of data) text += String.fromCharCode(b);
  const lines = text.split("\r\n").filter((line) => line.length > 0);
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
  }
  return { startLine: lines[0] ?? "", headers };
}

/** Whether a comma-separated header value contains `token` (any case). */
export function hasToken(value: string | undefined, token: string): boolean {
  if (value === undefined) return false;
  return value.split(",").some((part) => part.trim().toLowerCase() === token);
}

/** Writes all of `data` (a `Deno.Conn` write may be partial). */
export async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let at = 0;
  while (at < data.length) at += await conn.write(data.subarray(at));
}
