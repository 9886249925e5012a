/**
 * Qt signals as DOM events: one `Event` subclass per signal, carrying the
 * signal's arguments as readonly fields named after Qt's parameters, and a
 * typed `EventTarget` base so `addEventListener` knows each event's type.
 *
 * @module
 */

import type { QAbstractSocket } from "./protocol/qabstract_socket.ts";
import type { QWebSocketProtocol } from "./protocol/qwebsocket_protocol.ts";
import type { QAuthenticator } from "./qauthenticator.ts";
import type { QNetworkProxy } from "./qnetwork_proxy.ts";
import type { QWebSocketCorsAuthenticator } from "./qwebsocket_cors_authenticator.ts";
import type { QSsl } from "./ssl/qssl.ts";
import type { QSslError } from "./ssl/qssl_error.ts";
import type { QSslPreSharedKeyAuthenticator } from "./ssl/qssl_pre_shared_key_authenticator.ts";

/**
 * A listener for events of type `E`: a function or an object with `handleEvent`.
 *
 * @example Keep a typed listener to remove it later
 * ```ts
 * import { type QtEventListener, QWebSocket, TextMessageReceivedEvent } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * const received: string[] = [];
 * const listener: QtEventListener<TextMessageReceivedEvent> = {
 *   handleEvent(e) {
 *     received.push(e.message);
 *   },
 * };
 * const socket = new QWebSocket();
 * socket.addEventListener("textMessageReceived", listener);
 * // The socket dispatches this for each text message; a test can dispatch one by hand.
 * socket.dispatchEvent(new TextMessageReceivedEvent("first"));
 * socket.removeEventListener("textMessageReceived", listener);
 * socket.dispatchEvent(new TextMessageReceivedEvent("second"));
 * assert.deepEqual(received, ["first"]);
 * ```
 */
export type QtEventListener<E extends Event> =
  | ((event: E) => void)
  | { handleEvent(event: E): void };

/**
 * An `EventTarget` whose `addEventListener` and `removeEventListener` know the
 * event class of each event type in `EventMap`, so listeners need no casts.
 *
 * @typeParam EventMap Maps each event type to its event class.
 *
 * @example Typed events on a target of your own
 * ```ts
 * import { QtEventTarget } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * const target = new QtEventTarget<{ ping: Event }>();
 * let seen = 0;
 * target.addEventListener("ping", () => seen++);
 * target.dispatchEvent(new Event("ping"));
 * assert.equal(seen, 1);
 * ```
 */
export class QtEventTarget<EventMap extends { [K in keyof EventMap]: Event }> extends EventTarget {
  // Types that ever had a listener: events nobody listens to are not built.
  // (An array, not a Set: a handful of types, and a Set costs ~200 bytes more
  // on each of thousands of idle sockets.)
  #listened: string[] = [];

  /**
   * Adds a listener for a typed event.
   *
   * @param type The event type, named after the Qt signal.
   * @param listener The listener.
   * @param options `once`, `signal` and the other standard options.
   */
  override addEventListener<K extends keyof EventMap & string>(
    type: K,
    listener: QtEventListener<EventMap[K]> | null,
    options?: boolean | AddEventListenerOptions,
  ): void;
  /**
   * Adds a listener for any event type.
   *
   * @param type The event type.
   * @param listener The listener.
   * @param options The standard options.
   */
  override addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions,
  ): void;
  override addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions,
  ): void {
    if (listener !== null && !this.#listened.includes(type)) this.#listened.push(type);
    super.addEventListener(type, listener, options);
  }

  /**
   * Removes a listener for a typed event.
   *
   * @param type The event type.
   * @param listener The listener to remove.
   * @param options The `capture` option it was added with.
   */
  override removeEventListener<K extends keyof EventMap & string>(
    type: K,
    listener: QtEventListener<EventMap[K]> | null,
    options?: boolean | EventListenerOptions,
  ): void;
  /**
   * Removes a listener for any event type.
   *
   * @param type The event type.
   * @param listener The listener to remove.
   * @param options The `capture` option it was added with.
   */
  override removeEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | EventListenerOptions,
  ): void;
  override removeEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | EventListenerOptions,
  ): void {
    super.removeEventListener(type, listener, options);
  }

  /**
   * Whether a listener was ever added for `type`, so that events nobody can
   * receive are not built.
   *
   * @param type The event type.
   * @returns `true` when the event may have listeners.
   */
  protected isListened(type: keyof EventMap & string): boolean {
    return this.#listened.includes(type);
  }
}

