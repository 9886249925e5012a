/**
 * The client's opening phase: connect, send the upgrade request, read and
 * check the response (RFC 6455 §4.1), answering a 401 with credentials once.
 *
 * @module
 */

import { QAbstractSocket } from "./protocol/qabstract_socket.ts";
import { HandshakeError } from "./protocol/errors.ts";
import { type HeaderList, HttpHeadParser } from "./protocol/http_head.ts";
import { buildClientRequest, validateServerResponse } from "./protocol/client_handshake.ts";
import {
  acceptPerMessageDeflateResponse,
  formatPerMessageDeflateOffer,
  type PerMessageDeflateOptions,
  type PerMessageDeflateParameters,
} from "./protocol/permessage_deflate_params.ts";
import type { ByteChannel } from "./transport/byte_channel.ts";
import {
  type CertificateProblem,
  isTlsTruncation,
  type TlsOptions,
  TransportError,
} from "./transport/connect.ts";
import { openStream, type Tunnel } from "./transport/open_stream.ts";

const E = QAbstractSocket.SocketError;

/** Why the opening phase failed. */
export class OpeningError extends Error {
  /** The Qt socket error to report. */
  readonly socketError: QAbstractSocket.SocketError;
  /** For TLS failures, the certificate problem. */
  readonly certificateProblem: CertificateProblem | null;

  /**
   * @param socketError The Qt socket error.
   * @param message The text for `errorString()`.
   * @param certificateProblem The certificate problem, for TLS failures.
   */
  constructor(
    socketError: QAbstractSocket.SocketError,
    message: string,
    certificateProblem: CertificateProblem | null = null,
  ) {
    super(message);
    this.name = "OpeningError";
    this.socketError = socketError;
    this.certificateProblem = certificateProblem;
  }
}

/** Credentials for a 401 challenge. */
export interface Credentials {
  /** The user name. */
  user: string;
  /** The password. */
  password: string;
}

/** What the opening phase needs. */
export interface OpeningParams {
  /** The URL (ws:, wss:, http: or https:). */
  url: URL;
  /** Extra request headers. */
  headers: Array<[string, string]>;
  /** The Origin header, or `""`. */
  origin: string;
  /** Subprotocols to offer. */
  protocols: string[];
  /** A raw `Sec-WebSocket-Extensions` offer, or `""`; unused when {@linkcode perMessageDeflate} is set. */
  extensions: string;
  /**
   * Offer permessage-deflate with these settings (RFC 7692), and check the
   * server's answer against them; `null` or absent: no offer.
   */
  perMessageDeflate?: PerMessageDeflateOptions | null;
  /** TLS settings for wss:. */
  tls: TlsOptions;
  /** A proxy tunnel, or `null`. */
  tunnel: Tunnel | null;
  /** Cancels the attempt (timeout, abort, close). */
  signal: AbortSignal;
  /** Asks the application for credentials after a 401; `null` declines. */
  authenticate(realm: string, options: Record<string, string>): Credentials | null;
}

/** A completed opening handshake. */
export interface OpeningResult {
  /** The connected stream. */
  channel: ByteChannel;
  /** Bytes read after the response head: the first frames. */
  leftover: Uint8Array;
  /** The subprotocol the server chose, or `""`. */
  protocol: string;
  /** The server's `Sec-WebSocket-Extensions`, or `""`. */
  extensions: string;
  /** What the server agreed to for permessage-deflate, or `null` when it declined or none was offered. */
  perMessageDeflate: PerMessageDeflateParameters | null;
  /** The response headers. */
  headers: HeaderList;
  /** The negotiated ALPN protocol, for TLS. */
  alpnProtocol: string | null;
}

/** The scheme's default port: 80 for ws/http, 443 for wss/https. */
export function defaultPort(url: URL): number {
  return url.protocol === "wss:" || url.protocol === "https:" ? 443 : 80;
}

/**
 * Runs the opening phase.
 *
 * @param params What to open and how.
 * @returns The open connection.
 * @throws {OpeningError} For every failure, classified as a Qt socket error.
 */
export async function runOpening(params: OpeningParams): Promise<OpeningResult> {
  const { url } = params;
  let authorization: string | null = null;
  let askedUrlCredentials = false;
  let askedApplication = false;
  // A 401 may be answered once with the URL's credentials and once with the
  // application's (Qt tries without credentials first).
  for (let attempt = 0; attempt < 3; attempt++) {
    const outcome = await attemptOnce(params, authorization);
    if (outcome.kind === "open") return outcome.result;
    const { realm, options } = outcome;
    let credentials: Credentials | null = null;
    if (!askedUrlCredentials && (url.username !== "" || url.password !== "")) {
      askedUrlCredentials = true;
      credentials = {
        user: decodeURIComponent(url.username),
        password: decodeURIComponent(url.password),
      };
    } else if (!askedApplication) {
      askedApplication = true;
      credentials = params.authenticate(realm, options);
    }
    if (credentials === null) {
      throw new OpeningError(
        E.ConnectionRefusedError,
        "Server answered 401 Unauthorized: it requires credentials",
      );
    }
    authorization = "Basic " + btoa(utf8Binary(`${credentials.user}:${credentials.password}`));
  }
  throw new OpeningError(
    E.ConnectionRefusedError,
    "Server answered 401 Unauthorized: the credentials were refused",
  );
}

