/**
 * The client side of the opening handshake (RFC 6455 §4.1): the upgrade
 * request to send, and the checks the server's response must pass before the
 * connection counts as open.
 *
 * @module
 */

import { encodeLatin1, headerTextProblem } from "./_header_text.ts";
import { computeAcceptKey, generateKey, isValidKey } from "./accept_key.ts";
import { HandshakeError } from "./errors.ts";
import {
  type HeaderList,
  type HttpHead,
  isToken,
  parseStatusLine,
  reasonPhrase,
} from "./http_head.ts";

/**
 * What goes into a client's upgrade request.
 *
 * @example A wss: client with an origin, subprotocols and a token
 * ```ts
 * import type { ClientHandshakeOptions } from "@qtws/websockets/protocol";
 *
 * const options: ClientHandshakeOptions = {
 *   url: new URL("wss://example.com/chat"),
 *   origin: "https://example.com",
 *   protocols: ["chat.v2", "chat"],
 *   headers: [["Authorization", "Bearer abc"]],
 * };
 * ```
 */
export interface ClientHandshakeOptions {
  /** The server's URL: `ws:`, `wss:`, or their aliases `http:` and `https:`. The fragment is never sent. */
  readonly url: URL;
  /** The `Origin` header; left out when absent or empty. */
  readonly origin?: string;
  /** Subprotocols to offer, most preferred first; each must be a token. */
  readonly protocols?: readonly string[];
  /** A raw `Sec-WebSocket-Extensions` offer; left out when absent or empty. */
  readonly extensions?: string;
  /**
   * Extra request headers. One that would override a handshake header
   * (`Host`, `Upgrade`, `Connection`, `Sec-WebSocket-Key`,
   * `Sec-WebSocket-Version`, `Sec-WebSocket-Accept`,
   * `Sec-WebSocket-Extensions`, and `Origin` when {@linkcode origin} is set)
   * is dropped; a `Sec-WebSocket-Protocol` header is merged into
   * {@linkcode protocols}, as Qt does.
   */
  readonly headers?: Iterable<readonly [string, string]>;
  /** The `Sec-WebSocket-Key` to send; only for tests. Default: a fresh {@linkcode generateKey}. */
  readonly key?: string;
}

/**
 * A built upgrade request and what the response must be checked against;
 * pass it as `expected` to {@linkcode validateServerResponse}.
 *
 * @example Build the request for a ws: URL
 * ```ts
 * import { buildClientRequest, type ClientHandshakeRequest } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * const request: ClientHandshakeRequest = buildClientRequest({ url: new URL("ws://localhost:8080") });
 * assert.equal(request.key.length, 24);
 * assert.deepEqual(request.protocols, []);
 * ```
 */
export interface ClientHandshakeRequest {
  /** The request head, ready to write to the connection. */
  readonly bytes: Uint8Array;
  /** The `Sec-WebSocket-Key` that was sent. */
  readonly key: string;
  /** The subprotocols offered, after merging any extra `Sec-WebSocket-Protocol` header. */
  readonly protocols: readonly string[];
  /** The extension offer that was sent, or `""`. */
  readonly extensions: string;
}

/**
 * What a server's response must match: the key that was sent and what was offered.
 *
 * @example What the client checks the 101 response against
 * ```ts
 * import type { ExpectedServerResponse } from "@qtws/websockets/protocol";
 *
 * const expected: ExpectedServerResponse = { key: "dGhlIHNhbXBsZSBub25jZQ==", protocols: ["chat"] };
 * ```
 */
export interface ExpectedServerResponse {
  /** The `Sec-WebSocket-Key` the client sent. */
  readonly key: string;
  /** The subprotocols the client offered. */
  readonly protocols: readonly string[];
  /** The extension offer the client sent; absent or `""` when none. */
  readonly extensions?: string;
}

