/**
 * An independent model of RFC 6455 framing for the fuzzers: a frame encoder
 * that can also write what the RFC forbids (non-minimal or tampered lengths,
 * wrong mask bits), and a reference receiver that decides, from the RFC alone,
 * what a receiving endpoint must deliver and which close code it must fail
 * with. The library's output is compared with it; none of this code is shared
 * with `lib/`.
 *
 * @module
 */

/** One frame to encode; anything the RFC forbids can be written. */
export interface FrameSpec {
  fin: boolean;
  /** RSV1..3 as a 3-bit number. */
  rsv: number;
  opcode: number;
  payload: Uint8Array;
  /** The masking key, or `null` for an unmasked frame. */
  mask: number | null;
  /** Length encoding: the shortest (default), or forced 16- or 64-bit. */
  lengthForm?: "minimal" | "16" | "64";
}

/** Encodes one frame. */
export function encodeFrame(spec: FrameSpec): Uint8Array {
  const length = spec.payload.length;
  const form = spec.lengthForm ?? "minimal";
  const code = form === "16"
    ? 126
    : form === "64"
    ? 127
    : length < 126
    ? length
    : length < 65536
    ? 126
    : 127;
  const extended = code === 126 ? 2 : code === 127 ? 8 : 0;
  const maskBytes = spec.mask === null ? 0 : 4;
  const out = new Uint8Array(2 + extended + maskBytes + length);
  out[0] = (spec.fin ? 0x80 : 0) | ((spec.rsv & 7) << 4) | (spec.opcode & 0x0f);
  out[1] = (spec.mask === null ? 0 : 0x80) | code;
  let at = 2;
  if (code === 126) {
    out[2] = (length >>> 8) & 0xff;
    out[3] = length & 0xff;
    at = 4;
  } else if (code === 127) {
    const view = new DataView(out.buffer);
    view.setBigUint64(2, BigInt(length));
    at = 10;
  }
  if (spec.mask !== null) {
    const key = [
      spec.mask >>> 24,
      (spec.mask >>> 16) & 0xff,
      (spec.mask >>> 8) & 0xff,
      spec.mask & 0xff,
    ];
    out.set(key, at);
    at += 4;
    for (let i = 0; i < length; i++) out[at + i] = spec.payload[i]! ^ key[i & 3]!;
  } else {
    out.set(spec.payload, at);
  }
  return out;
}

/** A frame header written byte by byte, with any 64-bit length (no payload). */
export function encodeHeader64(
  firstByte: number,
  length: bigint,
  mask: number | null,
): Uint8Array {
  const out = new Uint8Array(10 + (mask === null ? 0 : 4));
  out[0] = firstByte;
  out[1] = (mask === null ? 0 : 0x80) | 127;
  new DataView(out.buffer).setBigUint64(2, length);
  if (mask !== null) new DataView(out.buffer).setUint32(10, mask);
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

/** A close payload: a 2-byte code and reason bytes. */
export function closePayload(code: number, reason: Uint8Array | string = ""): Uint8Array {
  const text = typeof reason === "string" ? new TextEncoder().encode(reason) : reason;
  const out = new Uint8Array(2 + text.length);
  out[0] = code >>> 8;
  out[1] = code & 0xff;
  out.set(text, 2);
  return out;
}

/**
 * Whether a close code may appear on the wire (RFC 6455 §7.4.1, §7.4.2 and
 * the IANA registry): 1000–1003, 1007–1014, 3000–4999. 1004–1006 and 1015 are
 * reserved, below 1000 unused, 1016–2999 reserved for future RFCs.
 */
export function isSendableCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
    (code >= 3000 && code <= 4999);
}

/**
 * Valid UTF-8 as text, a leading U+FEFF kept: it is part of the message, not
 * a byte-order mark to strip (RFC 6455 §5.6 text is plain UTF-8).
 */
export function utf8Text(bytes: Uint8Array): string {
  return new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes);
}

/** Whether `bytes` is complete, valid UTF-8. */
export function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** Whether `bytes` can still become valid UTF-8 (an incomplete last character is fine). */
export function isValidUtf8Prefix(bytes: Uint8Array): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes, { stream: true });
    return true;
  } catch {
    return false;
  }
}

