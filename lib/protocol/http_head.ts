/**
 * The head of an HTTP/1.1 message (RFC 9112 §2–§5): its start line and
 * header fields, up to the empty line. The opening handshake of RFC 6455 §4
 * is exactly such a head in each direction, and what follows it on the
 * connection is already WebSocket frames, so only the head is parsed here.
 *
 * {@linkcode HttpHeadParser} takes bytes as they arrive, in any chopping, and
 * refuses heads that are too large (431) or malformed (400) before buffering
 * more than its limits.
 *
 * @module
 */

import { decodeLatin1 } from "./_header_text.ts";
import { HandshakeError } from "./errors.ts";

/**
 * The bounds on a head {@linkcode HttpHeadParser} accepts. A peer that
 * exceeds any of them is refused with 431 Request Header Fields Too Large
 * (RFC 6585 §5).
 *
 * @example Tighter limits for a small device
 * ```ts
 * import { HttpHeadParser, type HttpHeadLimits } from "@qtws/websockets/protocol";
 *
 * const limits: HttpHeadLimits = { maxHeadBytes: 8192, maxLineBytes: 2048, maxHeaderCount: 32 };
 * new HttpHeadParser(limits);
 * ```
 */
export interface HttpHeadLimits {
  /** The most bytes the whole head may take, line endings and the empty line included. */
  maxHeadBytes: number;
  /** The most bytes one line may take, its line ending not counted. */
  maxLineBytes: number;
  /** The most header fields the head may carry. */
  maxHeaderCount: number;
}

/**
 * The limits {@linkcode HttpHeadParser} uses unless told otherwise: a 64 KiB
 * head, 8 KiB lines (Qt's field limit) and 100 header fields.
 *
 * @example The default limits
 * ```ts
 * import { DEFAULT_HTTP_HEAD_LIMITS } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DEFAULT_HTTP_HEAD_LIMITS.maxHeadBytes, 65536);
 * assert.equal(DEFAULT_HTTP_HEAD_LIMITS.maxLineBytes, 8192);
 * assert.equal(DEFAULT_HTTP_HEAD_LIMITS.maxHeaderCount, 100);
 * ```
 */
export const DEFAULT_HTTP_HEAD_LIMITS: Readonly<HttpHeadLimits> = Object.freeze({
  maxHeadBytes: 65536,
  maxLineBytes: 8192,
  maxHeaderCount: 100,
});

// RFC 9110 §5.6.2: token = 1*tchar.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// RFC 9110 §5.6.3: OWS is spaces and horizontal tabs only (not U+00A0, which String#trim removes).
const LEADING_OWS = /^[ \t]+/;
const TRAILING_OWS = /[ \t]+$/;

function trimOws(text: string): string {
  return text.replace(LEADING_OWS, "").replace(TRAILING_OWS, "");
}

/**
 * Whether `text` is an RFC 9110 §5.6.2 token: one or more visible ASCII
 * characters other than the delimiters `"(),/:;<=>?@[\]{}`. Header names,
 * methods and WebSocket subprotocol names (RFC 6455 §4.1) are tokens.
 *
 * @example Subprotocol names must be tokens
 * ```ts
 * import { isToken } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isToken("chat.v2"));
 * assert.ok(!isToken("chat v2"));
 * assert.ok(!isToken(""));
 * ```
 *
 * @param text The text to check.
 * @returns `true` when `text` is a token.
 */
export function isToken(text: string): boolean {
  return TOKEN.test(text);
}

// Set by HttpHeadParser right before it makes the HeaderList of a head it
// parsed: the list takes the parser's array instead of a copy of it.
let adopting: Array<readonly [string, string]> | null = null;

