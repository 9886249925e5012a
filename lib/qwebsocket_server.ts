/**
 * `QWebSocketServer`: accepts WebSocket connections, with Qt's API over
 * `Deno.listen` and `Deno.listenTls`.
 *
 * @module
 */

import {
  AcceptErrorEvent,
  type AlertEvent,
  OriginAuthenticationRequiredEvent,
  type PreSharedKeyAuthenticationRequiredEvent,
  QtEventTarget,
  ServerErrorEvent,
  type SslErrorEvent,
  type SslErrorsEvent,
} from "./events.ts";
import { computeAcceptKey } from "./protocol/accept_key.ts";
import { HandshakeError } from "./protocol/errors.ts";
import { type HttpHead, HttpHeadParser } from "./protocol/http_head.ts";
import { QAbstractSocket } from "./protocol/qabstract_socket.ts";
import { QWebSocketProtocol } from "./protocol/qwebsocket_protocol.ts";
import {
  buildAcceptResponse,
  buildRejectResponse,
  chooseSubprotocol,
  type ClientRequest,
  parseClientRequest,
} from "./protocol/server_handshake.ts";
import { QNetworkProxy } from "./qnetwork_proxy.ts";
import { QNetworkRequest } from "./qnetwork_request.ts";
import { createServerSocket, QWebSocket, startServerSocket } from "./qwebsocket.ts";
import { QWebSocketCorsAuthenticator } from "./qwebsocket_cors_authenticator.ts";
import { StreamEngine } from "./stream_engine.ts";
import { QSslConfiguration } from "./ssl/qssl_configuration.ts";
import type { ByteChannel } from "./transport/byte_channel.ts";
import { TransportError } from "./transport/connect.ts";
import {
  accept,
  acceptedChannel,
  adopt,
  closeListener,
  listen,
  type ListeningSocket,
} from "./transport/listen.ts";

const CloseCode = QWebSocketProtocol.CloseCode;

/** Qt's default handshake timeout: 10 seconds. */
export const DEFAULT_HANDSHAKE_TIMEOUT = 10000;

/**
 * The default limit on incoming frames of accepted sockets: 16 MiB (Qt has
 * 2 GiB; a lower default keeps a hostile client from exhausting memory).
 */
export const DEFAULT_SERVER_MAX_FRAME_SIZE = 16 * 1024 * 1024;

/** The default limit on incoming messages of accepted sockets: 64 MiB. */
export const DEFAULT_SERVER_MAX_MESSAGE_SIZE = 64 * 1024 * 1024;

/** Every event a {@linkcode QWebSocketServer} dispatches, by type (Qt's signal names). */
export interface QWebSocketServerEventMap {
  /** Accepting a connection failed. */
  acceptError: AcceptErrorEvent;
  /** A TLS alert arrived (never dispatched: Deno does not report alerts). */
  alertReceived: AlertEvent;
  /** A TLS alert was sent (never dispatched: Deno does not report alerts). */
  alertSent: AlertEvent;
  /** The server stopped listening. */
  closed: Event;
  /** A certificate error interrupted a handshake (never dispatched on Deno). */
  handshakeInterruptedOnError: SslErrorEvent;
  /** A connection is ready: take it with `nextPendingConnection()`. */
  newConnection: Event;
  /** A client's origin needs checking: call `setAllowed(false)` to refuse it. */
  originAuthenticationRequired: OriginAuthenticationRequiredEvent;
  /** A client certificate problem (never dispatched: Deno servers do not verify clients). */
  peerVerifyError: SslErrorEvent;
  /** A PSK is needed (never dispatched: Deno has no PSK). */
  preSharedKeyAuthenticationRequired: PreSharedKeyAuthenticationRequiredEvent;
  /** Setting up a connection failed; `errorString()` says why. */
  serverError: ServerErrorEvent;
  /** Client certificate problems (never dispatched: Deno servers do not verify clients). */
  sslErrors: SslErrorsEvent;
}

