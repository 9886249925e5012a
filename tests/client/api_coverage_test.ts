/**
 * Every public member of Qt 6's QWebSocket page (functions, slots, signals,
 * static members), plus PySide6's `errorOccurred` and
 * `authenticationRequired`, exists on `QWebSocket` or in
 * `QWebSocketEventMap` with Qt's name and parameter names. The behaviour of
 * each is tested in the other files of tests/client (named in comments).
 */

import assert from "node:assert/strict";
import {
  AlertEvent,
  AuthenticationRequiredEvent,
  PreSharedKeyAuthenticationRequiredEvent,
  ProxyAuthenticationRequiredEvent,
  QAbstractSocket,
  QAuthenticator,
  QNetworkProxy,
  QNetworkRequest,
  QSsl,
  QSslConfiguration,
  QSslError,
  QSslPreSharedKeyAuthenticator,
  QWebSocket,
  type QWebSocketEventMap,
  type QWebSocketHandshakeOptions,
  QWebSocketProtocol,
  SslErrorEvent,
} from "../../mod.ts";
import { disconnected, EventLog, nextEvent, startDenoServer, within } from "./_helpers.ts";

/** Qt 6 "Public Functions" and "Public Slots" (the destructor is [Symbol.asyncDispose]). */
const METHODS = [
  "abort",
  "bytesToWrite",
  "closeCode",
  "closeReason",
  "continueInterruptedHandshake",
  "error",
  "errorString",
  "flush",
  "handshakeOptions",
  "ignoreSslErrors",
  "isValid",
  "localAddress",
  "localPort",
  "maskGenerator",
  "maxAllowedIncomingFrameSize",
  "maxAllowedIncomingMessageSize",
  "origin",
  "outgoingFrameSize",
  "pauseMode",
  "peerAddress",
  "peerName",
  "peerPort",
  "proxy",
  "readBufferSize",
  "request",
  "requestUrl",
  "resourceName",
  "resume",
  "sendBinaryMessage",
  "sendTextMessage",
  "setMaskGenerator",
  "setMaxAllowedIncomingFrameSize",
  "setMaxAllowedIncomingMessageSize",
  "setOutgoingFrameSize",
  "setPauseMode",
  "setProxy",
  "setReadBufferSize",
  "setSslConfiguration",
  "sslConfiguration",
  "state",
  "subprotocol",
  "version",
  // Public slots
  "close",
  "open",
  "ping",
] as const satisfies readonly (keyof QWebSocket)[];

/** Qt 6 "Static Public Members". */
const STATICS = ["maxIncomingFrameSize", "maxIncomingMessageSize", "maxOutgoingFrameSize"] as const;

/** Qt 6 "Signals", plus PySide6's errorOccurred and authenticationRequired. */
const SIGNALS = [
  "aboutToClose",
  "alertReceived",
  "alertSent",
  "binaryFrameReceived",
  "binaryMessageReceived",
  "bytesWritten",
  "connected",
  "disconnected",
  "error",
  "handshakeInterruptedOnError",
  "peerVerifyError",
  "pong",
  "preSharedKeyAuthenticationRequired",
  "proxyAuthenticationRequired",
  "readChannelFinished",
  "sslErrors",
  "stateChanged",
  "textFrameReceived",
  "textMessageReceived",
  "errorOccurred",
  "authenticationRequired",
] as const;

// Compile-time: the event map has exactly these event types.
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true
  : false;
const exactSignals: Equal<keyof QWebSocketEventMap, typeof SIGNALS[number]> = true;

// Compile-time: each event carries Qt's parameters, typed, with no cast.
type Fields<K extends keyof QWebSocketEventMap> = Omit<QWebSocketEventMap[K], keyof Event>;
const signalParameters: { [K in keyof QWebSocketEventMap]: (keyof Fields<K>)[] } = {
  aboutToClose: [],
  alertReceived: ["level", "alertType", "description"],
  alertSent: ["level", "alertType", "description"],
  authenticationRequired: ["authenticator"],
  binaryFrameReceived: ["frame", "isLastFrame"],
  binaryMessageReceived: ["message"],
  bytesWritten: ["bytes"],
  connected: [],
  disconnected: [],
  error: ["error"],
  errorOccurred: ["error"],
  handshakeInterruptedOnError: ["error"],
  peerVerifyError: ["error"],
  pong: ["elapsedTime", "payload"],
  preSharedKeyAuthenticationRequired: ["authenticator"],
  proxyAuthenticationRequired: ["proxy", "authenticator"],
  readChannelFinished: [],
  sslErrors: ["errors"],
  stateChanged: ["state"],
  textFrameReceived: ["frame", "isLastFrame"],
  textMessageReceived: ["message"],
};

