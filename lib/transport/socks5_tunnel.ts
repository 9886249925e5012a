/**
 * SOCKS5 tunnels (RFC 1928, username/password per RFC 1929): a TCP
 * connection to a SOCKS5 proxy that, after a CONNECT, carries bytes to and
 * from the target. The WebSocket opening handshake (and for `wss:` the TLS
 * session, end to end) then runs inside the tunnel, as through an HTTP
 * CONNECT tunnel.
 *
 * @module
 */

import { QAbstractSocket } from "../protocol/qabstract_socket.ts";
import { type ConnectTarget, TransportError } from "./connect.ts";
import type { Tunnel } from "./open_stream.ts";
import {
  attemptThroughProxy,
  bracketed,
  proxyConnectError,
  writeToProxy,
} from "./proxy_connection.ts";
import { DEFAULT_PROXY_TIMEOUT, type ProxyCredentials, type ProxyServer } from "./proxy_tunnel.ts";
import {
  AddressType,
  boundAddressLength,
  CredentialsTooLongError,
  decodeMethodSelection,
  decodeReplyHead,
  decodeUsernameReply,
  encodeConnectRequest,
  encodeGreeting,
  encodeUsernameRequest,
  METHOD_NO_ACCEPTABLE,
  METHOD_NONE,
  METHOD_USERNAME,
  ReplyCode,
  replyText,
  Socks5ProtocolError,
  type TargetAddress,
  targetAddress,
} from "./socks5_messages.ts";

const E = QAbstractSocket.SocketError;

/** How a SOCKS5 tunnel behaves. */
export interface Socks5TunnelOptions {
  /**
   * The bound, in ms, on each attempt's proxy phase: reaching the proxy,
   * authenticating and reading its answer to CONNECT. Past it the attempt
   * fails with `ProxyConnectionTimeoutError`. Default
   * {@linkcode DEFAULT_PROXY_TIMEOUT}.
   */
  timeout?: number;
  /**
   * Asked, synchronously, for credentials when the proxy wants a user name
   * and password that were not given, or refuses the ones given; at most
   * once per `open()`. SOCKS5 has no realm: it is always `""`. `null` (or
   * no callback) gives up.
   */
  authenticate?: () => ProxyCredentials | null;
}

type Attempt =
  | { kind: "open"; conn: Deno.TcpConn }
  | { kind: "auth"; refused: boolean };

/**
 * The Qt socket error for a CONNECT reply code, as Qt's
 * `QSocks5SocketEngine` maps it (qtbase `src/network/socket/
 * qsocks5socketengine.cpp`, `setErrorState`/`parseRequestMethodReply`):
 *
 * | REP | error |
 * | --- | --- |
 * | 0x01 general failure | `NetworkError` |
 * | 0x02 not allowed by ruleset | `SocketAccessError` |
 * | 0x03 network unreachable | `NetworkError` |
 * | 0x04 host unreachable | `HostNotFoundError` |
 * | 0x05 connection refused | `ConnectionRefusedError` |
 * | 0x06 TTL expired | `NetworkError` |
 * | 0x07 command not supported | `UnsupportedSocketOperationError` |
 * | 0x08 address type not supported | `UnsupportedSocketOperationError` |
 * | any other | `UnknownSocketError` |
 *
 * Except that 0x01 and 0x02 for a target sent by name are
 * `HostNotFoundError`: Qt does so because dante answers them when it cannot
 * resolve the name.
 *
 * @param reply The `REP` byte (not 0).
 * @param byName Whether the target was sent as a domain name (ATYP 3).
 * @returns The Qt socket error.
 */
export function replyError(reply: number, byName: boolean): QAbstractSocket.SocketError {
  switch (reply) {
    case ReplyCode.GeneralFailure:
      return byName ? E.HostNotFoundError : E.NetworkError;
    case ReplyCode.NotAllowed:
      return byName ? E.HostNotFoundError : E.SocketAccessError;
    case ReplyCode.NetworkUnreachable:
    case ReplyCode.TtlExpired:
      return E.NetworkError;
    case ReplyCode.HostUnreachable:
      return E.HostNotFoundError;
    case ReplyCode.ConnectionRefused:
      return E.ConnectionRefusedError;
    case ReplyCode.CommandNotSupported:
    case ReplyCode.AddressTypeNotSupported:
      return E.UnsupportedSocketOperationError;
    default:
      return E.UnknownSocketError;
  }
}