/**
 * The header fields of a head, in the order they were received, looked up
 * without regard to case (RFC 9110 §5.1).
 *
 * @example Read a handshake's headers
 * ```ts
 * import { HeaderList } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * const headers = new HeaderList([
 *   ["Connection", "keep-alive, Upgrade"],
 *   ["Sec-WebSocket-Protocol", "chat"],
 *   ["sec-websocket-protocol", "superchat"],
 * ]);
 * assert.deepEqual(headers.tokens("connection"), ["keep-alive", "upgrade"]);
 * assert.equal(headers.get("Sec-WebSocket-Protocol"), "chat, superchat");
 * assert.equal(headers.get("Origin"), null);
 * assert.equal(headers.size, 3);
 * ```
 */
export class HeaderList {
  #entries: ReadonlyArray<readonly [string, string]>;
  // Built on the first lookup: lower-cased name → values in order.
  #byName: Map<string, string[]> | undefined;

  /**
   * Creates a list. The pairs are copied; names and values are kept as given.
   *
   * @param entries `[name, value]` pairs in order.
   */
  constructor(entries: Iterable<readonly [string, string]> = []) {
    // The parser's own list is adopted as it is (nobody else holds it); a
    // caller's entries are copied, so changing them later changes nothing here.
    const adopted = adopting;
    adopting = null;
    this.#entries = adopted ?? Array.from(entries, ([name, value]) => [name, value] as const);
  }

  /** The number of header fields, duplicates counted. */
  get size(): number {
    return this.#entries.length;
  }

  /**
   * Every field as received: names in their original case, values with
   * surrounding whitespace removed.
   *
   * @returns The `[name, value]` pairs in order.
   */
  entries(): ReadonlyArray<readonly [string, string]> {
    return this.#entries;
  }

  /**
   * Whether a field with this name is present.
   *
   * @param name The field name, in any case.
   * @returns `true` when at least one field has the name.
   */
  has(name: string): boolean {
    return this.#index().has(name.toLowerCase());
  }

  /**
   * The value of a field. Repeated fields are joined with `", "`, which
   * RFC 9110 §5.3 makes equivalent to one field holding the list.
   *
   * @param name The field name, in any case.
   * @returns The combined value, or `null` when the field is absent.
   */
  get(name: string): string | null {
    const values = this.#index().get(name.toLowerCase());
    if (values === undefined) return null;
    return values.length === 1 ? values[0] : values.join(", ");
  }

  /**
   * The value of each field with this name, in order.
   *
   * @param name The field name, in any case.
   * @returns The values; empty when the field is absent.
   */
  getAll(name: string): string[] {
    return this.#index().get(name.toLowerCase())?.slice() ?? [];
  }

  /**
   * The elements of a comma-separated list field (RFC 9110 §5.6.1) across
   * every field with this name, trimmed and lower-cased, empty elements
   * dropped. For fields whose elements are case-insensitive tokens, such as
   * `Connection` and `Upgrade`.
   *
   * @param name The field name, in any case.
   * @returns The elements in order.
   */
  tokens(name: string): string[] {
    const tokens: string[] = [];
    for (const value of this.#index().get(name.toLowerCase()) ?? []) {
      for (const element of value.split(",")) {
        const token = trimOws(element);
        if (token !== "") tokens.push(token.toLowerCase());
      }
    }
    return tokens;
  }

  /**
   * Iterates over the `[name, value]` pairs in order.
   *
   * @returns An iterator of the pairs.
   */
  [Symbol.iterator](): IterableIterator<readonly [string, string]> {
    return this.#entries[Symbol.iterator]();
  }

  #index(): Map<string, string[]> {
    if (this.#byName !== undefined) return this.#byName;
    const index = new Map<string, string[]>();
    for (const [name, value] of this.#entries) {
      const key = name.toLowerCase();
      const values = index.get(key);
      if (values === undefined) index.set(key, [value]);
      else values.push(value);
    }
    this.#byName = index;
    return index;
  }
}

/**
 * A parsed head: the start line as text and the header fields.
 *
 * @example The head of a 101 response
 * ```ts
 * import { HeaderList, type HttpHead } from "@qtws/websockets/protocol";
 *
 * const head: HttpHead = {
 *   startLine: "HTTP/1.1 101 Switching Protocols",
 *   headers: new HeaderList([["Upgrade", "websocket"]]),
 * };
 * ```
 */
