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
import { PerMessageDeflateCodec } from "./deflate/permessage_deflate_codec.ts";
import { rawZlibAvailable } from "./deflate/raw_zlib.ts";
import { computeAcceptKeySync } from "./protocol/accept_key.ts";
import { HandshakeError } from "./protocol/errors.ts";
import { type HttpHead, HttpHeadParser, reasonPhrase } from "./protocol/http_head.ts";
import {
  checkPerMessageDeflateOptions,
  negotiatePerMessageDeflate,
  type PerMessageDeflateAcceptance,
  type PerMessageDeflateOptions,
} from "./protocol/permessage_deflate_params.ts";
import { QAbstractSocket } from "./protocol/qabstract_socket.ts";
import { QWebSocketProtocol } from "./protocol/qwebsocket_protocol.ts";
import {
  buildAcceptResponse,
  buildRejectResponse,
  chooseSubprotocol,
  type ClientRequest,
  parseClientRequest,
} from "./protocol/server_handshake.ts";
import {
  describeEndpoint,
  endpointOf,
  headerText,
  readUpgradeRequest,
  refusalResponse,
  socketRequest,
} from "./fetch_handshake.ts";
import { PlatformEngine } from "./platform_engine.ts";
import { QNetworkProxy } from "./qnetwork_proxy.ts";
import { QNetworkRequest } from "./qnetwork_request.ts";
import { createServerSocket, QWebSocket, startServerSocket } from "./qwebsocket.ts";
import { nextTurn } from "./next_turn.ts";
import { QWebSocketCorsAuthenticator } from "./qwebsocket_cors_authenticator.ts";
import { StreamEngine } from "./stream_engine.ts";
import { QSslConfiguration } from "./ssl/qssl_configuration.ts";
import type { ByteChannel } from "./transport/byte_channel.ts";
import { TransportError } from "./transport/connect.ts";
import {
  accept,
  acceptedChannel,
  adopt,
  allowNetValue,
  closeListener,
  isTlsConn,
  listen,
  type ListeningSocket,
  type ListenTlsOptions,
  peerOf,
} from "./transport/listen.ts";
import { type PlatformUpgrade, upgradeRequest } from "./transport/platform_upgrade.ts";

const CloseCode = QWebSocketProtocol.CloseCode;

// Qt's default outgoing frame size (QWebSocket::outgoingFrameSize()).
const DEFAULT_OUTGOING_FRAME_SIZE = 512 * 1024;
// After a failed accept (out of descriptors, say), wait this long before the next.
const ACCEPT_RETRY_MS = 100;
// A refused client gets this long, and this many bytes, to finish sending
// before its connection is closed (see linger()).
const LINGER_MS = 2000;
const LINGER_BYTES = 1024 * 1024;
// setTimeout fires at once for delays above 2^31 - 1 ms.
const MAX_TIMER_DELAY = 2147483647;

/** Qt's default handshake timeout: 10 seconds. */
export const DEFAULT_HANDSHAKE_TIMEOUT = 10000;

/**
 * The default limit on incoming frames of accepted sockets: 16 MiB (Qt has
 * 2 GiB; a lower default keeps a hostile client from exhausting memory).
 */
export const DEFAULT_SERVER_MAX_FRAME_SIZE = 16 * 1024 * 1024;

/** The default limit on incoming messages of accepted sockets: 64 MiB. */
export const DEFAULT_SERVER_MAX_MESSAGE_SIZE = 64 * 1024 * 1024;

/**
 * Every event a {@linkcode QWebSocketServer} dispatches, by type (Qt's signal names).
 *
 * @example Log a chosen set of signals
 * ```ts
 * import { QWebSocketServer, type QWebSocketServerEventMap } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * const server = new QWebSocketServer("Chat", QWebSocketServer.SslMode.NonSecureMode);
 * const log: string[] = [];
 * const logged: (keyof QWebSocketServerEventMap)[] = ["newConnection", "serverError", "closed"];
 * for (const type of logged) server.addEventListener(type, (e) => log.push(e.type));
 *
 * // A plain HTTP request on the WebSocket route, as a Deno.serve handler receives it.
 * server.handleRequest(new Request("http://127.0.0.1:8000/chat"));
 * assert.deepEqual(log, ["serverError"]);
 * ```
 */
export interface QWebSocketServerEventMap {
  /**
   * Accepting a connection failed (out of descriptors, say). The server
   * tries again after 100 ms; call `pauseAccepting()` in the listener to stop,
   * as Qt's `QTcpServer` does on its own.
   */
  acceptError: AcceptErrorEvent;
  /** A TLS alert arrived (never dispatched: Deno does not report TLS alerts). */
  alertReceived: AlertEvent;
  /** A TLS alert was sent (never dispatched: Deno does not report TLS alerts). */
  alertSent: AlertEvent;
  /** The server stopped listening; dispatched after `close()` returns, as Qt queues it. */
  closed: Event;
  /** A certificate error interrupted a handshake (never dispatched: Deno cannot pause TLS handshakes). */
  handshakeInterruptedOnError: SslErrorEvent;
  /** A client completed its handshake: take it with `nextPendingConnection()`. */
  newConnection: Event;
  /** A client's origin needs checking, synchronously: call `setAllowed(false)` to refuse it (403). */
  originAuthenticationRequired: OriginAuthenticationRequiredEvent;
  /** A client certificate problem (never dispatched: Deno's TLS listeners do not ask for client certificates). */
  peerVerifyError: SslErrorEvent;
  /** A pre-shared key is needed (never dispatched: Deno has no TLS-PSK). */
  preSharedKeyAuthenticationRequired: PreSharedKeyAuthenticationRequiredEvent;
  /**
   * Setting up a connection failed; `error()` is the close code and
   * `errorString()` says why: a refused handshake (1002 for 400 and 426,
   * 1008 for 403, 1009 for 431, 1006 for 503), a client's failed TLS
   * handshake (1015), or `listen()` / `setSocketDescriptor()` failing.
   */
  serverError: ServerErrorEvent;
  /** Client certificate problems (never dispatched: Deno's TLS listeners do not ask for client certificates). */
  sslErrors: SslErrorsEvent;
}

