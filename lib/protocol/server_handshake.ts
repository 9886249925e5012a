/**
 * The server side of the opening handshake (RFC 6455 §4.2): reading and
 * checking the client's upgrade request, choosing a subprotocol, and the
 * bytes of the `101 Switching Protocols` answer or of a refusal.
 *
 * @module
 */

import { encodeLatin1, headerTextProblem, writeLatin1 } from "./_header_text.ts";
import { isValidKey } from "./accept_key.ts";
import { HandshakeError } from "./errors.ts";
import {
  type HeaderList,
  type HttpHead,
  isToken,
  parseRequestLine,
  reasonPhrase,
} from "./http_head.ts";

/**
 * A client's upgrade request that passed every check of RFC 6455 §4.2.1.
 *
 * @example Parse an upgrade request
 * ```ts
 * import { HttpHeadParser, parseClientRequest, type ClientRequest } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * const head = new HttpHeadParser().push(new TextEncoder().encode(
 *   "GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
 *     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
 * ))!;
 * const request: ClientRequest = parseClientRequest(head);
 * assert.equal(request.target, "/chat");
 * assert.equal(request.origin, "");
 * ```
 */
export interface ClientRequest {
  /** The method; always `GET`. */
  readonly method: string;
  /** The resource name: path and query as sent (taken out of an absolute-form target). */
  readonly target: string;
  /** The host the client asked for: the `Host` header, or the authority of an absolute-form target. */
  readonly host: string;
  /** The `Sec-WebSocket-Key`, to compute the accept value from. */
  readonly key: string;
  /** The WebSocket protocol version; always 13. */
  readonly version: number;
  /** The offered subprotocols from every `Sec-WebSocket-Protocol` header, in order, as sent. */
  readonly protocols: string[];
  /** The raw `Sec-WebSocket-Extensions` offer, or `""`. */
  readonly extensions: string;
  /** The `Origin` (or legacy `Sec-WebSocket-Origin`) header, or `""`. */
  readonly origin: string;
  /** Every header of the request. */
  readonly headers: HeaderList;
}

const ABSOLUTE_TARGET = /^(?:wss?|https?):\/\//i;

function badRequest(
  message: string,
  headers: ReadonlyArray<readonly [string, string]> = [],
): HandshakeError {
  return new HandshakeError(400, message, headers);
}

// RFC 9112 §3.2: origin-form "/path?query", or absolute-form "ws://host/path?query".
function resourceName(target: string): { path: string; authority: string | null } {
  if (target.startsWith("/")) {
    if (target.includes("#")) throw badRequest(`The request target "${target}" has a fragment`);
    return { path: target, authority: null };
  }
  if (ABSOLUTE_TARGET.test(target)) {
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      throw badRequest(`The request target "${target}" is not a valid URL`);
    }
    // RFC 6455 §3: a WebSocket URI has no fragment and no user information.
    if (target.includes("#") || url.username !== "" || url.password !== "" || url.host === "") {
      throw badRequest(`The request target "${target}" is not a valid WebSocket URL`);
    }
    const afterScheme = target.indexOf("//") + 2;
    let pathStart = target.slice(afterScheme).search(/[/?]/);
    pathStart = pathStart === -1 ? target.length : afterScheme + pathStart;
    const rest = target.slice(pathStart);
    return { path: rest.startsWith("/") ? rest : `/${rest}`, authority: url.host };
  }
  throw badRequest(
    `The request target "${target}" is neither a path ("/chat") nor a ws:// or http:// URL`,
  );
}

