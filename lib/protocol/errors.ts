/**
 * The errors of the protocol core. Every violation of RFC 6455 is thrown as a
 * {@linkcode WebSocketProtocolError} that carries the close code to send, so the
 * connection maps errors to close frames in one place.
 *
 * @module
 */

/**
 * Stable, machine-readable names of protocol failures.
 *
 * @example Tell which rule a peer broke
 * ```ts
 * import {
 *   FrameParser,
 *   type WebSocketErrorCode,
 *   WebSocketProtocolError,
 * } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * // A server receives an unmasked frame, which RFC 6455 §5.1 forbids.
 * const parser = new FrameParser({ role: "server" }, { frame() {} });
 * let code: WebSocketErrorCode | undefined;
 * try {
 *   parser.push(new Uint8Array([0x81, 0x02, 0x68, 0x69]));
 * } catch (error) {
 *   if (error instanceof WebSocketProtocolError) code = error.code;
 * }
 * assert.equal(code, "MASK_REQUIRED");
 * ```
 */
export type WebSocketErrorCode =
  | "RESERVED_BITS_SET"
  | "RESERVED_OPCODE"
  | "CONTROL_FRAME_FRAGMENTED"
  | "CONTROL_FRAME_TOO_BIG"
  | "MASK_REQUIRED"
  | "MASK_FORBIDDEN"
  | "NON_MINIMAL_LENGTH"
  | "FRAME_TOO_BIG"
  | "MESSAGE_TOO_BIG"
  | "UNEXPECTED_CONTINUATION"
  | "EXPECTED_CONTINUATION"
  | "INVALID_UTF8"
  | "INVALID_CLOSE_PAYLOAD"
  | "INVALID_CLOSE_CODE"
  | "TRUNCATED_FRAME"
  | "TOO_MANY_FRAGMENTS"
  | "EXTENSION_FAILURE"
  | "LOCAL_FAILURE";

/**
 * A violation of RFC 6455 by the peer, with the close code RFC 6455 asks the
 * endpoint to fail the connection with (§7.1.7, §7.4.1).
 *
 * @example Inspect a failure
 * ```ts
 * import { WebSocketProtocolError } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * const error = new WebSocketProtocolError("RESERVED_OPCODE", 1002, "Reserved opcode 0x3");
 * assert.equal(error.closeCode, 1002);
 * assert.equal(error.code, "RESERVED_OPCODE");
 * ```
 */
export class WebSocketProtocolError extends Error {
  /** A stable name for the kind of failure. */
  readonly code: WebSocketErrorCode;
  /** The close code to send: 1002, 1006, 1007, 1008, 1009 or 1010. */
  readonly closeCode: number;

  /**
   * Creates an error.
   *
   * @param code A stable name for the kind of failure.
   * @param closeCode The close code to send to the peer.
   * @param message A sentence that says what the peer did wrong.
   */
  constructor(code: WebSocketErrorCode, closeCode: number, message: string) {
    super(message);
    this.name = "WebSocketProtocolError";
    this.code = code;
    this.closeCode = closeCode;
  }
}

/**
 * A rejected opening handshake. On the server side `status` is the HTTP status
 * to answer with (400, 403, 426, 431, 503); on the client side it is the status
 * the server answered with, or 0 when the response was not valid HTTP or the
 * 101 response failed validation.
 *
 * @example Refuse an old protocol version with 426
 * ```ts
 * import { HandshakeError } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * const error = new HandshakeError(426, "Unsupported WebSocket version 8");
 * assert.equal(error.status, 426);
 * ```
 */
export class HandshakeError extends Error {
  /** The HTTP status of the rejection, or 0 when there is none. */
  readonly status: number;
  /** Extra response headers the server should send with the rejection. */
  readonly headers: ReadonlyArray<readonly [string, string]>;

  /**
   * Creates an error.
   *
   * @param status The HTTP status, or 0.
   * @param message A sentence that says what was wrong.
   * @param headers Extra headers for the rejection response.
   */
  constructor(
    status: number,
    message: string,
    headers: ReadonlyArray<readonly [string, string]> = [],
  ) {
    super(message);
    this.name = "HandshakeError";
    this.status = status;
    this.headers = headers;
  }
}