export interface HttpHead {
  /** The request line or status line, without its line ending. */
  readonly startLine: string;
  /** The header fields in order. */
  readonly headers: HeaderList;
}

const LF = 0x0a;
const CR = 0x0d;
const EMPTY: Uint8Array = new Uint8Array(0);

/**
 * An incremental parser for one HTTP/1.1 head, for requests and responses
 * alike. Push bytes as they arrive, chopped in any way; it returns the head
 * once the empty line that ends it has arrived, and {@linkcode leftover}
 * gives the bytes that came after it (a peer may send its first WebSocket
 * frame in the same packet as its handshake).
 *
 * Each byte is examined once, and nothing larger than one line is copied.
 * Text is decoded as ISO-8859-1, as HTTP field bytes are opaque (RFC 9110 §5.5).
 *
 * Refusals throw {@linkcode HandshakeError}: status 431 when a limit in
 * {@linkcode HttpHeadLimits} is exceeded, 400 when the head is malformed
 * (RFC 9112): a bare CR, a NUL, a folded (`obs-fold`) line, a header name
 * that is not a token, whitespace before the colon, or no colon. A lone LF is
 * accepted as a line ending, as RFC 9112 §2.2 allows, and empty lines before
 * the start line are skipped. After a refusal every `push` throws the same error.
 *
 * @example Parse a handshake request that arrives in pieces
 * ```ts
 * import { HttpHeadParser } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * const request = new TextEncoder().encode("GET /chat HTTP/1.1\r\nHost: example.com\r\n\r\n");
 * // The client's first frame arrives in the same packet: an empty text frame.
 * const bytes = new Uint8Array([...request, 0x81, 0x80, 1, 2, 3, 4]);
 * const parser = new HttpHeadParser();
 * assert.equal(parser.push(bytes.subarray(0, 10)), null);
 * const head = parser.push(bytes.subarray(10));
 * assert.equal(head?.startLine, "GET /chat HTTP/1.1");
 * assert.equal(head?.headers.get("host"), "example.com");
 * assert.deepEqual([...parser.leftover()], [0x81, 0x80, 1, 2, 3, 4]);
 * ```
 */
export class HttpHeadParser {
  #maxHead: number;
  #maxLine: number;
  #maxHeaders: number;
  // Bytes of the head taken so far, line endings included.
  #consumed = 0;
  // The start of a line that has not ended yet, kept across pushes.
  #partial: Uint8Array = EMPTY;
  #partialLength = 0;
  #startLine: string | null = null;
  #headers: (readonly [string, string])[] = [];
  #head: HttpHead | null = null;
  #leftover: Uint8Array = EMPTY;
  #failure: HandshakeError | null = null;

  /**
   * Creates a parser for one head.
   *
   * @param limits Bounds that replace the matching {@linkcode DEFAULT_HTTP_HEAD_LIMITS}.
   * @throws {RangeError} When a limit is not a positive integer.
   */
  constructor(limits: Partial<HttpHeadLimits> = {}) {
    this.#maxHead = positiveLimit("maxHeadBytes", limits.maxHeadBytes);
    this.#maxLine = positiveLimit("maxLineBytes", limits.maxLineBytes);
    this.#maxHeaders = positiveLimit("maxHeaderCount", limits.maxHeaderCount);
  }