/**
 * `stateChanged(QAbstractSocket::SocketState state)`.
 *
 * @example Show whether the socket is online
 * ```ts
 * import { QAbstractSocket, QWebSocket, StateChangedEvent } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * const socket = new QWebSocket();
 * let status = "offline";
 * socket.addEventListener("stateChanged", (e) => {
 *   status = e.state === QAbstractSocket.SocketState.ConnectedState ? "online" : "offline";
 * });
 * // What the socket dispatches once its handshake succeeds (here by hand, as a test would).
 * socket.dispatchEvent(new StateChangedEvent(QAbstractSocket.SocketState.ConnectedState));
 * assert.equal(status, "online");
 * ```
 */
export class StateChangedEvent extends Event {
  /** The new state. */
  readonly state: QAbstractSocket.SocketState;

  /**
   * Creates the event.
   *
   * @param state The new state.
   */
  constructor(state: QAbstractSocket.SocketState) {
    super("stateChanged");
    this.state = state;
  }
}

/**
 * `error(QAbstractSocket::SocketError error)` and `errorOccurred(...)`.
 *
 * @example Find out why opening failed
 * ```ts
 * import { QAbstractSocket, QWebSocket } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * const socket = new QWebSocket();
 * const failure = new Promise<QAbstractSocket.SocketError>((resolve) => {
 *   socket.addEventListener("error", (e) => resolve(e.error));
 * });
 * socket.open("ftp://example.com/"); // not a WebSocket URL: fails without touching the network
 * assert.equal(await failure, QAbstractSocket.SocketError.ConnectionRefusedError);
 * assert.match(socket.errorString(), /Unsupported WebSocket scheme/);
 * ```
 */
export class SocketErrorEvent extends Event {
  /** The kind of error; `errorString()` on the socket describes it. */
  readonly error: QAbstractSocket.SocketError;

  /**
   * Creates the event.
   *
   * @param type `"error"` or `"errorOccurred"`.
   * @param error The kind of error.
   */
  constructor(type: "error" | "errorOccurred", error: QAbstractSocket.SocketError) {
    super(type);
    this.error = error;
  }
}

/**
 * `textFrameReceived(const QString &frame, bool isLastFrame)`.
 *
 * @example Join a text message's frames as they arrive
 * ```ts
 * import { QWebSocket, TextFrameReceivedEvent } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * const socket = new QWebSocket();
 * const messages: string[] = [];
 * let partial = "";
 * socket.addEventListener("textFrameReceived", (e) => {
 *   partial += e.frame;
 *   if (e.isLastFrame) {
 *     messages.push(partial);
 *     partial = "";
 *   }
 * });
 * // What the socket dispatches for a message sent in two frames (here by hand, as a test would).
 * socket.dispatchEvent(new TextFrameReceivedEvent("Hel", false));
 * socket.dispatchEvent(new TextFrameReceivedEvent("lo", true));
 * assert.deepEqual(messages, ["Hello"]);
 * ```
 */
export class TextFrameReceivedEvent extends Event {
  /** The text of this frame. */
  readonly frame: string;
  /** Whether this frame ends its message. */
  readonly isLastFrame: boolean;

  /**
   * Creates the event.
   *
   * @param frame The text of the frame.
   * @param isLastFrame Whether the frame ends its message.
   */
  constructor(frame: string, isLastFrame: boolean) {
    super("textFrameReceived");
    this.frame = frame;
    this.isLastFrame = isLastFrame;
  }
}

/**
 * `binaryFrameReceived(const QByteArray &frame, bool isLastFrame)`.
 *
 * @example Count a binary message's bytes as its frames arrive
 * ```ts
 * import { BinaryFrameReceivedEvent, QWebSocket } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * const socket = new QWebSocket();
 * const sizes: number[] = [];
 * let size = 0;
 * socket.addEventListener("binaryFrameReceived", (e) => {
 *   size += e.frame.byteLength;
 *   if (e.isLastFrame) {
 *     sizes.push(size);
 *     size = 0;
 *   }
 * });
 * // What the socket dispatches for a message sent in two frames (here by hand, as a test would).
 * socket.dispatchEvent(new BinaryFrameReceivedEvent(new Uint8Array(4), false));
 * socket.dispatchEvent(new BinaryFrameReceivedEvent(new Uint8Array(2), true));
 * assert.deepEqual(sizes, [6]);
 * ```
 */