/** What a receiver must report, in order. */
export type WireEvent =
  | { kind: "text"; data: string }
  | { kind: "binary"; data: Uint8Array }
  | { kind: "ping"; payload: Uint8Array }
  | { kind: "pong"; payload: Uint8Array };

/** How the byte stream left the receiver. */
export type WireOutcome =
  | { kind: "open" }
  | { kind: "closed"; code: number; reason: string }
  | { kind: "failed"; closeCode: number };

/** The limits the reference receiver applies. */
export interface WireLimits {
  maxFrameSize: number;
  maxMessageSize: number;
}

/** A frame as the reference reads it. */
export interface WireFrame {
  fin: boolean;
  rsv: number;
  opcode: number;
  payload: Uint8Array;
}

/** The result of reading frames only (no message rules). */
export interface FrameReadResult {
  frames: WireFrame[];
  /** The close code of the first per-frame violation, or `null`. */
  errorCode: number | null;
  /** Whether the stream ended exactly between frames. */
  atBoundary: boolean;
}

const TWO_53 = 2n ** 53n;

interface HeaderInfo {
  fin: boolean;
  rsv: number;
  opcode: number;
  length: number;
  mask: number | null;
  size: number;
}

// Reads and checks one header at `pos`: `null` when incomplete, a number when
// it breaks a per-frame rule (the close code), the header otherwise.
function readHeader(
  bytes: Uint8Array,
  pos: number,
  role: "client" | "server",
  maxFrameSize: number,
  allowedRsv: number,
): HeaderInfo | number | null {
  if (bytes.length - pos < 2) return null;
  const b0 = bytes[pos]!;
  const b1 = bytes[pos + 1]!;
  const code = b1 & 0x7f;
  const masked = (b1 & 0x80) !== 0;
  const size = 2 + (code === 126 ? 2 : code === 127 ? 8 : 0) + (masked ? 4 : 0);
  if (bytes.length - pos < size) return null;
  const fin = (b0 & 0x80) !== 0;
  const rsv = (b0 >> 4) & 7;
  const opcode = b0 & 0x0f;
  // §5.2: RSV bits need an extension; opcodes 3-7 and B-F are reserved.
  if ((rsv & ~allowedRsv) !== 0) return 1002;
  if ((opcode >= 3 && opcode <= 7) || opcode >= 0xb) return 1002;
  // §5.5: control frames have FIN set and at most 125 bytes.
  if (opcode >= 8 && (!fin || code > 125)) return 1002;
  // §5.1: a server needs masked frames, a client unmasked ones.
  if (masked !== (role === "server")) return 1002;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let length: number;
  if (code === 126) {
    length = view.getUint16(pos + 2);
    if (length < 126) return 1002; // §5.2: minimal length encoding
  } else if (code === 127) {
    const big = view.getBigUint64(pos + 2);
    // Not representable, and far beyond any limit: "too big" (the MSB rule
    // of §5.2 is broken too, but no payload that size could be held).
    if (big >= TWO_53) return 1009;
    length = Number(big);
    if (length < 65536) return 1002;
  } else {
    length = code;
  }
  if (length > maxFrameSize) return 1009;
  const mask = masked ? view.getUint32(pos + size - 4) : null;
  return { fin, rsv, opcode, length, mask, size };
}

function unmask(bytes: Uint8Array, mask: number | null): Uint8Array {
  const out = bytes.slice();
  if (mask === null) return out;
  const key = [mask >>> 24, (mask >>> 16) & 0xff, (mask >>> 8) & 0xff, mask & 0xff];
  for (let i = 0; i < out.length; i++) out[i]! ^= key[i & 3]!;
  return out;
}

/**
 * Reads frames the way RFC 6455 §5 says a receiver must, with no message
 * rules: what a `FrameParser` must deliver for the same bytes.
 */