  /**
   * Feeds the next bytes of the connection.
   *
   * @param chunk The bytes; they are not kept once `push` returns, except
   *   that {@linkcode leftover} is a view of the chunk that completed the head.
   * @returns The head once its empty line has arrived, `null` until then.
   * @throws {HandshakeError} 431 when a limit is exceeded, 400 when the head is malformed.
   * @throws {Error} When called after the head was returned.
   */
  push(chunk: Uint8Array): HttpHead | null {
    if (this.#failure !== null) throw this.#failure;
    if (this.#head !== null) {
      throw new Error(
        "HttpHeadParser.push() was called after the head was complete; " +
          "read leftover() and pass later bytes to the frame reader",
      );
    }
    try {
      return this.#scan(chunk);
    } catch (error) {
      if (error instanceof HandshakeError) this.#failure = error;
      throw error;
    }
  }

  /**
   * The bytes that followed the head in the chunk that completed it. This is
   * a view of that chunk, not a copy: consume it before reusing the chunk's
   * memory.
   *
   * @returns The bytes after the head; empty before the head is complete.
   */
  leftover(): Uint8Array {
    return this.#leftover;
  }

  #scan(chunk: Uint8Array): HttpHead | null {
    const end = chunk.length;
    let at = 0;
    while (at < end) {
      // How far this line may run before a limit is broken, in bytes from
      // `at`: any byte at index `headRoom` makes the head too large; a byte
      // other than LF at index `lineRoom` makes the line too long (a line of
      // maxLineBytes may still be followed by its CR).
      const headRoom = this.#maxHead - this.#consumed;
      const lineRoom = this.#maxLine + 1 - this.#partialLength;
      const searchEnd = Math.min(end, at + headRoom, at + lineRoom + 1);
      const found = chunk.subarray(at, searchEnd).indexOf(LF);
      if (found === -1) {
        if (at + Math.min(headRoom, lineRoom) < end) {
          throw headRoom <= lineRoom ? this.#headTooLarge() : this.#lineTooLong();
        }
        this.#keep(chunk.subarray(at));
        this.#consumed += end - at;
        return null;
      }
      this.#consumed += found + 1;
      const line = this.#complete(chunk.subarray(at, at + found));
      at += found + 1;
      if (this.#line(line)) {
        this.#leftover = chunk.subarray(at);
        return this.#head;
      }
    }
    return null;
  }

  // Keeps the start of a line that continues in a later chunk.
  #keep(bytes: Uint8Array): void {
    const needed = this.#partialLength + bytes.length;
    if (needed > this.#partial.length) {
      const grown = new Uint8Array(Math.max(needed, this.#partial.length * 2, 256));
      grown.set(this.#partial.subarray(0, this.#partialLength));
      this.#partial = grown;
    }
    this.#partial.set(bytes, this.#partialLength);
    this.#partialLength = needed;
  }

  // The whole line: the tail in this chunk, after any start kept from earlier chunks.
  #complete(tail: Uint8Array): Uint8Array {
    if (this.#partialLength === 0) return tail;
    this.#keep(tail);
    const line = this.#partial.subarray(0, this.#partialLength);
    this.#partialLength = 0;
    return line;
  }

  // Handles one line without its LF; returns true when it was the empty line ending the head.
  #line(raw: Uint8Array): boolean {
    let length = raw.length;
    if (length > 0 && raw[length - 1] === CR) length--;
    if (length > this.#maxLine) throw this.#lineTooLong();
    for (let i = 0; i < length; i++) {
      const byte = raw[i];
      // RFC 9112 §2.2: a bare CR is invalid; RFC 9110 §5.5: NUL is dangerous.
      if (byte === CR) throw malformed("a bare CR (a CR not followed by LF)");
      if (byte === 0) throw malformed("a NUL byte");
    }
    const text = decodeLatin1(raw.subarray(0, length));
    if (this.#startLine === null) {
      // RFC 9112 §2.2: a server SHOULD ignore empty lines before the request line.
      if (text !== "") this.#startLine = text;
      return false;
    }
    if (text === "") {
      adopting = this.#headers;
      this.#head = { startLine: this.#startLine, headers: new HeaderList() };
      return true;
    }
    this.#field(text);
    return false;
  }

  #field(text: string): void {
    const first = text.charCodeAt(0);
    // RFC 9112 §5.2: line folding is obsolete; a server MUST reject it or unfold it.
    if (first === 0x20 || first === 0x09) {
      throw malformed("a folded header line (obs-fold: a line starting with whitespace)");
    }
    const colon = text.indexOf(":");
    if (colon === -1) throw malformed(`a header line without a colon: "${clip(text)}"`);
    const name = text.slice(0, colon);
    if (!isToken(name)) {
      // RFC 9112 §5.1: whitespace before the colon MUST be answered with 400.
      if (TRAILING_OWS.test(name)) {
        throw malformed(
          `whitespace between the header name "${clip(trimOws(name))}" and its colon`,
        );
      }
      throw malformed(`a header name that is not a token: "${clip(name)}"`);
    }
    this.#headers.push([name, trimOws(text.slice(colon + 1))]);
    if (this.#headers.length > this.#maxHeaders) {
      throw new HandshakeError(
        431,
        `The HTTP head has more than ${this.#maxHeaders} header fields (maxHeaderCount)`,
      );
    }
  }

  #headTooLarge(): HandshakeError {
    return new HandshakeError(
      431,
      `The HTTP head is larger than ${this.#maxHead} bytes (maxHeadBytes)`,
    );
  }