type Attempt =
  | { kind: "open"; result: OpeningResult }
  | { kind: "unauthorized"; realm: string; options: Record<string, string> };

async function attemptOnce(params: OpeningParams, authorization: string | null): Promise<Attempt> {
  const { url, signal } = params;
  const secure = url.protocol === "wss:" || url.protocol === "https:";
  const hostname = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  const port = url.port === "" ? defaultPort(url) : Number(url.port);

  const deflate = params.perMessageDeflate ?? null;
  const offer = deflate !== null ? formatPerMessageDeflateOffer(deflate) : params.extensions;
  let request;
  try {
    const headers = params.headers.filter(([name]) =>
      name.toLowerCase() !== "authorization" || authorization === null
    );
    if (authorization !== null) headers.push(["Authorization", authorization]);
    request = buildClientRequest({
      url,
      origin: params.origin === "" ? undefined : params.origin,
      protocols: params.protocols,
      extensions: offer === "" ? undefined : offer,
      headers,
    });
  } catch (error) {
    // Qt aborts "immediately during the handshake phase": before connecting.
    throw new OpeningError(E.ConnectionRefusedError, messageOf(error));
  }

  let channel: ByteChannel;
  let alpnProtocol: string | null;
  try {
    ({ channel, alpnProtocol } = await openStream(
      { hostname, port, secure, tls: params.tls },
      signal,
      params.tunnel,
    ));
  } catch (error) {
    throw toOpeningError(error, signal);
  }
  const onAbort = () => channel.close();
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    await channel.write(request.bytes);
    const parser = new HttpHeadParser();
    let head = null;
    let received = 0;
    while (head === null) {
      let chunk: Uint8Array | null;
      try {
        chunk = await channel.read();
      } catch (error) {
        // TLS 1.3 clients finish their handshake before the server has checked
        // the client certificate: a server that refuses it (or wanted one)
        // ends the session before answering anything.
        if (secure && received === 0 && isTlsTruncation(error)) {
          throw new OpeningError(
            E.SslHandshakeFailedError,
            `TLS handshake with ${url.host} failed: the server ended the TLS session without ` +
              "answering, as TLS 1.3 servers do when they refuse the client certificate or " +
              "require one (see QSslConfiguration.setLocalCertificate() and setPrivateKey())",
          );
        }
        throw error;
      }
      if (chunk !== null) received += chunk.length;
      if (chunk === null) {
        throw new OpeningError(
          E.RemoteHostClosedError,
          "Server closed the connection before completing the opening handshake",
        );
      }
      try {
        head = parser.push(chunk);
      } catch (error) {
        throw new OpeningError(
          E.ConnectionRefusedError,
          `The server's handshake response is malformed: ${messageOf(error)}`,
        );
      }
    }
    const status = Number(head.startLine.split(" ")[1]);
    if (status === 401) {
      channel.close();
      const options = challengeParameters(head.headers.get("www-authenticate"));
      return { kind: "unauthorized", realm: options.realm ?? "", options };
    }
    const result = await validateServerResponse(head, {
      key: request.key,
      // What was offered, including a Sec-WebSocket-Protocol request header.
      protocols: request.protocols,
      extensions: offer === "" ? undefined : offer,
    });
    // RFC 7692 §5: an answer that is invalid or was not offered fails the connection.
    const agreed = deflate !== null
      ? acceptPerMessageDeflateResponse(result.extensions, deflate)
      : null;
    signal.throwIfAborted();
    return {
      kind: "open",
      result: {
        channel,
        leftover: parser.leftover(),
        protocol: result.protocol,
        extensions: result.extensions,
        perMessageDeflate: agreed,
        headers: result.headers,
        alpnProtocol,
      },
    };
  } catch (error) {
    channel.close();
    throw toOpeningError(error, signal);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

function toOpeningError(error: unknown, signal: AbortSignal): OpeningError {
  if (error instanceof OpeningError) return error;
  if (signal.aborted) {
    const reason = signal.reason;
    if (reason instanceof OpeningError) return reason;
    return new OpeningError(E.OperationError, "The opening handshake was cancelled");
  }
  if (error instanceof TransportError) {
    return new OpeningError(error.socketError, error.message, error.certificateProblem);
  }
  if (error instanceof HandshakeError) {
    return new OpeningError(E.ConnectionRefusedError, error.message);
  }
  return new OpeningError(E.UnknownSocketError, messageOf(error));
}

// The auth-params of the challenge (RFC 7235 §2.1), e.g. realm and charset,
// which Qt hands to the application as the authenticator's options.
function challengeParameters(challenge: string | null): Record<string, string> {
  // No prototype: a parameter named "__proto__" is just a name.
  const options: Record<string, string> = Object.create(null);
  const pattern = /([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g;
  for (const match of (challenge ?? "").matchAll(pattern)) {
    const name = match[1]!.toLowerCase();
    if (!(name in options)) options[name] = match[2]?.replace(/\\(.)/g, "$1") ?? match[3] ?? "";
  }
  return options;
}

function utf8Binary(text: string): string {
  return String.fromCharCode(...new TextEncoder().encode(text));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