/**
 * Reads and checks a client's upgrade request (RFC 6455 §4.2.1), in this
 * order: an HTTP/1.1 or later `GET` to a path or ws/http URL, one `Host`,
 * `Upgrade: websocket`, a `Connection` list holding `upgrade`, one
 * `Sec-WebSocket-Key` of 16 bytes, `Sec-WebSocket-Version: 13`, and token
 * subprotocols. Token comparisons ignore case, so
 * `Connection: keep-alive, Upgrade` passes.
 *
 * A failure throws a {@linkcode HandshakeError} whose `status` and `headers`
 * are the refusal to send with {@linkcode buildRejectResponse}: 400 for a bad
 * request (with `Allow: GET` when the method is wrong), 426 with
 * `Sec-WebSocket-Version: 13` for a version other than 13 (RFC 6455 §4.4).
 *
 * @example Refuse an old protocol version
 * ```ts
 * import { HeaderList, parseClientRequest } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * const headers = new HeaderList([
 *   ["Host", "example.com"],
 *   ["Upgrade", "websocket"],
 *   ["Connection", "keep-alive, Upgrade"],
 *   ["Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="],
 *   ["Sec-WebSocket-Version", "8"],
 * ]);
 * assert.throws(() => parseClientRequest({ startLine: "GET / HTTP/1.1", headers }), {
 *   status: 426,
 *   headers: [["Sec-WebSocket-Version", "13"]],
 * });
 * ```
 *
 * @param head The parsed request head.
 * @returns The request's parts.
 * @throws {HandshakeError} 400 or 426, with the headers the refusal must carry.
 */
export function parseClientRequest(head: HttpHead): ClientRequest {
  const { method, target } = parseRequestLine(head.startLine);
  // RFC 6455 §4.1 point 2: the method MUST be GET.
  if (method !== "GET") {
    throw badRequest(`The method of a WebSocket handshake must be GET, not ${method}`, [[
      "Allow",
      "GET",
    ]]);
  }
  const { path, authority } = resourceName(target);
  const headers = head.headers;

  // RFC 9112 §3.2: an HTTP/1.1 request without exactly one Host is answered 400.
  const hosts = headers.getAll("host");
  if (hosts.length !== 1 || hosts[0] === "") {
    throw badRequest(
      hosts.length === 0
        ? "The request has no Host header"
        : "The request must have exactly one non-empty Host header",
    );
  }
  // RFC 9112 §3.2.2: with an absolute-form target, its authority is the host.
  const host = authority ?? hosts[0];

  // RFC 6455 §4.2.1 points 3 and 4.
  if (!headers.tokens("upgrade").includes("websocket")) {
    throw badRequest(
      `The request has no "Upgrade: websocket" header (Upgrade: ${
        describe(headers.get("upgrade"))
      })`,
    );
  }
  if (!headers.tokens("connection").includes("upgrade")) {
    throw badRequest(
      `The request's Connection header does not include "Upgrade" (Connection: ${
        describe(headers.get("connection"))
      })`,
    );
  }

  // RFC 6455 §4.2.1 point 5: one key, base64 of 16 bytes.
  const keys = headers.getAll("sec-websocket-key");
  if (keys.length !== 1) {
    throw badRequest(
      keys.length === 0
        ? "The request has no Sec-WebSocket-Key header"
        : "The request has more than one Sec-WebSocket-Key header",
    );
  }
  const key = keys[0];
  if (!isValidKey(key)) {
    throw badRequest(`The Sec-WebSocket-Key "${key}" is not base64 of 16 bytes`);
  }

  // RFC 6455 §4.2.1 point 6 and §4.4: a version this server does not speak gets 426 and the versions it does.
  if (!headers.has("sec-websocket-version")) {
    throw badRequest("The request has no Sec-WebSocket-Version header");
  }
  if (!headers.tokens("sec-websocket-version").includes("13")) {
    throw new HandshakeError(
      426,
      `Unsupported WebSocket version ${
        headers.get("sec-websocket-version")
      }: this server speaks version 13`,
      [["Sec-WebSocket-Version", "13"]],
    );
  }

  // RFC 6455 §4.1 point 10: subprotocol names are tokens.
  const protocols: string[] = [];
  for (const value of headers.getAll("sec-websocket-protocol")) {
    for (const element of value.split(",")) {
      const protocol = element.replace(/^[ \t]+|[ \t]+$/g, "");
      if (protocol === "") continue;
      if (!isToken(protocol)) {
        throw badRequest(`The subprotocol "${protocol}" is not a valid token`);
      }
      protocols.push(protocol);
    }
  }

  return {
    method,
    target: path,
    host,
    key,
    version: 13,
    protocols,
    extensions: headers.get("sec-websocket-extensions") ?? "",
    // RFC 6455 §4.2.1 point 7; Sec-WebSocket-Origin is what hybi-07 to hybi-10 clients sent.
    origin: headers.get("origin") ?? headers.get("sec-websocket-origin") ?? "",
    headers,
  };
}

