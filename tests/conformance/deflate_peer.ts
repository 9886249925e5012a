/**
 * permessage-deflate for the fuzzing peer (Autobahn categories 12 and 13):
 * the offers and accepts of Autobahn's `case12_x_x.py`, and a DEFLATE codec
 * written from RFC 1951 alone, independent of zlib and of qtws's codec, so
 * that the implementation under test is checked against a second reading of
 * the format rather than against itself.
 *
 * The codec is strict where RFC 7692 lets it be: a back-reference further
 * than the negotiated window (`*_max_window_bits`) fails, as does a stream
 * that does not end on the appended empty stored block. It compresses with
 * fixed Huffman codes and greedy LZ77 matching within the negotiated window,
 * keeping (or dropping) the window between messages as negotiated.
 *
 * @module
 */

// --- negotiation (Autobahn's PerMessageDeflateOffer / ...Accept) -------------------

/** One client offer, as Autobahn's `PerMessageDeflateOffer(requestNoContextTakeover, requestMaxWindowBits)`. */
export interface DeflateOffer {
  /** Ask the server for `server_no_context_takeover`. */
  requestNoContextTakeover: boolean;
  /** Ask the server for `server_max_window_bits` (0: do not ask). */
  requestMaxWindowBits: number;
}

/** The parameters one side runs with, after the handshake. */
export interface DeflateParams {
  /** Reset the compressor after each message. */
  sendNoContextTakeover: boolean;
  /** The compressor's window (base-2 logarithm). */
  sendWindowBits: number;
  /** Reset the decompressor after each message. */
  receiveNoContextTakeover: boolean;
  /** The largest back-reference accepted (base-2 logarithm). */
  receiveWindowBits: number;
}

/**
 * Autobahn's offer string: it always offers `client_no_context_takeover` and
 * `client_max_window_bits` (its `acceptNoContextTakeover` and
 * `acceptMaxWindowBits` default to true), then what it requests.
 */
export function offerString(offer: DeflateOffer): string {
  let text = "permessage-deflate; client_no_context_takeover; client_max_window_bits";
  if (offer.requestNoContextTakeover) text += "; server_no_context_takeover";
  if (offer.requestMaxWindowBits !== 0) {
    text += `; server_max_window_bits=${offer.requestMaxWindowBits}`;
  }
  return text;
}

type Params = Map<string, string | null>;

/** The permessage-deflate elements of an extensions header; `null` when malformed. */
export function parseElements(header: string): Array<{ name: string; params: Params }> | null {
  const elements: Array<{ name: string; params: Params }> = [];
  for (const element of header.split(",")) {
    if (element.trim() === "") continue;
    const [name, ...rest] = element.split(";").map((p) => p.trim());
    const params: Params = new Map();
    for (const param of rest) {
      const eq = param.indexOf("=");
      const key = (eq < 0 ? param : param.slice(0, eq)).trim();
      const value = eq < 0 ? null : param.slice(eq + 1).trim().replace(/^"(.*)"$/, "$1");
      if (key === "" || params.has(key)) return null;
      params.set(key, value);
    }
    elements.push({ name: name!, params });
  }
  return elements;
}

const KNOWN = new Set([
  "server_no_context_takeover",
  "client_no_context_takeover",
  "server_max_window_bits",
  "client_max_window_bits",
]);

function bits(value: string | null | undefined): number | null {
  if (value === null || value === undefined || !/^(?:[89]|1[0-5])$/.test(value)) return null;
  return Number(value);
}

/**
 * The fuzzing client's reading of the server's answer (RFC 7692 §7.1): one
 * valid permessage-deflate element, or none. Returns the parameters the
 * fuzzer then runs with, `null` when the server declined, or a string saying
 * why the answer is invalid.
 */