Deno.test("Qt QWebSocket API: every public function, slot and static member exists", () => {
  assert.equal(exactSignals, true);
  for (const name of METHODS) {
    assert.equal(typeof QWebSocket.prototype[name], "function", `QWebSocket.prototype.${name}`);
  }
  for (const name of STATICS) {
    assert.equal(typeof QWebSocket[name], "function", `QWebSocket.${name}`);
    const value = QWebSocket[name]();
    assert.ok(Number.isSafeInteger(value) && value >= 512 * 1024, `${name}() = ${value}`);
  }
  // The destructor: `await using`.
  assert.equal(typeof QWebSocket.prototype[Symbol.asyncDispose], "function");
  assert.equal(SIGNALS.length, Object.keys(signalParameters).length);
});

Deno.test("Qt QWebSocket(origin, version, parent): defaults of a new socket are Qt's", () => {
  const socket = new QWebSocket(
    "https://origin.example",
    QWebSocketProtocol.Version.VersionLatest,
    {},
  );
  assert.equal(socket.origin(), "https://origin.example");
  assert.equal(new QWebSocket().origin(), "");
  assert.equal(socket.state(), QAbstractSocket.SocketState.UnconnectedState);
  assert.equal(socket.isValid(), false);
  assert.equal(socket.error(), QAbstractSocket.SocketError.UnknownSocketError);
  assert.equal(socket.errorString(), "");
  assert.equal(socket.closeCode(), QWebSocketProtocol.CloseCode.CloseCodeNormal);
  assert.equal(socket.closeReason(), "");
  assert.equal(socket.bytesToWrite(), 0);
  assert.equal(socket.flush(), false);
  assert.equal(socket.localAddress(), "");
  assert.equal(socket.localPort(), 0);
  assert.equal(socket.peerAddress(), "");
  assert.equal(socket.peerPort(), 0);
  assert.equal(socket.peerName(), "");
  assert.equal(socket.maskGenerator(), null);
  assert.equal(socket.maxAllowedIncomingFrameSize(), QWebSocket.maxIncomingFrameSize());
  assert.equal(socket.maxAllowedIncomingMessageSize(), QWebSocket.maxIncomingMessageSize());
  assert.equal(socket.outgoingFrameSize(), 512 * 1024);
  assert.equal(socket.pauseMode(), QAbstractSocket.PauseMode.PauseNever);
  assert.equal(socket.proxy().type(), QNetworkProxy.ProxyType.DefaultProxy);
  assert.equal(socket.readBufferSize(), 0);
  assert.ok(socket.request() instanceof QNetworkRequest);
  assert.deepEqual(socket.request().rawHeaderList(), []);
  assert.ok(socket.requestUrl() instanceof URL);
  assert.equal(socket.resourceName(), "");
  assert.equal(socket.subprotocol(), "");
  assert.equal(socket.version(), QWebSocketProtocol.Version.Version13);
  assert.deepEqual(socket.handshakeOptions().subprotocols(), []);
  assert.ok(socket.sslConfiguration() instanceof QSslConfiguration);
  assert.equal(socket.sslConfiguration().localCertificate().isNull(), true);
  // Only version 13 exists (RFC 6455); other versions are a programming error.
  assert.throws(() => new QWebSocket("", 8 as QWebSocketProtocol.Version), RangeError);
  assert.throws(() => new QWebSocket(42 as unknown as string), TypeError);
  assert.throws(() => socket.open(42 as unknown as string), TypeError);
  assert.throws(() => socket.open("ws://x", {} as QWebSocketHandshakeOptions), TypeError);
  assert.throws(() => socket.setProxy({} as QNetworkProxy), TypeError);
  assert.throws(() => socket.setSslConfiguration({} as QSslConfiguration), TypeError);
  assert.throws(() => socket.ignoreSslErrors([{} as QSslError]), TypeError);
  assert.throws(() => socket.setReadBufferSize(-1), RangeError);
  assert.throws(() => socket.ping("x" as unknown as Uint8Array), TypeError);
});

