/**
 * Outgoing connections: TCP with `Deno.connect`, TLS with `Deno.connectTls`
 * or `Deno.startTls`, and the mapping of Deno's errors to Qt's socket errors.
 *
 * @module
 */

import { QAbstractSocket } from "../protocol/qabstract_socket.ts";

const E = QAbstractSocket.SocketError;

/** What kind of certificate problem a failed TLS handshake reported. */
export type CertificateProblem =
  | "unknown-issuer"
  | "host-name-mismatch"
  | "expired"
  | "not-yet-valid"
  | "bad-signature"
  | "revoked"
  | "invalid-purpose"
  | "other";

/**
 * A connection failure, classified as a Qt socket error.
 */
export class TransportError extends Error {
  /** The Qt socket error. */
  readonly socketError: QAbstractSocket.SocketError;
  /** For TLS certificate failures, what was wrong with the certificate. */
  readonly certificateProblem: CertificateProblem | null;

  /**
   * @param socketError The Qt socket error.
   * @param message A sentence for `errorString()`.
   * @param certificateProblem The certificate problem, for TLS failures.
   * @param options The underlying error, as `cause`.
   */
  constructor(
    socketError: QAbstractSocket.SocketError,
    message: string,
    certificateProblem: CertificateProblem | null = null,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "TransportError";
    this.socketError = socketError;
    this.certificateProblem = certificateProblem;
  }
}

/** TLS settings for an outgoing connection. */
export interface TlsOptions {
  /** PEM CA certificates; when absent the default trust store is used. */
  caCerts?: string[];
  /** PEM client certificate chain, for mutual TLS. */
  cert?: string;
  /** PEM private key of the client certificate. */
  key?: string;
  /** ALPN protocols to offer. */
  alpnProtocols?: string[];
  /** Accept a certificate issued for another host name. */
  unsafelyDisableHostnameVerification?: boolean;
}

/** Where to connect. */
export interface ConnectTarget {
  /** The host name or IP address (IPv6 without brackets). */
  hostname: string;
  /** The port. */
  port: number;
}

/**
 * Opens a TCP connection with Nagle's algorithm off, as Qt's `QWebSocket`
 * sets `LowDelayOption`: small frames must not wait for acknowledgements.
 *
 * @param target The host and port.
 * @param signal Cancels the attempt.
 * @returns The connection.
 * @throws {TransportError} Classified as a Qt socket error.
 */
export async function connectTcp(
  target: ConnectTarget,
  signal?: AbortSignal,
): Promise<Deno.TcpConn> {
  try {
    const conn = await Deno.connect({ hostname: target.hostname, port: target.port, signal });
    conn.setNoDelay(true);
    return conn;
  } catch (error) {
    throw classifyError(error, `${hostForMessage(target.hostname)}:${target.port}`);
  }
}

/**
 * Opens a TLS connection and completes its handshake, so that certificate
 * problems surface here rather than at the first write.
 *
 * @param target The host and port; the host name is also the one verified.
 * @param tls The TLS settings.
 * @param signal Cancels the attempt.
 * @returns The connection and the negotiated ALPN protocol.
 * @throws {TransportError} Classified as a Qt socket error.
 */
export async function connectTls(
  target: ConnectTarget,
  tls: TlsOptions,
  signal?: AbortSignal,
): Promise<{ conn: Deno.TlsConn; alpnProtocol: string | null }> {
  const where = `${hostForMessage(target.hostname)}:${target.port}`;
  let conn: Deno.TlsConn;
  try {
    conn = await Deno.connectTls({
      hostname: target.hostname,
      port: target.port,
      ...tlsFields(tls),
    });
  } catch (error) {
    throw classifyError(error, where);
  }
  return await finishTls(conn, where, signal);
}

/**
 * Upgrades a connected TCP connection (for example a proxy tunnel) to TLS
 * and completes the handshake, verifying `hostname`.
 *
 * @param conn The TCP connection; it is consumed.
 * @param hostname The name to verify the certificate against.
 * @param tls The TLS settings.
 * @param signal Cancels the handshake.
 * @returns The connection and the negotiated ALPN protocol.
 * @throws {TransportError} Classified as a Qt socket error.
 */
export async function startTls(
  conn: Deno.TcpConn,
  hostname: string,
  tls: TlsOptions,
  signal?: AbortSignal,
): Promise<{ conn: Deno.TlsConn; alpnProtocol: string | null }> {
  let tlsConn: Deno.TlsConn;
  try {
    tlsConn = await Deno.startTls(conn, { hostname, ...tlsFields(tls) });
  } catch (error) {
    throw classifyError(error, hostForMessage(hostname));
  }
  return await finishTls(tlsConn, hostForMessage(hostname), signal);
}

async function finishTls(
  conn: Deno.TlsConn,
  where: string,
  signal?: AbortSignal,
): Promise<{ conn: Deno.TlsConn; alpnProtocol: string | null }> {
  const onAbort = () => conn.close();
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const info = await conn.handshake();
    signal?.throwIfAborted();
    return { conn, alpnProtocol: info.alpnProtocol };
  } catch (error) {
    try {
      conn.close();
    } catch {
      // Closed by the abort listener already.
    }
    if (signal?.aborted) throw signal.reason;
    throw classifyTlsError(error, where);
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}