function describe(value: string | null): string {
  return value === null ? "absent" : `"${value}"`;
}

/**
 * Chooses the subprotocol to answer with: the first of the client's offers,
 * in the client's order, that the server supports (Qt 6 semantics), or `""`
 * when there is none. Names are compared exactly.
 *
 * @example The client's most preferred supported subprotocol wins
 * ```ts
 * import { chooseSubprotocol } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * assert.equal(chooseSubprotocol(["v2", "v1"], ["v1", "v2"]), "v2");
 * assert.equal(chooseSubprotocol(["v3"], ["v1", "v2"]), "");
 * ```
 *
 * @param offered The client's subprotocols, most preferred first.
 * @param supported The server's subprotocols.
 * @returns The chosen subprotocol, or `""`.
 */
export function chooseSubprotocol(
  offered: readonly string[],
  supported: readonly string[],
): string {
  for (const protocol of offered) {
    if (supported.includes(protocol)) return protocol;
  }
  return "";
}

/**
 * What goes into a `101 Switching Protocols` answer.
 *
 * @example Accept with a subprotocol and a Server header
 * ```ts
 * import type { AcceptResponseOptions } from "@qtws/websockets/protocol";
 *
 * const options: AcceptResponseOptions = {
 *   accept: "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
 *   protocol: "chat",
 *   serverName: "Echo Server",
 * };
 * ```
 */
export interface AcceptResponseOptions {
  /** The `Sec-WebSocket-Accept` value (see `computeAcceptKey`). */
  readonly accept: string;
  /** The chosen subprotocol; no header when absent or empty. */
  readonly protocol?: string;
  /** The accepted `Sec-WebSocket-Extensions` value; no header when absent or empty. */
  readonly extensions?: string;
  /** The `Server` header, without CR, LF or NUL; no header when absent or empty. */
  readonly serverName?: string;
  /**
   * Extra headers, after the handshake headers. Those the handshake sets
   * itself, and `Content-Length` and `Transfer-Encoding` (a 101 has no
   * body), are dropped; so is `Server` when {@linkcode serverName} is set.
   */
  readonly headers?: Iterable<readonly [string, string]>;
}

/**
 * What goes into a refusal.
 *
 * @example Refuse with a body and a Server header
 * ```ts
 * import type { RejectResponseOptions } from "@qtws/websockets/protocol";
 *
 * const options: RejectResponseOptions = { body: "Origin not allowed\n", serverName: "Echo Server" };
 * ```
 */
export interface RejectResponseOptions {
  /**
   * Extra headers, such as `HandshakeError.headers`. `Content-Length`,
   * `Transfer-Encoding` and `Connection` are set by the response and dropped
   * here; a `Content-Type` or `Sec-WebSocket-Version` replaces the default
   * one; `Server` is dropped when {@linkcode serverName} is set.
   */
  readonly headers?: Iterable<readonly [string, string]>;
  /** The body, sent as UTF-8. Default: a short sentence for the status. */
  readonly body?: string;
  /** The `Server` header, without CR, LF or NUL; no header when absent or empty. */
  readonly serverName?: string;
}

const ACCEPT_PREFIX: Uint8Array = encodeLatin1(
  "HTTP/1.1 101 Switching Protocols\r\n" +
    "Upgrade: websocket\r\n" +
    "Connection: Upgrade\r\n" +
    "Sec-WebSocket-Accept: ",
);
const ACCEPT_VALUE = /^[A-Za-z0-9+/]{27}=$/;
const ACCEPT_RESERVED: ReadonlySet<string> = new Set([
  "upgrade",
  "connection",
  "sec-websocket-accept",
  "sec-websocket-protocol",
  "sec-websocket-extensions",
  "content-length",
  "transfer-encoding",
]);

