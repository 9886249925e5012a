/**
 * The seam between `QWebSocket` and what carries its messages. A
 * `QWebSocket` in the connected phase talks only to a {@linkcode SocketEngine};
 * the stream engine runs RFC 6455 over bytes, another engine can run it over
 * a platform WebSocket.
 *
 * @module
 */

import type { QAbstractSocket } from "./protocol/qabstract_socket.ts";
import type { QMaskGenerator } from "./protocol/qmask_generator.ts";

/** The address of one end of a connection. */
export interface EngineEndpoint {
  /** IP address, e.g. `"127.0.0.1"`; `""` when unknown. */
  readonly address: string;
  /** Port; 0 when unknown. */
  readonly port: number;
}

/** How a connection ended. */
export interface EngineResult {
  /** The peer's close code, the code this end failed with, or 1006 when the connection dropped. */
  readonly closeCode: number;
  /** The matching reason. */
  readonly closeReason: string;
  /** The error to report, or `null` for a clean close or an `abort()`. */
  readonly error:
    | { readonly socketError: QAbstractSocket.SocketError; readonly message: string }
    | null;
}

/** What an engine tells its socket. */
export interface EngineHost {
  /** A text frame arrived. */
  textFrame(frame: string, isLastFrame: boolean): void;
  /** A binary frame arrived. */
  binaryFrame(frame: Uint8Array, isLastFrame: boolean): void;
  /** A whole text message arrived. */
  textMessage(message: string): void;
  /** A whole binary message arrived. */
  binaryMessage(message: Uint8Array): void;
  /** A pong arrived. */
  pong(payload: Uint8Array): void;
  /** A write completed. */
  bytesWritten(bytes: number): void;
  /** The closing handshake began; `byPeer` when the peer's close frame came first. */
  closing(byPeer: boolean): void;
  /** The input ended. */
  readFinished(): void;
  /**
   * The connection failed (the peer broke the protocol): report it now, while
   * the closing handshake runs; `finished()` will not repeat it.
   */
  error(socketError: QAbstractSocket.SocketError, message: string): void;
  /** Everything is released; the last call. */
  finished(result: EngineResult): void;
}

/** Limits and sizes an engine applies. */
export interface EngineLimits {
  /** Largest incoming frame payload. */
  maxFrameSize: number;
  /** Largest incoming message. */
  maxMessageSize: number;
  /** Outgoing messages are split into frames of this size; 0 never splits. */
  outgoingFrameSize: number;
}

/** What a socket asks of its engine. */
export interface SocketEngine {
  /** This end's address. */
  readonly local: EngineEndpoint;
  /** The peer's address. */
  readonly remote: EngineEndpoint;
  /** Starts reading; events begin after the current task. */
  start(): void;
  /** Queues a text message; returns payload bytes queued. */
  sendText(text: string): number;
  /** Queues a binary message; returns payload bytes queued. */
  sendBinary(data: Uint8Array): number;
  /** Sends a ping; returns whether it was sent. */
  ping(payload: Uint8Array): boolean;
  /** Starts the closing handshake. */
  close(code: number, reason: string): void;
  /** Drops the connection at once, discarding queued data. */
  abort(): void;
  /** Starts writing queued data now; returns whether there was any. */
  flush(): boolean;
  /** Bytes queued and not yet handed to the socket. */
  bytesToWrite(): number;
  /** Resolves `true` once everything queued so far is written, `false` if the connection ended first. */
  drained(): Promise<boolean>;
  /** Applies new limits. */
  setLimits(limits: EngineLimits): void;
  /** Sets the mask source (client role). */
  setMaskGenerator(generator: QMaskGenerator | null): void;
  /** Caps how much is read from the socket at a time (0: no cap). */
  setReadBufferSize(bytes: number): void;
  /** Stops reading from the socket until {@linkcode SocketEngine.resumeReading}. */
  pauseReading(): void;
  /** Resumes reading from the socket. */
  resumeReading(): void;
  /** Sets how long to wait for the closing handshake, in ms. */
  setCloseTimeout(ms: number): void;
}