  #lineTooLong(): HandshakeError {
    return new HandshakeError(
      431,
      `An HTTP head line is longer than ${this.#maxLine} bytes (maxLineBytes)`,
    );
  }
}

function positiveLimit(name: keyof HttpHeadLimits, value: number | undefined): number {
  if (value === undefined) return DEFAULT_HTTP_HEAD_LIMITS[name];
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`HttpHeadParser: ${name} must be a positive integer, got ${value}`);
  }
  return value;
}

function malformed(what: string): HandshakeError {
  return new HandshakeError(400, `Malformed HTTP head: ${what}`);
}

// Keeps error messages short when a peer sends a long line.
function clip(text: string): string {
  return text.length > 64 ? `${text.slice(0, 64)}…` : text;
}

/**
 * The parts of a request line (RFC 9112 §3).
 *
 * @example The request line of an upgrade
 * ```ts
 * import type { RequestLine } from "@qtws/websockets/protocol";
 *
 * const line: RequestLine = { method: "GET", target: "/chat", version: "HTTP/1.1" };
 * ```
 */
export interface RequestLine {
  /** The method, such as `GET`; case-sensitive (RFC 9110 §9.1). */
  readonly method: string;
  /** The request target as sent. */
  readonly target: string;
  /** The protocol version, such as `HTTP/1.1`. */
  readonly version: string;
}

/**
 * The parts of a status line (RFC 9112 §4).
 *
 * @example The status line of a 101 response
 * ```ts
 * import type { StatusLine } from "@qtws/websockets/protocol";
 *
 * const line: StatusLine = { version: "HTTP/1.1", status: 101, reason: "Switching Protocols" };
 * ```
 */
export interface StatusLine {
  /** The protocol version, such as `HTTP/1.1`. */
  readonly version: string;
  /** The three-digit status code. */
  readonly status: number;
  /** The reason phrase; may be empty. */
  readonly reason: string;
}

const HTTP_VERSION = /^HTTP\/(\d)\.(\d)$/;
// A request target is visible ASCII (RFC 3986 has no place for anything else).
const TARGET = /^[\x21-\x7e]+$/;
const STATUS_LINE = /^(HTTP\/\d\.\d) (\d{3})(?: (.*))?$/;

/**
 * Splits a request line into method, target and version (RFC 9112 §3):
 * exactly three parts separated by single spaces, a token method, a
 * visible-ASCII target and an HTTP version of 1.1 or later (RFC 6455 §4.1
 * needs HTTP/1.1).
 *
 * @example Parse a request line; HTTP/1.0 is refused with 400
 * ```ts
 * import { parseRequestLine } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseRequestLine("GET /chat?room=1 HTTP/1.1"), {
 *   method: "GET",
 *   target: "/chat?room=1",
 *   version: "HTTP/1.1",
 * });
 * assert.throws(() => parseRequestLine("GET /chat HTTP/1.0"), { status: 400 });
 * ```
 *
 * @param startLine The first line of a request.
 * @returns The parts.
 * @throws {HandshakeError} 400 when the line is malformed or older than HTTP/1.1.
 */