/**
 * The outcome of a successful handshake, as the server answered it.
 *
 * @example A 101 response without subprotocol or extensions
 * ```ts
 * import { HeaderList, type ServerHandshakeResult } from "@qtws/websockets/protocol";
 *
 * const result: ServerHandshakeResult = {
 *   status: 101,
 *   protocol: "",
 *   extensions: "",
 *   headers: new HeaderList(),
 * };
 * ```
 */
export interface ServerHandshakeResult {
  /** Always 101. */
  readonly status: 101;
  /** The subprotocol the server chose, or `""` when none. */
  readonly protocol: string;
  /**
   * The server's raw `Sec-WebSocket-Extensions` value, or `""`. Only the
   * fact that extensions were offered is checked here; the extension layer
   * validates the parameters.
   */
  readonly extensions: string;
  /** Every header of the response. */
  readonly headers: HeaderList;
}

// Headers the handshake itself sets; an extra header with one of these names is dropped.
const RESERVED_REQUEST_HEADERS: ReadonlySet<string> = new Set([
  "host",
  "upgrade",
  "connection",
  "sec-websocket-key",
  "sec-websocket-version",
  "sec-websocket-accept",
  "sec-websocket-extensions",
]);

// Refuses text that would break out of its line, before anything is sent.
function checkText(field: string, text: string): void {
  const problem = headerTextProblem(text);
  if (problem !== null) {
    throw new HandshakeError(0, `The ${field} ${problem}; the request was not sent`);
  }
}

function addProtocol(protocols: string[], protocol: string): void {
  checkText(`subprotocol "${protocol}"`, protocol);
  // RFC 6455 §4.1 point 10: the elements are tokens and unique.
  if (!isToken(protocol)) {
    throw new HandshakeError(
      0,
      `The subprotocol "${protocol}" is not a valid token (RFC 6455 §4.1: visible ASCII without separators)`,
    );
  }
  if (!protocols.includes(protocol)) protocols.push(protocol);
}

/**
 * Builds the client's upgrade request (RFC 6455 §4.1): `GET` of the URL's
 * path and query over HTTP/1.1 with `Host`, `Upgrade: websocket`,
 * `Connection: Upgrade`, a fresh `Sec-WebSocket-Key`,
 * `Sec-WebSocket-Version: 13`, then `Origin`, `Sec-WebSocket-Protocol` and
 * `Sec-WebSocket-Extensions` when given, then the extra headers.
 *
 * Text that would break out of its header line (CR, LF, NUL) is refused
 * before anything is built, so a URL or header from an untrusted source
 * cannot inject headers.
 *
 * @example The RFC 6455 §1.3 request
 * ```ts
 * import { buildClientRequest } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * const request = buildClientRequest({
 *   url: new URL("ws://server.example.com/chat"),
 *   origin: "http://example.com",
 *   protocols: ["chat", "superchat"],
 *   key: "dGhlIHNhbXBsZSBub25jZQ==",
 * });
 * assert.equal(
 *   new TextDecoder().decode(request.bytes),
 *   "GET /chat HTTP/1.1\r\n" +
 *     "Host: server.example.com\r\n" +
 *     "Upgrade: websocket\r\n" +
 *     "Connection: Upgrade\r\n" +
 *     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
 *     "Sec-WebSocket-Version: 13\r\n" +
 *     "Origin: http://example.com\r\n" +
 *     "Sec-WebSocket-Protocol: chat, superchat\r\n" +
 *     "\r\n",
 * );
 * ```
 *
 * @param options The URL, offers and extra headers.
 * @returns The request bytes, the key, and what was offered.
 * @throws {HandshakeError} With status 0 for an unsupported scheme, an
 *   invalid key or subprotocol, or text that cannot go into a header.
 */