/**
 * Addresses to listen on, as Qt's `QHostAddress` special addresses.
 *
 * @example
 * ```ts
 * import { QHostAddress } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * assert.equal(QHostAddress.LocalHost, "127.0.0.1");
 * ```
 */
export const QHostAddress = {
  /** No address. */
  Null: "",
  /** Every IPv4 interface (what Qt's `Any` means here). */
  Any: "0.0.0.0",
  /** Every IPv4 interface. */
  AnyIPv4: "0.0.0.0",
  /** Every IPv6 interface. */
  AnyIPv6: "::",
  /** The IPv4 loopback address. */
  LocalHost: "127.0.0.1",
  /** The IPv6 loopback address. */
  LocalHostIPv6: "::1",
  /** The IPv4 broadcast address. */
  Broadcast: "255.255.255.255",
} as const;

/**
 * A WebSocket server with Qt's `QWebSocketServer` API: `listen()`, then take
 * each handshaken client with `nextPendingConnection()` when `newConnection`
 * fires.
 *
 * Beyond Qt: accepted sockets get the server's incoming size limits
 * (`setMaxAllowedIncomingFrameSize`, `setMaxAllowedIncomingMessageSize`;
 * defaults 16 MiB and 64 MiB) before their first byte is read, and a full
 * pending queue answers `503 Service Unavailable`.
 *
 * @example An echo server (run with `--allow-net=127.0.0.1:1234`)
 * ```ts ignore
 * import { QWebSocketServer } from "@qtws/websockets";
 *
 * const server = new QWebSocketServer("Echo Server", QWebSocketServer.SslMode.NonSecureMode);
 * server.addEventListener("newConnection", () => {
 *   const socket = server.nextPendingConnection()!;
 *   socket.addEventListener("textMessageReceived", (e) => socket.sendTextMessage(e.message));
 *   socket.addEventListener("binaryMessageReceived", (e) => socket.sendBinaryMessage(e.message));
 * });
 * if (!server.listen("127.0.0.1", 1234)) console.error(server.errorString());
 * ```
 */
export class QWebSocketServer extends QtEventTarget<QWebSocketServerEventMap> {
  /** Qt's `QWebSocketServer::SslMode` values. */
  static readonly SslMode = {
    /** The server speaks wss: (TLS). */
    SecureMode: 0,
    /** The server speaks ws: (plain TCP). */
    NonSecureMode: 1,
  } as const;

  #serverName: string;
  readonly #secureMode: QWebSocketServer.SslMode;
  #socket: ListeningSocket | null = null;
  #acceptLoop: Promise<void> | null = null;
  #paused = false;
  #resumeAccept: (() => void) | null = null;
  #pending: QWebSocket[] = [];
  #reserved = 0;
  #maxPending = 30;
  #handshakeTimeout = DEFAULT_HANDSHAKE_TIMEOUT;
  #supportedSubprotocols: string[] = [];
  #sslConfiguration: QSslConfiguration = QSslConfiguration.defaultConfiguration();
  #proxy: QNetworkProxy = new QNetworkProxy(QNetworkProxy.ProxyType.DefaultProxy);
  #error: QWebSocketProtocol.CloseCode = CloseCode.CloseCodeNormal;
  #errorString = "";
  #maxFrameSize = DEFAULT_SERVER_MAX_FRAME_SIZE;
  #maxMessageSize = DEFAULT_SERVER_MAX_MESSAGE_SIZE;
  #handshakes: Set<{ close(): void }> = new Set();
  #handshakeTasks: Set<Promise<void>> = new Set();
  #backoff: ReturnType<typeof setTimeout> | undefined;