// Text the server itself puts in a header; a bad value is a bug in the server, so 500.
function checkServerText(field: string, text: string): void {
  const problem = headerTextProblem(text);
  if (problem !== null) {
    throw new HandshakeError(500, `The ${field} ${problem}; the response was not built`);
  }
}

// Qt takes any string as the server name: drop what cannot go into a header rather than fail.
function sanitizeServerName(name: string | undefined): string {
  if (name === undefined) return "";
  return name.replace(/[\r\n\0]/g, "").replace(/[^\0-\xff]/g, "?").trim();
}

function extraHeaders(
  headers: Iterable<readonly [string, string]> | undefined,
  dropped: (lowerName: string) => boolean,
): string {
  let text = "";
  for (const [name, value] of headers ?? []) {
    checkServerText(`name of the header "${name}"`, name);
    if (!isToken(name)) throw new HandshakeError(500, `The header name "${name}" is not a token`);
    checkServerText(`value of the header "${name}"`, value);
    if (!dropped(name.toLowerCase())) text += `${name}: ${value}\r\n`;
  }
  return text;
}

/**
 * Builds the `101 Switching Protocols` answer (RFC 6455 §4.2.2 point 5):
 * `Upgrade: websocket`, `Connection: Upgrade`, `Sec-WebSocket-Accept`, then
 * `Sec-WebSocket-Protocol`, `Sec-WebSocket-Extensions` and `Server` when
 * given, then the extra headers. The constant start is encoded once, at load.
 *
 * @example The RFC 6455 §1.3 response
 * ```ts
 * import { buildAcceptResponse } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * const bytes = buildAcceptResponse({ accept: "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", protocol: "chat" });
 * assert.equal(
 *   new TextDecoder().decode(bytes),
 *   "HTTP/1.1 101 Switching Protocols\r\n" +
 *     "Upgrade: websocket\r\n" +
 *     "Connection: Upgrade\r\n" +
 *     "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" +
 *     "Sec-WebSocket-Protocol: chat\r\n" +
 *     "\r\n",
 * );
 * ```
 *
 * @param options The accept value and the optional headers.
 * @returns The response head.
 * @throws {HandshakeError} 500 when `accept` is not a 28-character base64
 *   value, `protocol` is not a token, or a value cannot go into a header.
 */
export function buildAcceptResponse(options: AcceptResponseOptions): Uint8Array {
  const { accept, protocol = "", extensions = "" } = options;
  if (!ACCEPT_VALUE.test(accept)) {
    throw new HandshakeError(
      500,
      `"${accept}" is not a Sec-WebSocket-Accept value (base64 of 20 bytes)`,
    );
  }
  let tail = accept + "\r\n";
  if (protocol !== "") {
    if (!isToken(protocol)) {
      throw new HandshakeError(500, `The subprotocol "${protocol}" is not a token`);
    }
    tail += `Sec-WebSocket-Protocol: ${protocol}\r\n`;
  }
  if (extensions !== "") {
    checkServerText("Sec-WebSocket-Extensions value", extensions);
    tail += `Sec-WebSocket-Extensions: ${extensions}\r\n`;
  }
  const serverName = sanitizeServerName(options.serverName);
  if (serverName !== "") tail += `Server: ${serverName}\r\n`;
  tail += extraHeaders(
    options.headers,
    (name) => ACCEPT_RESERVED.has(name) || (name === "server" && serverName !== ""),
  );
  tail += "\r\n";
  const bytes = new Uint8Array(ACCEPT_PREFIX.length + tail.length);
  bytes.set(ACCEPT_PREFIX);
  writeLatin1(tail, bytes, ACCEPT_PREFIX.length);
  return bytes;
}

const DEFAULT_BODIES: ReadonlyMap<number, string> = new Map([
  [400, "This is not a valid WebSocket handshake request.\n"],
  [403, "This origin is not allowed to open a WebSocket here.\n"],
  [404, "There is no WebSocket endpoint at this path.\n"],
  [405, "A WebSocket handshake must use the GET method.\n"],
  [426, "This server only speaks WebSocket version 13.\n"],
  [431, "The handshake request head is too large.\n"],
  [500, "The server failed while answering the handshake.\n"],
  [503, "The server cannot accept more WebSocket connections now; try again later.\n"],
]);

