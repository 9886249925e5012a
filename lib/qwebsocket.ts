/**
 * `QWebSocket`: a WebSocket client (and a server's end of a connection), with
 * Qt's API over Deno's TCP and TLS sockets.
 *
 * @module
 */

import { type Credentials, OpeningError, runOpening } from "./client_opening.ts";
import { PerMessageDeflateCodec } from "./deflate/permessage_deflate_codec.ts";
import { rawZlibAvailable } from "./deflate/raw_zlib.ts";
import {
  type AlertEvent,
  AuthenticationRequiredEvent,
  BinaryFrameReceivedEvent,
  BinaryMessageReceivedEvent,
  BytesWrittenEvent,
  PongEvent,
  type PreSharedKeyAuthenticationRequiredEvent,
  ProxyAuthenticationRequiredEvent,
  QtEventTarget,
  SocketErrorEvent,
  SslErrorEvent,
  SslErrorsEvent,
  StateChangedEvent,
  TextFrameReceivedEvent,
  TextMessageReceivedEvent,
} from "./events.ts";
import { MAX_OUTGOING_FRAME_SIZE } from "./protocol/connection.ts";
import { DEFAULT_OUTGOING_FRAME_SIZE } from "./protocol/frame_encoder.ts";
import { MAX_FRAME_SIZE } from "./protocol/frame_parser.ts";
import { MAX_MESSAGE_SIZE } from "./protocol/message_assembler.ts";
import type { PerMessageDeflateParameters } from "./protocol/permessage_deflate_params.ts";
import { QAbstractSocket } from "./protocol/qabstract_socket.ts";
import type { QMaskGenerator } from "./protocol/qmask_generator.ts";
import { isValidCloseCode, QWebSocketProtocol } from "./protocol/qwebsocket_protocol.ts";
import { QAuthenticator } from "./qauthenticator.ts";
import { QNetworkProxy } from "./qnetwork_proxy.ts";
import { QNetworkRequest, requestUrlText } from "./qnetwork_request.ts";
import { tunnelFor } from "./proxy_selection.ts";
import { QWebSocketHandshakeOptions } from "./qwebsocket_handshake_options.ts";
import type { EngineEndpoint, EngineHost, EngineResult, SocketEngine } from "./socket_engine.ts";
import { DEFAULT_CLOSE_TIMEOUT, StreamEngine } from "./stream_engine.ts";
import { QSslConfiguration } from "./ssl/qssl_configuration.ts";
import { QSslError } from "./ssl/qssl_error.ts";
import type { CertificateProblem, TlsOptions } from "./transport/connect.ts";
import type { Tunnel } from "./transport/open_stream.ts";

const State = QAbstractSocket.SocketState;
const SocketError = QAbstractSocket.SocketError;

/** The default bound of the client's opening phase (connect, TLS and upgrade), in ms. */
export const DEFAULT_OPEN_TIMEOUT = 10000;

/**
 * Every event a {@linkcode QWebSocket} dispatches, by type (Qt's signal names).
 *
 * @example A helper that waits for any signal, typed by the map
 * ```ts
 * import { QAbstractSocket, QWebSocket, type QWebSocketEventMap } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * function nextEvent<K extends keyof QWebSocketEventMap & string>(
 *   socket: QWebSocket,
 *   type: K,
 * ): Promise<QWebSocketEventMap[K]> {
 *   return new Promise((resolve) => socket.addEventListener(type, resolve, { once: true }));
 * }
 *
 * const socket = new QWebSocket();
 * const error = nextEvent(socket, "error");
 * const disconnected = nextEvent(socket, "disconnected");
 * socket.open("ftp://example.com/"); // not a WebSocket URL: fails without touching the network
 * assert.equal((await error).error, QAbstractSocket.SocketError.ConnectionRefusedError);
 * assert.equal((await disconnected).type, "disconnected");
 * ```
 */
export interface QWebSocketEventMap {
  /** The socket is about to close (either side started the closing handshake). */
  aboutToClose: Event;
  /** A TLS alert arrived (never dispatched: Deno does not report alerts). */
  alertReceived: AlertEvent;
  /** A TLS alert was sent (never dispatched: Deno does not report alerts). */
  alertSent: AlertEvent;
  /** The server answered 401; fill in the authenticator synchronously to retry. */
  authenticationRequired: AuthenticationRequiredEvent;
  /** A binary frame arrived. */
  binaryFrameReceived: BinaryFrameReceivedEvent;
  /** A binary message arrived. */
  binaryMessageReceived: BinaryMessageReceivedEvent;
  /** Bytes were handed to the operating system. */
  bytesWritten: BytesWrittenEvent;
  /** The opening handshake succeeded. */
  connected: Event;
  /** The socket is closed; the last event of a connection. */
  disconnected: Event;
  /**
   * An error occurred; `errorString()` describes it. Also dispatched, with
   * `UnknownSocketError`, when the peer broke the protocol (Qt only closes).
   */
  error: SocketErrorEvent;
  /** The same as `error` (Qt 6.5's name for it). */
  errorOccurred: SocketErrorEvent;
  /** A certificate error interrupted the handshake (never dispatched: Deno's TLS cannot pause). */
  handshakeInterruptedOnError: SslErrorEvent;
  /**
   * A certificate problem was found while verifying the peer: once per failed
   * handshake, with the first problem Deno's TLS reports (Qt may emit one per
   * problem).
   */
  peerVerifyError: SslErrorEvent;
  /** A pong arrived. */
  pong: PongEvent;
  /** The TLS handshake needs a pre-shared key (never dispatched: Deno has no PSK). */
  preSharedKeyAuthenticationRequired: PreSharedKeyAuthenticationRequiredEvent;
  /** The proxy answered 407; fill in the authenticator synchronously to retry. */
  proxyAuthenticationRequired: ProxyAuthenticationRequiredEvent;
  /** The input ended. */
  readChannelFinished: Event;
  /**
   * Certificate problems were found; call `ignoreSslErrors()` in the listener
   * to retry. Each `QSslError` has a null `certificate()`: Deno does not
   * expose the peer's certificate.
   */
  sslErrors: SslErrorsEvent;
  /** The state changed. */
  stateChanged: StateChangedEvent;
  /** A text frame arrived. */
  textFrameReceived: TextFrameReceivedEvent;
  /** A text message arrived. */
  textMessageReceived: TextMessageReceivedEvent;
}

/** What a server hands to a socket it accepted. @internal */
export interface ServerSocketInit {
  engine: (host: EngineHost) => SocketEngine;
  /** The upgrade request, or how to build it when `request()` first asks. */
  request: QNetworkRequest | (() => QNetworkRequest);
  origin: string;
  protocol: string;
  resourceName: string;
  maxFrameSize: number;
  maxMessageSize: number;
  /** What was agreed for permessage-deflate, or `null`/absent. */
  perMessageDeflate?: PerMessageDeflateParameters | null;
}

let initServerSocket: (socket: QWebSocket, init: ServerSocketInit) => void;
let startServer: (socket: QWebSocket) => void;