function tlsFields(tls: TlsOptions): Partial<Deno.ConnectTlsOptions & Deno.TlsCertifiedKeyPem> {
  const fields: Partial<Deno.ConnectTlsOptions & Deno.TlsCertifiedKeyPem> = {};
  if (tls.caCerts !== undefined) fields.caCerts = tls.caCerts;
  if (tls.alpnProtocols !== undefined && tls.alpnProtocols.length > 0) {
    fields.alpnProtocols = tls.alpnProtocols;
  }
  if (tls.unsafelyDisableHostnameVerification) fields.unsafelyDisableHostnameVerification = true;
  if (tls.cert !== undefined && tls.key !== undefined) {
    fields.cert = tls.cert;
    fields.key = tls.key;
  }
  return fields;
}

function hostForMessage(hostname: string): string {
  return hostname.includes(":") ? `[${hostname}]` : hostname;
}

/**
 * Classifies an error from `Deno.connect` and friends as a Qt socket error.
 *
 * @param error What Deno threw.
 * @param where `host:port`, for the message.
 * @returns The classified error.
 */
export function classifyError(error: unknown, where: string): TransportError {
  if (error instanceof TransportError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const options = { cause: error };
  if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
    return new TransportError(
      E.SocketAccessError,
      `Permission denied to connect to ${where}: run Deno with --allow-net=${where}`,
      null,
      options,
    );
  }
  if (error instanceof Deno.errors.ConnectionRefused) {
    return new TransportError(
      E.ConnectionRefusedError,
      `Connection refused by ${where}`,
      null,
      options,
    );
  }
  if (
    error instanceof Deno.errors.ConnectionReset || error instanceof Deno.errors.BrokenPipe ||
    error instanceof Deno.errors.ConnectionAborted || error instanceof Deno.errors.UnexpectedEof
  ) {
    return new TransportError(
      E.RemoteHostClosedError,
      `${where} closed the connection`,
      null,
      options,
    );
  }
  if (error instanceof Deno.errors.TimedOut) {
    return new TransportError(
      E.SocketTimeoutError,
      `Connecting to ${where} timed out`,
      null,
      options,
    );
  }
  if (error instanceof Deno.errors.AddrNotAvailable) {
    return new TransportError(
      E.SocketAddressNotAvailableError,
      `Address not available: ${where}`,
      null,
      options,
    );
  }
  if (
    /lookup address|Name or service not known|No address associated|nodename nor servname/i.test(
      message,
    )
  ) {
    return new TransportError(E.HostNotFoundError, `Host not found: ${where}`, null, options);
  }
  if (/network is unreachable|no route to host|host is unreachable/i.test(message)) {
    return new TransportError(E.NetworkError, `Network unreachable: ${where}`, null, options);
  }
  if (error instanceof Deno.errors.InvalidData) return classifyTlsError(error, where);
  return new TransportError(
    E.UnknownSocketError,
    `Cannot connect to ${where}: ${message}`,
    null,
    options,
  );
}

/**
 * Whether `error` is a TLS session that the peer ended without a
 * `close_notify` alert (a truncation, not a clean end of stream).
 *
 * @param error What a read threw.
 * @returns `true` for a truncated TLS session.
 */
export function isTlsTruncation(error: unknown): boolean {
  const cause = error instanceof TransportError ? error.cause : error;
  return cause instanceof Deno.errors.UnexpectedEof && /close_notify/i.test(cause.message);
}

/**
 * Classifies a TLS handshake failure, reading the certificate problem from
 * the message Deno's TLS library gives (Deno exposes no structured reason).
 *
 * @param error What the handshake threw.
 * @param where The host, for the message.
 * @returns The classified error.
 */
export function classifyTlsError(error: unknown, where: string): TransportError {
  if (error instanceof TransportError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const options = { cause: error };
  const certificate = /invalid peer certificate: (.*)/i.exec(message);
  if (certificate !== null) {
    const detail = certificate[1]!;
    const problem: CertificateProblem = /UnknownIssuer/i.test(detail)
      ? "unknown-issuer"
      : /not valid for name|NotValidForName/i.test(detail)
      ? "host-name-mismatch"
      : /Expired/i.test(detail)
      ? "expired"
      : /NotValidYet/i.test(detail)
      ? "not-yet-valid"
      : /BadSignature/i.test(detail)
      ? "bad-signature"
      : /Revoked/i.test(detail)
      ? "revoked"
      : /InvalidPurpose|CaUsedAsEndEntity|EndEntityUsedAsCa/i.test(detail)
      ? "invalid-purpose"
      : "other";
    return new TransportError(
      E.SslHandshakeFailedError,
      `TLS handshake with ${where} failed: the server's certificate is not trusted (${detail})`,
      problem,
      options,
    );
  }
  if (error instanceof Deno.errors.NotCapable) return classifyError(error, where);
  return new TransportError(
    E.SslHandshakeFailedError,
    `TLS handshake with ${where} failed: ${message}`,
    null,
    options,
  );
}