export class BinaryFrameReceivedEvent extends Event {
  /** The bytes of this frame. */
  readonly frame: Uint8Array;
  /** Whether this frame ends its message. */
  readonly isLastFrame: boolean;

  /**
   * Creates the event.
   *
   * @param frame The bytes of the frame.
   * @param isLastFrame Whether the frame ends its message.
   */
  constructor(frame: Uint8Array, isLastFrame: boolean) {
    super("binaryFrameReceived");
    this.frame = frame;
    this.isLastFrame = isLastFrame;
  }
}

/**
 * `textMessageReceived(const QString &message)`.
 *
 * @example Parse JSON messages
 * ```ts
 * import { QWebSocket, TextMessageReceivedEvent } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * const socket = new QWebSocket();
 * const updates: unknown[] = [];
 * socket.addEventListener("textMessageReceived", (e) => updates.push(JSON.parse(e.message)));
 * // What the socket dispatches for each text message (here by hand, as a test would).
 * socket.dispatchEvent(new TextMessageReceivedEvent('{"price":42}'));
 * assert.deepEqual(updates, [{ price: 42 }]);
 * ```
 */
export class TextMessageReceivedEvent extends Event {
  /** The message. */
  readonly message: string;

  /**
   * Creates the event.
   *
   * @param message The message.
   */
  constructor(message: string) {
    super("textMessageReceived");
    this.message = message;
  }
}

/**
 * `binaryMessageReceived(const QByteArray &message)`.
 *
 * @example Read numbers from a binary message
 * ```ts
 * import { BinaryMessageReceivedEvent, QWebSocket } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * const socket = new QWebSocket();
 * const counters: number[] = [];
 * socket.addEventListener("binaryMessageReceived", (e) => {
 *   // The message may be a view into a larger buffer: keep its byteOffset.
 *   const view = new DataView(e.message.buffer, e.message.byteOffset, e.message.byteLength);
 *   counters.push(view.getUint32(0));
 * });
 * // What the socket dispatches for each binary message (here by hand, as a test would).
 * socket.dispatchEvent(new BinaryMessageReceivedEvent(new Uint8Array([0, 0, 1, 0])));
 * assert.deepEqual(counters, [256]);
 * ```
 */
export class BinaryMessageReceivedEvent extends Event {
  /** The message. */
  readonly message: Uint8Array;

  /**
   * Creates the event.
   *
   * @param message The message.
   */
  constructor(message: Uint8Array) {
    super("binaryMessageReceived");
    this.message = message;
  }
}

/**
 * `pong(quint64 elapsedTime, const QByteArray &payload)`.
 *
 * @example Measure the round trip of a heartbeat ping
 * ```ts
 * import { PongEvent, QWebSocket } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * const socket = new QWebSocket();
 * const roundTrips: number[] = [];
 * socket.addEventListener("pong", (e) => {
 *   if (new TextDecoder().decode(e.payload) === "heartbeat") roundTrips.push(e.elapsedTime);
 * });
 * // On an open socket, socket.ping(new TextEncoder().encode("heartbeat")) brings back
 * // this event (here dispatched by hand, as a test would).
 * socket.dispatchEvent(new PongEvent(12, new TextEncoder().encode("heartbeat")));
 * assert.deepEqual(roundTrips, [12]);
 * ```
 */
export class PongEvent extends Event {
  /** Milliseconds since the last `ping()`. */
  readonly elapsedTime: number;
  /** The payload the pong carried. */
  readonly payload: Uint8Array;

  /**
   * Creates the event.
   *
   * @param elapsedTime Milliseconds since the last `ping()`.
   * @param payload The payload.
   */
  constructor(elapsedTime: number, payload: Uint8Array) {
    super("pong");
    this.elapsedTime = elapsedTime;
    this.payload = payload;
  }
}

/**
 * `bytesWritten(qint64 bytes)`.
 *
 * @example Track how much has been handed to the network
 * ```ts
 * import { BytesWrittenEvent, QWebSocket } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * const socket = new QWebSocket();
 * let written = 0;
 * socket.addEventListener("bytesWritten", (e) => {
 *   written += e.bytes;
 * });
 * // What the socket dispatches after each write (here by hand, as a test would).
 * socket.dispatchEvent(new BytesWrittenEvent(7));
 * socket.dispatchEvent(new BytesWrittenEvent(130));
 * assert.equal(written, 137);
 * ```
 */
