/**
 * `QAbstractSocket`: the socket states, errors and pause modes that
 * `QWebSocket` reports, with Qt's member names and numeric values.
 *
 * @module
 */

/**
 * The enumerations of Qt's `QAbstractSocket` that `QWebSocket` and
 * `QWebSocketServer` use.
 *
 * @example Check a state
 * ```ts
 * import { QAbstractSocket } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * const state: QAbstractSocket.SocketState = QAbstractSocket.SocketState.ConnectedState;
 * assert.equal(state, 3);
 * assert.equal(QAbstractSocket.SocketError.ConnectionRefusedError, 0);
 * ```
 */
export const QAbstractSocket = {
  /** The states a socket goes through. */
  SocketState: {
    /** Not connected. */
    UnconnectedState: 0,
    /** Looking up the host name. */
    HostLookupState: 1,
    /** Connecting, including the WebSocket opening handshake. */
    ConnectingState: 2,
    /** Connected and handshaken: messages may flow. */
    ConnectedState: 3,
    /** Bound to an address and port (not used by WebSockets). */
    BoundState: 4,
    /** Listening (servers only). */
    ListeningState: 5,
    /** Closing: the closing handshake is under way. */
    ClosingState: 6,
  },
  /** Every socket error Qt defines. */
  SocketError: {
    /** The peer refused the connection, or the opening handshake failed. */
    ConnectionRefusedError: 0,
    /** The peer closed the connection. */
    RemoteHostClosedError: 1,
    /** The host name could not be resolved. */
    HostNotFoundError: 2,
    /** The operation needs a permission the process does not have. */
    SocketAccessError: 3,
    /** The system ran out of resources (for example, file descriptors). */
    SocketResourceError: 4,
    /** An operation timed out. */
    SocketTimeoutError: 5,
    /** A datagram was larger than the system allows (not used by WebSockets). */
    DatagramTooLargeError: 6,
    /** The network failed (for example, the cable was unplugged). */
    NetworkError: 7,
    /** The address is already in use by another socket. */
    AddressInUseError: 8,
    /** The address does not belong to this host. */
    SocketAddressNotAvailableError: 9,
    /** The operation is not supported here. */
    UnsupportedSocketOperationError: 10,
    /** An operation is already under way. */
    UnfinishedSocketOperationError: 11,
    /** The proxy needs credentials that were not given or were refused. */
    ProxyAuthenticationRequiredError: 12,
    /** The TLS handshake failed. */
    SslHandshakeFailedError: 13,
    /** The proxy refused the connection. */
    ProxyConnectionRefusedError: 14,
    /** The proxy closed the connection unexpectedly. */
    ProxyConnectionClosedError: 15,
    /** The proxy did not answer in time. */
    ProxyConnectionTimeoutError: 16,
    /** The proxy host could not be found. */
    ProxyNotFoundError: 17,
    /** The proxy answered with something that is not valid HTTP. */
    ProxyProtocolError: 18,
    /** The operation is not allowed in the socket's current state. */
    OperationError: 19,
    /** The TLS library reported an internal error. */
    SslInternalError: 20,
    /** Invalid data (a certificate, a key) was given to the TLS library. */
    SslInvalidUserDataError: 21,
    /** A temporary error; try again later. */
    TemporaryError: 22,
    /** An error that fits no other kind. */
    UnknownSocketError: -1,
  },
  /** When a socket pauses data transfer to let the application decide. */
  PauseMode: {
    /** Never pause. */
    PauseNever: 0x0,
    /** Pause after `sslErrors` until `resume()` is called. */
    PauseOnSslErrors: 0x1,
  },
} as const;

/** The types of the values of each `QAbstractSocket` enumeration. */
export declare namespace QAbstractSocket {
  /** A socket state, one of the values of `QAbstractSocket.SocketState`. */
  export type SocketState = typeof QAbstractSocket.SocketState[
    keyof typeof QAbstractSocket.SocketState
  ];
  /** A socket error, one of the values of `QAbstractSocket.SocketError`. */
  export type SocketError = typeof QAbstractSocket.SocketError[
    keyof typeof QAbstractSocket.SocketError
  ];
  /** A pause mode, one of the values of `QAbstractSocket.PauseMode`. */
  export type PauseMode = typeof QAbstractSocket.PauseMode[
    keyof typeof QAbstractSocket.PauseMode
  ];
  /** A combination of `QAbstractSocket.PauseMode` flags, as Qt's `PauseModes`. */
  export type PauseModes = number;
}