/**
 * A {@linkcode Tunnel} through a SOCKS5 proxy. Each `open()` connects to the
 * proxy and:
 *
 * 1. offers "no authentication" (0x00) and, when a user name or password is
 *    known, username/password (0x02);
 * 2. if the proxy selects 0x02, sends the credentials (RFC 1929); if it
 *    selects 0x02 without credentials known, answers 0xFF ("no acceptable
 *    method") to an offer of 0x00 alone, or refuses the credentials,
 *    `authenticate` is asked once and, filled in, the attempt is repeated on
 *    a new connection; otherwise `ProxyAuthenticationRequiredError`. 0xFF to
 *    an offer that included 0x02 is `ProxyAuthenticationRequiredError` at
 *    once (the proxy wants a method other than a password, e.g. GSSAPI);
 * 3. sends CONNECT with the target as an IPv4/IPv6 address or, for a name,
 *    the name itself (the proxy resolves it);
 * 4. reads the reply, bound address included, and not one byte further: what
 *    follows belongs to the tunnel (TLS or the WebSocket handshake).
 *
 * Every read asks for at most the bytes the current message still needs (at
 * most 262 for a reply), and the whole attempt is bounded by `timeout`.
 * Failures: a reply code per {@linkcode replyError}; not SOCKS5 (wrong
 * version byte, reserved byte, address type) `ProxyProtocolError`; the proxy
 * closes first `ProxyConnectionClosedError`; cannot be reached
 * `ProxyConnectionRefusedError`; unknown name `ProxyNotFoundError`; no answer
 * in time `ProxyConnectionTimeoutError`. No message contains a user name or
 * password.
 */
export class Socks5Tunnel implements Tunnel {
  readonly #hostname: string;
  readonly #port: number;
  readonly #where: string;
  readonly #timeout: number;
  readonly #authenticate: (() => ProxyCredentials | null) | undefined;
  #credentials: ProxyCredentials | null;

  /**
   * @param proxy The proxy, with credentials to offer from the first attempt
   *   when either field is not empty.
   * @param options Timeout and the authentication callback.
   */
  constructor(proxy: ProxyServer, options: Socks5TunnelOptions = {}) {
    this.#hostname = proxy.hostname;
    this.#port = proxy.port;
    this.#where = `${bracketed(proxy.hostname)}:${proxy.port}`;
    this.#timeout = options.timeout ?? DEFAULT_PROXY_TIMEOUT;
    this.#authenticate = options.authenticate;
    this.#credentials = proxy.user !== "" || proxy.password !== ""
      ? { user: proxy.user, password: proxy.password }
      : null;
  }

  /**
   * Opens a tunnel to `target`.
   *
   * @param target Where the tunnel must lead.
   * @param signal Cancels the attempt; the rejection is then `signal.reason`.
   * @returns The connection to the proxy, now carrying the target's bytes.
   * @throws {TransportError} Classified as a Qt socket error.
   */
  async open(target: ConnectTarget, signal: AbortSignal): Promise<Deno.TcpConn> {
    signal.throwIfAborted();
    const address = targetAddress(target.hostname);
    if (address === null) {
      throw new TransportError(
        E.HostNotFoundError,
        `Cannot tunnel to an invalid host name through SOCKS5 proxy ${this.#where}`,
      );
    }
    const destination = `${bracketed(target.hostname)}:${target.port}`;
    let asked = false;
    for (;;) {
      const offered = this.#credentials !== null;
      const outcome = await this.#attempt(address, target.port, destination, signal);
      if (outcome.kind === "open") return outcome.conn;
      if (asked) {
        throw new TransportError(
          E.ProxyAuthenticationRequiredError,
          `SOCKS5 proxy ${this.#where} refused the user name and password given`,
        );
      }
      asked = true;
      const credentials = this.#authenticate?.() ?? null;
      signal.throwIfAborted();
      if (credentials === null || (credentials.user === "" && credentials.password === "")) {
        throw new TransportError(
          E.ProxyAuthenticationRequiredError,
          `SOCKS5 proxy ${this.#where} ${
            outcome.refused && offered
              ? "refused the user name and password"
              : "requires a user name and password"
          } (set them on the QNetworkProxy or in a proxyAuthenticationRequired listener)`,
        );
      }
      this.#credentials = credentials;
    }
  }