export class BytesWrittenEvent extends Event {
  /** The number of bytes handed to the socket by one write. */
  readonly bytes: number;

  /**
   * Creates the event.
   *
   * @param bytes The number of bytes written.
   */
  constructor(bytes: number) {
    super("bytesWritten");
    this.bytes = bytes;
  }
}

/**
 * `sslErrors(const QList<QSslError> &errors)`.
 *
 * @example Accept a certificate issued for another host name
 * ```ts
 * import { QSslError, QWebSocket, SslErrorsEvent } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * const socket = new QWebSocket();
 * const problems: string[] = [];
 * socket.addEventListener("sslErrors", (e) => {
 *   problems.push(...e.errors.map((error) => error.errorString()));
 *   // Only a host name mismatch is acceptable here (a test server's certificate, say).
 *   if (e.errors.every((error) => error.error() === QSslError.SslError.HostNameMismatch)) {
 *     socket.ignoreSslErrors();
 *   }
 * });
 * // What a wss: handshake with such a certificate dispatches (here by hand, as a test would).
 * socket.dispatchEvent(new SslErrorsEvent([new QSslError(QSslError.SslError.HostNameMismatch)]));
 * assert.deepEqual(problems, [
 *   "The host name did not match any of the valid hosts for this certificate",
 * ]);
 * ```
 */
export class SslErrorsEvent extends Event {
  /** The certificate problems found. */
  readonly errors: readonly QSslError[];

  /**
   * Creates the event.
   *
   * @param errors The problems.
   */
  constructor(errors: readonly QSslError[]) {
    super("sslErrors");
    this.errors = errors;
  }
}

/**
 * `peerVerifyError(const QSslError &error)` and `handshakeInterruptedOnError(...)`.
 *
 * @example Log the certificate problem of a failed handshake
 * ```ts
 * import { QSslError, QWebSocket, SslErrorEvent } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * const socket = new QWebSocket();
 * const problems: string[] = [];
 * socket.addEventListener("peerVerifyError", (e) => problems.push(e.error.errorString()));
 * // What a wss: handshake with an expired certificate dispatches (here by hand, as a test would).
 * const expired = new QSslError(QSslError.SslError.CertificateExpired);
 * socket.dispatchEvent(new SslErrorEvent("peerVerifyError", expired));
 * assert.deepEqual(problems, ["The certificate has expired"]);
 * ```
 */
export class SslErrorEvent extends Event {
  /** The certificate problem. */
  readonly error: QSslError;

  /**
   * Creates the event.
   *
   * @param type `"peerVerifyError"` or `"handshakeInterruptedOnError"`.
   * @param error The problem.
   */
  constructor(type: "peerVerifyError" | "handshakeInterruptedOnError", error: QSslError) {
    super(type);
    this.error = error;
  }
}

/**
 * `alertReceived(level, type, description)` and `alertSent(...)`.
 *
 * Deno does not report TLS alerts, so qtws never dispatches these events;
 * listeners ported from Qt compile and stay silent.
 *
 * @example Qt code that watches for fatal TLS alerts
 * ```ts
 * import { AlertEvent, QSsl, QWebSocket } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * const socket = new QWebSocket();
 * const fatal: string[] = [];
 * socket.addEventListener("alertReceived", (e) => {
 *   if (e.level === QSsl.AlertLevel.Fatal) fatal.push(`alert ${e.alertType}: ${e.description}`);
 * });
 * // Dispatched by hand, as a test would: the socket itself never does.
 * const { Fatal } = QSsl.AlertLevel;
 * socket.dispatchEvent(
 *   new AlertEvent("alertReceived", Fatal, QSsl.AlertType.HandshakeFailure, "handshake failure"),
 * );
 * assert.deepEqual(fatal, ["alert 40: handshake failure"]);
 * ```
 */
export class AlertEvent extends Event {
  /** Whether the alert is a warning or fatal. */
  readonly level: QSsl.AlertLevel;
  /** The alert's code. Named `type` in Qt; here `alertType`, as `type` is the event type. */
  readonly alertType: QSsl.AlertType;
  /** A description of the alert. */
  readonly description: string;

  /**
   * Creates the event.
   *
   * @param type `"alertReceived"` or `"alertSent"`.
   * @param level The level.
   * @param alertType The alert code.
   * @param description The description.
   */
  constructor(
    type: "alertReceived" | "alertSent",
    level: QSsl.AlertLevel,
    alertType: QSsl.AlertType,
    description: string,
  ) {
    super(type);
    this.level = level;
    this.alertType = alertType;
    this.description = description;
  }
}