export function buildClientRequest(options: ClientHandshakeOptions): ClientHandshakeRequest {
  const url = options.url;
  if (!["ws:", "wss:", "http:", "https:"].includes(url.protocol)) {
    throw new HandshakeError(
      0,
      `Unsupported URL scheme "${url.protocol}": use ws:, wss:, http: or https:`,
    );
  }
  // RFC 6455 §3: the resource name is the path, "/" when empty, and the query.
  const target = (url.pathname === "" ? "/" : url.pathname) + url.search;
  checkText("request target (URL path and query)", target);
  // URL#host leaves out the scheme's default port and brackets IPv6 addresses (RFC 6455 §4.1 point 4).
  const host = url.host;
  checkText("Host (URL host)", host);
  if (host === "") throw new HandshakeError(0, `The URL ${url.href} has no host`);

  const key = options.key ?? generateKey();
  if (!isValidKey(key)) {
    throw new HandshakeError(0, `The Sec-WebSocket-Key "${key}" is not base64 of 16 bytes`);
  }
  const origin = options.origin ?? "";
  checkText("Origin", origin);
  const extensions = options.extensions ?? "";
  checkText("Sec-WebSocket-Extensions offer", extensions);

  const protocols: string[] = [];
  for (const protocol of options.protocols ?? []) addProtocol(protocols, protocol);

  const extra: string[] = [];
  for (const [name, value] of options.headers ?? []) {
    checkText(`name of the header "${name}"`, name);
    if (!isToken(name)) throw new HandshakeError(0, `The header name "${name}" is not a token`);
    checkText(`value of the header "${name}"`, value);
    const lower = name.toLowerCase();
    if (lower === "sec-websocket-protocol") {
      for (const element of value.split(",")) {
        const protocol = element.trim();
        if (protocol !== "") addProtocol(protocols, protocol);
      }
    } else if (!RESERVED_REQUEST_HEADERS.has(lower) && !(lower === "origin" && origin !== "")) {
      extra.push(`${name}: ${value}\r\n`);
    }
  }

  let head = `GET ${target} HTTP/1.1\r\n` +
    `Host: ${host}\r\n` +
    "Upgrade: websocket\r\n" +
    "Connection: Upgrade\r\n" +
    `Sec-WebSocket-Key: ${key}\r\n` +
    "Sec-WebSocket-Version: 13\r\n";
  if (origin !== "") head += `Origin: ${origin}\r\n`;
  if (protocols.length > 0) head += `Sec-WebSocket-Protocol: ${protocols.join(", ")}\r\n`;
  if (extensions !== "") head += `Sec-WebSocket-Extensions: ${extensions}\r\n`;
  head += extra.join("") + "\r\n";
  return { bytes: encodeLatin1(head), key, protocols, extensions };
}

/**
 * Checks the server's response to the upgrade request (RFC 6455 §4.1, the
 * client's requirements on the response), in this order: an HTTP/1.1 or
 * later `101` status, `Upgrade: websocket`, a `Connection` list holding
 * `upgrade`, the right `Sec-WebSocket-Accept`, a `Sec-WebSocket-Protocol`
 * that is one offered value, and no `Sec-WebSocket-Extensions` unless
 * extensions were offered. Token comparisons ignore case, so
 * `Connection: keep-alive, Upgrade` passes.
 *
 * @example The RFC 6455 §1.3 response
 * ```ts
 * import { HttpHeadParser, validateServerResponse } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * const head = new HttpHeadParser().push(new TextEncoder().encode(
 *   "HTTP/1.1 101 Switching Protocols\r\n" +
 *     "Upgrade: websocket\r\n" +
 *     "Connection: Upgrade\r\n" +
 *     "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" +
 *     "Sec-WebSocket-Protocol: chat\r\n" +
 *     "\r\n",
 * ))!;
 * const result = await validateServerResponse(head, {
 *   key: "dGhlIHNhbXBsZSBub25jZQ==",
 *   protocols: ["chat", "superchat"],
 * });
 * assert.equal(result.protocol, "chat");
 * ```
 *
 * @example A refusal names the status
 * ```ts
 * import { HeaderList, validateServerResponse } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * await assert.rejects(
 *   validateServerResponse(
 *     { startLine: "HTTP/1.1 404 Not Found", headers: new HeaderList() },
 *     { key: "dGhlIHNhbXBsZSBub25jZQ==", protocols: [] },
 *   ),
 *   { status: 404, message: "Server answered 404 Not Found instead of 101 Switching Protocols" },
 * );
 * ```
 *
 * @param head The parsed response head.
 * @param expected The key sent and what was offered; a {@linkcode ClientHandshakeRequest} fits.
 * @returns The chosen subprotocol, the raw extensions and the headers.
 * @throws {HandshakeError} (as a rejected promise) with the status received
 *   (101 for a 101 that fails a check), or 0 for a malformed status line.
 */