export function clientParams(
  response: string,
  offers: DeflateOffer[],
): DeflateParams | null | string {
  const elements = parseElements(response);
  if (elements === null) return `malformed Sec-WebSocket-Extensions "${response}"`;
  if (elements.length === 0) return null;
  if (elements.length > 1 || elements[0]!.name !== "permessage-deflate") {
    return `unexpected extensions "${response}"`;
  }
  const p = elements[0]!.params;
  for (const [key, value] of p) {
    if (!KNOWN.has(key)) return `unknown parameter ${key}`;
    if (key.endsWith("takeover") && value !== null) return `${key} with a value`;
    if (key.endsWith("bits") && bits(value) === null) return `${key}=${value}`;
  }
  // The server must honour one of the offers (we cannot tell which: any will do).
  const serverBits = bits(p.get("server_max_window_bits")) ?? 15;
  const honoured = offers.some((o) =>
    (!o.requestNoContextTakeover || p.has("server_no_context_takeover")) &&
    (o.requestMaxWindowBits === 0 ||
      (p.has("server_max_window_bits") && serverBits <= o.requestMaxWindowBits))
  );
  if (!honoured) return `the answer "${response}" honours none of the offers`;
  return {
    sendNoContextTakeover: p.has("client_no_context_takeover"),
    sendWindowBits: bits(p.get("client_max_window_bits")) ?? 15,
    receiveNoContextTakeover: p.has("server_no_context_takeover"),
    receiveWindowBits: serverBits,
  };
}

/** How the fuzzing server answers, as Autobahn's accept functions. */
export interface DeflateAccept {
  /** Ask the client for `client_no_context_takeover`. */
  requestNoContextTakeover: boolean;
  /** Ask the client for `client_max_window_bits` (0: do not ask). */
  requestMaxWindowBits: number;
}

/**
 * The fuzzing server's answer to the client's offers: the first
 * permessage-deflate offer, accepted with what the client asked for
 * (`server_no_context_takeover`, `server_max_window_bits`) and what this case
 * requests of the client, trying each of `accepts` in order.
 *
 * Autobahn asks for `client_no_context_takeover` only from clients that
 * offered it; RFC 7692 §7.1.1.2 lets a server ask any client ("A client MUST
 * support the client_no_context_takeover extension parameter in an extension
 * negotiation response"), and this fuzzer does, so clients that do not offer
 * it (qtws, ws, browsers) are tested rather than reported as UNIMPLEMENTED.
 * `client_max_window_bits` is asked for only when offered (§7.1.2.2).
 */
export function serverAnswer(
  offersHeader: string,
  accepts: DeflateAccept[],
): { response: string; params: DeflateParams } | null {
  const elements = parseElements(offersHeader);
  if (elements === null) return null;
  for (const accept of accepts) {
    for (const element of elements) {
      if (element.name !== "permessage-deflate") continue;
      const p = element.params;
      if ([...p.keys()].some((k) => !KNOWN.has(k))) continue;
      if (accept.requestMaxWindowBits !== 0 && !p.has("client_max_window_bits")) continue;
      const serverBits = p.has("server_max_window_bits")
        ? bits(p.get("server_max_window_bits"))
        : 15;
      if (serverBits === null) continue;
      let response = "permessage-deflate";
      if (p.has("server_no_context_takeover")) response += "; server_no_context_takeover";
      if (p.has("server_max_window_bits")) response += `; server_max_window_bits=${serverBits}`;
      if (accept.requestNoContextTakeover) response += "; client_no_context_takeover";
      if (accept.requestMaxWindowBits !== 0) {
        response += `; client_max_window_bits=${accept.requestMaxWindowBits}`;
      }
      return {
        response,
        params: {
          sendNoContextTakeover: p.has("server_no_context_takeover"),
          sendWindowBits: serverBits,
          receiveNoContextTakeover: accept.requestNoContextTakeover,
          receiveWindowBits: accept.requestMaxWindowBits !== 0 ? accept.requestMaxWindowBits : 15,
        },
      };
    }
  }
  return null;
}

// --- RFC 1951 -------------------------------------------------------------------------

const LENGTH_BASE = [
  3,
  4,
  5,
  6,
  7,
  8,
  9,
  10,
  11,
  13,
  15,
  17,
  19,
  23,
  27,
  31,
  35,
  43,
  51,
  59,
  67,
  83,
  99,
  115,
  131,
  163,
  195,
  227,
  258,
];
const LENGTH_EXTRA = [
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  1,
  1,
  1,
  1,
  2,
  2,
  2,
  2,
  3,
  3,
  3,
  3,
  4,
  4,
  4,
  4,
  5,
  5,
  5,
  5,
  0,
];
const DISTANCE_BASE = [
  1,
  2,
  3,
  4,
  5,
  7,
  9,
  13,
  17,
  25,
  33,
  49,
  65,
  97,
  129,
  193,
  257,
  385,
  513,
  769,
  1025,
  1537,
  2049,
  3073,
  4097,
  6145,
  8193,
  12289,
  16385,
  24577,
];
const DISTANCE_EXTRA = [
  0,
  0,
  0,
  0,
  1,
  1,
  2,
  2,
  3,
  3,
  4,
  4,
  5,
  5,
  6,
  6,
  7,
  7,
  8,
  8,
  9,
  9,
  10,
  10,
  11,
  11,
  12,
  12,
  13,
  13,
];
const CODE_LENGTH_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/** Malformed or out-of-window DEFLATE data. */
export class DeflateFormatError extends Error {}