/**
 * `preSharedKeyAuthenticationRequired(QSslPreSharedKeyAuthenticator *authenticator)`.
 *
 * Deno's TLS has no pre-shared keys, so qtws never dispatches this event;
 * listeners ported from Qt compile and stay silent.
 *
 * @example Qt code that supplies a pre-shared key
 * ```ts
 * import {
 *   PreSharedKeyAuthenticationRequiredEvent,
 *   QSslPreSharedKeyAuthenticator,
 *   QWebSocket,
 * } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * const socket = new QWebSocket();
 * socket.addEventListener("preSharedKeyAuthenticationRequired", (e) => {
 *   e.authenticator.setIdentity("client-1");
 *   e.authenticator.setPreSharedKey(new Uint8Array([0x1a, 0x2b, 0x3c, 0x4d]));
 * });
 * // Dispatched by hand, as a test would: the socket itself never does.
 * const authenticator = new QSslPreSharedKeyAuthenticator();
 * socket.dispatchEvent(new PreSharedKeyAuthenticationRequiredEvent(authenticator));
 * assert.equal(authenticator.identity(), "client-1");
 * ```
 */
export class PreSharedKeyAuthenticationRequiredEvent extends Event {
  /** The credentials to fill in. */
  readonly authenticator: QSslPreSharedKeyAuthenticator;

  /**
   * Creates the event.
   *
   * @param authenticator The credentials to fill in.
   */
  constructor(authenticator: QSslPreSharedKeyAuthenticator) {
    super("preSharedKeyAuthenticationRequired");
    this.authenticator = authenticator;
  }
}

/**
 * `proxyAuthenticationRequired(const QNetworkProxy &proxy, QAuthenticator *authenticator)`.
 *
 * @example Answer a proxy's 407 with credentials
 * ```ts
 * import {
 *   ProxyAuthenticationRequiredEvent,
 *   QAuthenticator,
 *   QNetworkProxy,
 *   QWebSocket,
 * } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * const socket = new QWebSocket();
 * socket.addEventListener("proxyAuthenticationRequired", (e) => {
 *   // Fill the credentials in before the listener returns: the retry starts then.
 *   if (e.proxy.hostName() === "proxy.example") {
 *     e.authenticator.setUser("alice");
 *     e.authenticator.setPassword("secret");
 *   }
 * });
 * // What the socket dispatches when its proxy answers 407 (here by hand, as a test would).
 * const proxy = new QNetworkProxy(QNetworkProxy.ProxyType.HttpProxy, "proxy.example", 3128);
 * const authenticator = new QAuthenticator();
 * socket.dispatchEvent(new ProxyAuthenticationRequiredEvent(proxy, authenticator));
 * assert.equal(authenticator.user(), "alice");
 * ```
 */
export class ProxyAuthenticationRequiredEvent extends Event {
  /** The proxy that asked for credentials. */
  readonly proxy: QNetworkProxy;
  /** The credentials to fill in, synchronously, inside the listener. */
  readonly authenticator: QAuthenticator;

  /**
   * Creates the event.
   *
   * @param proxy The proxy.
   * @param authenticator The credentials to fill in.
   */
  constructor(proxy: QNetworkProxy, authenticator: QAuthenticator) {
    super("proxyAuthenticationRequired");
    this.proxy = proxy;
    this.authenticator = authenticator;
  }
}

/**
 * `authenticationRequired(QAuthenticator *authenticator)`: the server answered 401.
 *
 * @example Answer a server's 401 with credentials
 * ```ts
 * import { AuthenticationRequiredEvent, QAuthenticator, QWebSocket } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * const socket = new QWebSocket();
 * socket.addEventListener("authenticationRequired", (e) => {
 *   // Fill the credentials in before the listener returns: the retry starts then.
 *   if (e.authenticator.realm() === "chat") {
 *     e.authenticator.setUser("alice");
 *     e.authenticator.setPassword("secret");
 *   }
 * });
 * // What the socket dispatches when the server answers 401 (here by hand, as a test would).
 * const authenticator = new QAuthenticator("chat");
 * socket.dispatchEvent(new AuthenticationRequiredEvent(authenticator));
 * assert.equal(authenticator.password(), "secret");
 * ```
 */