/**
 * Creates the server's end of a connection (used by `QWebSocketServer`).
 *
 * @param init The accepted connection.
 * @returns A socket in the connected state that starts reading once a task has passed.
 * @internal
 */
export function createServerSocket(init: ServerSocketInit): QWebSocket {
  const socket = new QWebSocket();
  initServerSocket(socket, init);
  return socket;
}

/**
 * Starts reading on a server's socket (once the application has taken it).
 *
 * @param socket A socket made by {@linkcode createServerSocket}.
 * @internal
 */
export function startServerSocket(socket: QWebSocket): void {
  startServer(socket);
}

/** What can be sent: text, or bytes in any form. */
type BinaryInput = ArrayBuffer | ArrayBufferView;

/**
 * A WebSocket connection with Qt's `QWebSocket` API: Qt's methods with Qt's
 * names, and Qt's signals as events of the same names. It is a client when
 * you `open()` it, and a server's end of a connection when a
 * `QWebSocketServer` hands it to you.
 *
 * Methods never throw for network conditions: failures arrive as `error`
 * events, with `error()` and `errorString()` set. They throw only for
 * programming errors, such as an argument of the wrong type.
 *
 * @example Echo with a server (run with `--allow-net=127.0.0.1`)
 * ```ts ignore
 * import { QWebSocket } from "@qtws/websockets";
 *
 * const socket = new QWebSocket();
 * socket.addEventListener("connected", () => socket.sendTextMessage("Hello, world!"));
 * socket.addEventListener("textMessageReceived", (e) => {
 *   console.log("echo:", e.message);
 *   socket.close();
 * });
 * socket.addEventListener("error", () => console.error(socket.errorString()));
 * socket.open("ws://127.0.0.1:1234");
 * ```
 */
export class QWebSocket extends QtEventTarget<QWebSocketEventMap> {
  static {
    initServerSocket = (socket, init) => socket.#initServer(init);
    startServer = (socket) => socket.#engine?.start();
  }

  /**
   * The largest incoming frame this implementation can hold (Qt's `INT_MAX - 1`).
   *
   * @returns 2,147,483,646.
   */
  static maxIncomingFrameSize(): number {
    return MAX_FRAME_SIZE;
  }

  /**
   * The largest incoming message this implementation can hold (Qt's
   * `INT_MAX - 1`; text is also bounded by the longest string V8 builds).
   *
   * @returns 2,147,483,646.
   */
  static maxIncomingMessageSize(): number {
    return MAX_MESSAGE_SIZE;
  }

  /**
   * The largest outgoing frame this implementation sends.
   *
   * @returns 2,147,483,646.
   */
  static maxOutgoingFrameSize(): number {
    return MAX_OUTGOING_FRAME_SIZE;
  }

  #role: "client" | "server" = "client";
  #origin: string;
  #state: QAbstractSocket.SocketState = State.UnconnectedState;
  #error: QAbstractSocket.SocketError = SocketError.UnknownSocketError;
  #errorString = "";
  // A server's socket builds its request only when asked (#currentRequest):
  // a copy of every header costs about 1 KiB per idle connection.
  #request: QNetworkRequest | (() => QNetworkRequest) | null = null;
  // The options, proxy and TLS settings are made on first use (#handshake(),
  // #networkProxy(), #ssl()): a server's socket rarely needs them, and each
  // idle connection would otherwise carry them.
  #options: QWebSocketHandshakeOptions | null = null;
  #resourceName = "";
  #subprotocol = "";
  #perMessageDeflate: PerMessageDeflateParameters | null = null;
  #closeCode: number = QWebSocketProtocol.CloseCode.CloseCodeNormal;
  #closeReason = "";

  #maxFrameSize = MAX_FRAME_SIZE;
  #maxMessageSize = MAX_MESSAGE_SIZE;
  #outgoingFrameSize = DEFAULT_OUTGOING_FRAME_SIZE;
  #maskGenerator: QMaskGenerator | null = null;
  #readBufferSize = 0;
  #pauseMode: QAbstractSocket.PauseModes = QAbstractSocket.PauseMode.PauseNever;
  #proxy: QNetworkProxy | null = null;
  #sslConfiguration: QSslConfiguration | null = null;
  #ignoredSslErrors: QSslError[] = [];
  #ignoreAllSslErrors = false;
  // Counts ignoreSslErrors() calls, to see whether an sslErrors listener made one.
  #ignoreCalls = 0;
  #openTimeout = DEFAULT_OPEN_TIMEOUT;
  #closeTimeout = DEFAULT_CLOSE_TIMEOUT;

  #engine: SocketEngine | null = null;
  #local: EngineEndpoint | null = null;
  #remote: EngineEndpoint | null = null;
  #peerName = "";
  #opening: AbortController | null = null;
  #openTimer: ReturnType<typeof setTimeout> | undefined;
  // Counts open() calls, so a late report of an earlier one is dropped.
  #attempt = 0;
  // Counts connections replaced by open(), so their engines' ends are ignored.
  #connection = 0;
  #pausedOnSslErrors: (() => void) | null = null;
  #pingStarted = 0;
  // Whether a connection (or its opening) is under way, and the promise that
  // settles when it ends, made only once something waits for it.
  #unfinished = false;
  #finished: Promise<void> | null = null;
  #resolveFinished: (() => void) | null = null;
  #readable: ReadableStream<string | Uint8Array> | null = null;
  #readableController: ReadableStreamDefaultController<string | Uint8Array> | null = null;
  #writable: WritableStream<string | BinaryInput> | null = null;

  /**
   * Creates a socket in the unconnected state.
   *
   * @param origin The `Origin` to send (RFC 6454); must not contain line breaks,
   *   or the connection is refused during the handshake.
   * @param version The protocol version: only `QWebSocketProtocol.Version.Version13`
   *   (`VersionLatest`) is supported.
   * @param _parent Qt's parent object: accepted and ignored (the garbage
   *   collector manages lifetimes).
   */
  constructor(
    origin = "",
    version: QWebSocketProtocol.Version = QWebSocketProtocol.Version.VersionLatest,
    _parent?: unknown,
  ) {
    super();
    if (typeof origin !== "string") {
      throw new TypeError(
        `Cannot create QWebSocket: origin must be a string, not ${typeof origin}`,
      );
    }
    if (version !== QWebSocketProtocol.Version.Version13) {
      throw new RangeError(
        `Cannot create QWebSocket: version ${version} is not supported; use QWebSocketProtocol.Version.Version13`,
      );
    }
    this.#origin = origin;
  }

  // --- opening ---------------------------------------------------------------