export async function validateServerResponse(
  head: HttpHead,
  expected: ExpectedServerResponse,
): Promise<ServerHandshakeResult> {
  const { version, status, reason } = parseStatusLine(head.startLine);
  if (status !== 101) {
    const phrase = reason !== "" ? reason : reasonPhrase(status);
    throw new HandshakeError(
      status,
      `Server answered ${status}${
        phrase === "" ? "" : ` ${phrase}`
      } instead of 101 Switching Protocols`,
    );
  }
  // parseStatusLine guarantees "HTTP/d.d": anything before 1.1 (0.x, 1.0) is too old.
  if (version < "HTTP/1.1") {
    throw new HandshakeError(
      101,
      `Server answered with ${version}; a WebSocket handshake needs HTTP/1.1 or later`,
    );
  }
  const headers = head.headers;
  if (!headers.tokens("upgrade").includes("websocket")) {
    throw new HandshakeError(
      101,
      `The server's 101 response has no "Upgrade: websocket" header (Upgrade: ${
        describe(headers.get("upgrade"))
      })`,
    );
  }
  if (!headers.tokens("connection").includes("upgrade")) {
    throw new HandshakeError(
      101,
      `The server's 101 response has no "Connection: Upgrade" header (Connection: ${
        describe(headers.get("connection"))
      })`,
    );
  }
  const accept = headers.get("sec-websocket-accept");
  if (accept === null) {
    throw new HandshakeError(101, "The server's 101 response has no Sec-WebSocket-Accept header");
  }
  if (accept !== await computeAcceptKey(expected.key)) {
    throw new HandshakeError(
      101,
      `The server's Sec-WebSocket-Accept "${accept}" does not match the key that was sent`,
    );
  }
  // Empty values are read as absent: nothing was chosen, and nothing is at stake.
  const protocol = headers.get("sec-websocket-protocol") ?? "";
  if (protocol !== "") {
    // RFC 6455 §4.1: the server picks one subprotocol, and only one that was offered.
    if (protocol.includes(",")) {
      throw new HandshakeError(
        101,
        `The server's Sec-WebSocket-Protocol "${protocol}" is not a single subprotocol`,
      );
    }
    if (!expected.protocols.includes(protocol)) {
      throw new HandshakeError(
        101,
        expected.protocols.length === 0
          ? `The server chose the subprotocol "${protocol}" but none was offered`
          : `The server chose the subprotocol "${protocol}", which was not offered (offered: ${
            expected.protocols.join(", ")
          })`,
      );
    }
  }
  const extensions = headers.get("sec-websocket-extensions") ?? "";
  if (headers.tokens("sec-websocket-extensions").length > 0 && (expected.extensions ?? "") === "") {
    // RFC 6455 §4.1: an extension the client did not ask for fails the connection.
    throw new HandshakeError(
      101,
      `The server's 101 response names an extension not offered: Sec-WebSocket-Extensions: ${extensions}`,
    );
  }
  return { status: 101, protocol, extensions, headers };
}

function describe(value: string | null): string {
  return value === null ? "absent" : `"${value}"`;
}