export function parseRequestLine(startLine: string): RequestLine {
  const parts = startLine.split(" ");
  if (parts.length !== 3) {
    throw new HandshakeError(
      400,
      `Malformed request line "${clip(startLine)}": expected "METHOD target HTTP/1.1"`,
    );
  }
  const [method, target, version] = parts;
  if (!isToken(method)) {
    throw new HandshakeError(
      400,
      `Malformed request line: the method "${clip(method)}" is not a token`,
    );
  }
  if (!TARGET.test(target)) {
    throw new HandshakeError(
      400,
      `Malformed request line: the request target "${clip(target)}" is not valid`,
    );
  }
  const match = HTTP_VERSION.exec(version);
  if (match === null) {
    throw new HandshakeError(
      400,
      `Malformed request line: "${clip(version)}" is not an HTTP version`,
    );
  }
  if (match[1] === "0" || (match[1] === "1" && match[2] === "0")) {
    throw new HandshakeError(400, `A WebSocket handshake needs HTTP/1.1 or later, not ${version}`);
  }
  return { method, target, version };
}

/**
 * Splits a status line into version, status code and reason phrase
 * (RFC 9112 §4). A missing reason phrase is accepted, with or without its
 * space, because servers omit it and clients ignore it.
 *
 * @example Parse a status line, with or without a reason phrase
 * ```ts
 * import { parseStatusLine } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseStatusLine("HTTP/1.1 101 Switching Protocols"), {
 *   version: "HTTP/1.1",
 *   status: 101,
 *   reason: "Switching Protocols",
 * });
 * assert.equal(parseStatusLine("HTTP/1.1 404").reason, "");
 * ```
 *
 * @param startLine The first line of a response.
 * @returns The parts.
 * @throws {HandshakeError} With status 0 when the line is not a status line.
 */
export function parseStatusLine(startLine: string): StatusLine {
  const match = STATUS_LINE.exec(startLine);
  if (match === null) {
    throw new HandshakeError(
      0,
      `Malformed status line "${clip(startLine)}" in the server's response`,
    );
  }
  return { version: match[1], status: Number(match[2]), reason: match[3] ?? "" };
}

const REASON_PHRASES: ReadonlyMap<number, string> = new Map([
  [100, "Continue"],
  [101, "Switching Protocols"],
  [200, "OK"],
  [204, "No Content"],
  [301, "Moved Permanently"],
  [302, "Found"],
  [303, "See Other"],
  [307, "Temporary Redirect"],
  [308, "Permanent Redirect"],
  [400, "Bad Request"],
  [401, "Unauthorized"],
  [403, "Forbidden"],
  [404, "Not Found"],
  [405, "Method Not Allowed"],
  [407, "Proxy Authentication Required"],
  [408, "Request Timeout"],
  [409, "Conflict"],
  [410, "Gone"],
  [413, "Content Too Large"],
  [414, "URI Too Long"],
  [426, "Upgrade Required"],
  [429, "Too Many Requests"],
  [431, "Request Header Fields Too Large"],
  [500, "Internal Server Error"],
  [501, "Not Implemented"],
  [502, "Bad Gateway"],
  [503, "Service Unavailable"],
  [504, "Gateway Timeout"],
]);

/**
 * The standard reason phrase of an HTTP status code (RFC 9110 §15, RFC 6585).
 *
 * @example Known and unknown status codes
 * ```ts
 * import { reasonPhrase } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * assert.equal(reasonPhrase(426), "Upgrade Required");
 * assert.equal(reasonPhrase(599), "");
 * ```
 *
 * @param status The status code.
 * @returns The phrase, or `""` for a code without a well-known phrase.
 */
export function reasonPhrase(status: number): string {
  return REASON_PHRASES.get(status) ?? "";
}
