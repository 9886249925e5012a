/**
 * HTTP CONNECT tunnels (RFC 9110 §9.3.6): a TCP connection to an HTTP proxy
 * that, after `CONNECT host:port`, carries bytes to and from the target. The
 * WebSocket opening handshake (and for `wss:` the TLS session, end to end)
 * then runs inside the tunnel.
 *
 * @module
 */

import { QAbstractSocket } from "../protocol/qabstract_socket.ts";
import { HandshakeError } from "../protocol/errors.ts";
import { type HttpHead, type HttpHeadLimits, HttpHeadParser } from "../protocol/http_head.ts";
import { type ConnectTarget, TransportError } from "./connect.ts";
import {
  attemptThroughProxy,
  bracketed,
  proxyConnectError,
  writeToProxy,
} from "./proxy_connection.ts";
import type { Tunnel } from "./open_stream.ts";

const E = QAbstractSocket.SocketError;

/** An HTTP proxy to tunnel through. */
export interface ProxyServer {
  /** The proxy's host name or IP address (IPv6 without brackets). */
  hostname: string;
  /** The proxy's port. */
  port: number;
  /** The user name for Basic authentication, or `""`. */
  user: string;
  /** The password for Basic authentication, or `""`. */
  password: string;
}

/** Credentials given after a 407. */
export interface ProxyCredentials {
  /** The user name. */
  user: string;
  /** The password. */
  password: string;
}

/** How a tunnel behaves. */
export interface HttpConnectTunnelOptions {
  /**
   * The bound, in ms, on each attempt's proxy phase: reaching the proxy and
   * reading its answer to `CONNECT`. Past it the attempt fails with
   * `ProxyConnectionTimeoutError`. Default {@linkcode DEFAULT_PROXY_TIMEOUT}.
   */
  timeout?: number;
  /**
   * Asked, synchronously, for credentials when the proxy answers 407 to an
   * attempt without credentials or with refused ones; at most once per
   * `open()`. `null` (or no callback) gives up.
   */
  authenticate?: (realm: string) => ProxyCredentials | null;
}

/** The bound on the proxy phase when none is given, in ms. */
export const DEFAULT_PROXY_TIMEOUT = 30_000;

// A proxy's answer to CONNECT is a status line and a few fields; anything
// larger is not a proxy we can talk to.
const PROXY_HEAD_LIMITS: HttpHeadLimits = {
  maxHeadBytes: 16384,
  maxLineBytes: 8192,
  maxHeaderCount: 100,
};
// Interim (1xx) answers skipped before the final one, at most.
const MAX_INTERIM = 4;
const LF = 0x0a;
const CR = 0x0d;
const HTTP_PREFIX = new TextEncoder().encode("HTTP/");

type Attempt =
  | { kind: "open"; conn: Deno.TcpConn }
  | { kind: "auth"; status: string; realm: string; basic: boolean; scheme: string };

/**
 * A {@linkcode Tunnel} through an HTTP proxy. Each `open()` connects to the
 * proxy, sends `CONNECT host:port HTTP/1.1` with `Host` and, when
 * credentials are known, `Proxy-Authorization: Basic ...`, and reads the
 * answer:
 *
 * - 2xx: the tunnel is open. The answer is read exactly up to its empty line,
 *   never further, so any bytes the proxy passes on after it stay in the
 *   connection for the tunnel's user (TLS or the WebSocket handshake).
 * - 407: the realm of the `Basic` challenge goes to `authenticate`; with
 *   credentials the attempt is repeated once on a new connection, otherwise
 *   `ProxyAuthenticationRequiredError`. A 401 with a `WWW-Authenticate`
 *   challenge counts as a 407: tinyproxy answers refused credentials so, and
 *   no server but the proxy can answer a `CONNECT` before the tunnel exists.
 * - any other status: `ProxyConnectionRefusedError`, status in the message.
 * - not HTTP, or a malformed or oversized head: `ProxyProtocolError`.
 * - the proxy closes first: `ProxyConnectionClosedError`.
 * - the proxy refuses or cannot be reached: `ProxyConnectionRefusedError`;
 *   its name does not resolve: `ProxyNotFoundError`; no answer within the
 *   timeout: `ProxyConnectionTimeoutError`.
 *
 * Credentials learned from `authenticate` are kept for later `open()` calls
 * on the same tunnel. No message this class produces contains a user name,
 * password or authorization header.
 */