class ByteSink {
  bytes: Uint8Array;
  length = 0;

  constructor(capacity: number) {
    this.bytes = new Uint8Array(Math.max(capacity, 64));
  }

  push(byte: number): void {
    if (this.length === this.bytes.length) this.#grow(this.length + 1);
    this.bytes[this.length++] = byte;
  }

  append(data: Uint8Array): void {
    if (this.length + data.length > this.bytes.length) this.#grow(this.length + data.length);
    this.bytes.set(data, this.length);
    this.length += data.length;
  }

  #grow(needed: number): void {
    const next = new Uint8Array(Math.max(needed, this.bytes.length * 2));
    next.set(this.bytes.subarray(0, this.length));
    this.bytes = next;
  }
}

// Bits go out least significant first; Huffman codes most significant bit first (RFC 1951 §3.1.1).
class BitWriter {
  readonly out: ByteSink;
  #buffer = 0;
  #count = 0;

  constructor(capacity: number) {
    this.out = new ByteSink(capacity);
  }

  bits(value: number, count: number): void {
    this.#buffer |= value << this.#count;
    this.#count += count;
    while (this.#count >= 8) {
      this.out.push(this.#buffer & 0xff);
      this.#buffer >>>= 8;
      this.#count -= 8;
    }
  }

  code(code: number, length: number): void {
    let reversed = 0;
    for (let i = 0; i < length; i++) reversed |= ((code >> i) & 1) << (length - 1 - i);
    this.bits(reversed, length);
  }

  align(): void {
    if (this.#count > 0) this.bits(0, 8 - this.#count);
  }
}

// RFC 1951 §3.2.6: the fixed literal/length code.
function fixedLiteral(writer: BitWriter, symbol: number): void {
  if (symbol < 144) writer.code(0x30 + symbol, 8);
  else if (symbol < 256) writer.code(0x190 + symbol - 144, 9);
  else if (symbol < 280) writer.code(symbol - 256, 7);
  else writer.code(0xc0 + symbol - 280, 8);
}

function indexOf(table: number[], value: number): number {
  let i = table.length - 1;
  while (table[i]! > value) i--;
  return i;
}

const HASH_SIZE = 1 << 15;
const MAX_CHAIN = 48;

/** The fuzzer's compressor: fixed-Huffman blocks, LZ77 within the negotiated window. */
export class DeflateSender {
  readonly #noContextTakeover: boolean;
  readonly #window: number;
  #history: Uint8Array = new Uint8Array(0);

  constructor(params: DeflateParams) {
    this.#noContextTakeover = params.sendNoContextTakeover;
    this.#window = 1 << params.sendWindowBits;
  }

  /** One message's payload (RFC 7692 §7.2.1: flushed, trailing 00 00 ff ff removed). */
  compress(message: Uint8Array): Uint8Array {
    const history = this.#history;
    const data = new Uint8Array(history.length + message.length);
    data.set(history);
    data.set(message, history.length);
    const writer = new BitWriter(message.length + 16);
    if (message.length > 0) {
      writer.bits(0, 1); // BFINAL 0
      writer.bits(1, 2); // BTYPE 01: fixed Huffman codes
      this.#lz77(data, history.length, writer);
      fixedLiteral(writer, 256);
    }
    // The sync flush: an empty stored block.
    writer.bits(0, 3);
    writer.align();
    for (const byte of [0x00, 0x00, 0xff, 0xff]) writer.bits(byte, 8);
    this.#history = this.#noContextTakeover ? new Uint8Array(0) : data.slice(
      Math.max(0, data.length - this.#window),
    );
    return writer.out.bytes.slice(0, writer.out.length - 4);
  }

  #lz77(data: Uint8Array, start: number, writer: BitWriter): void {
    const head = new Int32Array(HASH_SIZE).fill(-1);
    const previous = new Int32Array(data.length);
    const hash = (i: number) =>
      ((data[i]! << 10) ^ (data[i + 1]! << 5) ^ data[i + 2]!) & (HASH_SIZE - 1);
    const insert = (i: number) => {
      if (i + 2 >= data.length) return;
      const h = hash(i);
      previous[i] = head[h]!;
      head[h] = i;
    };
    for (let i = Math.max(0, start - this.#window); i < start; i++) insert(i);
    let i = start;
    while (i < data.length) {
      let bestLength = 0;
      let bestDistance = 0;
      if (i + 2 < data.length) {
        let candidate = head[hash(i)]!;
        const max = Math.min(258, data.length - i);
        for (let chain = 0; candidate >= 0 && chain < MAX_CHAIN; chain++) {
          const distance = i - candidate;
          if (distance > this.#window) break;
          let length = 0;
          while (length < max && data[candidate + length] === data[i + length]) length++;
          if (length > bestLength) {
            bestLength = length;
            bestDistance = distance;
            if (length === max) break;
          }
          candidate = previous[candidate]!;
        }
      }
      if (bestLength >= 3) {
        const l = indexOf(LENGTH_BASE, bestLength);
        fixedLiteral(writer, 257 + l);
        writer.bits(bestLength - LENGTH_BASE[l]!, LENGTH_EXTRA[l]!);
        const d = indexOf(DISTANCE_BASE, bestDistance);
        writer.code(d, 5);
        writer.bits(bestDistance - DISTANCE_BASE[d]!, DISTANCE_EXTRA[d]!);
        for (let k = 0; k < bestLength; k++) insert(i + k);
        i += bestLength;
      } else {
        fixedLiteral(writer, data[i]!);
        insert(i);
        i++;
      }
    }
  }
}

interface Huffman {
  counts: Uint16Array;
  symbols: Uint16Array;
}

function huffman(lengths: ArrayLike<number>): Huffman {
  const counts = new Uint16Array(16);
  for (let i = 0; i < lengths.length; i++) counts[lengths[i]!]!++;
  counts[0] = 0;
  let left = 1;
  for (let len = 1; len < 16; len++) {
    left = (left << 1) - counts[len]!;
    if (left < 0) throw new DeflateFormatError("over-subscribed Huffman code");
  }
  const offsets = new Uint16Array(16);
  for (let len = 1; len < 15; len++) offsets[len + 1] = offsets[len]! + counts[len]!;
  const symbols = new Uint16Array(lengths.length);
  for (let symbol = 0; symbol < lengths.length; symbol++) {
    const len = lengths[symbol]!;
    if (len !== 0) symbols[offsets[len]!++] = symbol;
  }
  return { counts, symbols };
}

const FIXED_LITERALS = huffman(
  Array.from({ length: 288 }, (_, s) => (s < 144 ? 8 : s < 256 ? 9 : s < 280 ? 7 : 8)),
);
const FIXED_DISTANCES = huffman(new Array(30).fill(5));

class BitReader {
  readonly #data: Uint8Array;
  #byte = 0;
  #bit = 0;

  constructor(data: Uint8Array) {
    this.#data = data;
  }

  get atEnd(): boolean {
    return this.#byte >= this.#data.length;
  }

  bit(): number {
    if (this.#byte >= this.#data.length) {
      throw new DeflateFormatError("the data ends inside a DEFLATE block");
    }
    const value = (this.#data[this.#byte]! >> this.#bit) & 1;
    if (++this.#bit === 8) {
      this.#bit = 0;
      this.#byte++;
    }
    return value;
  }

  bits(count: number): number {
    let value = 0;
    for (let i = 0; i < count; i++) value |= this.bit() << i;
    return value;
  }

  align(): void {
    if (this.#bit !== 0) {
      this.#bit = 0;
      this.#byte++;
    }
  }

  bytes(count: number): Uint8Array {
    if (this.#byte + count > this.#data.length) {
      throw new DeflateFormatError("the data ends inside a stored block");
    }
    const out = this.#data.subarray(this.#byte, this.#byte + count);
    this.#byte += count;
    return out;
  }

  decode(h: Huffman): number {
    let code = 0;
    let first = 0;
    let index = 0;
    for (let len = 1; len < 16; len++) {
      code |= this.bit();
      const count = h.counts[len]!;
      if (code - count < first) return h.symbols[index + code - first]!;
      index += count;
      first = (first + count) << 1;
      code <<= 1;
    }
    throw new DeflateFormatError("invalid Huffman code");
  }
}

/** The fuzzer's strict decompressor. */
export class DeflateReceiver {
  readonly #noContextTakeover: boolean;
  readonly #window: number;
  #history: Uint8Array = new Uint8Array(0);

  constructor(params: DeflateParams) {
    this.#noContextTakeover = params.receiveNoContextTakeover;
    this.#window = 1 << params.receiveWindowBits;
  }

  /**
   * One message's payload: 00 00 ff ff appended (RFC 7692 §7.2.2), then
   * decoded to the end.
   *
   * @throws {DeflateFormatError} For invalid data, or a reference beyond the window.
   */
  decompress(payload: Uint8Array): Uint8Array {
    const input = new Uint8Array(payload.length + 4);
    input.set(payload);
    input.set([0x00, 0x00, 0xff, 0xff], payload.length);
    const reader = new BitReader(input);
    const out = new ByteSink(this.#history.length + payload.length * 4);
    out.append(this.#history);
    const start = this.#history.length;
    let final = false;
    while (!reader.atEnd) {
      final = reader.bit() === 1;
      const type = reader.bits(2);
      if (type === 0) {
        reader.align();
        const header = reader.bytes(4);
        const length = header[0]! | (header[1]! << 8);
        if ((length ^ 0xffff) !== (header[2]! | (header[3]! << 8))) {
          throw new DeflateFormatError("invalid stored block lengths");
        }
        out.append(reader.bytes(length));
      } else if (type === 1) {
        this.#codes(reader, out, FIXED_LITERALS, FIXED_DISTANCES);
      } else if (type === 2) {
        const [literals, distances] = dynamicCodes(reader);
        this.#codes(reader, out, literals, distances);
      } else {
        throw new DeflateFormatError("invalid block type 3");
      }
      if (final) break;
    }
    const all = out.bytes.subarray(0, out.length);
    this.#history = final || this.#noContextTakeover
      ? new Uint8Array(0)
      : all.slice(Math.max(0, all.length - this.#window));
    return all.slice(start);
  }

  #codes(reader: BitReader, out: ByteSink, literals: Huffman, distances: Huffman): void {
    for (;;) {
      const symbol = reader.decode(literals);
      if (symbol < 256) {
        out.push(symbol);
        continue;
      }
      if (symbol === 256) return;
      const l = symbol - 257;
      if (l >= 29) throw new DeflateFormatError(`invalid length symbol ${symbol}`);
      const length = LENGTH_BASE[l]! + reader.bits(LENGTH_EXTRA[l]!);
      const d = reader.decode(distances);
      if (d >= 30) throw new DeflateFormatError(`invalid distance symbol ${d}`);
      const distance = DISTANCE_BASE[d]! + reader.bits(DISTANCE_EXTRA[d]!);
      // RFC 7692 §7.1.2: nothing further back than the negotiated window.
      if (distance > this.#window) {
        throw new DeflateFormatError(
          `a back-reference of ${distance} bytes exceeds the negotiated window of ${this.#window}`,
        );
      }
      if (distance > out.length) {
        throw new DeflateFormatError("a back-reference before the start of the data");
      }
      const from = out.length - distance;
      for (let k = 0; k < length; k++) out.push(out.bytes[from + k]!);
    }
  }
}

function dynamicCodes(reader: BitReader): [Huffman, Huffman] {
  const literalCount = reader.bits(5) + 257;
  const distanceCount = reader.bits(5) + 1;
  const codeLengthCount = reader.bits(4) + 4;
  if (literalCount > 286 || distanceCount > 30) {
    throw new DeflateFormatError("too many length or distance symbols");
  }
  const codeLengths = new Uint8Array(19);
  for (let i = 0; i < codeLengthCount; i++) codeLengths[CODE_LENGTH_ORDER[i]!] = reader.bits(3);
  const codeLengthCode = huffman(codeLengths);
  const lengths = new Uint8Array(literalCount + distanceCount);
  for (let i = 0; i < lengths.length;) {
    const symbol = reader.decode(codeLengthCode);
    if (symbol < 16) {
      lengths[i++] = symbol;
      continue;
    }
    let repeat: number;
    let value = 0;
    if (symbol === 16) {
      if (i === 0) throw new DeflateFormatError("a repeat with no previous length");
      value = lengths[i - 1]!;
      repeat = 3 + reader.bits(2);
    } else if (symbol === 17) {
      repeat = 3 + reader.bits(3);
    } else {
      repeat = 11 + reader.bits(7);
    }
    if (i + repeat > lengths.length) throw new DeflateFormatError("too many code lengths");
    lengths.fill(value, i, i + repeat);
    i += repeat;
  }
  if (lengths[256] === 0) throw new DeflateFormatError("no end-of-block code");
  return [huffman(lengths.subarray(0, literalCount)), huffman(lengths.subarray(literalCount))];
}