// Headers that describe the response's own framing; the caller cannot override them.
const REJECT_RESERVED: ReadonlySet<string> = new Set([
  "content-length",
  "transfer-encoding",
  "connection",
]);

/**
 * Builds a refusal of the handshake: the status line with the standard
 * reason phrase, `Content-Type: text/plain; charset=utf-8`,
 * `Content-Length`, `Connection: close` (the server closes the connection
 * after it), `Upgrade: websocket` and `Sec-WebSocket-Version: 13` for 426
 * (RFC 9110 §15.5.22, RFC 6455 §4.4), the extra
 * headers, and a short UTF-8 body.
 *
 * @example Answer a wrong version
 * ```ts
 * import { buildRejectResponse } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   new TextDecoder().decode(buildRejectResponse(426)),
 *   "HTTP/1.1 426 Upgrade Required\r\n" +
 *     "Content-Type: text/plain; charset=utf-8\r\n" +
 *     "Content-Length: 46\r\n" +
 *     "Connection: close\r\n" +
 *     "Upgrade: websocket\r\n" +
 *     "Sec-WebSocket-Version: 13\r\n" +
 *     "\r\n" +
 *     "This server only speaks WebSocket version 13.\n",
 * );
 * ```
 *
 * @example Answer with a HandshakeError
 * ```ts
 * import { buildRejectResponse, HandshakeError } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * const error = new HandshakeError(400, "Bad method", [["Allow", "GET"]]);
 * const text = new TextDecoder().decode(
 *   buildRejectResponse(error.status, { headers: error.headers, body: `${error.message}\n` }),
 * );
 * assert.ok(text.startsWith("HTTP/1.1 400 Bad Request\r\n"));
 * assert.ok(text.includes("\r\nAllow: GET\r\n"));
 * assert.ok(text.endsWith("\r\n\r\nBad method\n"));
 * ```
 *
 * @param status The HTTP status, 100 to 599.
 * @param options Extra headers, the body and the server name.
 * @returns The whole response, head and body.
 * @throws {RangeError} When `status` is not an integer from 100 to 599.
 * @throws {HandshakeError} 500 when a header cannot go into a head.
 */
export function buildRejectResponse(
  status: number,
  options: RejectResponseOptions = {},
): Uint8Array {
  if (!Number.isInteger(status) || status < 100 || status > 599) {
    throw new RangeError(`buildRejectResponse: ${status} is not an HTTP status code`);
  }
  const reason = reasonPhrase(status);
  const fallback = reason === "" ? `${status}\n` : `${status} ${reason}\n`;
  const body = new TextEncoder().encode(options.body ?? DEFAULT_BODIES.get(status) ?? fallback);
  const extra = Array.from(options.headers ?? [], ([name, value]) => [name, value] as const);
  const given = new Set(extra.map(([name]) => name.toLowerCase()));
  const serverName = sanitizeServerName(options.serverName);

  let head = `HTTP/1.1 ${status} ${reason}\r\n`;
  if (serverName !== "") head += `Server: ${serverName}\r\n`;
  if (!given.has("content-type")) head += "Content-Type: text/plain; charset=utf-8\r\n";
  head += `Content-Length: ${body.length}\r\n`;
  head += "Connection: close\r\n";
  // RFC 9110 §15.5.22: a 426 MUST name the protocol to upgrade to.
  if (status === 426 && !given.has("upgrade")) head += "Upgrade: websocket\r\n";
  if (status === 426 && !given.has("sec-websocket-version")) {
    head += "Sec-WebSocket-Version: 13\r\n";
  }
  head += extraHeaders(
    extra,
    (name) => REJECT_RESERVED.has(name) || (name === "server" && serverName !== ""),
  );
  head += "\r\n";

  const bytes = new Uint8Array(head.length + body.length);
  writeLatin1(head, bytes, 0);
  bytes.set(body, head.length);
  return bytes;
}