export class HttpConnectTunnel implements Tunnel {
  readonly #hostname: string;
  readonly #port: number;
  readonly #where: string;
  readonly #timeout: number;
  readonly #authenticate: ((realm: string) => ProxyCredentials | null) | undefined;
  #authorization: string | null;

  /**
   * @param proxy The proxy, with credentials to send from the first attempt
   *   when either field is not empty.
   * @param options Timeout and the 407 callback.
   */
  constructor(proxy: ProxyServer, options: HttpConnectTunnelOptions = {}) {
    this.#hostname = proxy.hostname;
    this.#port = proxy.port;
    this.#where = `${bracketed(proxy.hostname)}:${proxy.port}`;
    this.#timeout = options.timeout ?? DEFAULT_PROXY_TIMEOUT;
    this.#authenticate = options.authenticate;
    this.#authorization = proxy.user !== "" || proxy.password !== ""
      ? basicAuthorization(proxy.user, proxy.password)
      : null;
  }

  /**
   * Opens a tunnel to `target`.
   *
   * @param target Where the tunnel must lead.
   * @param signal Cancels the attempt; the rejection is then `signal.reason`.
   * @returns The connection to the proxy, now carrying the target's bytes.
   * @throws {TransportError} Classified as a Qt proxy error.
   */
  async open(target: ConnectTarget, signal: AbortSignal): Promise<Deno.TcpConn> {
    signal.throwIfAborted();
    const authority = `${bracketed(target.hostname)}:${target.port}`;
    if (target.hostname === "" || hasControlOrSpace(authority)) {
      throw new TransportError(
        E.HostNotFoundError,
        `Cannot tunnel to an invalid host name through proxy ${this.#where}`,
      );
    }
    let asked = false;
    for (;;) {
      const sent = this.#authorization !== null;
      const outcome = await this.#attempt(authority, signal);
      if (outcome.kind === "open") return outcome.conn;
      const status = outcome.status;
      if (!outcome.basic) {
        throw new TransportError(
          E.ProxyAuthenticationRequiredError,
          `Proxy ${this.#where} answered ${status} asking for ${
            printable(outcome.scheme) || "an unnamed"
          } authentication; only Basic authentication is supported`,
        );
      }
      if (asked) {
        throw new TransportError(
          E.ProxyAuthenticationRequiredError,
          `Proxy ${this.#where} answered ${status}: it refused the credentials given for ${
            realmText(outcome.realm)
          }`,
        );
      }
      asked = true;
      const credentials = this.#authenticate?.(outcome.realm) ?? null;
      signal.throwIfAborted();
      if (credentials === null) {
        throw new TransportError(
          E.ProxyAuthenticationRequiredError,
          `Proxy ${this.#where} answered ${status}: ${
            sent ? "it refused the credentials" : "it requires credentials"
          } for ${
            realmText(outcome.realm)
          } (set them on the QNetworkProxy or in a proxyAuthenticationRequired listener)`,
        );
      }
      this.#authorization = basicAuthorization(credentials.user, credentials.password);
    }
  }

  #attempt(authority: string, signal: AbortSignal): Promise<Attempt> {
    return attemptThroughProxy(
      { hostname: this.#hostname, port: this.#port, where: this.#where },
      this.#timeout,
      `Proxy ${this.#where} did not answer the CONNECT request within ${this.#timeout} ms`,
      signal,
      (conn) => this.#connect(conn, authority),
    );
  }