Deno.test("Qt QWebSocket signals: each one is dispatched as a typed event during a real connection", async () => {
  const server = startDenoServer();
  const socket = new QWebSocket();
  const seen = new Set<string>();
  // Typed listeners: the fields are read with no cast.
  socket.addEventListener("stateChanged", (e) => {
    assert.equal(typeof e.state, "number");
    seen.add("stateChanged");
  });
  socket.addEventListener("connected", () => seen.add("connected"));
  socket.addEventListener("textFrameReceived", (e) => {
    assert.equal(e.frame.toUpperCase(), "HI");
    assert.equal(e.isLastFrame, true);
    seen.add("textFrameReceived");
  });
  socket.addEventListener("textMessageReceived", (e) => {
    assert.equal(e.message.length, 2);
    seen.add("textMessageReceived");
  });
  socket.addEventListener("binaryFrameReceived", (e) => {
    assert.equal(e.frame.byteLength, 3);
    seen.add("binaryFrameReceived");
  });
  socket.addEventListener("binaryMessageReceived", (e) => {
    assert.equal(e.message[2], 3);
    seen.add("binaryMessageReceived");
  });
  socket.addEventListener("bytesWritten", (e) => {
    assert.ok(e.bytes > 0);
    seen.add("bytesWritten");
  });
  socket.addEventListener("pong", (e) => {
    assert.equal(typeof e.elapsedTime, "number");
    assert.equal(e.payload[0], 7);
    seen.add("pong");
  });
  socket.addEventListener("aboutToClose", () => seen.add("aboutToClose"));
  socket.addEventListener("readChannelFinished", () => seen.add("readChannelFinished"));
  socket.addEventListener("disconnected", () => seen.add("disconnected"));
  const connected = nextEvent(socket, "connected");
  socket.open(server.url);
  await within(connected, "connected");
  const text = nextEvent(socket, "textMessageReceived");
  socket.sendTextMessage("hi");
  await within(text, "text echo");
  const binary = nextEvent(socket, "binaryMessageReceived");
  socket.sendBinaryMessage(new Uint8Array([1, 2, 3]));
  await within(binary, "binary echo");
  const pong = nextEvent(socket, "pong");
  socket.ping(new Uint8Array([7]));
  await within(pong, "pong");
  const end = disconnected(socket);
  socket.close();
  await end;
  await server.close();
  assert.deepEqual([...seen].sort(), [
    "aboutToClose",
    "binaryFrameReceived",
    "binaryMessageReceived",
    "bytesWritten",
    "connected",
    "disconnected",
    "pong",
    "readChannelFinished",
    "stateChanged",
    "textFrameReceived",
    "textMessageReceived",
  ]);
  // error/errorOccurred: opening_handshake_errors_test.ts; peerVerifyError/sslErrors:
  // tls_test.ts; authenticationRequired: authentication_test.ts;
  // proxyAuthenticationRequired: tests/proxy.
});

Deno.test("Qt QWebSocket signals Deno cannot produce (TLS alerts, PSK, interrupted handshakes) exist with Qt's parameters", () => {
  const socket = new QWebSocket();
  const log = new EventLog(socket);
  socket.addEventListener("alertReceived", (e) => {
    assert.equal(e.level, QSsl.AlertLevel.Fatal);
    assert.equal(e.alertType, QSsl.AlertType.HandshakeFailure);
    assert.equal(e.description, "handshake failure");
  });
  socket.addEventListener("preSharedKeyAuthenticationRequired", (e) => {
    e.authenticator.setIdentity("id");
  });
  socket.addEventListener("handshakeInterruptedOnError", (e) => {
    assert.equal(e.error.error(), QSslError.SslError.CertificateExpired);
    socket.continueInterruptedHandshake();
  });
  socket.addEventListener("proxyAuthenticationRequired", (e) => {
    assert.equal(e.proxy.hostName(), "proxy.example");
    e.authenticator.setUser("u");
  });
  socket.addEventListener("authenticationRequired", (e) => e.authenticator.setUser("u"));
  // The application may dispatch them itself, e.g. in tests of its own handlers.
  socket.dispatchEvent(
    new AlertEvent(
      "alertReceived",
      QSsl.AlertLevel.Fatal,
      QSsl.AlertType.HandshakeFailure,
      "handshake failure",
    ),
  );
  socket.dispatchEvent(
    new AlertEvent("alertSent", QSsl.AlertLevel.Warning, QSsl.AlertType.CloseNotify, ""),
  );
  const psk = new QSslPreSharedKeyAuthenticator();
  socket.dispatchEvent(new PreSharedKeyAuthenticationRequiredEvent(psk));
  assert.equal(psk.identity(), "id");
  socket.dispatchEvent(
    new SslErrorEvent(
      "handshakeInterruptedOnError",
      new QSslError(QSslError.SslError.CertificateExpired),
    ),
  );
  const proxyAuth = new QAuthenticator();
  socket.dispatchEvent(
    new ProxyAuthenticationRequiredEvent(
      new QNetworkProxy(QNetworkProxy.ProxyType.HttpProxy, "proxy.example", 3128),
      proxyAuth,
    ),
  );
  assert.equal(proxyAuth.user(), "u");
  const serverAuth = new QAuthenticator();
  socket.dispatchEvent(new AuthenticationRequiredEvent(serverAuth));
  assert.equal(serverAuth.user(), "u");
  assert.deepEqual(log.events, [
    "alertReceived",
    "alertSent",
    "preSharedKeyAuthenticationRequired",
    "handshakeInterruptedOnError",
    "proxyAuthenticationRequired",
    "authenticationRequired",
  ]);
  // resume() and continueInterruptedHandshake() are harmless when nothing is paused.
  socket.resume();
  socket.continueInterruptedHandshake();
  assert.equal(socket.state(), QAbstractSocket.SocketState.UnconnectedState);
});
