/**
 * qtws: the Qt WebSockets API for Deno. `QWebSocket` and `QWebSocketServer`
 * keep Qt's class, method and signal names (signals are events of the same
 * name), written from scratch on RFC 6455 over Deno's own TCP and TLS
 * sockets, with no dependencies. `WebSocket` and `WebSocketServer` are Qt's
 * QML types, driven by properties. Importing `WebSocket` shadows the global
 * `WebSocket` in your module: import it as `WebSocket as QmlWebSocket` to
 * keep both. The sans-I/O protocol core is a second export,
 * `@qtws/websockets/protocol`.
 *
 * @example An echo server and a client talking to it
 * ```ts
 * import { QHostAddress, QWebSocket, QWebSocketServer } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * const server = new QWebSocketServer("Echo", QWebSocketServer.SslMode.NonSecureMode);
 * server.addEventListener("newConnection", () => {
 *   const peer = server.nextPendingConnection()!;
 *   peer.addEventListener("textMessageReceived", (e) => peer.sendTextMessage(e.message));
 * });
 * assert.ok(server.listen(QHostAddress.LocalHost, 0));
 *
 * const socket = new QWebSocket();
 * const echo = new Promise<string>((resolve) => {
 *   socket.addEventListener("textMessageReceived", (e) => resolve(e.message));
 * });
 * socket.addEventListener("connected", () => socket.sendTextMessage("Hello, world!"));
 * socket.open(server.serverUrl()!);
 * assert.equal(await echo, "Hello, world!");
 *
 * await socket[Symbol.asyncDispose]();
 * await server[Symbol.asyncDispose]();
 * ```
 *
 * @example The QML-style declarative types: set properties, watch events
 * ```ts
 * import { WebSocket as QmlWebSocket, WebSocketServer } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * const server = new WebSocketServer({ port: 0, listen: true });
 * server.addEventListener("clientConnected", ({ webSocket }) => {
 *   webSocket.addEventListener("textMessageReceived", () => webSocket.sendTextMessage("Hello Client!"));
 * });
 * assert.equal(server.errorString, ""); // reading it applies the properties: listening now
 *
 * const socket = new QmlWebSocket({ url: server.url, active: true });
 * socket.addEventListener("statusChanged", (e) => {
 *   if (e.status === QmlWebSocket.Status.Open) socket.sendTextMessage("Hello Server!");
 * });
 * const reply = await new Promise<string>((resolve) => {
 *   socket.addEventListener("textMessageReceived", (e) => resolve(e.message));
 * });
 * assert.equal(reply, "Hello Client!");
 *
 * await socket[Symbol.asyncDispose]();
 * await server[Symbol.asyncDispose]();
 * ```
 *
 * @module
 */

export { QWebSocket, type QWebSocketEventMap } from "./lib/qwebsocket.ts";
export {
  QHostAddress,
  QWebSocketServer,
  type QWebSocketServerEventMap,
} from "./lib/qwebsocket_server.ts";
export { QWebSocketProtocol } from "./lib/protocol/qwebsocket_protocol.ts";
export { QAbstractSocket } from "./lib/protocol/qabstract_socket.ts";
export { QMaskGenerator } from "./lib/protocol/qmask_generator.ts";
export { QNetworkRequest } from "./lib/qnetwork_request.ts";
export { QWebSocketHandshakeOptions } from "./lib/qwebsocket_handshake_options.ts";
export type {
  PerMessageDeflateOptions,
  PerMessageDeflateParameters,
} from "./lib/protocol/permessage_deflate_params.ts";
export { QWebSocketCorsAuthenticator } from "./lib/qwebsocket_cors_authenticator.ts";
export { QAuthenticator } from "./lib/qauthenticator.ts";
export { QNetworkProxy } from "./lib/qnetwork_proxy.ts";
export { QSsl } from "./lib/ssl/qssl.ts";
export { QSslCertificate } from "./lib/ssl/qssl_certificate.ts";
export { QSslKey } from "./lib/ssl/qssl_key.ts";
export { QSslError } from "./lib/ssl/qssl_error.ts";
export { PeerVerifyMode, QSslConfiguration } from "./lib/ssl/qssl_configuration.ts";
export { QSslPreSharedKeyAuthenticator } from "./lib/ssl/qssl_pre_shared_key_authenticator.ts";
export {
  AcceptErrorEvent,
  AlertEvent,
  AuthenticationRequiredEvent,
  BinaryFrameReceivedEvent,
  BinaryMessageReceivedEvent,
  BytesWrittenEvent,
  OriginAuthenticationRequiredEvent,
  PongEvent,
  PreSharedKeyAuthenticationRequiredEvent,
  ProxyAuthenticationRequiredEvent,
  type QtEventListener,
  QtEventTarget,
  ServerErrorEvent,
  SocketErrorEvent,
  SslErrorEvent,
  SslErrorsEvent,
  StateChangedEvent,
  TextFrameReceivedEvent,
  TextMessageReceivedEvent,
} from "./lib/events.ts";
export { WebSocket, type WebSocketEventMap, type WebSocketInit } from "./lib/qml/web_socket.ts";
export {
  WebSocketServer,
  type WebSocketServerEventMap,
  type WebSocketServerInit,
} from "./lib/qml/web_socket_server.ts";
export {
  AcceptChangedEvent,
  ActiveChangedEvent,
  ClientConnectedEvent,
  ErrorStringChangedEvent,
  HostChangedEvent,
  ListenChangedEvent,
  NameChangedEvent,
  PortChangedEvent,
  StatusChangedEvent,
  UrlChangedEvent,
} from "./lib/qml/events.ts";
