/**
 * Wire helpers shared by the load generator, the raw echo server and the
 * client benchmark: deterministic payloads, pre-built frames, the upgrade
 * request, and a minimal streaming parser that checks every echoed byte.
 *
 * Written for speed, not for generality: the parser accepts only what an echo
 * of our own messages can look like (unmasked data frames, optionally
 * fragmented, and a final close), and anything else is reported as an error.
 *
 * @module
 */

/** RFC 6455 §1.3: the GUID appended to the key for Sec-WebSocket-Accept. */
export const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** A fixed handshake key: the generator checks the accept value it implies. */
export const KEY = "dGhlIHNhbXBsZSBub25jZQ==";

/** The accept value for {@linkcode KEY} (RFC 6455 §1.3's own example). */
export const ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/** Computes Sec-WebSocket-Accept for a key. */
export async function acceptFor(key: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(key + GUID));
  let binary = "";
  for (const b of new Uint8Array(digest)) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** The client's upgrade request, as bytes. */
export function upgradeRequest(host: string, port: number, path = "/"): Uint8Array {
  return new TextEncoder().encode(
    `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\n` +
      `Connection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
}

/** Deterministic payload `index` of `size` bytes: ASCII text or pseudo-random binary. */
export function payload(index: number, size: number, text: boolean): Uint8Array {
  const bytes = new Uint8Array(size);
  if (text) {
    // Starts with the index in hex, so two messages never look alike.
    const head = index.toString(16).padStart(8, "0");
    for (let i = 0; i < size; i++) {
      bytes[i] = i < head.length ? head.charCodeAt(i) : 0x61 + ((index * 7 + i * 13) % 26);
    }
    return bytes;
  }
  let x = (index + 1) * 0x9e3779b1 >>> 0 || 1;
  const words = new Uint32Array(bytes.buffer, 0, size >>> 2);
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  for (let i = words.length * 4; i < size; i++) bytes[i] = (index + i) & 0xff;
  return bytes;
}

function headerSize(length: number, masked: boolean): number {
  return (length < 126 ? 2 : length < 65536 ? 4 : 10) + (masked ? 4 : 0);
}

/**
 * Encodes one frame with FIN set; masked (client to server) when `mask` is
 * given, as RFC 6455 §5.3 requires of clients.
 */
export function encodeFrame(opcode: number, data: Uint8Array, mask?: number): Uint8Array {
  const length = data.length;
  const masked = mask !== undefined;
  const head = headerSize(length, masked);
  const frame = new Uint8Array(head + length);
  frame[0] = 0x80 | opcode;
  let at = 2;
  if (length < 126) {
    frame[1] = length;
  } else if (length < 65536) {
    frame[1] = 126;
    frame[2] = length >>> 8;
    frame[3] = length & 0xff;
    at = 4;
  } else {
    frame[1] = 127;
    new DataView(frame.buffer).setBigUint64(2, BigInt(length));
    at = 10;
  }
  if (masked) {
    frame[1] |= 0x80;
    const key = [mask >>> 24, (mask >>> 16) & 0xff, (mask >>> 8) & 0xff, mask & 0xff];
    frame.set(key, at);
    at += 4;
    for (let i = 0; i < length; i++) frame[at + i] = data[i]! ^ key[i & 3]!;
  } else {
    frame.set(data, at);
  }
  return frame;
}

/** A masked close frame with code 1000. */
export const CLOSE_FRAME: Uint8Array = encodeFrame(0x8, new Uint8Array([0x03, 0xe8]), 0x1234abcd);

/**
 * `count` masked frames laid out back to back, followed by the first
 * `extra` of them again, so any run of up to `extra` consecutive frames
 * starting at any index is one contiguous slice (one write, no copy).
 */
export class FrameRing {
  /** All frames, with the wrap-around tail. */
  readonly bytes: Uint8Array;
  /** Byte offset of each frame (count + extra + 1 entries). */
  readonly offsets: Uint32Array;
  /** The number of distinct frames. */
  readonly count: number;

  constructor(frames: Uint8Array[], extra: number) {
    this.count = frames.length;
    const all = [...frames];
    for (let i = 0; i < extra; i++) all.push(frames[i % frames.length]!);
    this.offsets = new Uint32Array(all.length + 1);
    let total = 0;
    for (let i = 0; i < all.length; i++) {
      this.offsets[i] = total;
      total += all[i]!.length;
    }
    this.offsets[all.length] = total;
    this.bytes = new Uint8Array(total);
    for (let i = 0; i < all.length; i++) this.bytes.set(all[i]!, this.offsets[i]!);
  }

  /** Frames `first` to `first + n - 1` (indices taken modulo `count`) as one slice. */
  slice(first: number, n: number): Uint8Array {
    const start = first % this.count;
    return this.bytes.subarray(this.offsets[start]!, this.offsets[start + n]!);
  }
}

/**
 * An expected message, held in four copies at the four byte alignments, so a
 * received piece at any address can be compared a 32-bit word at a time.
 */
export class Expected {
  readonly length: number;
  readonly #copies: Uint8Array[] = [];

  constructor(bytes: Uint8Array) {
    this.length = bytes.length;
    for (let shift = 0; shift < 4; shift++) {
      const copy = new Uint8Array(bytes.length + 4).subarray(shift, shift + bytes.length);
      copy.set(bytes);
      this.#copies.push(copy);
    }
  }

  /** The message's bytes. */
  get bytes(): Uint8Array {
    return this.#copies[0]!;
  }

  /** Whether `got[pos, pos + n)` equals this message's bytes at `offset`. */
  matches(got: Uint8Array, pos: number, n: number, offset: number): boolean {
    if (n < 64) {
      const want = this.#copies[0]!;
      for (let i = 0; i < n; i++) if (got[pos + i] !== want[offset + i]) return false;
      return true;
    }
    const start = got.byteOffset + pos;
    // The copy whose `offset` sits at the same alignment as `got[pos]`.
    const want = this.#copies[(start - offset) & 3]!;
    const lead = (4 - (start & 3)) & 3;
    for (let i = 0; i < lead; i++) if (got[pos + i] !== want[offset + i]) return false;
    const words = (n - lead) >>> 2;
    const a = new Uint32Array(got.buffer, start + lead, words);
    const b = new Uint32Array(want.buffer, want.byteOffset + offset + lead, words);
    for (let i = 0; i < words; i++) if (a[i] !== b[i]) return false;
    for (let i = lead + words * 4; i < n; i++) {
      if (got[pos + i] !== want[offset + i]) return false;
    }
    return true;
  }
}

/**
 * Follows the server's side of one connection and checks that message `k`
 * is `expected[k % expected.length]`, byte for byte, with the right opcode.
 * Frames may be fragmented; the check runs as bytes arrive (nothing is
 * buffered but a split header).
 */
export class EchoVerifier {
  readonly #expected: Expected[];
  readonly #opcode: number;
  /** Called when message `index` is complete and correct. */
  onMessage: (index: number) => void = () => {};
  /** The first problem found, or `null`. */
  error: string | null = null;
  /** Whether the server's close frame arrived. */
  closed = false;
  /** Messages completed. */
  messages = 0;

  #header = new Uint8Array(14);
  #headerFill = 0;
  #inPayload = false;
  #frameLeft = 0;
  #control = false;
  #fin = false;
  #inMessage = false;
  #offset = 0;

  constructor(expected: Expected[], opcode: number) {
    this.#expected = expected;
    this.#opcode = opcode;
  }

  /** Feeds received bytes; returns `false` once an error is found. */
  push(chunk: Uint8Array): boolean {
    const end = chunk.length;
    let pos = 0;
    while (pos < end) {
      if (this.#inPayload) {
        const n = Math.min(this.#frameLeft, end - pos);
        if (!this.#control) {
          const want = this.#expected[this.messages % this.#expected.length]!;
          if (this.#offset + n > want.length || !want.matches(chunk, pos, n, this.#offset)) {
            return this.#fail(
              `message ${this.messages}: payload differs near byte ${this.#offset}`,
            );
          }
          this.#offset += n;
        }
        pos += n;
        this.#frameLeft -= n;
        if (this.#frameLeft === 0) this.#endFrame();
        continue;
      }
      // Gather the 2-byte head, then the extended length.
      const header = this.#header;
      while (this.#headerFill < 2 && pos < end) header[this.#headerFill++] = chunk[pos++]!;
      if (this.#headerFill < 2) break;
      const code = header[1]! & 0x7f;
      if ((header[1]! & 0x80) !== 0) return this.#fail("the server masked a frame");
      const size = code < 126 ? 2 : code === 126 ? 4 : 10;
      while (this.#headerFill < size && pos < end) header[this.#headerFill++] = chunk[pos++]!;
      if (this.#headerFill < size) break;
      this.#headerFill = 0;
      let length = code;
      if (code === 126) length = (header[2]! << 8) | header[3]!;
      if (code === 127) {
        length = ((header[6]! << 24) | (header[7]! << 16) | (header[8]! << 8) | header[9]!) >>> 0;
        length += (((header[4]! << 24) | (header[5]! << 16)) >>> 0) * 0x100000000;
      }
      if (!this.#startFrame(header[0]!, length)) return false;
    }
    return true;
  }

  #startFrame(b0: number, length: number): boolean {
    const opcode = b0 & 0x0f;
    this.#fin = (b0 & 0x80) !== 0;
    this.#control = opcode >= 0x8;
    if (opcode === 0x8) {
      this.closed = true;
    } else if (this.#control) {
      return this.#fail(`unexpected control frame 0x${opcode.toString(16)}`);
    } else if (opcode === 0) {
      if (!this.#inMessage) return this.#fail("continuation without a message");
    } else {
      if (this.#inMessage) return this.#fail("new message inside a fragmented one");
      if (opcode !== this.#opcode) return this.#fail(`opcode ${opcode}, expected ${this.#opcode}`);
      this.#inMessage = true;
      this.#offset = 0;
    }
    this.#frameLeft = length;
    this.#inPayload = length > 0;
    if (length === 0) this.#endFrame();
    return true;
  }

  #endFrame(): void {
    this.#inPayload = false;
    if (this.#control || !this.#fin) return;
    const want = this.#expected[this.messages % this.#expected.length]!;
    if (this.#offset !== want.length) {
      this.#fail(`message ${this.messages}: ${this.#offset} bytes, expected ${want.length}`);
      return;
    }
    this.#inMessage = false;
    this.onMessage(this.messages++);
  }

  #fail(message: string): false {
    this.error ??= message;
    return false;
  }
}

/**
 * Reads an HTTP head from `conn` (up to the blank line) and returns it as
 * text with whatever followed it.
 */
export async function readHead(
  conn: Deno.Conn,
  buffer: Uint8Array,
): Promise<{ head: string; rest: Uint8Array } | null> {
  let filled = 0;
  for (;;) {
    const n = await conn.read(buffer.subarray(filled));
    if (n === null) return null;
    filled += n;
    for (let i = Math.max(3, filled - n); i < filled; i++) {
      if (
        buffer[i] === 0x0a && buffer[i - 1] === 0x0d && buffer[i - 2] === 0x0a &&
        buffer[i - 3] === 0x0d
      ) {
        return {
          head: new TextDecoder().decode(buffer.subarray(0, i + 1)),
          rest: buffer.slice(i + 1, filled),
        };
      }
    }
    if (filled === buffer.length) throw new Error("HTTP head too long");
  }
}

/** Checks a 101 response to {@linkcode upgradeRequest}. */
export function checkUpgradeResponse(head: string): string | null {
  if (!head.startsWith("HTTP/1.1 101")) return `not a 101: ${head.split("\r\n")[0]}`;
  const accept = /\r\nsec-websocket-accept:\s*(\S+)/i.exec(head)?.[1];
  return accept === ACCEPT ? null : `bad Sec-WebSocket-Accept ${accept}`;
}

/**
 * CPU time (user + system) of processes so far, in seconds, from
 * /proc/<pid>/stat. Deno lets only --allow-all read /proc directly, so the
 * file is read by `cat` (the generator runs with --allow-run=cat), outside
 * the measured window.
 */
export async function cpuSeconds(pids: number[]): Promise<number[]> {
  try {
    const output = await new Deno.Command("cat", {
      args: pids.map((pid) => `/proc/${pid}/stat`),
      stdout: "piped",
      stderr: "null",
    }).output();
    const lines = new TextDecoder().decode(output.stdout).trim().split("\n");
    return lines.map((stat) => {
      // Fields after the command name (which may hold spaces) start at ")".
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return (Number(fields[11]) + Number(fields[12])) / 100;
    });
  } catch {
    return pids.map(() => NaN);
  }
}

/** Percentiles of latency samples in ms. */
export function percentiles(
  samples: Float64Array,
  count: number,
): { p50: number; p99: number } | null {
  if (count === 0) return null;
  const sorted = samples.slice(0, count).sort();
  const at = (q: number) => sorted[Math.min(count - 1, Math.floor(q * count))]!;
  return { p50: at(0.5), p99: at(0.99) };
}