  async #connect(conn: Deno.TcpConn, authority: string): Promise<Attempt> {
    const lines = [`CONNECT ${authority} HTTP/1.1`, `Host: ${authority}`];
    if (this.#authorization !== null) lines.push(`Proxy-Authorization: ${this.#authorization}`);
    await writeToProxy(
      conn,
      new TextEncoder().encode(lines.join("\r\n") + "\r\n\r\n"),
      this.#where,
    );
    const head = await readFinalHead(conn, this.#where);
    const { status, reason } = statusOf(head, this.#where);
    if (status >= 200 && status < 300) return { kind: "open", conn };
    if (status === 407 || status === 401) {
      const header = status === 407 ? "proxy-authenticate" : "www-authenticate";
      return {
        kind: "auth",
        status: `${status}${reason === "" ? "" : " " + reason}`,
        ...challengeOf(head, header),
      };
    }
    throw new TransportError(
      E.ProxyConnectionRefusedError,
      `Proxy ${this.#where} refused to open a tunnel to ${authority}: ${status}${
        reason === "" ? "" : " " + reason
      }`,
    );
  }
}

// Reads heads until a final (non-1xx) one, without reading past it.
async function readFinalHead(conn: Deno.TcpConn, where: string): Promise<HttpHead> {
  for (let interim = 0;; interim++) {
    const head = await readHead(conn, where);
    const { status } = statusOf(head, where);
    if (status >= 200 || status === 101 || interim === MAX_INTERIM) return head;
  }
}

// Reads one head, never past its empty line: while the bytes so far end in
// the middle of a line the head needs at least two more bytes ("\n\n"), and
// after an LF (or LF CR) it may end with the next byte, so each read asks for
// no more than the fewest bytes that could complete it. Whatever the proxy
// sends after the head stays unread in the connection: it belongs to the tunnel.
async function readHead(conn: Deno.TcpConn, where: string): Promise<HttpHead> {
  const parser = new HttpHeadParser(PROXY_HEAD_LIMITS);
  const buffer = new Uint8Array(2);
  let previous = 0;
  let last = 0;
  let prefix = 0;
  for (;;) {
    const want = last === LF || (previous === LF && last === CR) ? 1 : 2;
    let n: number | null;
    try {
      n = await conn.read(buffer.subarray(0, want));
    } catch (error) {
      throw proxyConnectError(error, where);
    }
    if (n === null) {
      throw new TransportError(
        E.ProxyConnectionClosedError,
        `Proxy ${where} closed the connection before answering the CONNECT request`,
      );
    }
    const chunk = buffer.subarray(0, n);
    // Fail at once on a peer that is not an HTTP proxy (a TLS or SSH server
    // answers with other bytes and would otherwise leave us waiting).
    for (const byte of chunk) {
      if (prefix < HTTP_PREFIX.length && !(prefix === 0 && (byte === CR || byte === LF))) {
        if (byte !== HTTP_PREFIX[prefix]) throw notHttp(where);
        prefix++;
      }
    }
    let head: HttpHead | null;
    try {
      head = parser.push(chunk);
    } catch (error) {
      if (error instanceof HandshakeError) {
        throw new TransportError(
          E.ProxyProtocolError,
          `Proxy ${where} sent a malformed answer to the CONNECT request: ${error.message}`,
        );
      }
      throw error;
    }
    if (head !== null) return head;
    if (n === 2) previous = chunk[0];
    else if (n === 1) previous = last;
    if (n > 0) last = chunk[n - 1];
  }
}

function notHttp(where: string): TransportError {
  return new TransportError(
    E.ProxyProtocolError,
    `Proxy ${where} did not answer the CONNECT request with HTTP: it is not an HTTP proxy`,
  );
}

function statusOf(head: HttpHead, where: string): { status: number; reason: string } {
  const match = /^HTTP\/1\.\d ([1-9]\d\d)(?: (.*))?$/.exec(head.startLine);
  if (match === null) {
    throw new TransportError(
      E.ProxyProtocolError,
      `Proxy ${where} answered the CONNECT request with an invalid status line`,
    );
  }
  return { status: Number(match[1]), reason: printable(match[2] ?? "") };
}

// RFC 9110 §11.6.1 / §11.3: the proxy's challenges, e.g.
// `Basic realm="corp", charset="UTF-8"` or `Negotiate, Basic realm=x`.
function challengeOf(
  head: HttpHead,
  header: string,
): { realm: string; basic: boolean; scheme: string } {
  const values = head.headers.getAll(header);
  if (values.length === 0) return { realm: "", basic: true, scheme: "Basic" };
  const joined = values.join(", ");
  const basic = /(?:^|,)\s*basic(?=\s|,|$)/i.exec(joined);
  if (basic === null) {
    return { realm: "", basic: false, scheme: /^\s*([^\s,]+)/.exec(joined)?.[1] ?? "" };
  }
  const params = joined.slice(basic.index + basic[0].length);
  const realm = /\brealm\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/i.exec(params);
  const text = realm === null ? "" : realm[1]?.replace(/\\(.)/g, "$1") ?? realm[2] ?? "";
  return { realm: text, basic: true, scheme: "Basic" };
}

function realmText(realm: string): string {
  return realm === "" ? "its realm" : `realm "${printable(realm)}"`;
}

// Proxy-supplied text goes into error messages: printable ASCII only, short.
function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, "?").slice(0, 100);
}

// A name with a space or control character would split the request line.
function hasControlOrSpace(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code <= 0x20 || code === 0x7f) return true;
  }
  return false;
}

// RFC 7617: user-id ":" password, UTF-8 encoded, then Base64.
function basicAuthorization(user: string, password: string): string {
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return "Basic " + btoa(binary);
}