/**
 * Addresses to listen on, as Qt's `QHostAddress` special addresses.
 *
 * @example The loopback address to listen on
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
 * fires. Accepted sockets are `QWebSocket`s in the server role, in
 * `ConnectedState`; they start reading when they are handed out, so a
 * message that arrived with the handshake reaches the listeners added right
 * after `nextPendingConnection()`.
 *
 * The opening handshake follows RFC 6455 §4.2: a malformed request gets
 * `400 Bad Request`, another protocol version `426 Upgrade Required` with
 * `Sec-WebSocket-Version: 13`, a refused origin `403 Forbidden`, an
 * oversized head (64 KiB, 8 KiB lines, 100 headers)
 * `431 Request Header Fields Too Large`, and a full pending queue
 * `503 Service Unavailable`; each refusal dispatches `serverError` with
 * `error()` and `errorString()` set. Nothing a client does (bad TLS, a bad
 * or slow handshake) disturbs the other clients.
 *
 * Differences from Qt, on purpose: accepted sockets get the server's incoming
 * size limits (`setMaxAllowedIncomingFrameSize` and
 * `setMaxAllowedIncomingMessageSize`; 16 MiB and 64 MiB by default, where Qt
 * allows 2 GiB) before their first byte is read, because a client could send
 * a huge message before the application had the socket to limit it; a full
 * pending queue answers 503 rather than closing the connection without an
 * answer. Deno has no descriptors, no TLS alerts, no PSK and no client
 * certificate requests on listeners: see `setSocketDescriptor()`,
 * `setSslConfiguration()` and the events that are never dispatched.
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
 *   socket.addEventListener("disconnected", () => console.log("client left"));
 * });
 * if (!server.listen("127.0.0.1", 1234)) console.error(server.errorString());
 * ```
 *
 * @example Refuse other origins, offer subprotocols, bound the queue
 * ```ts
 * import { QWebSocketServer } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * const server = new QWebSocketServer("Chat", QWebSocketServer.SslMode.NonSecureMode);
 * server.setSupportedSubprotocols(["chat.v2", "chat.v1"]);
 * server.setMaxPendingConnections(100);
 * server.setHandshakeTimeout(5000);
 * server.addEventListener("originAuthenticationRequired", (e) => {
 *   e.authenticator.setAllowed(e.authenticator.origin() === "https://app.example");
 * });
 * assert.deepEqual(server.supportedSubprotocols(), ["chat.v2", "chat.v1"]);
 * assert.equal(server.serverUrl(), null); // not listening yet
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
  #wake: (() => void) | null = null;
  #pending: QWebSocket[] = [];
  // Clients that passed every check and are being answered 101: they count
  // against the pending queue so a burst cannot overfill it.
  #reserved = 0;
  #maxPending = 30;
  #handshakeTimeout = DEFAULT_HANDSHAKE_TIMEOUT;
  #supportedSubprotocols: string[] = [];
  #deflateEnabled = false;
  #deflateOptions: PerMessageDeflateOptions = Object.freeze({});
  #sslConfiguration: QSslConfiguration = QSslConfiguration.defaultConfiguration();
  #proxy: QNetworkProxy = new QNetworkProxy(QNetworkProxy.ProxyType.DefaultProxy);
  #error: QWebSocketProtocol.CloseCode = CloseCode.CloseCodeNormal;
  #errorString = "";
  #maxFrameSize = DEFAULT_SERVER_MAX_FRAME_SIZE;
  #maxMessageSize = DEFAULT_SERVER_MAX_MESSAGE_SIZE;
  #handshakes: Set<HandshakeTask> = new Set();
  #handshakeTasks: Set<Promise<void>> = new Set();
  // handleRequest() upgrades whose platform socket has not opened yet.
  #upgrades: Set<PlatformEngine> = new Set();
  #closingSockets: Set<Promise<void>> = new Set();

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
   * once, since `Deno.listen` and `Deno.listenTls` are synchronous: `true` on
   * success; `false` with `error()` (`CloseCodeAbnormalDisconnection`) and
   * `errorString()` set, and `serverError` dispatched, when the address is in
   * use, the `--allow-net` permission is missing (the message names the
   * flag), the address is not valid here, the server already listens, or
   * SecureMode has no certificate and key.
   *
   * `QHostAddress.Any` is `"0.0.0.0"` (every IPv4 interface); use
   * `QHostAddress.AnyIPv6` (`"::"`) for IPv6, which on most systems takes
   * IPv4 clients as well.
   *
   * @example Listen on a free loopback port (run with `--allow-net=127.0.0.1`)
   * ```ts ignore
   * import { QHostAddress, QWebSocketServer } from "@qtws/websockets";
   * import assert from "node:assert/strict";
   *
   * await using server = new QWebSocketServer("", QWebSocketServer.SslMode.NonSecureMode);
   * assert.ok(server.listen(QHostAddress.LocalHost, 0));
   * assert.ok(server.serverPort() > 0);
   * ```
   *
   * @param address The address to bind: an IP address or a `QHostAddress` value.
   * @param port The port, 0 to 65535.
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
      this.#fail(
        CloseCode.CloseCodeAbnormalDisconnection,
        `Cannot listen on ${allowNetValue(address, port)}: the server already listens on ${
          allowNetValue(this.serverAddress(), this.serverPort())
        }; call close() first`,
      );
      return false;
    }
    if (address === QHostAddress.Null) {
      this.#fail(
        CloseCode.CloseCodeAbnormalDisconnection,
        "Cannot listen on QHostAddress.Null: pass an address such as QHostAddress.LocalHost",
      );
      return false;
    }
    let tls: ListenTlsOptions | null = null;
    if (this.#secureMode === QWebSocketServer.SslMode.SecureMode) {
      const options = this.#tlsOptions();
      if (typeof options === "string") {
        this.#fail(CloseCode.CloseCodeTlsHandshakeFailed, options);
        return false;
      }
      tls = options;
    }
    let socket: ListeningSocket;
    try {
      socket = listen(address, port, tls);
    } catch (error) {
      this.#fail(CloseCode.CloseCodeAbnormalDisconnection, messageOf(error));
      return false;
    }
    this.#startListening(socket);
    return true;
  }

  // SecureMode settings for Deno.listenTls, or why there are none.
  #tlsOptions(): ListenTlsOptions | string {
    const config = this.#sslConfiguration;
    const chain = config.localCertificateChain();
    if (chain.length === 0 || config.privateKey().isNull()) {
      return "Cannot listen in SecureMode without a certificate and key: call setSslConfiguration() " +
        "with a configuration that has setLocalCertificate() (or setLocalCertificateChain()) and " +
        "setPrivateKey()";
    }
    if (config.peerVerifyMode() === QSslConfiguration.PeerVerifyMode.VerifyPeer) {
      // Refuse rather than accept clients unverified: the application asked for client certificates.
      return "Cannot listen in SecureMode with PeerVerifyMode.VerifyPeer: Deno.listenTls cannot " +
        "request or verify client certificates; authenticate clients another way (for example " +
        "a token in the request) and use AutoVerifyPeer";
    }
    const alpn = config.allowedNextProtocols();
    return {
      cert: chain.map((c) => c.toPem()).join(""),
      key: config.privateKey().toPem(),
      ...(alpn.length > 0 ? { alpnProtocols: alpn } : {}),
    };
  }

  #startListening(socket: ListeningSocket): void {
    this.#socket = socket;
    this.#paused = false;
    this.#error = CloseCode.CloseCodeNormal;
    this.#errorString = "";
    this.#acceptLoop = this.#acceptConnections(socket);
  }

  async #acceptConnections(socket: ListeningSocket): Promise<void> {
    while (this.#socket === socket) {
      if (this.#paused) {
        await this.#sleep();
        continue;
      }
      let conn: Deno.Conn | null;
      try {
        conn = await accept(socket);
      } catch (error) {
        if (this.#socket !== socket) return;
        this.#acceptFailed(error);
        // Out of descriptors, say: give the process a moment instead of spinning.
        await this.#sleep(ACCEPT_RETRY_MS);
        continue;
      }
      if (conn === null) {
        // The listener was closed behind the server's back (by its adopter, say).
        if (this.#socket === socket) this.close();
        return;
      }
      // The accept was already waiting when pauseAccepting() came: this client
      // waits, connected but unanswered, until resumeAccepting().
      while (this.#paused && this.#socket === socket) await this.#sleep();
      if (this.#socket !== socket) {
        closeConn(conn);
        return;
      }
      this.#track(this.#upgrade(conn));
    }
  }

  #acceptFailed(error: unknown): void {
    const socketError = error instanceof TransportError
      ? error.socketError
      : QAbstractSocket.SocketError.UnknownSocketError;
    // Qt maps every socket error of its TCP server to CloseCodeAbnormalDisconnection.
    this.#setError(CloseCode.CloseCodeAbnormalDisconnection, messageOf(error));
    this.dispatchEvent(new AcceptErrorEvent(socketError));
  }

  // Waits until woken (resumeAccepting, close) or, when given, `ms` passed.
  #sleep(ms?: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const wake = () => {
        clearTimeout(timer);
        if (this.#wake === wake) this.#wake = null;
        resolve();
      };
      if (ms !== undefined) timer = setTimeout(wake, ms);
      this.#wake = wake;
    });
  }

  /**
   * Returns whether the server is listening.
   *
   * @returns `true` between a successful `listen()` (or `setSocketDescriptor()`) and `close()`.
   */
  isListening(): boolean {
    return this.#socket !== null;
  }

  /**
   * Stops listening, drops handshakes under way, closes the sockets still
   * waiting in the pending queue (with 1001 `CloseCodeGoingAway`, "Server
   * closed"), and dispatches `closed` after the current task, as Qt does.
   * Sockets already taken with `nextPendingConnection()` stay open.
   */
  close(): void {
    this.#stop().then(() => this.dispatchEvent(new Event("closed")));
  }

  // Stops everything the server runs; resolves when the accept loop has ended.
  #stop(): Promise<void> {
    const socket = this.#socket;
    this.#socket = null;
    if (socket !== null) closeListener(socket);
    this.#wake?.();
    for (const task of this.#handshakes) task.close();
    this.#handshakes.clear();
    for (const engine of [...this.#upgrades]) engine.abort();
    const pending = this.#pending;
    this.#pending = [];
    for (const webSocket of pending) {
      startServerSocket(webSocket);
      webSocket.close(CloseCode.CloseCodeGoingAway, "Server closed");
      const done = webSocket[Symbol.asyncDispose]();
      this.#closingSockets.add(done);
      done.finally(() => this.#closingSockets.delete(done));
    }
    const loop = this.#acceptLoop ?? Promise.resolve();
    this.#acceptLoop = null;
    return loop;
  }

  /**
   * Stops accepting connections. Clients already in the pending queue stay
   * there; clients connecting meanwhile wait in the system's backlog (a
   * connect succeeds, the handshake is answered after `resumeAccepting()`).
   */
  pauseAccepting(): void {
    this.#paused = true;
  }

  /** Resumes accepting connections after `pauseAccepting()`. */
  resumeAccepting(): void {
    this.#paused = false;
    this.#wake?.();
  }

  /**
   * Runs the server handshake on a connection the application accepted
   * itself (Qt's `handleConnection(QTcpSocket *)`), for example from a
   * listener it shares with other protocols; the server takes ownership of
   * the connection. A `Deno.TlsConn` gets its TLS handshake first. The
   * handshake timeout, origin check, subprotocol choice and pending queue
   * apply as for the server's own clients, whether or not it listens.
   *
   * @example Upgrade a connection accepted elsewhere
   * ```ts ignore
   * import { QWebSocketServer } from "@qtws/websockets";
   *
   * const server = new QWebSocketServer("", QWebSocketServer.SslMode.NonSecureMode);
   * server.addEventListener("newConnection", () => server.nextPendingConnection()!.close());
   * const listener = Deno.listen({ hostname: "127.0.0.1", port: 8080 });
   * for await (const conn of listener) server.handleConnection(conn);
   * ```
   *
   * @param socket An accepted TCP or TLS connection that has sent nothing
   *   the application read.
   */
  handleConnection(socket: Deno.Conn): void {
    if (
      socket === null || typeof socket !== "object" || typeof socket.read !== "function" ||
      typeof socket.write !== "function" || typeof socket.close !== "function"
    ) {
      throw new TypeError("Cannot handle connection: pass an accepted Deno.Conn");
    }
    this.#track(this.#upgrade(socket));
  }

  /**
   * Answers a request that `Deno.serve`, `deno serve` or a hosted Deno
   * runtime handed to the program, for hosts that give no listening socket
   * (not in Qt). Call it from the handler for the requests of your WebSocket
   * route, and return what it returns; route your own pages first.
   *
   * A request without `Upgrade: websocket` is answered
   * `426 Upgrade Required` with a plain-text body saying so. An upgrade
   * request goes through what a TCP client does: the checks of RFC 6455
   * §4.2.1 (400, or 426 for another version), the pending queue (503), the
   * origin check (`originAuthenticationRequired`, 403) and the subprotocol
   * choice; each refusal dispatches `serverError` as on the TCP path. Then
   * it is upgraded with `Deno.upgradeWebSocket`, and once the platform has
   * sent the 101 and opened its socket (within the handshake timeout), the
   * client joins the pending queue and `newConnection` fires. The server
   * need not `listen()`; `close()` drops upgrades under way and the
   * sockets still queued. While accepting is paused (`pauseAccepting()`),
   * upgrade requests are answered 503, as a request cannot wait in a
   * backlog. The `SslMode` does not apply: TLS, if any, is the host's.
   *
   * A subprotocol offer without spaces (`chat,superchat`) works: qtws
   * parses the offer itself, where `Deno.upgradeWebSocket` alone would
   * answer 500.
   *
   * The sockets are `QWebSocket`s in the server role driven by the
   * platform's WebSocket, which runs the protocol itself. What differs from
   * a TCP client's socket:
   * - frame events fire once per message, with `isLastFrame` true;
   * - `maxAllowedIncomingMessageSize()` is checked on each message the
   *   platform assembled (closing with 1009); the frame limit and
   *   `outgoingFrameSize()` have no effect, and Deno itself refuses
   *   messages of 64 MiB or more, dropping the connection;
   * - `ping()` sends nothing and `pong` never fires: the Web API has no
   *   ping. Deno pings a client silent for 15 s and drops it (code 1001,
   *   `SocketTimeoutError`) if 15 s more pass without an answer;
   * - `bytesToWrite()` is the platform's `bufferedAmount` (payload bytes,
   *   no frame headers); `bytesWritten` reports it going down;
   * - reading never pauses (`setReadBufferSize()` and the `readable`
   *   stream's backpressure have no effect): messages a client sends while
   *   queued are held, up to the message limit in all, beyond which it is
   *   closed with 1009;
   * - a peer that breaks the protocol is dropped by the platform without a
   *   close frame: `closeCode()` is 1006 and `errorString()` has the
   *   platform's reason;
   * - `abort()` and an expired `closeTimeout()` report the end at once,
   *   but the platform keeps the TCP connection until the peer answers the
   *   close frame (or its idle timeout); `abort()` sends close code 1001;
   * - `localAddress()` is `""` and `localPort()` 0; `peerAddress()` and
   *   `peerPort()` come from `info.remoteAddr`, when given.
   *
   * @example A Deno.serve handler (run with `--allow-net=127.0.0.1:8000`)
   * ```ts ignore
   * import { QWebSocketServer } from "@qtws/websockets";
   *
   * const server = new QWebSocketServer("Echo", QWebSocketServer.SslMode.NonSecureMode);
   * server.addEventListener("newConnection", () => {
   *   const socket = server.nextPendingConnection()!;
   *   socket.addEventListener("textMessageReceived", (e) => socket.sendTextMessage(e.message));
   * });
   * Deno.serve({ hostname: "127.0.0.1", port: 8000 }, (request, info) => {
   *   if (new URL(request.url).pathname === "/ws") return server.handleRequest(request, info);
   *   return new Response("Connect a WebSocket to /ws\n");
   * });
   * ```
   *
   * @param request The request the handler received, its body unread.
   * @param info The handler's second argument: gives `peerAddress()` and
   *   `peerPort()`.
   * @returns The response for the handler to return: the 101 of the
   *   upgrade, or the refusal.
   */
  handleRequest(request: Request, info?: Deno.ServeHandlerInfo): Response {
    if (!(request instanceof Request)) {
      throw new TypeError(
        "Cannot handle request: pass the Request that a Deno.serve handler received",
      );
    }
    const peer = endpointOf(info);
    let client: ClientRequest;
    try {
      client = readUpgradeRequest(request);
    } catch (error) {
      if (!(error instanceof HandshakeError)) {
        // Deno: "Request closed" once a request was upgraded or answered.
        throw new TypeError(
          `Cannot handle request: it cannot be read (${messageOf(error)}); pass each request ` +
            "to handleRequest() once, before it is upgraded or answered",
          { cause: error },
        );
      }
      return this.#refuseRequest(describeEndpoint(peer), {
        error,
        closeCode: CloseCode.CloseCodeProtocolError,
      });
    }
    if (this.#paused) {
      // A TCP client would wait in the backlog; a request cannot be held.
      return this.#refuseRequest(describeEndpoint(peer), {
        error: new HandshakeError(
          503,
          "The server is not accepting connections now (pauseAccepting()); try again later",
        ),
        closeCode: CloseCode.CloseCodeAbnormalDisconnection,
      });
    }
    const refusal = this.#admit(client.origin);
    if (refusal !== null) return this.#refuseRequest(describeEndpoint(peer), refusal);
    // A place in the pending queue is reserved from here on.
    const protocol = this.#chooseSubprotocol(client.protocols);
    let upgrade: PlatformUpgrade;
    try {
      upgrade = upgradeRequest(request, { protocol, serverName: headerText(this.#serverName) });
    } catch (error) {
      this.#reserved--;
      return this.#refuseRequest(describeEndpoint(peer), {
        error: new HandshakeError(500, `Deno could not upgrade the request: ${messageOf(error)}`),
        closeCode: CloseCode.CloseCodeBadOperation,
      });
    }
    const url = new URL(request.url);
    const maxFrameSize = this.#maxFrameSize;
    const maxMessageSize = this.#maxMessageSize;
    const made: { engine?: PlatformEngine } = {};
    const webSocket = createServerSocket({
      engine: (host) =>
        made.engine = new PlatformEngine(upgrade.socket, { maxMessageSize, remote: peer }, host),
      request: socketRequest(request),
      origin: client.origin,
      protocol,
      resourceName: url.pathname + url.search,
      maxFrameSize,
      maxMessageSize,
    });
    this.#track(this.#awaitUpgrade(made.engine!, webSocket));
    return upgrade.response;
  }

  // A request's client joins the pending queue once the platform has sent
  // the 101 and opened its socket, within the handshake timeout (a Request
  // not from Deno.serve, say, never opens).
  async #awaitUpgrade(engine: PlatformEngine, webSocket: QWebSocket): Promise<void> {
    this.#upgrades.add(engine);
    const timeout = this.#handshakeTimeout;
    const timer = timeout >= 0
      ? setTimeout(() => engine.abort(), Math.min(timeout, MAX_TIMER_DELAY))
      : undefined;
    let open = false;
    try {
      open = await engine.opened;
    } finally {
      clearTimeout(timer);
      this.#upgrades.delete(engine);
    }
    if (!open) {
      this.#reserved--;
      return;
    }
    this.#addPendingConnection(webSocket);
  }

  #refuseRequest(peer: string, refusal: Refusal): Response {
    const { error } = refusal;
    this.#fail(
      refusal.closeCode,
      `Refused the WebSocket handshake of ${peer} with ${error.status} ${
        reasonPhrase(error.status)
      }: ${error.message}`,
    );
    return refusalResponse(error, this.#serverName);
  }

  /**
   * Adopts a listener the application created, as Qt's `setSocketDescriptor()`
   * adopts a listening descriptor. Deno has no descriptors, so the
   * `Deno.Listener` itself stands for one: pass a `Deno.TcpListener` in
   * NonSecureMode and a `Deno.TlsListener` (from `Deno.listenTls`) in
   * SecureMode. The server owns the listener from then on and closes it in
   * `close()`.
   *
   * @example Serve on a listener made elsewhere (run with `--allow-net=127.0.0.1`)
   * ```ts ignore
   * import { QWebSocketServer } from "@qtws/websockets";
   * import assert from "node:assert/strict";
   *
   * await using server = new QWebSocketServer("", QWebSocketServer.SslMode.NonSecureMode);
   * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
   * assert.ok(server.setSocketDescriptor(listener));
   * assert.equal(server.socketDescriptor(), listener);
   * assert.equal(server.serverPort(), listener.addr.port);
   * ```
   *
   * @param socketDescriptor A listening TCP (or TLS) listener.
   * @returns `true` when adopted; `false`, with `errorString()` set, when the
   *   server already listens or the listener does not fit the SslMode.
   */
  setSocketDescriptor(socketDescriptor: Deno.Listener): boolean {
    if (
      socketDescriptor === null || typeof socketDescriptor !== "object" ||
      typeof socketDescriptor.accept !== "function"
    ) {
      throw new TypeError(
        "Cannot set socket descriptor: pass a Deno.Listener (Deno has no numeric descriptors)",
      );
    }
    if (this.#socket !== null) {
      this.#fail(
        CloseCode.CloseCodeAbnormalDisconnection,
        "Cannot adopt a listener: the server already listens; call close() first",
      );
      return false;
    }
    let socket: ListeningSocket;
    try {
      socket = adopt(socketDescriptor);
    } catch (error) {
      this.#fail(CloseCode.CloseCodeAbnormalDisconnection, messageOf(error));
      return false;
    }
    const secure = this.#secureMode === QWebSocketServer.SslMode.SecureMode;
    if (socket.secure !== secure) {
      this.#fail(
        CloseCode.CloseCodeAbnormalDisconnection,
        secure
          ? "Cannot adopt a plain TCP listener in SecureMode: pass a listener from Deno.listenTls"
          : "Cannot adopt a TLS listener in NonSecureMode: pass a listener from Deno.listen",
      );
      return false;
    }
    this.#startListening(socket);
    return true;
  }

  /**
   * The listener in use: Deno's stand-in for Qt's native descriptor (see
   * `setSocketDescriptor()`).
   *
   * @returns The `Deno.Listener` while listening, or -1 when not listening (as Qt).
   */
  socketDescriptor(): Deno.Listener | -1 {
    return this.#socket?.listener ?? -1;
  }

  // --- the opening handshake --------------------------------------------------------

  #track(task: Promise<void>): void {
    this.#handshakeTasks.add(task);
    task.finally(() => this.#handshakeTasks.delete(task));
  }

  // One client from accept to the pending queue: TLS, the request head, the
  // checks, the 101. Bounded as a whole by the handshake timeout.
  async #upgrade(conn: Deno.Conn): Promise<void> {
    const task = new HandshakeTask(conn, this.#handshakeTimeout);
    this.#handshakes.add(task);
    let handedOver = false;
    try {
      let channel: ByteChannel;
      try {
        channel = await acceptedChannel(conn);
      } catch (error) {
        // Not TLS at all, or a client that distrusts the certificate: only this client is lost.
        if (!task.closed) this.#fail(CloseCode.CloseCodeTlsHandshakeFailed, messageOf(error));
        return;
      }
      task.channel = channel;
      if (task.closed) return;

      const parser = new HttpHeadParser();
      let request: ClientRequest;
      try {
        let head: HttpHead | null = null;
        while (head === null) {
          const chunk = await channel.read();
          if (chunk === null || task.closed) return;
          head = parser.push(chunk);
        }
        request = parseClientRequest(head);
      } catch (error) {
        // Anything else is the transport failing: the client is gone.
        if (!(error instanceof HandshakeError) || task.closed) return;
        await this.#refuseConnection(task, channel, {
          error,
          closeCode: error.status === 431
            ? CloseCode.CloseCodeTooMuchData
            : CloseCode.CloseCodeProtocolError,
        });
        return;
      }

      // Nothing is awaited from the checks to the queue: a client counts
      // against maxPendingConnections only once it is queued, as in Qt, so a
      // burst of handshakes is not refused while the application takes
      // every socket at once.
      const accept = computeAcceptKeySync(request.key);
      const refusal = this.#admit(request.origin);
      if (refusal !== null) {
        await this.#refuseConnection(task, channel, refusal);
        return;
      }
      // A place in the pending queue is reserved from here on.
      let webSocket: QWebSocket | null = null;
      try {
        const protocol = this.#chooseSubprotocol(request.protocols);
        const deflate = this.#negotiateDeflate(request.extensions);
        // Not awaited: Deno performs a connection's writes in call order, so
        // the socket's own writes follow the 101 (Qt buffers it the same way).
        channel.write(buildAcceptResponse({
          accept,
          protocol,
          extensions: deflate?.response,
          serverName: this.#serverName,
        })).catch(() => {
          // The client left; its socket finds out when it reads.
        });
        task.settle();
        webSocket = this.#serverSocket(
          channel,
          request,
          protocol,
          deflate,
          parser.leftover(),
          conn,
        );
      } finally {
        if (webSocket === null) this.#reserved--;
      }
      this.#handshakes.delete(task);
      handedOver = true;
      this.#addPendingConnection(webSocket);
    } catch {
      // A client that vanished mid-handshake affects nobody else.
    } finally {
      this.#handshakes.delete(task);
      if (!handedOver) task.close();
    }
  }

  /**
   * The checks every upgrade passes through, whatever carries it: room in
   * the pending queue (checked first, as Qt does, so a refused client costs
   * no origin check), then the origin. On success a place in the queue is
   * reserved; `#addPendingConnection()` fills it, or the caller gives it back
   * with `this.#reserved--`.
   */
  #admit(origin: string): Refusal | null {
    // Only queued sockets count, as in Qt: upgrades still in flight do not,
    // or a burst the application takes at once would be refused. (Through
    // handleRequest, the queue can overfill by the upgrades in flight.)
    if (this.#pending.length >= this.#maxPending) {
      return {
        error: new HandshakeError(
          503,
          `Too many pending connections: ${this.#maxPending} clients wait for ` +
            "nextPendingConnection(); try again later",
        ),
        closeCode: CloseCode.CloseCodeAbnormalDisconnection,
      };
    }
    if (!this.#originAllowed(origin)) {
      return {
        error: new HandshakeError(
          403,
          `The origin ${origin === "" ? "(none)" : JSON.stringify(origin)} is not allowed`,
        ),
        closeCode: CloseCode.CloseCodePolicyViolated,
      };
    }
    this.#reserved++;
    return null;
  }

  // Qt: with no slot connected, every origin is accepted; the signal is
  // synchronous so the answer is known before the response is written.
  #originAllowed(origin: string): boolean {
    if (!this.isListened("originAuthenticationRequired")) return true;
    const authenticator = new QWebSocketCorsAuthenticator(origin);
    this.dispatchEvent(new OriginAuthenticationRequiredEvent(authenticator));
    return authenticator.allowed();
  }

  // Qt 6.4: the first of the client's offers, in the client's order, that the server supports.
  #chooseSubprotocol(offered: readonly string[]): string {
    if (offered.length === 0 || this.#supportedSubprotocols.length === 0) return "";
    return chooseSubprotocol(offered, this.#supportedSubprotocols);
  }

  #addPendingConnection(webSocket: QWebSocket): void {
    this.#reserved--;
    this.#pending.push(webSocket);
    this.dispatchEvent(new Event("newConnection"));
  }

  // RFC 7692 §5: the first acceptable permessage-deflate offer, when enabled.
  #negotiateDeflate(offers: string): PerMessageDeflateAcceptance | null {
    if (!this.#deflateEnabled || offers === "" || !rawZlibAvailable()) return null;
    return negotiatePerMessageDeflate(offers, this.#deflateOptions);
  }

  #serverSocket(
    channel: ByteChannel,
    request: ClientRequest,
    protocol: string,
    deflate: PerMessageDeflateAcceptance | null,
    leftover: Uint8Array,
    conn: Deno.Conn,
  ): QWebSocket {
    const scheme = isTlsConn(conn) ? "wss" : "ws";
    const target = request.target;
    const host = request.host;
    // A plain origin-form target is its own resource name: the URL parser
    // (an op per handshake) is needed only for the rest, and for request().
    let resourceName = plainTarget(target) ? target : null;
    let href: string | (() => string) = lazyHref(scheme, host, target);
    if (resourceName === null) {
      const url = requestUrl(scheme, host, target);
      resourceName = url.pathname + url.search;
      href = url.href;
    }
    // Kept as strings until request() asks: a QNetworkRequest with a copy
    // of every header costs about 1 KiB per idle connection.
    const headers = JSON.stringify(request.headers.entries());
    const maxFrameSize = this.#maxFrameSize;
    const maxMessageSize = this.#maxMessageSize;
    const deflateOptions = this.#deflateOptions;
    return createServerSocket({
      engine: (host) =>
        new StreamEngine(channel, {
          role: "server",
          maxFrameSize,
          maxMessageSize,
          outgoingFrameSize: DEFAULT_OUTGOING_FRAME_SIZE,
          maskGenerator: null,
          leftover,
          codec: deflate === null
            ? null
            : new PerMessageDeflateCodec("server", deflate.parameters, deflateOptions),
        }, host),
      request: lazyRequest(href, headers),
      origin: request.origin,
      protocol,
      resourceName,
      maxFrameSize,
      maxMessageSize,
      perMessageDeflate: deflate?.parameters ?? null,
    });
  }

  async #refuseConnection(
    task: HandshakeTask,
    channel: ByteChannel,
    refusal: Refusal,
  ): Promise<void> {
    const { error } = refusal;
    this.#fail(
      refusal.closeCode,
      `Refused the WebSocket handshake of ${peerOf(task.conn)} with ${error.status} ${
        reasonPhrase(error.status)
      }: ${error.message}`,
    );
    if (task.closed) return;
    try {
      await channel.write(buildRejectResponse(error.status, {
        headers: error.headers,
        body: `${error.message}\n`,
        serverName: this.#serverName,
      }));
      await channel.closeWrite();
    } catch {
      return;
    }
    task.settle();
    await linger(channel);
  }

  // --- the pending queue ------------------------------------------------------------

  /**
   * Takes the next connected client, in arrival order. Its events start
   * on the next turn of the event loop, as in Qt, so listeners added in the
   * current task (even after awaiting promises) see every message, including
   * one that arrived together with the handshake.
   *
   * @returns A `QWebSocket` in `ConnectedState`, or `null` when none is pending.
   */
  nextPendingConnection(): QWebSocket | null {
    const webSocket = this.#pending.shift() ?? null;
    if (webSocket !== null) {
      // Qt delivers a socket's signals from the event loop: reading starts on
      // the next turn, so listeners attached after an `await` (of a helper
      // that returned the socket, say) still see the first message. (Not
      // setTimeout(0): in Deno it waits 1-2 ms, which every client's first
      // message would wait too.)
      nextTurn(() => {
        if (webSocket.state() === QAbstractSocket.SocketState.ConnectedState) {
          startServerSocket(webSocket);
        }
      });
    }
    return webSocket;
  }

  /**
   * Returns whether a connected client waits in the pending queue.
   *
   * @returns `true` when `nextPendingConnection()` would return a socket.
   */
  hasPendingConnections(): boolean {
    return this.#pending.length > 0;
  }

  /**
   * Returns the most clients that may wait in the pending queue.
   *
   * @returns The limit; 30 by default.
   */
  maxPendingConnections(): number {
    return this.#maxPending;
  }

  /**
   * Sets the most clients that may wait in the pending queue (handshakes
   * being answered count too). Further handshakes are answered
   * `503 Service Unavailable` and `serverError` reports
   * `CloseCodeAbnormalDisconnection`, until `nextPendingConnection()` makes room.
   *
   * @param numConnections The limit, 0 or more.
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

  /**
   * Returns the handshake timeout (Qt's `int` form).
   *
   * @returns Milliseconds; 10 000 by default; negative when disabled.
   */
  handshakeTimeoutMS(): number {
    return this.#handshakeTimeout;
  }

  /**
   * Returns the handshake timeout (Qt's `std::chrono::milliseconds` form:
   * a number of milliseconds here).
   *
   * @returns Milliseconds; 10 000 by default; negative when disabled.
   */
  handshakeTimeout(): number {
    return this.#handshakeTimeout;
  }

  /**
   * Sets how long a client has, from its TCP connection (TLS included) to a
   * complete opening handshake, before it is dropped; others are not
   * affected. Applies to connections accepted from then on. A timeout is not
   * reported (no `serverError`), as in Qt.
   *
   * In SecureMode, a client that has not even finished its TLS handshake is
   * dropped by qtws all the same, but Deno keeps that TCP socket open until
   * the client sends something or leaves: Deno completes a TLS handshake
   * before it closes a connection, and offers no way to cut it short.
   *
   * @param msec Milliseconds; a negative value disables the timeout.
   */
  setHandshakeTimeout(msec: number): void {
    if (typeof msec !== "number" || Number.isNaN(msec)) {
      throw new TypeError("Cannot set handshake timeout: pass a number of milliseconds");
    }
    this.#handshakeTimeout = msec;
  }

  /**
   * Returns the name sent in the `Server` header.
   *
   * @returns The name; `""` sends no `Server` header.
   */
  serverName(): string {
    return this.#serverName;
  }

  /**
   * Sets the name sent in the `Server` header of later handshake responses
   * (none when empty). CR, LF and NUL are left out of the header.
   *
   * @param serverName The name.
   */
  setServerName(serverName: string): void {
    if (typeof serverName !== "string") {
      throw new TypeError("Cannot set server name: pass a string (empty for no Server header)");
    }
    this.#serverName = serverName;
  }

  /**
   * Returns the secure mode given to the constructor.
   *
   * @returns `SslMode.SecureMode` or `SslMode.NonSecureMode`.
   */
  secureMode(): QWebSocketServer.SslMode {
    return this.#secureMode;
  }

  /**
   * Returns the address the server listens on.
   *
   * @returns The bound address (`"127.0.0.1"`, `"::1"`...), or `""`
   *   (`QHostAddress.Null`) when not listening.
   */
  serverAddress(): string {
    return this.#socket?.address.address ?? QHostAddress.Null;
  }

  /**
   * Returns the port the server listens on.
   *
   * @returns The bound port, or 0 when not listening.
   */
  serverPort(): number {
    return this.#socket?.address.port ?? 0;
  }

  /**
   * A URL clients can use while listening.
   *
   * @returns `ws://address:port` or `wss://...` (IPv6 addresses in brackets),
   *   or `null` when not listening (Qt's invalid URL).
   */
  serverUrl(): URL | null {
    const socket = this.#socket;
    if (socket === null) return null;
    const scheme = this.#secureMode === QWebSocketServer.SslMode.SecureMode ? "wss" : "ws";
    return new URL(`${scheme}://${allowNetValue(socket.address.address, socket.address.port)}`);
  }

  /**
   * Returns the WebSocket versions this server speaks.
   *
   * @returns `[QWebSocketProtocol.Version.Version13]`.
   */
  supportedVersions(): QWebSocketProtocol.Version[] {
    return [QWebSocketProtocol.Version.Version13];
  }

  /**
   * Returns the subprotocols this server supports.
   *
   * @returns A copy of the list; empty by default.
   */
  supportedSubprotocols(): string[] {
    return [...this.#supportedSubprotocols];
  }

  /**
   * Sets the subprotocols this server supports: the first of a client's
   * offers (in the client's order) found here is chosen, echoed in
   * `Sec-WebSocket-Protocol`, and reported by the socket's `subprotocol()`.
   * When none matches, the response has no `Sec-WebSocket-Protocol` header.
   *
   * @param protocols The subprotocol names.
   */
  setSupportedSubprotocols(protocols: readonly string[]): void {
    if (!Array.isArray(protocols) || protocols.some((p) => typeof p !== "string")) {
      throw new TypeError("Cannot set supported subprotocols: pass an array of strings");
    }
    this.#supportedSubprotocols = [...protocols];
  }

  /**
   * Whether this server accepts permessage-deflate compression (RFC 7692).
   * Not in Qt, whose WebSockets have no extensions.
   *
   * @returns `false` (the default) unless enabled.
   */
  perMessageDeflateEnabled(): boolean {
    return this.#deflateEnabled;
  }

  /**
   * Accepts permessage-deflate compression (RFC 7692) from clients that offer
   * it (browsers do), or not. Off by default, as in Node's `ws`: each
   * compressing connection holds zlib state (about 260 KiB with the
   * default 32 KiB windows and context takeover; see
   * `setPerMessageDeflateOptions()` and docs/permessage-deflate.md). The
   * first acceptable offer of a client is taken; invalid offers are declined.
   * Applies to handshakes that start afterwards; `handleRequest()` upgrades
   * through `Deno.upgradeWebSocket`, which never compresses. A socket reports
   * what was agreed with `perMessageDeflate()`. Not in Qt.
   *
   * @example A server that compresses for browsers
   * ```ts ignore
   * import { QWebSocketServer } from "@qtws/websockets";
   *
   * const server = new QWebSocketServer("chat", QWebSocketServer.SslMode.NonSecureMode);
   * server.setPerMessageDeflateEnabled(true);
   * server.listen("127.0.0.1", 1234);
   * ```
   *
   * @param enabled Whether to accept it.
   */
  setPerMessageDeflateEnabled(enabled: boolean): void {
    if (typeof enabled !== "boolean") {
      throw new TypeError("Cannot setPerMessageDeflateEnabled: pass true or false");
    }
    this.#deflateEnabled = enabled;
  }

  /**
   * The permessage-deflate settings of this server. Not in Qt.
   *
   * @returns A frozen copy; `{}` unless set.
   */
  perMessageDeflateOptions(): PerMessageDeflateOptions {
    return this.#deflateOptions;
  }

  /**
   * Sets how this server answers permessage-deflate offers and compresses:
   * `serverNoContextTakeover` (compress each message on its own: connections
   * then share one compressor and hold none of their own) and
   * `serverMaxWindowBits` bound what it keeps for sending;
   * `clientNoContextTakeover` and `clientMaxWindowBits` ask the client to do
   * the same, which bounds what this server keeps to inflate (a client that
   * cannot be limited is not compressed with); `threshold`, `level` and
   * `memLevel` tune the compressor. Not in Qt.
   *
   * @example Least memory per connection
   * ```ts
   * import { QWebSocketServer } from "@qtws/websockets";
   * import assert from "node:assert/strict";
   *
   * const server = new QWebSocketServer("chat", QWebSocketServer.SslMode.NonSecureMode);
   * server.setPerMessageDeflateEnabled(true);
   * server.setPerMessageDeflateOptions({
   *   serverNoContextTakeover: true,
   *   clientNoContextTakeover: true,
   *   clientMaxWindowBits: 10,
   * });
   * assert.equal(server.perMessageDeflateOptions().clientMaxWindowBits, 10);
   * ```
   *
   * @param options The settings; window bits 8–15, level 0–9, memLevel 1–9.
   * @throws {TypeError} When `options` is not an object or a flag is not a boolean.
   * @throws {RangeError} When a number is out of range.
   */
  setPerMessageDeflateOptions(options: PerMessageDeflateOptions): void {
    this.#deflateOptions = checkPerMessageDeflateOptions(options);
  }

  /**
   * Returns the TLS configuration (a copy: change it and set it again).
   *
   * @returns The configuration set in SecureMode; in NonSecureMode
   *   `QSslConfiguration.defaultConfiguration()`, as Qt.
   */
  sslConfiguration(): QSslConfiguration {
    return this.#secureMode === QWebSocketServer.SslMode.SecureMode
      ? this.#sslConfiguration.clone()
      : QSslConfiguration.defaultConfiguration();
  }

  /**
   * Sets the TLS configuration of SecureMode, used from the next `listen()`:
   * the certificate chain (`setLocalCertificate` / `setLocalCertificateChain`,
   * PEM) and its private key (`setPrivateKey`) go to `Deno.listenTls`, and
   * `setAllowedNextProtocols` to its ALPN list. Has no effect in
   * NonSecureMode, as in Qt.
   *
   * On Deno a TLS listener cannot request client certificates: `QueryPeer`
   * and `AutoVerifyPeer` accept clients without asking for one, and
   * `VerifyPeer` makes `listen()` fail rather than accept clients unverified.
   * CA certificates, PSK and `handshakeMustInterruptOnError` have no effect
   * on a server.
   *
   * @example A wss: server (run with `--allow-read` for the files)
   * ```ts ignore
   * import { QSslCertificate, QSslConfiguration, QSslKey, QWebSocketServer } from "@qtws/websockets";
   *
   * const server = new QWebSocketServer("", QWebSocketServer.SslMode.SecureMode);
   * const config = QSslConfiguration.defaultConfiguration();
   * config.setLocalCertificateChain(QSslCertificate.fromPath("server.crt"));
   * config.setPrivateKey(new QSslKey(Deno.readTextFileSync("server.key")));
   * server.setSslConfiguration(config);
   * server.listen("0.0.0.0", 443);
   * ```
   *
   * @param sslConfiguration The configuration (copied).
   */
  setSslConfiguration(sslConfiguration: QSslConfiguration): void {
    if (!(sslConfiguration instanceof QSslConfiguration)) {
      throw new TypeError("Cannot set SSL configuration: pass a QSslConfiguration");
    }
    if (this.#secureMode !== QWebSocketServer.SslMode.SecureMode) return;
    this.#sslConfiguration = sslConfiguration.clone();
  }

  /**
   * Returns the proxy setting (stored only: see `setProxy()`).
   *
   * @returns The proxy; `DefaultProxy` by default.
   */
  proxy(): QNetworkProxy {
    return this.#proxy;
  }

  /**
   * Stores a proxy setting, for Qt compatibility. A listening server does
   * not go through a proxy on Deno (Qt can only use SOCKS5 for listening),
   * so the setting has no effect.
   *
   * @param networkProxy The proxy.
   */
  setProxy(networkProxy: QNetworkProxy): void {
    if (!(networkProxy instanceof QNetworkProxy)) {
      throw new TypeError("Cannot set proxy: pass a QNetworkProxy");
    }
    this.#proxy = networkProxy;
  }

  /**
   * Returns the frame limit given to each accepted socket.
   *
   * @returns Bytes; 16 MiB by default (Qt: 2 GiB).
   */
  maxAllowedIncomingFrameSize(): number {
    return this.#maxFrameSize;
  }

  /**
   * Sets the largest frame that sockets accepted from now on take, applied
   * before they read their first byte; a larger frame closes the connection
   * with 1009 (`CloseCodeTooMuchData`). Each socket can change its own limit
   * later. Not in Qt, whose sockets start with a 2 GiB limit.
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

  /**
   * Returns the message limit given to each accepted socket.
   *
   * @returns Bytes; 64 MiB by default (Qt: 2 GiB).
   */
  maxAllowedIncomingMessageSize(): number {
    return this.#maxMessageSize;
  }

  /**
   * Sets the largest message that sockets accepted from now on take, applied
   * before they read their first byte; a larger message closes the
   * connection with 1009. Not in Qt.
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

  /**
   * Returns the last error, as a close code: 1002 for a malformed handshake
   * or another version (400, 426), 1008 for a refused origin (403), 1009 for
   * an oversized head (431), 1006 for a full pending queue (503) or a
   * listening or accept failure, 1015 for a client's failed TLS handshake.
   *
   * @returns The close code; `CloseCodeNormal` when no error occurred.
   */
  error(): QWebSocketProtocol.CloseCode {
    return this.#error;
  }

  /**
   * Returns a description of the last error.
   *
   * @returns The sentence, or `""` when no error occurred.
   */
  errorString(): string {
    return this.#errorString;
  }

  /**
   * Closes the server as `close()` does (dispatching `closed` only if it was
   * listening), and resolves once its accept loop and handshakes under way
   * have ended and the queued sockets are disconnected, so
   * `await using server = ...` leaves nothing running.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    const wasListening = this.#socket !== null;
    const loop = this.#stop();
    if (wasListening) loop.then(() => this.dispatchEvent(new Event("closed")));
    await Promise.allSettled([loop, ...this.#handshakeTasks, ...this.#closingSockets]);
  }

  #setError(code: QWebSocketProtocol.CloseCode, message: string): void {
    this.#error = code;
    this.#errorString = message;
  }

  // Qt's setError(): record, then emit serverError.
  #fail(code: QWebSocketProtocol.CloseCode, message: string): void {
    this.#setError(code, message);
    this.dispatchEvent(new ServerErrorEvent(code));
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

/** Why a handshake is refused: the HTTP answer and the close code `serverError` reports. */
interface Refusal {
  readonly error: HandshakeError;
  readonly closeCode: QWebSocketProtocol.CloseCode;
}

/**
 * One client between accept and the pending queue: its connection, its
 * channel once TLS is done, and the handshake deadline.
 */
class HandshakeTask {
  readonly conn: Deno.Conn;
  channel: ByteChannel | null = null;
  closed = false;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(conn: Deno.Conn, timeout: number) {
    this.conn = conn;
    if (timeout >= 0) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.close();
      }, Math.min(timeout, MAX_TIMER_DELAY));
    }
  }

  // The handshake finished (or is being refused): no deadline any more.
  settle(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  // Drops the client; a read or write under way ends with an error.
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.settle();
    if (this.channel !== null) this.channel.close();
    else closeConn(this.conn);
  }
}

