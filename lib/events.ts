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

/** A listener for events of type `E`: a function or an object with `handleEvent`. */
export type QtEventListener<E extends Event> =
  | ((event: E) => void)
  | { handleEvent(event: E): void };

/**
 * An `EventTarget` whose `addEventListener` and `removeEventListener` know the
 * event class of each event type in `EventMap`, so listeners need no casts.
 *
 * @typeParam EventMap Maps each event type to its event class.
 *
 * @example
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

/** `stateChanged(QAbstractSocket::SocketState state)`. */
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

/** `error(QAbstractSocket::SocketError error)` and `errorOccurred(...)`. */
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

/** `textFrameReceived(const QString &frame, bool isLastFrame)`. */
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

/** `binaryFrameReceived(const QByteArray &frame, bool isLastFrame)`. */
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

/** `textMessageReceived(const QString &message)`. */
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

/** `binaryMessageReceived(const QByteArray &message)`. */
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

/** `pong(quint64 elapsedTime, const QByteArray &payload)`. */
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

/** `bytesWritten(qint64 bytes)`. */
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

/** `sslErrors(const QList<QSslError> &errors)`. */
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

/** `peerVerifyError(const QSslError &error)` and `handshakeInterruptedOnError(...)`. */
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

/** `alertReceived(level, type, description)` and `alertSent(...)`. */
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

/** `preSharedKeyAuthenticationRequired(QSslPreSharedKeyAuthenticator *authenticator)`. */
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

/** `proxyAuthenticationRequired(const QNetworkProxy &proxy, QAuthenticator *authenticator)`. */
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

/** `authenticationRequired(QAuthenticator *authenticator)`: the server answered 401. */
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

/** `originAuthenticationRequired(QWebSocketCorsAuthenticator *authenticator)`. */
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

/** `serverError(QWebSocketProtocol::CloseCode closeCode)`. */
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

/** `acceptError(QAbstractSocket::SocketError socketError)`. */
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