  /**
   * Opens a connection to `url` (or to the URL of a `QNetworkRequest`, whose
   * headers go into the upgrade request). `ws:` and `http:` connect over TCP,
   * `wss:` and `https:` over TLS. The state moves to `ConnectingState` at once;
   * `connected` follows a valid 101 response, or `error` then `disconnected`
   * follow a failure. Opening an open socket aborts the current connection first.
   *
   * @param target The URL, or a request carrying the URL and extra headers.
   * @param options Handshake options, e.g. subprotocols to offer.
   */
  open(target: URL | string | QNetworkRequest, options?: QWebSocketHandshakeOptions): void {
    if (this.#role === "server") {
      throw new Error("Cannot open a QWebSocket that a QWebSocketServer accepted");
    }
    if (options !== undefined && !(options instanceof QWebSocketHandshakeOptions)) {
      throw new TypeError("Cannot open: options must be a QWebSocketHandshakeOptions");
    }
    let request: QNetworkRequest;
    let raw: string;
    if (target instanceof QNetworkRequest) {
      // A copy, as Qt takes it by value: later changes by the caller do not leak in.
      request = new QNetworkRequest(target);
      raw = requestUrlText(target);
    } else if (target instanceof URL || typeof target === "string") {
      raw = target instanceof URL ? target.href : target;
      request = new QNetworkRequest();
      try {
        request.setUrl(target);
      } catch {
        // Reported below, as an invalid URL.
      }
    } else {
      throw new TypeError("Cannot open: pass a URL, a string or a QNetworkRequest");
    }
    const url = validUrl(raw);
    if (typeof url === "string") {
      // As in Qt, an invalid URL leaves an open connection alone. The events
      // come after the current task, so listeners added right after open()
      // see them; an unconnected socket ends with `disconnected`, as every
      // failed open() does.
      const busy = this.#state !== State.UnconnectedState;
      const attempt = busy ? this.#attempt : ++this.#attempt;
      if (!busy) {
        this.#request = request;
        this.#options = new QWebSocketHandshakeOptions(options);
        this.#resetConnectionFields();
        this.#closeReadable();
      }
      this.#setError(SocketError.ConnectionRefusedError, url);
      queueMicrotask(() => {
        if (attempt !== this.#attempt || !this.#emitError(SocketError.ConnectionRefusedError)) {
          return;
        }
        if (!busy) this.#dispatch("disconnected");
      });
      return;
    }
    // Qt drops a previous connection without signals and starts over.
    if (this.#state !== State.UnconnectedState) this.#dropConnection();
    this.#attempt++;
    this.#request = request;
    this.#options = new QWebSocketHandshakeOptions(options);
    this.#resetConnectionFields();
    this.#resourceName = (url.pathname === "" ? "/" : url.pathname) + url.search;
    this.#peerName = url.hostname.replace(/^\[|\]$/g, "");
    this.#startFinishedPromise();
    this.#setState(State.ConnectingState);
    const controller = new AbortController();
    this.#opening = controller;
    this.#armOpenTimer(controller, url.host);
    void this.#runOpening(url, controller);
  }

  // The bound of the opening phase; it does not run while paused on sslErrors,
  // where the application may take its time (as Qt waits for resume()).
  #armOpenTimer(controller: AbortController, host: string): void {
    this.#disarmOpenTimer();
    if (this.#openTimeout < 0) return;
    const timeout = this.#openTimeout;
    this.#openTimer = setTimeout(() => {
      this.#openTimer = undefined;
      controller.abort(
        new OpeningError(
          SocketError.SocketTimeoutError,
          `Opening the connection to ${host} timed out after ${timeout} ms`,
        ),
      );
    }, timeout);
  }

  #disarmOpenTimer(): void {
    clearTimeout(this.#openTimer);
    this.#openTimer = undefined;
  }

  async #runOpening(url: URL, controller: AbortController): Promise<void> {
    const wsUrl = new URL(url.href);
    // One tunnel for every attempt of this open(), so proxy credentials
    // given in proxyAuthenticationRequired are not asked for again.
    const tunnel = this.#tunnel(wsUrl);
    for (let sslAttempt = 0;; sslAttempt++) {
      try {
        const result = await runOpening({
          url: wsUrl,
          headers: this.#currentRequest().rawHeaders(),
          origin: this.#origin,
          protocols: this.#handshake().subprotocols(),
          extensions: "",
          // Without a synchronous node:zlib (another runtime), nothing is offered.
          perMessageDeflate: this.#handshake().perMessageDeflateEnabled() && rawZlibAvailable()
            ? this.#handshake().perMessageDeflateOptions()
            : null,
          tls: this.#tlsOptions(),
          tunnel,
          signal: controller.signal,
          authenticate: (realm, options) => this.#askCredentials(realm, options),
        });
        if (this.#opening !== controller) {
          result.channel.close();
          return;
        }
        this.#opening = null;
        this.#disarmOpenTimer();
        this.#ssl().setNextNegotiatedProtocol(result.alpnProtocol ?? "");
        this.#subprotocol = result.protocol;
        const agreed = result.perMessageDeflate;
        this.#perMessageDeflate = agreed;
        const engine = new StreamEngine(result.channel, {
          role: "client",
          maxFrameSize: this.#maxFrameSize,
          maxMessageSize: this.#maxMessageSize,
          outgoingFrameSize: this.#outgoingFrameSize,
          maskGenerator: this.#maskGenerator,
          leftover: result.leftover,
          closeTimeout: this.#closeTimeout,
          readBufferSize: this.#readBufferSize,
          codec: agreed === null ? null : new PerMessageDeflateCodec(
            "client",
            agreed,
            this.#handshake().perMessageDeflateOptions(),
          ),
        }, this.#engineHost());
        this.#attach(engine);
        this.#setState(State.ConnectedState);
        this.#dispatch("connected");
        // Unless a listener already replaced this connection with open().
        if (this.#engine === engine) engine.start();
        return;
      } catch (error) {
        if (this.#opening !== controller) return;
        const failure = error instanceof OpeningError
          ? error
          : new OpeningError(SocketError.UnknownSocketError, String(error));
        const problem = failure.socketError === SocketError.SslHandshakeFailedError
          ? failure.certificateProblem
          : null;
        // Each retry needs the application to have ignored something new, so
        // this ends; rustls reports one problem at a time, hence a few rounds.
        if (
          problem !== null && sslAttempt < 3 &&
          await this.#handleSslErrors(problem, controller, url)
        ) {
          continue;
        }
        if (this.#opening !== controller) return;
        this.#opening = null;
        this.#disarmOpenTimer();
        this.#failOpening(
          failure.socketError,
          problem === null ? failure.message : failure.message + this.#sslHint(problem),
        );
        return;
      }
    }
  }

  // Reports certificate problems as Qt does and says whether to retry.
  async #handleSslErrors(
    problem: CertificateProblem,
    controller: AbortController,
    url: URL,
  ): Promise<boolean> {
    const error = new QSslError(sslErrorFor(problem));
    this.dispatchEvent(new SslErrorEvent("peerVerifyError", error));
    if (this.#opening !== controller) return false;
    const before = this.#ignoreCalls;
    this.dispatchEvent(new SslErrorsEvent([error]));
    if (this.#opening !== controller) return false;
    if (this.#pauseMode & QAbstractSocket.PauseMode.PauseOnSslErrors) {
      this.#disarmOpenTimer();
      await new Promise<void>((resume) => {
        this.#pausedOnSslErrors = resume;
        controller.signal.addEventListener("abort", () => resume(), { once: true });
      });
      this.#pausedOnSslErrors = null;
      if (this.#opening !== controller || controller.signal.aborted) return false;
      this.#armOpenTimer(controller, url.host);
    }
    // Retrying with unchanged settings would fail the same way.
    if (this.#ignoreCalls === before) return false;
    return this.#canIgnore(problem);
  }

  // How to get past a certificate problem, for errorString().
  #sslHint(problem: CertificateProblem): string {
    if (problem === "host-name-mismatch") {
      return "; to accept it, call ignoreSslErrors() from an sslErrors listener, or pass " +
        "new QSslError(QSslError.SslError.HostNameMismatch) to ignoreSslErrors() before open()";
    }
    const trust = "pass the CA to QSslConfiguration.setCaCertificates(), or the server's " +
      "certificate to ignoreSslErrors([new QSslError(kind, certificate)])";
    const verifyNone = this.#ssl().peerVerifyMode() === QSslConfiguration.PeerVerifyMode.VerifyNone;
    return this.#ignoreAllSslErrors || verifyNone
      ? `; ${
        verifyNone ? "PeerVerifyMode.VerifyNone" : "ignoreSslErrors() without a list"
      } cannot waive this on Deno: ${trust}, ` +
        "or run Deno with --unsafely-ignore-certificate-errors"
      : `; to trust it, ${trust}`;
  }

  // Whether Deno can connect while ignoring the problem: a host name mismatch
  // can be waived, and a certificate given in the ignore list can be trusted;
  // nothing else can be switched off per connection.
  #canIgnore(problem: CertificateProblem): boolean {
    if (problem === "host-name-mismatch") {
      return this.#ignoreAllSslErrors ||
        this.#ignoredSslErrors.some((e) => e.error() === QSslError.SslError.HostNameMismatch);
    }
    return this.#ignoredSslErrors.some((e) => !e.certificate().isNull());
  }

  #askCredentials(realm: string, options: Record<string, string>): Credentials | null {
    const authenticator = new QAuthenticator(realm);
    for (const [name, value] of Object.entries(options)) authenticator.setOption(name, value);
    this.dispatchEvent(new AuthenticationRequiredEvent(authenticator));
    return authenticator.isNull()
      ? null
      : { user: authenticator.user(), password: authenticator.password() };
  }

  #tlsOptions(): TlsOptions {
    const config = this.#ssl();
    const tls: TlsOptions = {};
    const trusted = this.#ignoredSslErrors
      .map((e) => e.certificate())
      .filter((c) => !c.isNull())
      .map((c) => c.toPem());
    // Deno adds these to its default roots; it does not replace them.
    if (config.hasCustomCaCertificates() || trusted.length > 0) {
      tls.caCerts = [...config.caCertificates().map((c) => c.toPem()), ...trusted];
    }
    const chain = config.localCertificateChain();
    if (chain.length > 0 && !config.privateKey().isNull()) {
      tls.cert = chain.map((c) => c.toPem()).join("");
      tls.key = config.privateKey().toPem();
    }
    const alpn = config.allowedNextProtocols();
    if (alpn.length > 0) tls.alpnProtocols = alpn;
    // VerifyNone: Deno always checks the chain; the host name is what it can skip.
    const mismatchIgnored =
      this.#ignoredSslErrors.some((e) => e.error() === QSslError.SslError.HostNameMismatch) ||
      this.#ignoreAllSslErrors ||
      config.peerVerifyMode() === QSslConfiguration.PeerVerifyMode.VerifyNone;
    if (mismatchIgnored) tls.unsafelyDisableHostnameVerification = true;
    return tls;
  }

  // The proxy is resolved when open() runs: proxy() (DefaultProxy: the
  // application proxy, then the environment variables).
  #tunnel(url: URL): Tunnel | null {
    return tunnelFor(this.#networkProxy(), url, {
      openTimeout: this.#openTimeout,
      authenticate: (proxy, realm) => this.#askProxyCredentials(proxy, realm),
    });
  }

  // Qt's proxyAuthenticationRequired: filled in synchronously, or give up.
  #askProxyCredentials(proxy: QNetworkProxy, realm: string): Credentials | null {
    const authenticator = new QAuthenticator(realm);
    this.dispatchEvent(new ProxyAuthenticationRequiredEvent(proxy, authenticator));
    return authenticator.isNull()
      ? null
      : { user: authenticator.user(), password: authenticator.password() };
  }

  #failOpening(error: QAbstractSocket.SocketError, message: string): void {
    const attempt = this.#attempt;
    this.#closeReadable();
    this.#settleFinished();
    this.#setError(error, message);
    // A listener may open() again (a retry): then this attempt says no more.
    if (!this.#emitError(error)) return;
    this.#setState(State.UnconnectedState);
    if (attempt === this.#attempt) this.#dispatch("disconnected");
  }

  // open() on a socket that is busy: the old connection goes without events.
  #dropConnection(): void {
    this.#connection++;
    const opening = this.#opening;
    this.#opening = null;
    this.#disarmOpenTimer();
    opening?.abort();
    this.#pausedOnSslErrors?.();
    const engine = this.#engine;
    this.#engine = null;
    engine?.abort();
    this.#local = null;
    this.#remote = null;
    this.#closeReadable();
    this.#settleFinished();
  }

  // --- connected phase ---------------------------------------------------------

  #handshake(): QWebSocketHandshakeOptions {
    return this.#options ??= new QWebSocketHandshakeOptions();
  }

  #networkProxy(): QNetworkProxy {
    return this.#proxy ??= new QNetworkProxy(QNetworkProxy.ProxyType.DefaultProxy);
  }

  #ssl(): QSslConfiguration {
    return this.#sslConfiguration ??= QSslConfiguration.defaultConfiguration();
  }

  #currentRequest(): QNetworkRequest {
    let request = this.#request;
    if (request === null) request = this.#request = new QNetworkRequest();
    else if (typeof request === "function") request = this.#request = request();
    return request;
  }

  #initServer(init: ServerSocketInit): void {
    this.#role = "server";
    this.#request = init.request;
    this.#origin = init.origin;
    this.#subprotocol = init.protocol;
    this.#perMessageDeflate = init.perMessageDeflate ?? null;
    this.#resourceName = init.resourceName;
    this.#maxFrameSize = init.maxFrameSize;
    this.#maxMessageSize = init.maxMessageSize;
    this.#startFinishedPromise();
    const engine = init.engine(this.#engineHost());
    this.#attach(engine);
    // Reading starts when the server hands the socket out (startServerSocket),
    // so no message arrives before the application could listen for it.
    this.#state = State.ConnectedState;
  }

  #attach(engine: SocketEngine): void {
    this.#engine = engine;
    this.#local = engine.local;
    this.#remote = engine.remote;
  }

  #engineHost(): EngineHost {
    // The end of a connection that open() replaced is not reported. Only the
    // calls that can come after an abort() check; messages cannot.
    const connection = this.#connection;
    return {
      textFrame: (frame, isLastFrame) => {
        if (this.isListened("textFrameReceived")) {
          this.dispatchEvent(new TextFrameReceivedEvent(frame, isLastFrame));
        }
      },
      binaryFrame: (frame, isLastFrame) => {
        if (this.isListened("binaryFrameReceived")) {
          this.dispatchEvent(new BinaryFrameReceivedEvent(frame, isLastFrame));
        }
      },
      textMessage: (message) => {
        this.#toReadable(message, message.length);
        if (this.isListened("textMessageReceived")) {
          this.dispatchEvent(new TextMessageReceivedEvent(message));
        }
      },
      binaryMessage: (message) => {
        this.#toReadable(message, message.length);
        if (this.isListened("binaryMessageReceived")) {
          this.dispatchEvent(new BinaryMessageReceivedEvent(message));
        }
      },
      pong: (payload) => {
        const elapsed = Math.max(0, Math.floor(performance.now() - this.#pingStarted));
        this.dispatchEvent(new PongEvent(elapsed, payload));
      },
      bytesWritten: (bytes) => {
        if (this.isListened("bytesWritten")) this.dispatchEvent(new BytesWrittenEvent(bytes));
      },
      closing: () => {
        if (this.#state !== State.ConnectedState || connection !== this.#connection) return;
        this.#dispatch("aboutToClose");
        this.#setState(State.ClosingState);
      },
      readFinished: () => {
        if (connection === this.#connection) this.#dispatch("readChannelFinished");
      },
      error: (socketError, message) => {
        if (connection !== this.#connection) return;
        this.#setError(socketError, message);
        this.#emitError(socketError);
      },
      finished: (result) => {
        if (connection === this.#connection) this.#onFinished(result);
      },
    };
  }

  #onFinished(result: EngineResult): void {
    const attempt = this.#attempt;
    this.#engine = null;
    this.#closeCode = result.closeCode;
    this.#closeReason = result.closeReason;
    this.#closeReadable();
    // Settled first: a listener below may open() again, with a promise of its own.
    this.#settleFinished();
    // A listener may open() again (a reconnect): then this connection says no more.
    if (result.error !== null) {
      this.#setError(result.error.socketError, result.error.message);
      if (!this.#emitError(result.error.socketError)) return;
    }
    this.#local = null;
    this.#remote = null;
    this.#setState(State.UnconnectedState);
    if (attempt === this.#attempt) this.#dispatch("disconnected");
  }

  /**
   * Sends `message` as a text message, split into frames of
   * `outgoingFrameSize()` bytes when longer.
   *
   * @param message The text.
   * @returns The number of UTF-8 bytes queued; 0 when not connected.
   */
  sendTextMessage(message: string): number {
    if (typeof message !== "string") {
      throw new TypeError(
        `Cannot send a text message: expected a string, got ${
          describe(message)
        }; use sendBinaryMessage() for bytes`,
      );
    }
    if (this.#state !== State.ConnectedState || this.#engine === null) return 0;
    return this.#engine.sendText(message);
  }

  /**
   * Sends `data` as a binary message, split into frames of
   * `outgoingFrameSize()` bytes when longer. The bytes are copied: the buffer
   * may be reused as soon as this returns.
   *
   * @param data The bytes: an `ArrayBuffer` or any view of one.
   * @returns The number of bytes queued; 0 when not connected.
   */
  sendBinaryMessage(data: ArrayBuffer | ArrayBufferView): number {
    const bytes = toBytes(data);
    if (bytes === null) {
      throw new TypeError(
        `Cannot send a binary message: expected an ArrayBuffer or a typed array, got ${
          describe(data)
        }; use sendTextMessage() for text`,
      );
    }
    if (this.#state !== State.ConnectedState || this.#engine === null) return 0;
    return this.#engine.sendBinary(bytes);
  }

  /**
   * Pings the peer; the `pong` event reports the round-trip time. The payload
   * is cut to 125 bytes. Incoming pings are answered automatically; while
   * more than 64 KiB waits to be written, only the latest one is (RFC 6455
   * §5.5.3 allows it; Qt queues every pong), so a peer that floods pings and
   * never reads cannot grow memory.
   *
   * @param payload Data the pong will carry back.
   */
  ping(payload: ArrayBuffer | ArrayBufferView = new Uint8Array()): void {
    const bytes = toBytes(payload);
    if (bytes === null) {
      throw new TypeError(`Cannot ping: the payload must be bytes, not ${describe(payload)}`);
    }
    if (this.#state !== State.ConnectedState || this.#engine === null) return;
    this.#pingStarted = performance.now();
    this.#engine.ping(bytes.subarray(0, 125));
  }

  /**
   * Closes the connection gracefully: dispatches `aboutToClose`, sends a close
   * frame with `closeCode` and `reason` (cut to 123 bytes on a character
   * boundary), moves to `ClosingState`, and waits (at most `closeTimeout()`
   * ms) for the peer's close frame; `disconnected` comes last. Queued
   * messages are sent first. Closing a connecting socket cancels it.
   *
   * @param closeCode A code that may be sent: 1000–1003, 1007–1014 or 3000–4999.
   * @param reason Why.
   */
  close(
    closeCode: QWebSocketProtocol.CloseCode | number = QWebSocketProtocol.CloseCode.CloseCodeNormal,
    reason = "",
  ): void {
    if (!isValidCloseCode(closeCode)) {
      throw new RangeError(
        `Cannot close with code ${closeCode}: use 1000-1003, 1007-1014 or 3000-4999`,
      );
    }
    if (typeof reason !== "string") {
      throw new TypeError(`Cannot close: the reason must be a string, not ${describe(reason)}`);
    }
    if (this.#opening !== null) {
      this.#cancelOpening();
      return;
    }
    if (this.#state !== State.ConnectedState || this.#engine === null) return;
    this.#engine.close(closeCode, reason);
  }

  /**
   * Drops the connection at once, discarding queued data; `disconnected`
   * follows.
   */
  abort(): void {
    if (this.#opening !== null) {
      this.#cancelOpening();
      return;
    }
    this.#engine?.abort();
  }

  #cancelOpening(): void {
    const controller = this.#opening!;
    this.#opening = null;
    this.#disarmOpenTimer();
    controller.abort();
    this.#pausedOnSslErrors?.();
    this.#closeReadable();
    this.#settleFinished();
    const attempt = this.#attempt;
    this.#setState(State.UnconnectedState);
    if (attempt === this.#attempt) this.#dispatch("disconnected");
  }

  /**
   * Writes queued data now instead of at the end of the current task.
   *
   * @returns `true` when there was data to write.
   */
  flush(): boolean {
    return this.#engine?.flush() ?? false;
  }

  /**
   * The number of bytes queued and not yet handed to the operating system.
   *
   * @returns Bytes, including frame headers.
   */
  bytesToWrite(): number {
    return this.#engine?.bytesToWrite() ?? 0;
  }

  // --- state and accessors -----------------------------------------------------

  /** Returns the current state. */
  state(): QAbstractSocket.SocketState {
    return this.#state;
  }

  /** Returns `true` when connected: ready for reading and writing. */
  isValid(): boolean {
    return this.#state === State.ConnectedState;
  }

  /** Returns the kind of the last error (`UnknownSocketError` before any error). */
  error(): QAbstractSocket.SocketError {
    return this.#error;
  }

  /** Returns a description of the last error, or `""`. */
  errorString(): string {
    return this.#errorString;
  }

  /**
   * Why the connection closed: the peer's close code, the code this end failed
   * the connection with, or 1006 when it dropped without a closing handshake.
   *
   * @returns The close code (1000 before any close).
   */
  closeCode(): QWebSocketProtocol.CloseCode | number {
    return this.#closeCode;
  }

  /** Returns the reason that came with `closeCode()`. */
  closeReason(): string {
    return this.#closeReason;
  }

  /** Returns this end's address while connected, `""` otherwise. */
  localAddress(): string {
    return this.#local?.address ?? "";
  }

  /** Returns this end's port while connected, 0 otherwise. */
  localPort(): number {
    return this.#local?.port ?? 0;
  }

  /** Returns the peer's address while connected, `""` otherwise. */
  peerAddress(): string {
    return this.#remote?.address ?? "";
  }

  /** Returns the peer's port while connected, 0 otherwise. */
  peerPort(): number {
    return this.#remote?.port ?? 0;
  }

  /** Returns the host name of the URL opened (clients), `""` for a server's socket. */
  peerName(): string {
    return this.#peerName;
  }

  /** Returns the URL opened (clients) or requested by the client (server's sockets). */
  requestUrl(): URL {
    return this.#currentRequest().url();
  }

  /** Returns the path and query of the URL. */
  resourceName(): string {
    return this.#resourceName;
  }

  /** Returns a copy of the request used to open the connection, with its headers. */
  request(): QNetworkRequest {
    return new QNetworkRequest(this.#currentRequest());
  }

  /** Returns the `Origin` sent (clients) or received (server's sockets). */
  origin(): string {
    return this.#origin;
  }

  /** Returns the protocol version: always 13. */
  version(): QWebSocketProtocol.Version {
    return QWebSocketProtocol.Version.Version13;
  }

  /** Returns the subprotocol the server chose, or `""`. */
  subprotocol(): string {
    return this.#subprotocol;
  }

  /**
   * What was agreed for permessage-deflate compression (RFC 7692) in the
   * opening handshake of the current (or last) connection, or `null` when its
   * messages go uncompressed: compression was not offered or was declined, or
   * no connection was opened yet. The window sizes are the effective ones: 15
   * where none was negotiated. Not in Qt, whose WebSockets have no extensions.
   *
   * @example See whether the server agreed to compress
   * ```ts ignore
   * import { QWebSocket } from "@qtws/websockets";
   *
   * const socket = new QWebSocket();
   * socket.addEventListener("connected", () => {
   *   const deflate = socket.perMessageDeflate();
   *   console.log(deflate === null ? "uncompressed" : `compressed, window 2^${deflate.serverMaxWindowBits}`);
   * });
   * socket.open("ws://127.0.0.1:1234");
   * ```
   *
   * @returns The agreed parameters, or `null`.
   */
  perMessageDeflate(): PerMessageDeflateParameters | null {
    return this.#perMessageDeflate;
  }

  /** Returns the handshake options used to open this socket. */
  handshakeOptions(): QWebSocketHandshakeOptions {
    return new QWebSocketHandshakeOptions(this.#handshake());
  }

  // --- limits --------------------------------------------------------------------

  /** Returns the largest incoming frame accepted; larger frames close with 1009. */
  maxAllowedIncomingFrameSize(): number {
    return this.#maxFrameSize;
  }

  /**
   * Sets the largest incoming frame accepted; a larger frame closes the
   * connection with 1009 before its payload is held. Applies at once.
   *
   * @param maxAllowedIncomingFrameSize Bytes, from 0 to `maxIncomingFrameSize()`.
   */
  setMaxAllowedIncomingFrameSize(maxAllowedIncomingFrameSize: number): void {
    this.#maxFrameSize = checkSize(
      "setMaxAllowedIncomingFrameSize",
      maxAllowedIncomingFrameSize,
      MAX_FRAME_SIZE,
    );
    this.#applyLimits();
  }

  /** Returns the largest incoming message accepted; larger messages close with 1009. */
  maxAllowedIncomingMessageSize(): number {
    return this.#maxMessageSize;
  }

  /**
   * Sets the largest incoming message accepted; a larger message closes the
   * connection with 1009 as soon as a frame header shows it. Applies at once.
   *
   * @param maxAllowedIncomingMessageSize Bytes, from 0 to `maxIncomingMessageSize()`.
   */
  setMaxAllowedIncomingMessageSize(maxAllowedIncomingMessageSize: number): void {
    this.#maxMessageSize = checkSize(
      "setMaxAllowedIncomingMessageSize",
      maxAllowedIncomingMessageSize,
      MAX_MESSAGE_SIZE,
    );
    this.#applyLimits();
  }

  /** Returns the size at which outgoing messages are split into frames (default 512 KiB). */
  outgoingFrameSize(): number {
    return this.#outgoingFrameSize;
  }

  /**
   * Sets the size at which outgoing messages are split into frames. 0 sends
   * every message as one frame.
   *
   * @param outgoingFrameSize Bytes, from 0 to `maxOutgoingFrameSize()`.
   */
  setOutgoingFrameSize(outgoingFrameSize: number): void {
    this.#outgoingFrameSize = checkSize(
      "setOutgoingFrameSize",
      outgoingFrameSize,
      MAX_OUTGOING_FRAME_SIZE,
    );
    this.#applyLimits();
  }

  #applyLimits(): void {
    this.#engine?.setLimits({
      maxFrameSize: this.#maxFrameSize,
      maxMessageSize: this.#maxMessageSize,
      outgoingFrameSize: this.#outgoingFrameSize,
    });
  }

  /** Returns the mask generator set, or `null` for the default one. */
  maskGenerator(): QMaskGenerator | null {
    return this.#maskGenerator;
  }

  /**
   * Sets where masking keys come from; `null` restores the default
   * (`crypto.getRandomValues`). Takes effect at once, even while connected.
   * The generator's `seed()` is called when it is set.
   *
   * @param maskGenerator The generator, or `null`.
   */
  setMaskGenerator(maskGenerator: QMaskGenerator | null): void {
    if (maskGenerator !== null && typeof maskGenerator?.nextMask !== "function") {
      throw new TypeError("Cannot set mask generator: pass a QMaskGenerator or null");
    }
    maskGenerator?.seed();
    this.#maskGenerator = maskGenerator;
    this.#engine?.setMaskGenerator(maskGenerator);
  }

  /** Returns the read buffer size (0: unlimited, the default). */
  readBufferSize(): number {
    return this.#readBufferSize;
  }

  /**
   * Bounds how much is read from the socket at a time, and how many bytes of
   * received messages the `readable` stream holds before reading pauses.
   * 0 (the default) means no fixed bound.
   *
   * @param size Bytes.
   */
  setReadBufferSize(size: number): void {
    if (!Number.isSafeInteger(size) || size < 0) {
      throw new RangeError(`Cannot set read buffer size ${size}: use an integer of 0 or more`);
    }
    this.#readBufferSize = size;
    this.#engine?.setReadBufferSize(size);
  }

  /** Returns when the socket pauses (`PauseNever` or `PauseOnSslErrors`). */
  pauseMode(): QAbstractSocket.PauseModes {
    return this.#pauseMode;
  }

  /**
   * Sets when to pause: with `PauseOnSslErrors`, a certificate problem pauses
   * the connection after `sslErrors` until `resume()` is called.
   *
   * @param pauseMode The pause mode.
   */
  setPauseMode(pauseMode: QAbstractSocket.PauseModes): void {
    this.#pauseMode = pauseMode;
  }

  /** Continues a connection paused on `sslErrors`. */
  resume(): void {
    this.#pausedOnSslErrors?.();
  }

  /** Returns the proxy setting (default `DefaultProxy`), as set; see {@linkcode setProxy}. */
  proxy(): QNetworkProxy {
    return this.#networkProxy();
  }

  /**
   * Sets the proxy used by the next `open()`: `HttpProxy` (an HTTP CONNECT
   * tunnel, Basic authentication; for `wss:` TLS runs end to end inside it),
   * `Socks5Proxy` (a SOCKS5 CONNECT, the name resolved by the proxy,
   * username/password authentication), `NoProxy`, or `DefaultProxy`
   * (`QNetworkProxy.applicationProxy()`, which until set means the
   * `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY`/`NO_PROXY` environment variables).
   * A 407 from an HTTP proxy, or a SOCKS5 proxy that wants a password or
   * refuses it, dispatches `proxyAuthenticationRequired(proxy, authenticator)`:
   * fill in the authenticator synchronously and the connection is tried once
   * more; otherwise `error(ProxyAuthenticationRequiredError)`. Caching proxies
   * fail with `UnsupportedSocketOperationError`. See `docs/proxy.md`.
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
   * Returns a copy of the TLS configuration, as Qt returns it by value; once a
   * `wss:` connection is up, its `nextNegotiatedProtocol()` is the ALPN
   * protocol the server chose.
   */
  sslConfiguration(): QSslConfiguration {
    return this.#ssl().clone();
  }

  /**
   * Sets the TLS configuration used by the next `open()` of a `wss:` URL:
   * CA certificates, the client certificate and key, ALPN protocols.
   *
   * @param sslConfiguration The configuration.
   */
  setSslConfiguration(sslConfiguration: QSslConfiguration): void {
    if (!(sslConfiguration instanceof QSslConfiguration)) {
      throw new TypeError("Cannot set SSL configuration: pass a QSslConfiguration");
    }
    this.#sslConfiguration = sslConfiguration.clone();
  }

  /**
   * Ignores certificate problems, before `open()` or from an `sslErrors`
   * listener (then the handshake is tried again at once).
   *
   * With a list (Qt's `ignoreSslErrors(const QList<QSslError> &)`): the
   * certificates in it are trusted for this socket, whatever the error kind
   * given, so Qt's self-signed certificate example works as written; a
   * `HostNameMismatch` entry accepts a certificate issued for another name.
   * Each call replaces the list; an empty list clears it.
   *
   * Without a list (Qt's `ignoreSslErrors()` slot): Deno cannot switch
   * certificate verification off for one connection, so only a host name
   * mismatch is waived; any other problem still fails, with an
   * `errorString()` that says how to trust the certificate (or run Deno with
   * `--unsafely-ignore-certificate-errors`). The setting stays for later
   * `open()` calls, as in Qt.
   *
   * @example Qt's self-signed server example
   * ```ts ignore
   * import { QSslCertificate, QSslError, QWebSocket } from "@qtws/websockets";
   *
   * const cert = QSslCertificate.fromPath("server-certificate.pem");
   * const error = new QSslError(QSslError.SslError.SelfSignedCertificate, cert[0]);
   * const socket = new QWebSocket();
   * socket.ignoreSslErrors([error]);
   * socket.open("wss://myserver.at.home");
   * ```
   *
   * @param errors The expected problems; omit to ignore whatever was reported.
   */
  ignoreSslErrors(errors?: readonly QSslError[]): void {
    this.#ignoreCalls++;
    if (errors === undefined) {
      this.#ignoreAllSslErrors = true;
      return;
    }
    if (!Array.isArray(errors) || errors.some((e) => !(e instanceof QSslError))) {
      throw new TypeError("Cannot ignore SSL errors: pass an array of QSslError");
    }
    this.#ignoredSslErrors = [...errors];
  }

  /**
   * Qt continues a handshake paused by `handshakeInterruptedOnError`; Deno's
   * TLS cannot pause a handshake, so that event never fires and this does
   * nothing.
   */
  continueInterruptedHandshake(): void {}

  // --- additions for Deno ----------------------------------------------------------

  /** Returns the bound of the opening phase in ms (default 10 000; negative: none). */
  handshakeTimeoutMS(): number {
    return this.#openTimeout;
  }

  /**
   * Bounds the opening phase (connect, TLS and upgrade): past it, `error`
   * reports `SocketTimeoutError`. Not in Qt's `QWebSocket`.
   *
   * @param ms Milliseconds; negative disables the bound.
   */
  setHandshakeTimeout(ms: number): void {
    if (typeof ms !== "number" || Number.isNaN(ms)) {
      throw new TypeError("Cannot set handshake timeout: pass a number of milliseconds");
    }
    this.#openTimeout = ms;
  }

  /** Returns how long `close()` waits for the peer, in ms (default 5000). */
  closeTimeout(): number {
    return this.#closeTimeout;
  }

  /**
   * Sets how long the closing handshake may take before the connection is
   * dropped (then `closeCode()` is 1006). Not in Qt's `QWebSocket`.
   *
   * @param ms Milliseconds; negative waits forever.
   */
  setCloseTimeout(ms: number): void {
    if (typeof ms !== "number" || Number.isNaN(ms)) {
      throw new TypeError("Cannot set close timeout: pass a number of milliseconds");
    }
    this.#closeTimeout = ms;
    this.#engine?.setCloseTimeout(ms);
  }

  /**
   * Incoming messages as a stream (text as `string`, binary as `Uint8Array`)
   * with backpressure: while the stream holds more than `readBufferSize()`
   * bytes (1 MiB when that is 0; the value when the stream was first taken),
   * reading from the socket pauses. One stream per connection: it ends when
   * the connection ends (or its opening fails), and the next `open()` brings
   * a new one. Take it before messages arrive — right after `open()`, or
   * before the first `open()` — as messages are streamed only once it
   * exists. Cancelling it closes the socket. Not in Qt's `QWebSocket`.
   *
   * @example Read messages with for await
   * ```ts ignore
   * import { QWebSocket } from "@qtws/websockets";
   *
   * const socket = new QWebSocket();
   * socket.open("ws://127.0.0.1:1234");
   * for await (const message of socket.readable) {
   *   console.log(message);
   *   if (message === "bye") socket.close();
   * }
   * ```
   */
  get readable(): ReadableStream<string | Uint8Array> {
    if (this.#readable !== null) return this.#readable;
    const highWaterMark = this.#readBufferSize > 0 ? this.#readBufferSize : 1024 * 1024;
    this.#readable = new ReadableStream<string | Uint8Array>({
      start: (controller) => {
        // Once a connection has ended, there is nothing more to read.
        const ended = this.#state === State.UnconnectedState && this.#opening === null &&
          (this.#attempt > 0 || this.#role === "server");
        this.#readableController = ended ? (controller.close(), null) : controller;
      },
      pull: () => this.#engine?.resumeReading(),
      cancel: () => {
        this.#readableController = null;
        this.#engine?.resumeReading();
        if (this.#state === State.ConnectedState) this.close();
      },
    }, { highWaterMark, size: (chunk) => chunk.length });
    return this.#readable;
  }

  // The stream of messages ends with the connection (or its failed opening).
  #closeReadable(): void {
    const controller = this.#readableController;
    this.#readableController = null;
    try {
      controller?.close();
    } catch {
      // Already closed or cancelled by the consumer.
    }
  }

  #toReadable(message: string | Uint8Array, size: number): void {
    const controller = this.#readableController;
    if (controller === null) return;
    controller.enqueue(message);
    if ((controller.desiredSize ?? 1) <= 0 && size >= 0) this.#engine?.pauseReading();
  }

  /**
   * Outgoing messages as a stream: a `string` is sent as text, bytes as
   * binary. Each write resolves once the message was handed to the operating
   * system, so awaiting writes applies backpressure. Closing the stream
   * closes the socket; a write when not connected rejects.
   */
  get writable(): WritableStream<string | ArrayBuffer | ArrayBufferView> {
    if (this.#writable !== null) return this.#writable;
    this.#writable = new WritableStream<string | BinaryInput>({
      write: async (chunk) => {
        const engine = this.#engine;
        if (this.#state !== State.ConnectedState || engine === null) {
          throw new Error("Cannot write to a QWebSocket that is not connected");
        }
        if (typeof chunk === "string") this.sendTextMessage(chunk);
        else this.sendBinaryMessage(chunk);
        if (!(await engine.drained())) {
          throw new Error("The connection closed before the message was written");
        }
      },
      close: async () => {
        if (this.#state === State.ConnectedState) this.close();
        await this.#whenFinished();
      },
      abort: () => this.abort(),
    });
    return this.#writable;
  }

  /**
   * Iterates over incoming messages (see `readable`).
   *
   * @returns An async iterator of messages.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<string | Uint8Array> {
    return this.readable[Symbol.asyncIterator]();
  }

  /**
   * Closes the socket (or cancels its opening) and resolves once it is
   * disconnected, so `await using socket = new QWebSocket()` cleans up.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#opening !== null) this.#cancelOpening();
    else if (this.#state === State.ConnectedState) this.close();
    await this.#whenFinished();
  }

  // --- helpers -------------------------------------------------------------------

  #resetConnectionFields(): void {
    this.#error = SocketError.UnknownSocketError;
    this.#errorString = "";
    this.#subprotocol = "";
    this.#perMessageDeflate = null;
    this.#closeCode = QWebSocketProtocol.CloseCode.CloseCodeNormal;
    this.#closeReason = "";
    this.#resourceName = "";
    this.#peerName = "";
    // A stream taken before the first open() is still waiting: it carries
    // this connection's messages. An ended one is replaced.
    if (this.#readableController === null) this.#readable = null;
    this.#writable = null;
  }

  #startFinishedPromise(): void {
    this.#unfinished = true;
    this.#finished = null;
    this.#resolveFinished = null;
  }

  #whenFinished(): Promise<void> {
    if (!this.#unfinished) return Promise.resolve();
    return this.#finished ??= new Promise((resolve) => (this.#resolveFinished = resolve));
  }

  #settleFinished(): void {
    this.#unfinished = false;
    this.#resolveFinished?.();
    this.#resolveFinished = null;
  }

  #setState(state: QAbstractSocket.SocketState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.dispatchEvent(new StateChangedEvent(state));
  }

  #setError(error: QAbstractSocket.SocketError, message: string): void {
    this.#error = error;
    this.#errorString = message;
  }

  // Dispatches `error` then `errorOccurred`; false when a listener called open().
  #emitError(error: QAbstractSocket.SocketError): boolean {
    const attempt = this.#attempt;
    this.dispatchEvent(new SocketErrorEvent("error", error));
    if (attempt !== this.#attempt) return false;
    this.dispatchEvent(new SocketErrorEvent("errorOccurred", error));
    return attempt === this.#attempt;
  }

  #dispatch(type: keyof QWebSocketEventMap & string): void {
    this.dispatchEvent(new Event(type));
  }
}

function validUrl(raw: string): URL | string {
  // WHATWG URL parsing strips line breaks: check the text as given. (A
  // percent-encoded one stays encoded on the wire, so it is harmless.)
  if (/[\r\n]/.test(raw)) {
    return `Invalid URL: it contains a line break (possible header injection): ${
      JSON.stringify(raw)
    }`;
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return `Invalid URL: ${JSON.stringify(raw)}`;
  }
  if (!["ws:", "wss:", "http:", "https:"].includes(url.protocol)) {
    return `Unsupported WebSocket scheme: ${
      url.protocol.slice(0, -1)
    } (use ws, wss, http or https)`;
  }
  if (url.hostname === "") return `Invalid URL: ${JSON.stringify(raw)} has no host`;
  return url;
}

// Deno's TLS says "unknown issuer" for a self-signed certificate too; Qt's
// nearest kind for both is UnableToGetLocalIssuerCertificate.
function sslErrorFor(problem: CertificateProblem): QSslError.SslError {
  switch (problem) {
    case "unknown-issuer":
      return QSslError.SslError.UnableToGetLocalIssuerCertificate;
    case "host-name-mismatch":
      return QSslError.SslError.HostNameMismatch;
    case "expired":
      return QSslError.SslError.CertificateExpired;
    case "not-yet-valid":
      return QSslError.SslError.CertificateNotYetValid;
    case "bad-signature":
      return QSslError.SslError.CertificateSignatureFailed;
    case "revoked":
      return QSslError.SslError.CertificateRevoked;
    case "invalid-purpose":
      return QSslError.SslError.InvalidPurpose;
    default:
      return QSslError.SslError.UnspecifiedError;
  }
}

function toBytes(data: unknown): Uint8Array | null {
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) {
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  if (data instanceof ArrayBuffer || data instanceof SharedArrayBuffer) return new Uint8Array(data);
  return null;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return value.constructor?.name ?? "object";
  return typeof value;
}

function checkSize(method: string, value: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new RangeError(`Cannot ${method}(${value}): use an integer from 0 to ${max}`);
  }
  return value;
}