function closeConn(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Closed already.
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Reads and discards what a refused client still sends, until it closes,
 * briefly. Closing a TCP socket with unread input makes it send a reset,
 * which can destroy the refusal before the client has read it (the
 * "lingering close" of HTTP servers).
 */
// The request a server's socket reports, built on demand: its URL and every
// header of the upgrade request, repeated fields joined as one. (A function of
// its own, so the closure holds these two strings and nothing else of the
// handshake's scope, such as the bytes read with the request.)
function lazyRequest(href: string | (() => string), headers: string): () => QNetworkRequest {
  return () => {
    const networkRequest = new QNetworkRequest(typeof href === "string" ? href : href());
    for (const [name, value] of JSON.parse(headers) as Array<[string, string]>) {
      networkRequest.setRawHeader(
        name,
        networkRequest.hasRawHeader(name) ? `${networkRequest.rawHeader(name)}, ${value}` : value,
      );
    }
    return networkRequest;
  };
}

// Made out here: a closure made inside #serverSocket would share its context
// and keep the handshake's leftover bytes and channel alive with the socket.
function lazyHref(scheme: string, host: string, target: string): () => string {
  return () => requestUrl(scheme, host, target).href;
}

function requestUrl(scheme: string, host: string, target: string): URL {
  try {
    return new URL(target, `${scheme}://${host}`);
  } catch {
    // A Host header that is no URL authority: keep the path, name no host.
    return new URL(target, `${scheme}://localhost`);
  }
}

// An origin-form target that the URL parser would give back unchanged as
// pathname + search (RFC 3986 path and query characters only): no dot
// segment to resolve (also not "%2e"), nothing it percent-encodes (the query
// of a special scheme encodes "'"), and no empty query (a bare "?" is dropped).
const PLAIN_TARGET =
  /^\/(?!\/)[A-Za-z0-9\-._~!$&()*+,;=:@/%]*(?:\?[A-Za-z0-9\-._~!$&()*+,;=:@/%?]+)?$/;
const DOT_SEGMENT = /\/\.|\/%2e/i;

function plainTarget(target: string): boolean {
  return PLAIN_TARGET.test(target) && !DOT_SEGMENT.test(target);
}

async function linger(channel: ByteChannel): Promise<void> {
  const timer = setTimeout(() => channel.close(), LINGER_MS);
  try {
    let discarded = 0;
    while (discarded < LINGER_BYTES) {
      const chunk = await channel.read();
      if (chunk === null) return;
      discarded += chunk.length;
    }
  } catch {
    // The client reset the connection or the timer closed it: done either way.
  } finally {
    clearTimeout(timer);
  }
}