export class AuthenticationRequiredEvent extends Event {
  /** The credentials to fill in, synchronously, inside the listener. */
  readonly authenticator: QAuthenticator;

  /**
   * Creates the event.
   *
   * @param authenticator The credentials to fill in.
   */
  constructor(authenticator: QAuthenticator) {
    super("authenticationRequired");
    this.authenticator = authenticator;
  }
}

/**
 * `originAuthenticationRequired(QWebSocketCorsAuthenticator *authenticator)`.
 *
 * @example Refuse clients from other sites (403)
 * ```ts
 * import { QWebSocketServer } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * const server = new QWebSocketServer("Chat", QWebSocketServer.SslMode.NonSecureMode);
 * server.addEventListener("originAuthenticationRequired", (e) => {
 *   e.authenticator.setAllowed(e.authenticator.origin() === "https://app.example");
 * });
 * // An upgrade request from a page of another site, as a Deno.serve handler receives it.
 * const request = new Request("http://127.0.0.1:8000/chat", {
 *   headers: {
 *     host: "127.0.0.1:8000",
 *     upgrade: "websocket",
 *     connection: "Upgrade",
 *     "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
 *     "sec-websocket-version": "13",
 *     origin: "https://evil.example",
 *   },
 * });
 * assert.equal(server.handleRequest(request).status, 403);
 * ```
 */
export class OriginAuthenticationRequiredEvent extends Event {
  /** Read `origin()`, call `setAllowed(false)` to refuse. */
  readonly authenticator: QWebSocketCorsAuthenticator;

  /**
   * Creates the event.
   *
   * @param authenticator The origin check.
   */
  constructor(authenticator: QWebSocketCorsAuthenticator) {
    super("originAuthenticationRequired");
    this.authenticator = authenticator;
  }
}

/**
 * `serverError(QWebSocketProtocol::CloseCode closeCode)`.
 *
 * @example Log refused handshakes
 * ```ts
 * import { QWebSocketProtocol, QWebSocketServer } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * const server = new QWebSocketServer("Chat", QWebSocketServer.SslMode.NonSecureMode);
 * const refused: QWebSocketProtocol.CloseCode[] = [];
 * server.addEventListener("serverError", (e) => refused.push(e.closeCode));
 * // A plain HTTP request on the WebSocket route, as a Deno.serve handler receives it.
 * const response = server.handleRequest(new Request("http://127.0.0.1:8000/chat"));
 * assert.equal(response.status, 426);
 * assert.deepEqual(refused, [QWebSocketProtocol.CloseCode.CloseCodeProtocolError]);
 * assert.match(server.errorString(), /426 Upgrade Required/);
 * ```
 */
export class ServerErrorEvent extends Event {
  /** What went wrong, as a close code (1006 for a full pending queue). */
  readonly closeCode: QWebSocketProtocol.CloseCode;

  /**
   * Creates the event.
   *
   * @param closeCode The close code.
   */
  constructor(closeCode: QWebSocketProtocol.CloseCode) {
    super("serverError");
    this.closeCode = closeCode;
  }
}

/**
 * `acceptError(QAbstractSocket::SocketError socketError)`.
 *
 * @example Stop accepting when the process runs out of resources
 * ```ts
 * import { AcceptErrorEvent, QAbstractSocket, QWebSocketServer } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * const server = new QWebSocketServer("Chat", QWebSocketServer.SslMode.NonSecureMode);
 * const failures: QAbstractSocket.SocketError[] = [];
 * server.addEventListener("acceptError", (e) => {
 *   failures.push(e.socketError);
 *   // Otherwise the server tries again after 100 ms; resumeAccepting() later.
 *   if (e.socketError === QAbstractSocket.SocketError.SocketResourceError) server.pauseAccepting();
 * });
 * // What a listening server dispatches when accept() fails (here by hand, as a test would).
 * server.dispatchEvent(new AcceptErrorEvent(QAbstractSocket.SocketError.SocketResourceError));
 * assert.deepEqual(failures, [QAbstractSocket.SocketError.SocketResourceError]);
 * ```
 */
export class AcceptErrorEvent extends Event {
  /** Why accepting a connection failed. */
  readonly socketError: QAbstractSocket.SocketError;

  /**
   * Creates the event.
   *
   * @param socketError The kind of error.
   */
  constructor(socketError: QAbstractSocket.SocketError) {
    super("acceptError");
    this.socketError = socketError;
  }
}
