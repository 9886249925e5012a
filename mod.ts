/**
 * qtws: the Qt WebSockets API (`QWebSocket`, `QWebSocketServer`) for Deno,
 * written from scratch on RFC 6455 over Deno's own TCP and TLS sockets.
 *
 * @example Qt's enumerations, with Qt's names and values
 * ```ts
 * import { QAbstractSocket, QWebSocketProtocol } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * assert.equal(QWebSocketProtocol.CloseCode.CloseCodeNormal, 1000);
 * assert.equal(QAbstractSocket.SocketState.ConnectedState, 3);
 * ```
 *
 * @module
 */

export { QWebSocketProtocol } from "./lib/protocol/qwebsocket_protocol.ts";
export { QAbstractSocket } from "./lib/protocol/qabstract_socket.ts";
export { QMaskGenerator } from "./lib/protocol/qmask_generator.ts";
