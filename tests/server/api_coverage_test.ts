/**
 * Every public type, function and signal of Qt 6's QWebSocketServer page
 * exists under Qt's name (SPEC §2): methods on the class, signals in
 * `QWebSocketServerEventMap` with Qt's parameter names as event fields.
 * Behaviour is proved in the other files of this folder.
 */

import assert from "node:assert/strict";
import {
  type AcceptErrorEvent,
  type AlertEvent,
  type OriginAuthenticationRequiredEvent,
  type PreSharedKeyAuthenticationRequiredEvent,
  type QAbstractSocket,
  type QSsl,
  type QSslError,
  type QSslPreSharedKeyAuthenticator,
  type QWebSocketCorsAuthenticator,
  type QWebSocketProtocol,
  QWebSocketServer,
  type QWebSocketServerEventMap,
  type ServerErrorEvent,
  type SslErrorEvent,
  type SslErrorsEvent,
} from "../../mod.ts";

// "Public Functions" of the Qt 6 page, in its order (the destructor is
// [Symbol.asyncDispose], checked below; both setHandshakeTimeout overloads
// are one method taking milliseconds).
const QT_PUBLIC_FUNCTIONS = [
  "close",
  "error",
  "errorString",
  "handleConnection",
  "handshakeTimeout",
  "handshakeTimeoutMS",
  "hasPendingConnections",
  "isListening",
  "listen",
  "maxPendingConnections",
  "nextPendingConnection",
  "pauseAccepting",
  "proxy",
  "resumeAccepting",
  "secureMode",
  "serverAddress",
  "serverName",
  "serverPort",
  "serverUrl",
  "setHandshakeTimeout",
  "setMaxPendingConnections",
  "setProxy",
  "setServerName",
  "setSocketDescriptor",
  "setSslConfiguration",
  "setSupportedSubprotocols",
  "socketDescriptor",
  "sslConfiguration",
  "supportedSubprotocols",
  "supportedVersions",
] as const;

// "Signals" of the Qt 6 page, in its order.
const QT_SIGNALS = [
  "acceptError",
  "alertReceived",
  "alertSent",
  "closed",
  "handshakeInterruptedOnError",
  "newConnection",
  "originAuthenticationRequired",
  "peerVerifyError",
  "preSharedKeyAuthenticationRequired",
  "serverError",
  "sslErrors",
] as const;

// Compile-time: the event map has exactly Qt's signals, no more, no fewer.
type Exactly<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const eventMapIsExactlyQtSignals: Exactly<
  keyof QWebSocketServerEventMap,
  typeof QT_SIGNALS[number]
> = true;

// Compile-time: each signal carries Qt's parameters under Qt's names and types.
type Carries<E, Fields> = E extends Fields ? true : false;
const signalArguments: {
  [K in keyof QWebSocketServerEventMap]: true;
} = {
  acceptError: true satisfies Carries<
    AcceptErrorEvent,
    { readonly socketError: QAbstractSocket.SocketError }
  >,
  // Qt's `type` parameter is `alertType`: `type` is the event's own type.
  alertReceived: true satisfies Carries<
    AlertEvent,
    {
      readonly level: QSsl.AlertLevel;
      readonly alertType: QSsl.AlertType;
      readonly description: string;
    }
  >,
  alertSent: true satisfies Carries<
    AlertEvent,
    {
      readonly level: QSsl.AlertLevel;
      readonly alertType: QSsl.AlertType;
      readonly description: string;
    }
  >,
  closed: true satisfies Carries<QWebSocketServerEventMap["closed"], Event>,
  handshakeInterruptedOnError: true satisfies Carries<SslErrorEvent, { readonly error: QSslError }>,
  newConnection: true satisfies Carries<QWebSocketServerEventMap["newConnection"], Event>,
  originAuthenticationRequired: true satisfies Carries<
    OriginAuthenticationRequiredEvent,
    { readonly authenticator: QWebSocketCorsAuthenticator }
  >,
  peerVerifyError: true satisfies Carries<SslErrorEvent, { readonly error: QSslError }>,
  preSharedKeyAuthenticationRequired: true satisfies Carries<
    PreSharedKeyAuthenticationRequiredEvent,
    { readonly authenticator: QSslPreSharedKeyAuthenticator }
  >,
  serverError: true satisfies Carries<
    ServerErrorEvent,
    { readonly closeCode: QWebSocketProtocol.CloseCode }
  >,
  sslErrors: true satisfies Carries<SslErrorsEvent, { readonly errors: readonly QSslError[] }>,
};

Deno.test("QWebSocketServer: every public function of the Qt 6 page is a method", () => {
  for (const name of QT_PUBLIC_FUNCTIONS) {
    assert.equal(
      typeof (QWebSocketServer.prototype as unknown as Record<string, unknown>)[name],
      "function",
      `QWebSocketServer.${name}() is missing`,
    );
  }
  assert.equal(typeof QWebSocketServer.prototype[Symbol.asyncDispose], "function");
});

Deno.test("QWebSocketServer: the SslMode enum has Qt's names and values", () => {
  assert.deepEqual({ ...QWebSocketServer.SslMode }, { SecureMode: 0, NonSecureMode: 1 });
});

Deno.test("QWebSocketServer: every signal of the Qt 6 page is in the event map and dispatchable", () => {
  assert.equal(eventMapIsExactlyQtSignals, true);
  assert.deepEqual(Object.keys(signalArguments).sort(), [...QT_SIGNALS].sort());
  // Listeners for each signal type are accepted and receive events of that type.
  const server = new QWebSocketServer("", QWebSocketServer.SslMode.NonSecureMode);
  const seen: string[] = [];
  for (const type of QT_SIGNALS) {
    server.addEventListener(type, (e: Event) => seen.push(e.type));
    server.dispatchEvent(new Event(type));
  }
  assert.deepEqual(seen, [...QT_SIGNALS]);
});