  /**
   * Creates a server.
   *
   * @param serverName Sent as the `Server` header of handshake responses when not empty.
   * @param secureMode `SslMode.SecureMode` for wss: (set a certificate with
   *   `setSslConfiguration()` before `listen()`), `SslMode.NonSecureMode` for ws:.
   * @param _parent Qt's parent object: accepted and ignored.
   */
  constructor(serverName: string, secureMode: QWebSocketServer.SslMode, _parent?: unknown) {
    super();
    if (typeof serverName !== "string") {
      throw new TypeError("Cannot create QWebSocketServer: serverName must be a string");
    }
    if (
      secureMode !== QWebSocketServer.SslMode.SecureMode &&
      secureMode !== QWebSocketServer.SslMode.NonSecureMode
    ) {
      throw new RangeError(
        "Cannot create QWebSocketServer: secureMode must be QWebSocketServer.SslMode.SecureMode or NonSecureMode",
      );
    }
    this.#serverName = serverName;
    this.#secureMode = secureMode;
  }

  // --- listening -----------------------------------------------------------------

  /**
   * Starts listening on `address` and `port` (0: any free port). Returns at
   * once: `true` on success; `false` with `error()` and `errorString()` set
   * (address in use, a missing `--allow-net` permission, no certificate in
   * secure mode).
   *
   * @param address The address to bind: an IP address or a `QHostAddress` value.
   * @param port The port.
   * @returns Whether the server is now listening.
   */
  listen(address: string = QHostAddress.Any, port = 0): boolean {
    if (typeof address !== "string") {
      throw new TypeError("Cannot listen: address must be a string such as QHostAddress.LocalHost");
    }
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new RangeError(`Cannot listen on port ${port}: use an integer from 0 to 65535`);
    }
    if (this.#socket !== null) {
      this.#setError(CloseCode.CloseCodeBadOperation, "The server is already listening");
      return false;
    }
    let tls = null;
    if (this.#secureMode === QWebSocketServer.SslMode.SecureMode) {
      const config = this.#sslConfiguration;
      const chain = config.localCertificateChain();
      if (chain.length === 0 || config.privateKey().isNull()) {
        this.#setError(
          CloseCode.CloseCodeTlsHandshakeFailed,
          "Cannot listen in SecureMode without a certificate and key: call setSslConfiguration() with setLocalCertificate() and setPrivateKey() first",
        );
        return false;
      }
      tls = {
        cert: chain.map((c) => c.toPem()).join(""),
        key: config.privateKey().toPem(),
        alpnProtocols: config.allowedNextProtocols(),
      };
    }
    try {
      this.#startListening(listen(address, port, tls));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.#setError(CloseCode.CloseCodeAbnormalDisconnection, message);
      return false;
    }
    return true;
  }

  #startListening(socket: ListeningSocket): void {
    this.#socket = socket;
    this.#error = CloseCode.CloseCodeNormal;
    this.#errorString = "";
    this.#acceptLoop = this.#acceptConnections(socket);
  }

  async #acceptConnections(socket: ListeningSocket): Promise<void> {
    while (this.#socket === socket) {
      if (this.#paused) {
        await new Promise<void>((resolve) => (this.#resumeAccept = resolve));
        continue;
      }
      let conn: Deno.Conn | null;
      try {
        conn = await accept(socket);
      } catch (error) {
        if (this.#socket !== socket) return;
        const socketError = error instanceof TransportError
          ? error.socketError
          : QAbstractSocket.SocketError.UnknownSocketError;
        this.#errorString = error instanceof Error ? error.message : String(error);
        this.dispatchEvent(new AcceptErrorEvent(socketError));
        // Out of descriptors: give the process a moment before trying again.
        await new Promise<void>((resolve) => (this.#backoff = setTimeout(resolve, 100)));
        this.#backoff = undefined;
        continue;
      }
      if (conn === null) return;
      if (this.#socket !== socket) {
        conn.close();
        return;
      }
      this.#track(this.#upgrade(conn));
    }
  }

  /** Returns whether the server is listening. */
  isListening(): boolean {
    return this.#socket !== null;
  }

  /**
   * Stops listening, closes the sockets still waiting in the pending queue
   * (with 1001, "Server closed"), drops handshakes under way, and dispatches
   * `closed`. Sockets already taken with `nextPendingConnection()` stay open.
   */
  close(): void {
    const socket = this.#socket;
    this.#socket = null;
    if (socket !== null) closeListener(socket);
    this.#resumeAccept?.();
    this.#resumeAccept = null;
    if (this.#backoff !== undefined) clearTimeout(this.#backoff);
    for (const handshake of this.#handshakes) handshake.close();
    this.#handshakes.clear();
    const pending = this.#pending;
    this.#pending = [];
    for (const webSocket of pending) {
      startServerSocket(webSocket);
      webSocket.close(CloseCode.CloseCodeGoingAway, "Server closed");
    }
    if (socket === null) return;
    const loop = this.#acceptLoop;
    this.#acceptLoop = null;
    Promise.allSettled([loop]).then(() => this.dispatchEvent(new Event("closed")));
  }

  /** Stops accepting connections; clients queue in the system's backlog meanwhile. */
  pauseAccepting(): void {
    this.#paused = true;
  }

  /** Resumes accepting connections. */
  resumeAccepting(): void {
    this.#paused = false;
    this.#resumeAccept?.();
    this.#resumeAccept = null;
  }

  /**
   * Upgrades a connection the application accepted itself (for example on a
   * listener it shares with other protocols). The server takes ownership.
   *
   * @param socket An accepted TCP or TLS connection that has sent nothing yet.
   */
  handleConnection(socket: Deno.Conn): void {
    if (socket === null || typeof socket !== "object" || typeof socket.read !== "function") {
      throw new TypeError("Cannot handle connection: pass an accepted Deno.Conn");
    }
    this.#track(this.#upgrade(socket));
  }

  /**
   * Adopts a listener the application created, as Qt's `setSocketDescriptor()`
   * adopts a listening descriptor: Deno has no descriptors, so the listener
   * itself stands for one. In SecureMode, pass a `Deno.TlsListener`.
   *
   * @param socketDescriptor A TCP (or TLS) listener.
   * @returns `true` when adopted; `false` when already listening.
   */
  setSocketDescriptor(socketDescriptor: Deno.Listener): boolean {
    if (this.#socket !== null) {
      this.#setError(CloseCode.CloseCodeBadOperation, "The server is already listening");
      return false;
    }
    try {
      this.#startListening(adopt(socketDescriptor));
    } catch (error) {
      this.#setError(
        CloseCode.CloseCodeBadOperation,
        error instanceof Error ? error.message : String(error),
      );
      return false;
    }
    return true;
  }

  /**
   * The listener in use, Deno's stand-in for Qt's native descriptor.
   *
   * @returns The listener, or -1 when not listening.
   */
  socketDescriptor(): Deno.Listener | -1 {
    return this.#socket?.listener ?? -1;
  }

  // --- the opening handshake --------------------------------------------------------

  #track(task: Promise<void>): void {
    this.#handshakeTasks.add(task);
    task.finally(() => this.#handshakeTasks.delete(task));
  }

  async #upgrade(conn: Deno.Conn): Promise<void> {
    let channel: ByteChannel | null = null;
    let timedOut = false;
    let handedOver = false;
    const handle = {
      close: () => {
        if (channel !== null) channel.close();
        else {
          try {
            conn.close();
          } catch {
            // Already closed.
          }
        }
      },
    };
    this.#handshakes.add(handle);
    const timeout = this.#handshakeTimeout;
    const timer = timeout >= 0
      ? setTimeout(() => {
        timedOut = true;
        handle.close();
      }, timeout)
      : undefined;
    try {
      channel = await acceptedChannel(conn);
      if (timedOut) return;
      const parser = new HttpHeadParser();
      let head: HttpHead | null = null;
      while (head === null) {
        const chunk = await channel.read();
        if (chunk === null) return;
        try {
          head = parser.push(chunk);
        } catch (error) {
          if (error instanceof HandshakeError) {
            await this.#reject(channel, error, CloseCode.CloseCodeTooMuchData);
            return;
          }
          throw error;
        }
      }
      let request: ClientRequest;
      try {
        request = parseClientRequest(head);
      } catch (error) {
        if (error instanceof HandshakeError) {
          await this.#reject(channel, error, CloseCode.CloseCodeProtocolError);
          return;
        }
        throw error;
      }
      if (this.isListened("originAuthenticationRequired")) {
        const authenticator = new QWebSocketCorsAuthenticator(request.origin);
        this.dispatchEvent(new OriginAuthenticationRequiredEvent(authenticator));
        if (!authenticator.allowed()) {
          await this.#reject(
            channel,
            new HandshakeError(403, `Origin ${JSON.stringify(request.origin)} is not allowed`),
            CloseCode.CloseCodePolicyViolated,
          );
          return;
        }
      }
      if (this.#pending.length + this.#reserved >= this.#maxPending) {
        await this.#reject(
          channel,
          new HandshakeError(503, "Too many pending connections"),
          CloseCode.CloseCodeAbnormalDisconnection,
        );
        return;
      }
      this.#reserved++;
      let reserved = true;
      try {
        const protocol = chooseSubprotocol(request.protocols, this.#supportedSubprotocols);
        const accept = await computeAcceptKey(request.key);
        await channel.write(buildAcceptResponse({
          accept,
          protocol: protocol === "" ? undefined : protocol,
          serverName: this.#serverName,
        }));
        if (timedOut || !this.#handshakes.has(handle)) return;
        clearTimeout(timer);
        this.#handshakes.delete(handle);
        this.#reserved--;
        reserved = false;
        handedOver = true;
        this.#enqueue(channel, request, protocol, parser.leftover());
      } finally {
        if (reserved) this.#reserved--;
      }
    } catch {
      // A client that failed TLS, vanished or timed out affects nobody else.
    } finally {
      clearTimeout(timer);
      this.#handshakes.delete(handle);
      if (!handedOver) handle.close();
    }
  }

  #enqueue(
    channel: ByteChannel,
    request: ClientRequest,
    protocol: string,
    leftover: Uint8Array,
  ): void {
    const scheme = this.#secureMode === QWebSocketServer.SslMode.SecureMode ? "wss" : "ws";
    let url: URL;
    try {
      url = new URL(request.target, `${scheme}://${request.host}`);
    } catch {
      url = new URL(
        `${scheme}://localhost${request.target.startsWith("/") ? request.target : "/"}`,
      );
    }
    const networkRequest = new QNetworkRequest(url);
    for (const [name, value] of request.headers.entries()) {
      networkRequest.setRawHeader(
        name,
        networkRequest.hasRawHeader(name) ? `${networkRequest.rawHeader(name)}, ${value}` : value,
      );
    }
    const maxFrameSize = this.#maxFrameSize;
    const maxMessageSize = this.#maxMessageSize;
    const webSocket = createServerSocket({
      engine: (host) =>
        new StreamEngine(channel, {
          role: "server",
          maxFrameSize,
          maxMessageSize,
          outgoingFrameSize: 524288,
          maskGenerator: null,
          leftover,
        }, host),
      request: networkRequest,
      origin: request.origin,
      protocol,
      resourceName: url.pathname + url.search,
      maxFrameSize,
      maxMessageSize,
    });
    this.#pending.push(webSocket);
    this.dispatchEvent(new Event("newConnection"));
  }

  async #reject(
    channel: ByteChannel,
    error: HandshakeError,
    closeCode: QWebSocketProtocol.CloseCode,
  ): Promise<void> {
    this.#setError(closeCode, error.message);
    try {
      await channel.write(buildRejectResponse(error.status, {
        headers: error.headers,
        body: error.message,
        serverName: this.#serverName,
      }));
      await channel.closeWrite();
    } catch {
      // The client left already.
    } finally {
      channel.close();
    }
    this.dispatchEvent(new ServerErrorEvent(closeCode));
  }

  // --- the pending queue ------------------------------------------------------------

  /**
   * Takes the next connected client, in arrival order. Its events start
   * after the current task, so listeners added right away see every message.
   *
   * @returns A connected `QWebSocket`, or `null` when none is pending.
   */
  nextPendingConnection(): QWebSocket | null {
    const webSocket = this.#pending.shift() ?? null;
    if (webSocket !== null) startServerSocket(webSocket);
    return webSocket;
  }

  /** Returns whether a connected client waits in the pending queue. */
  hasPendingConnections(): boolean {
    return this.#pending.length > 0;
  }

  /** Returns the most clients waiting in the pending queue (default 30). */
  maxPendingConnections(): number {
    return this.#maxPending;
  }

  /**
   * Sets the most clients that may wait in the pending queue; further
   * handshakes are answered `503 Service Unavailable` and `serverError`
   * reports `CloseCodeAbnormalDisconnection`.
   *
   * @param numConnections The limit (1 or more).
   */
  setMaxPendingConnections(numConnections: number): void {
    if (!Number.isInteger(numConnections) || numConnections < 0) {
      throw new RangeError(
        `Cannot set max pending connections to ${numConnections}: use an integer of 0 or more`,
      );
    }
    this.#maxPending = numConnections;
  }

  // --- settings and accessors --------------------------------------------------------

  /** Returns the handshake timeout in ms (default 10 000; negative: none). */
  handshakeTimeoutMS(): number {
    return this.#handshakeTimeout;
  }

  /** Returns the handshake timeout in ms (Qt's `std::chrono::milliseconds`). */
  handshakeTimeout(): number {
    return this.#handshakeTimeout;
  }

  /**
   * Sets how long a client has, from connecting (including TLS) to a complete
   * handshake, before it is dropped; others are not affected.
   *
   * @param msec Milliseconds; a negative value disables the timeout.
   */
  setHandshakeTimeout(msec: number): void {
    if (typeof msec !== "number" || Number.isNaN(msec)) {
      throw new TypeError("Cannot set handshake timeout: pass a number of milliseconds");
    }
    this.#handshakeTimeout = msec;
  }

  /** Returns the name sent in the `Server` header. */
  serverName(): string {
    return this.#serverName;
  }

  /**
   * Sets the name sent in the `Server` header of later handshakes (none when empty).
   *
   * @param serverName The name.
   */
  setServerName(serverName: string): void {
    this.#serverName = String(serverName);
  }

  /** Returns `SslMode.SecureMode` or `SslMode.NonSecureMode`. */
  secureMode(): QWebSocketServer.SslMode {
    return this.#secureMode;
  }

  /** Returns the bound address while listening, `""` (`QHostAddress.Null`) otherwise. */
  serverAddress(): string {
    return this.#socket?.address.address ?? QHostAddress.Null;
  }

  /** Returns the bound port while listening, 0 otherwise. */
  serverPort(): number {
    return this.#socket?.address.port ?? 0;
  }

  /**
   * A URL clients can use while listening.
   *
   * @returns `ws://address:port` or `wss://...`, or `null` when not listening (Qt's invalid URL).
   */
  serverUrl(): URL | null {
    const socket = this.#socket;
    if (socket === null) return null;
    const { address, port } = socket.address;
    const host = address.includes(":") ? `[${address}]` : address;
    return new URL(
      `${
        this.#secureMode === QWebSocketServer.SslMode.SecureMode ? "wss" : "ws"
      }://${host}:${port}`,
    );
  }

  /** Returns the WebSocket versions supported: `[Version13]`. */
  supportedVersions(): QWebSocketProtocol.Version[] {
    return [QWebSocketProtocol.Version.Version13];
  }

  /** Returns the subprotocols this server supports. */
  supportedSubprotocols(): string[] {
    return [...this.#supportedSubprotocols];
  }

  /**
   * Sets the subprotocols this server supports: the first of a client's
   * offers found here is chosen, echoed in the response, and reported by the
   * socket's `subprotocol()`.
   *
   * @param protocols The subprotocol names.
   */
  setSupportedSubprotocols(protocols: readonly string[]): void {
    if (!Array.isArray(protocols) || protocols.some((p) => typeof p !== "string")) {
      throw new TypeError("Cannot set supported subprotocols: pass an array of strings");
    }
    this.#supportedSubprotocols = [...protocols];
  }

  /** Returns the TLS configuration (used in SecureMode). */
  sslConfiguration(): QSslConfiguration {
    return this.#sslConfiguration;
  }

  /**
   * Sets the TLS configuration for SecureMode: the certificate chain
   * (`setLocalCertificate` / `setLocalCertificateChain`), the private key and
   * ALPN protocols. Takes effect at the next `listen()`.
   *
   * @param sslConfiguration The configuration.
   */
  setSslConfiguration(sslConfiguration: QSslConfiguration): void {
    if (!(sslConfiguration instanceof QSslConfiguration)) {
      throw new TypeError("Cannot set SSL configuration: pass a QSslConfiguration");
    }
    this.#sslConfiguration = sslConfiguration;
  }

  /** Returns the proxy setting (stored only: see `setProxy`). */
  proxy(): QNetworkProxy {
    return this.#proxy;
  }

  /**
   * Stores a proxy setting, for Qt compatibility: a listening server does not
   * go through a proxy on Deno, so it has no effect.
   *
   * @param networkProxy The proxy.
   */
  setProxy(networkProxy: QNetworkProxy): void {
    if (!(networkProxy instanceof QNetworkProxy)) {
      throw new TypeError("Cannot set proxy: pass a QNetworkProxy");
    }
    this.#proxy = networkProxy;
  }

  /** Returns the largest frame accepted sockets take (default 16 MiB). */
  maxAllowedIncomingFrameSize(): number {
    return this.#maxFrameSize;
  }

  /**
   * Sets the largest frame that sockets accepted from now on take; each
   * socket can change its own limit later.
   *
   * @param maxAllowedIncomingFrameSize Bytes, up to `QWebSocket.maxIncomingFrameSize()`.
   */
  setMaxAllowedIncomingFrameSize(maxAllowedIncomingFrameSize: number): void {
    this.#maxFrameSize = checkLimit(
      "setMaxAllowedIncomingFrameSize",
      maxAllowedIncomingFrameSize,
      QWebSocket.maxIncomingFrameSize(),
    );
  }

  /** Returns the largest message accepted sockets take (default 64 MiB). */
  maxAllowedIncomingMessageSize(): number {
    return this.#maxMessageSize;
  }

  /**
   * Sets the largest message that sockets accepted from now on take.
   *
   * @param maxAllowedIncomingMessageSize Bytes, up to `QWebSocket.maxIncomingMessageSize()`.
   */
  setMaxAllowedIncomingMessageSize(maxAllowedIncomingMessageSize: number): void {
    this.#maxMessageSize = checkLimit(
      "setMaxAllowedIncomingMessageSize",
      maxAllowedIncomingMessageSize,
      QWebSocket.maxIncomingMessageSize(),
    );
  }

  /** Returns the close code of the last error; `CloseCodeNormal` when none. */
  error(): QWebSocketProtocol.CloseCode {
    return this.#error;
  }

  /** Returns a description of the last error, or `""`. */
  errorString(): string {
    return this.#errorString;
  }

  /**
   * Closes the server and resolves once its accept loop and handshakes under
   * way have ended, so `await using server = ...` cleans up.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    const loop = this.#acceptLoop;
    this.close();
    await Promise.allSettled([loop, ...this.#handshakeTasks]);
  }

  #setError(code: QWebSocketProtocol.CloseCode, message: string): void {
    this.#error = code;
    this.#errorString = message;
  }
}

/** The type of `QWebSocketServer.SslMode` values. */
export declare namespace QWebSocketServer {
  /** One of `QWebSocketServer.SslMode`. */
  export type SslMode = typeof QWebSocketServer.SslMode[keyof typeof QWebSocketServer.SslMode];
}

function checkLimit(method: string, value: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new RangeError(`Cannot ${method}(${value}): use an integer from 0 to ${max}`);
  }
  return value;
}