export function referenceFrames(
  bytes: Uint8Array,
  role: "client" | "server",
  maxFrameSize: number,
  allowedRsv = 0,
): FrameReadResult {
  const frames: WireFrame[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const header = readHeader(bytes, pos, role, maxFrameSize, allowedRsv);
    if (header === null) return { frames, errorCode: null, atBoundary: false };
    if (typeof header === "number") return { frames, errorCode: header, atBoundary: false };
    const start = pos + header.size;
    if (bytes.length - start < header.length) {
      return { frames, errorCode: null, atBoundary: false };
    }
    frames.push({
      fin: header.fin,
      rsv: header.rsv,
      opcode: header.opcode,
      payload: unmask(bytes.subarray(start, start + header.length), header.mask),
    });
    pos = start + header.length;
  }
  return { frames, errorCode: null, atBoundary: true };
}

/**
 * Reads a byte stream the way RFC 6455 says an endpoint must (framing,
 * §5.4 fragmentation, §5.5 control frames, §5.6 and §8.1 UTF-8 that fails
 * fast, §7.4 close codes, and the size limits), and returns what it must
 * deliver before the stream ended, closed or failed.
 */
export function referenceReceive(
  bytes: Uint8Array,
  role: "client" | "server",
  limits: WireLimits,
): { events: WireEvent[]; outcome: WireOutcome } {
  const events: WireEvent[] = [];
  let type = 0; // 0 none, 1 text, 2 binary
  let size = 0;
  let parts: Uint8Array[] = [];
  const fail = (closeCode: number) => ({ events, outcome: { kind: "failed", closeCode } as const });
  let pos = 0;
  while (pos < bytes.length) {
    const header = readHeader(bytes, pos, role, limits.maxFrameSize, 0);
    if (header === null) break;
    if (typeof header === "number") return fail(header);
    const { opcode, fin, length } = header;
    if (opcode < 8) {
      // §5.4: continuations continue a message; a new message waits for the last one.
      if (opcode === 0 && type === 0) return fail(1002);
      if (opcode !== 0 && type !== 0) return fail(1002);
      if (opcode !== 0) {
        type = opcode;
        size = 0;
        parts = [];
      }
      size += length;
      if (size > limits.maxMessageSize) return fail(1009);
    }
    const start = pos + header.size;
    const available = Math.min(length, bytes.length - start);
    const payload = unmask(bytes.subarray(start, start + available), header.mask);
    if (available < length) {
      // The stream ends inside this frame: text is still checked as far as it came.
      if (opcode < 8 && type === 1 && !isValidUtf8Prefix(concat([...parts, payload]))) {
        return fail(1007);
      }
      break;
    }
    pos = start + length;
    if (opcode === 9) {
      events.push({ kind: "ping", payload });
    } else if (opcode === 10) {
      events.push({ kind: "pong", payload });
    } else if (opcode === 8) {
      if (payload.length === 0) {
        return { events, outcome: { kind: "closed", code: 1005, reason: "" } };
      }
      if (payload.length === 1) return fail(1002);
      const code = (payload[0]! << 8) | payload[1]!;
      if (!isSendableCloseCode(code)) return fail(1002);
      const reason = payload.subarray(2);
      if (!isValidUtf8(reason)) return fail(1007);
      return {
        events,
        outcome: { kind: "closed", code, reason: utf8Text(reason) },
      };
    } else {
      parts.push(payload);
      if (type === 1) {
        const all = concat(parts);
        if (!(fin ? isValidUtf8(all) : isValidUtf8Prefix(all))) return fail(1007);
      }
      if (fin) {
        const all = concat(parts);
        events.push(
          type === 1 ? { kind: "text", data: utf8Text(all) } : { kind: "binary", data: all },
        );
        type = 0;
        parts = [];
      }
    }
  }
  return { events, outcome: { kind: "open" } };
}

/** Renders events for assertion messages and comparisons. */
export function describeEvents(events: readonly WireEvent[]): string[] {
  return events.map((e) => {
    switch (e.kind) {
      case "text":
        return `text(${e.data.length}:${JSON.stringify(e.data.slice(0, 40))})`;
      case "binary":
        return `binary(${e.data.length}:${hex(e.data)})`;
      case "ping":
        return `ping(${hex(e.payload)})`;
      case "pong":
        return `pong(${hex(e.payload)})`;
    }
  });
}

/** Up to 48 bytes as hex, for messages. */
export function hex(bytes: Uint8Array): string {
  const shown = Array.from(bytes.subarray(0, 48), (b) => b.toString(16).padStart(2, "0")).join("");
  return bytes.length > 48 ? `${shown}…` : shown;
}