  #attempt(
    address: TargetAddress,
    port: number,
    destination: string,
    signal: AbortSignal,
  ): Promise<Attempt> {
    return attemptThroughProxy(
      { hostname: this.#hostname, port: this.#port, where: this.#where },
      this.#timeout,
      `SOCKS5 proxy ${this.#where} did not complete the CONNECT within ${this.#timeout} ms`,
      signal,
      (conn) => this.#connect(conn, address, port, destination),
      (error) =>
        error instanceof Socks5ProtocolError
          ? new TransportError(
            E.ProxyProtocolError,
            `SOCKS5 proxy ${this.#where} broke the protocol: ${error.message}`,
          )
          : error,
    );
  }

  async #connect(
    conn: Deno.TcpConn,
    address: TargetAddress,
    port: number,
    destination: string,
  ): Promise<Attempt> {
    const credentials = this.#credentials;
    await writeToProxy(conn, encodeGreeting(credentials !== null), this.#where);
    const method = decodeMethodSelection(await this.#read(conn, 2));
    if (method === METHOD_USERNAME) {
      if (credentials === null) return { kind: "auth", refused: false };
      let request: Uint8Array;
      try {
        request = encodeUsernameRequest(credentials.user, credentials.password);
      } catch (error) {
        if (!(error instanceof CredentialsTooLongError)) throw error;
        throw new TransportError(
          E.ProxyAuthenticationRequiredError,
          `Cannot authenticate to SOCKS5 proxy ${this.#where}: ${error.message}`,
        );
      }
      await writeToProxy(conn, request, this.#where);
      if (!decodeUsernameReply(await this.#read(conn, 2))) return { kind: "auth", refused: true };
    } else if (method === METHOD_NO_ACCEPTABLE) {
      if (credentials === null) {
        // Qt asks proxyAuthenticationRequired here: a proxy that wants a
        // password answers 0xFF to an offer without one.
        return { kind: "auth", refused: false };
      }
      throw new TransportError(
        E.ProxyAuthenticationRequiredError,
        `SOCKS5 proxy ${this.#where} accepts neither no authentication nor a user name ` +
          "and password (it may require GSSAPI, which is not supported)",
      );
    } else if (method !== METHOD_NONE) {
      // Qt: "Socks5 host did not support authentication method", as SocketAccessError.
      throw new TransportError(
        E.SocketAccessError,
        `SOCKS5 proxy ${this.#where} selected authentication method 0x${
          method.toString(16).padStart(2, "0")
        }, which was not offered`,
      );
    }
    await writeToProxy(conn, encodeConnectRequest(address, port), this.#where);
    const head = decodeReplyHead(await this.#read(conn, 4));
    if (head.reply !== ReplyCode.Succeeded) {
      throw new TransportError(
        replyError(head.reply, address.type === AddressType.DomainName),
        `SOCKS5 proxy ${this.#where} could not connect to ${destination}: ${replyText(head.reply)}`,
      );
    }
    const length = boundAddressLength(head.addressType);
    if (length === "name") {
      const [n] = await this.#read(conn, 1);
      await this.#read(conn, n + 2);
    } else {
      await this.#read(conn, length);
    }
    return { kind: "open", conn };
  }

  // Reads exactly `n` bytes (at most 257), never more: bytes after the
  // reply are the target's.
  async #read(conn: Deno.TcpConn, n: number): Promise<Uint8Array> {
    const bytes = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      let read: number | null;
      try {
        read = await conn.read(bytes.subarray(at));
      } catch (error) {
        throw proxyConnectError(error, this.#where);
      }
      if (read === null) {
        throw new TransportError(
          E.ProxyConnectionClosedError,
          `SOCKS5 proxy ${this.#where} closed the connection before completing the CONNECT`,
        );
      }
      at += read;
    }
    return bytes;
  }
}
