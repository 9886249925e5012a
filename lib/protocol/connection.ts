/**
 * The WebSocket connection after the opening handshake, as a state machine
 * with no I/O: bytes from the peer go in through
 * {@linkcode WebSocketConnection.receive}, frames and messages come out through
 * a handler, and the bytes to send pile up for the caller to write.
 *
 * This is the one place where protocol errors become close frames.
 *
 * @module
 */

import { encodeClosePayload, NO_STATUS_CODE, parseClosePayload } from "./close_payload.ts";
import { WebSocketProtocolError } from "./errors.ts";
import { EMPTY_PAYLOAD, MAX_CONTROL_PAYLOAD } from "./frame.ts";
import { DEFAULT_OUTGOING_FRAME_SIZE, FrameEncoder } from "./frame_encoder.ts";
import type { FramePool } from "./frame_pool.ts";
import { FrameParser, MAX_FRAME_SIZE, type Role } from "./frame_parser.ts";
import { MAX_MESSAGE_SIZE, MessageAssembler, type MessageHandler } from "./message_assembler.ts";
import type { MessageCodec } from "./message_codec.ts";
import type { QMaskGenerator } from "./qmask_generator.ts";
import { encodeUtf8 } from "./utf8.ts";

// Text up to 4 Ki characters is encoded into this shared buffer and copied
// once, into its frame (or the compressor): TextEncoder.encode() would
// allocate a buffer per message, which in Deno costs about a microsecond, a
// tenth of what echoing a small message costs in all.
const TEXT_SCRATCH = new Uint8Array(12288);
const scratchEncoder = new TextEncoder();

/**
 * The largest outgoing frame this implementation sends (Qt's `INT_MAX - 1`).
 *
 * @example Qt's QWebSocket::maxOutgoingFrameSize()
 * ```ts
 * import { QWebSocket } from "@qtws/websockets";
 * import { MAX_OUTGOING_FRAME_SIZE } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * assert.equal(QWebSocket.maxOutgoingFrameSize(), MAX_OUTGOING_FRAME_SIZE);
 * const socket = new QWebSocket();
 * assert.throws(() => socket.setOutgoingFrameSize(MAX_OUTGOING_FRAME_SIZE + 1), RangeError);
 * ```
 */
export const MAX_OUTGOING_FRAME_SIZE = 2147483646;

/**
 * Options of a {@linkcode WebSocketConnection}.
 *
 * @example A client with a 64 KiB message limit and 4-byte outgoing frames
 * ```ts
 * import {
 *   encodeFrame,
 *   WebSocketConnection,
 *   type WebSocketConnectionOptions,
 * } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * const options: WebSocketConnectionOptions = {
 *   role: "client",
 *   maxMessageSize: 65536,
 *   outgoingFrameSize: 4,
 * };
 * const failures: number[] = [];
 * const ignore = () => {};
 * const client = new WebSocketConnection(options, {
 *   textFrame: ignore,
 *   binaryFrame: ignore,
 *   textMessage: ignore,
 *   binaryMessage: ignore,
 *   ping: ignore,
 *   pong: ignore,
 *   closeReceived: ignore,
 *   failed: (error) => failures.push(error.closeCode),
 * });
 * client.sendText("Hello!");
 * // Two masked frames: 2 header bytes and a 4-byte key, then 4 and 2 bytes of text.
 * assert.deepEqual(client.takeOutput().map((frame) => frame.length), [10, 8]);
 * client.receive(encodeFrame(0x82, new Uint8Array(65537)));
 * assert.deepEqual(failures, [1009]);
 * ```
 */
export interface WebSocketConnectionOptions {
  /** Which end this is: clients mask what they send and refuse masked frames. */
  role: Role;
  /** The largest incoming frame payload; larger frames fail with 1009. */
  maxFrameSize?: number;
  /** The largest incoming message; larger messages fail with 1009. */
  maxMessageSize?: number;
  /** Messages longer than this go out in several frames (default 512 KiB; 0: never split). */
  outgoingFrameSize?: number;
  /** Where a client gets its masking keys (default: {@linkcode DefaultMaskGenerator}). */
  maskGenerator?: QMaskGenerator | null;
  /**
   * The compression codec negotiated in the opening handshake
   * (permessage-deflate, RFC 7692), or `null`: RSV1 is then accepted on the
   * first frame of a data message, and outgoing messages of at least
   * `codec.threshold` bytes are compressed.
   */
  codec?: MessageCodec | null;
  /**
   * Where outgoing frames of up to 2 MiB get their memory (default: none).
   * Whoever writes what {@linkcode WebSocketConnection.takeOutput} returns
   * then gives each chunk back to the pool once it is written.
   */
  framePool?: FramePool | null;
}

/**
 * Receives what a {@linkcode WebSocketConnection} reads from the peer.
 *
 * @example A client answers a ping and the server's close
 * ```ts
 * import {
 *   encodeClosePayload,
 *   encodeFrame,
 *   WebSocketConnection,
 *   type WebSocketConnectionHandler,
 * } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * const events: string[] = [];
 * const handler: WebSocketConnectionHandler = {
 *   textFrame() {},
 *   binaryFrame() {},
 *   textMessage: (message) => events.push(`text "${message}"`),
 *   binaryMessage: (message) => events.push(`binary, ${message.length} bytes`),
 *   ping: (payload) => events.push(`ping, ${payload.length} bytes`),
 *   pong: (payload) => events.push(`pong, ${payload.length} bytes`),
 *   closeReceived: (code, reason) => events.push(`close ${code} "${reason}"`),
 *   failed: (error) => events.push(`failed with ${error.closeCode}`),
 * };
 * const client = new WebSocketConnection({ role: "client" }, handler);
 * client.receive(encodeFrame(0x89, new Uint8Array([1, 2])));
 * client.receive(encodeFrame(0x88, encodeClosePayload(1000, "bye")));
 * assert.deepEqual(events, ["ping, 2 bytes", 'close 1000 "bye"']);
 * // The pong and the reply to the close frame are already queued.
 * assert.deepEqual(client.takeOutput().map((frame) => frame[0]), [0x8a, 0x88]);
 * ```
 */
export interface WebSocketConnectionHandler extends MessageHandler {
  /** A ping arrived; the pong is already queued. */
  ping(payload: Uint8Array): void;
  /** A pong arrived. */
  pong(payload: Uint8Array): void;
  /**
   * The peer's close frame arrived; if this end had not sent one, its reply is
   * already queued. Nothing more will be read.
   */
  closeReceived(code: number, reason: string): void;
  /**
   * The peer broke the protocol: a close frame with `error.closeCode` is
   * queued (unless one was sent before) and nothing more will be read.
   */
  failed(error: WebSocketProtocolError): void;
}

/**
 * One WebSocket connection in the open or closing state, without I/O.
 *
 * @example Echo a client's message, byte for byte
 * ```ts
 * import { encodeFrame, WebSocketConnection } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * const server = new WebSocketConnection({ role: "server" }, {
 *   textFrame() {},
 *   binaryFrame() {},
 *   textMessage(message) {
 *     server.sendText(message);
 *   },
 *   binaryMessage() {},
 *   ping() {},
 *   pong() {},
 *   closeReceived() {},
 *   failed() {},
 * });
 * server.receive(encodeFrame(0x81, new TextEncoder().encode("Hello"), 0x37fa213d));
 * assert.deepEqual([...server.takeOutput()[0]!], [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
 * ```
 */
export class WebSocketConnection {
  readonly #role: Role;
  readonly #handler: WebSocketConnectionHandler;
  readonly #parser: FrameParser;
  readonly #assembler: MessageAssembler;
  readonly #encoder: FrameEncoder;
  readonly #codec: MessageCodec | null;
  #output: Uint8Array[] = [];
  #outputBytes = 0;
  #closeSent = false;
  #closeReceived = false;
  #inputEnded = false;
  #closeCode: number = NO_STATUS_CODE;
  #closeReason = "";
  #failure: WebSocketProtocolError | null = null;
  // The opcode of the frame being read, to route its partial payload.
  #currentOpcode = 0;

  /**
   * Creates a connection in the open state.
   *
   * @param options The role and limits.
   * @param handler Receives frames, messages and control events.
   */
  constructor(options: WebSocketConnectionOptions, handler: WebSocketConnectionHandler) {
    this.#role = options.role;
    this.#handler = handler;
    this.#encoder = new FrameEncoder({
      role: options.role,
      frameSize: options.outgoingFrameSize ?? DEFAULT_OUTGOING_FRAME_SIZE,
      maskGenerator: options.maskGenerator ?? null,
      pool: options.framePool ?? null,
    });
    const codec = options.codec ?? null;
    this.#codec = codec;
    this.#assembler = new MessageAssembler(
      { maxMessageSize: options.maxMessageSize ?? MAX_MESSAGE_SIZE, codec },
      handler,
    );
    this.#parser = new FrameParser(
      {
        role: options.role,
        maxFrameSize: options.maxFrameSize ?? MAX_FRAME_SIZE,
        // RFC 7692 §6: permessage-deflate gives RSV1 a meaning.
        allowedRsv: codec === null ? 0 : 4,
      },
      {
        frameHeader: (opcode, fin, rsv, length) => this.#frameHeader(opcode, fin, rsv, length),
        partialPayload: (piece) => this.#partialPayload(piece),
        frame: (opcode, fin, _rsv, payload) => this.#frame(opcode, fin, payload),
      },
    );
  }

  /** Which end of the connection this is. */
  get role(): Role {
    return this.#role;
  }

  /** Whether this end has queued its close frame. */
  get closeSent(): boolean {
    return this.#closeSent;
  }

  /** Whether the peer's close frame has arrived. */
  get closeReceived(): boolean {
    return this.#closeReceived;
  }

  /** Whether input has ended: a close frame, a failure, or the end of the stream. */
  get inputEnded(): boolean {
    return this.#inputEnded;
  }

  /** The code of the peer's close frame (1005 when it had none, or none arrived). */
  get closeCode(): number {
    return this.#closeCode;
  }

  /** The reason of the peer's close frame. */
  get closeReason(): string {
    return this.#closeReason;
  }

  /** The protocol violation that failed the connection, if any. */
  get failure(): WebSocketProtocolError | null {
    return this.#failure;
  }

  /**
   * Whether the transport should be closed once the output is written: after
   * a failure, or on the server once close frames went both ways (RFC 6455
   * §7.1.1: the server closes the TCP connection first).
   */
  get shouldCloseTransport(): boolean {
    return this.#failure !== null ||
      (this.#role === "server" && this.#closeSent && this.#closeReceived);
  }

  /** The number of bytes queued for the peer and not yet taken. */
  get outputBytes(): number {
    return this.#outputBytes;
  }

  /** Bytes held for a frame or message that is not complete yet. */
  get bufferedBytes(): number {
    return this.#parser.bufferedBytes + this.#assembler.bufferedBytes;
  }

  /** The largest incoming frame payload accepted. */
  get maxFrameSize(): number {
    return this.#parser.maxFrameSize;
  }

  set maxFrameSize(size: number) {
    this.#parser.maxFrameSize = size;
  }

  /** The largest incoming message accepted. */
  get maxMessageSize(): number {
    return this.#assembler.maxMessageSize;
  }

  set maxMessageSize(size: number) {
    this.#assembler.maxMessageSize = size;
  }

  /** Messages longer than this go out in several frames; 0 never splits. */
  get outgoingFrameSize(): number {
    return this.#encoder.frameSize;
  }

  set outgoingFrameSize(size: number) {
    this.#encoder.frameSize = size;
  }

  /** The client's mask source; `null` on a server. */
  get maskGenerator(): QMaskGenerator | null {
    return this.#encoder.maskGenerator;
  }

  set maskGenerator(generator: QMaskGenerator | null) {
    this.#encoder.maskGenerator = generator;
  }

  /**
   * Reads bytes from the peer. Frames and messages reach the handler before
   * this returns; a protocol violation fails the connection (see
   * {@linkcode WebSocketConnectionHandler.failed}) instead of throwing.
   *
   * @param chunk The bytes; the connection may unmask them in place.
   * @throws Whatever a handler threw, after failing the connection with 1011.
   */
  receive(chunk: Uint8Array): void {
    if (this.#inputEnded) return;
    try {
      this.#parser.push(chunk);
    } catch (error) {
      this.#receiveFailed(error);
    }
  }

  /**
   * Where the rest of a large frame's payload can be read to directly (see
   * `FrameParser.payloadSpace`), or `null`: then read a chunk and pass it to
   * {@linkcode WebSocketConnection.receive}.
   *
   * @example Read the rest of a large frame into its own buffer
   * ```ts
   * import { encodeFrame, WebSocketConnection } from "@qtws/websockets/protocol";
   * import assert from "node:assert/strict";
   *
   * const sizes: number[] = [];
   * const server = new WebSocketConnection({ role: "server" }, {
   *   textFrame() {},
   *   binaryFrame() {},
   *   textMessage() {},
   *   binaryMessage(message) {
   *     sizes.push(message.length);
   *   },
   *   ping() {},
   *   pong() {},
   *   closeReceived() {},
   *   failed() {},
   * });
   * const wire = encodeFrame(0x82, new Uint8Array(100_000), 0x01020304);
   * server.receive(wire.slice(0, 40_000));
   * const space = server.payloadSpace!;
   * space.set(wire.subarray(40_000));
   * server.receivePayload(space.length);
   * assert.deepEqual(sizes, [100_000]);
   * ```
   */
  get payloadSpace(): Uint8Array | null {
    return this.#inputEnded ? null : this.#parser.payloadSpace;
  }

  /**
   * Takes `n` bytes written at the start of
   * {@linkcode WebSocketConnection.payloadSpace}, as
   * {@linkcode WebSocketConnection.receive} takes a chunk.
   *
   * @param n How many bytes were written.
   * @throws Whatever a handler threw, after failing the connection with 1011.
   */
  receivePayload(n: number): void {
    if (this.#inputEnded) return;
    try {
      this.#parser.pushPayload(n);
    } catch (error) {
      this.#receiveFailed(error);
    }
  }

  #receiveFailed(error: unknown): void {
    if (error instanceof WebSocketProtocolError) {
      this.#fail(error);
      return;
    }
    // A handler threw. The parser has stopped and the rest of the chunk is
    // lost, so the byte stream can no longer be followed: fail with 1011
    // (RFC 6455 §7.4.1, an unexpected condition) rather than stay "open"
    // while ignoring everything, the peer's close frame included.
    this.#fail(
      new WebSocketProtocolError("LOCAL_FAILURE", 1011, "Internal error while handling a frame"),
      false,
    );
    throw error;
  }

  /**
   * Records that the peer's byte stream ended. Returns `true` when the end was
   * clean (after the peer's close frame) and `false` for an abnormal end
   * (RFC 6455 §7.1.5: the close code is then 1006).
   *
   * @returns Whether the closing handshake had been received.
   */
  receiveEof(): boolean {
    const clean = this.#closeReceived;
    if (!this.#inputEnded) {
      this.#inputEnded = true;
      this.#parser.stop();
      this.#assembler.reset();
    }
    return clean;
  }

  /**
   * Queues a text message, split into frames of `outgoingFrameSize` bytes on
   * character boundaries.
   *
   * @param text The message.
   * @returns The number of payload bytes queued; 0 after a close frame was sent.
   */
  sendText(text: string): number {
    if (this.#closeSent) return 0;
    if (text.length <= TEXT_SCRATCH.length / 3) {
      // At most 3 bytes per UTF-16 unit: it fits. The frame takes a copy.
      const { written } = scratchEncoder.encodeInto(text, TEXT_SCRATCH);
      return this.#sendMessage(0x1, TEXT_SCRATCH.subarray(0, written));
    }
    return this.#sendMessage(0x1, encodeUtf8(text));
  }

  /**
   * Queues a binary message, split into frames of `outgoingFrameSize` bytes.
   * The bytes are copied: the caller may reuse its buffer at once.
   *
   * @param data The message.
   * @returns The number of payload bytes queued; 0 after a close frame was sent.
   */
  sendBinary(data: Uint8Array): number {
    if (this.#closeSent) return 0;
    return this.#sendMessage(0x2, data);
  }

  /**
   * Queues a ping; the payload is cut to 125 bytes (RFC 6455 §5.5).
   *
   * @param payload Data the peer's pong will echo.
   * @returns Whether the ping was queued (not after a close frame).
   */
  sendPing(payload: Uint8Array = EMPTY_PAYLOAD): boolean {
    if (this.#closeSent) return false;
    this.#queueFrame(0x89, payload.subarray(0, MAX_CONTROL_PAYLOAD));
    return true;
  }

  /**
   * Queues a pong (an unsolicited one serves as a heartbeat, RFC 6455 §5.5.3).
   *
   * @param payload The payload, cut to 125 bytes.
   * @returns Whether the pong was queued (not after a close frame).
   */
  sendPong(payload: Uint8Array = EMPTY_PAYLOAD): boolean {
    if (this.#closeSent) return false;
    this.#queueFrame(0x8a, payload.subarray(0, MAX_CONTROL_PAYLOAD));
    return true;
  }

  /**
   * Starts the closing handshake: queues a close frame, once. The reason is
   * cut to 123 bytes on a character boundary; a code of 1005 sends a close
   * frame without a payload.
   *
   * @param code The status code (must be one that may be sent, or 1005).
   * @param reason The reason.
   * @returns Whether a close frame was queued by this call.
   */
  sendClose(code = 1000, reason = ""): boolean {
    if (this.#closeSent) return false;
    this.#closeSent = true;
    this.#queueFrame(0x88, encodeClosePayload(code, reason));
    return true;
  }

  /**
   * Fails the connection from this end (for example when the peer is too
   * slow): queues a close frame with `code` and stops reading.
   *
   * @param code The close code to send.
   * @param reason Why.
   */
  fail(code: number, reason: string): void {
    this.#fail(new WebSocketProtocolError("LOCAL_FAILURE", code, reason), false);
  }

  /**
   * Takes the queued output, leaving the queue empty.
   *
   * @returns The chunks to write, in order.
   */
  takeOutput(): Uint8Array[] {
    const output = this.#output;
    this.#output = [];
    this.#outputBytes = 0;
    return output;
  }

  #frameHeader(opcode: number, fin: boolean, rsv: number, length: number): void {
    this.#currentOpcode = opcode;
    if (opcode < 0x8) {
      this.#assembler.header(opcode, fin, length, rsv);
    } else if (rsv !== 0) {
      // RFC 7692 §6.1: control frames are never compressed.
      throw new WebSocketProtocolError(
        "RESERVED_BITS_SET",
        1002,
        `Control frame (opcode 0x${
          opcode.toString(16)
        }) has RSV1 set; control frames are never compressed`,
      );
    }
  }

  #partialPayload(piece: Uint8Array): void {
    if (this.#currentOpcode < 0x8) this.#assembler.partial(piece);
  }

  #frame(opcode: number, fin: boolean, payload: Uint8Array): void {
    if (opcode < 0x8) {
      this.#assembler.frame(opcode, fin, payload);
      return;
    }
    if (opcode === 0x9) {
      // RFC 6455 §5.5.2: answer with the same application data, unless closing.
      if (!this.#closeSent) this.#queueFrame(0x8a, payload.slice());
      this.#handler.ping(payload.slice());
    } else if (opcode === 0xa) {
      this.#handler.pong(payload.slice());
    } else {
      this.#receiveClose(payload);
    }
  }

  #receiveClose(payload: Uint8Array): void {
    const { code, reason } = parseClosePayload(payload);
    this.#closeReceived = true;
    this.#closeCode = code;
    this.#closeReason = reason;
    this.#inputEnded = true;
    this.#parser.stop();
    this.#assembler.reset();
    if (!this.#closeSent) {
      // RFC 6455 §5.5.1: reply with a close frame, echoing the status code.
      this.#closeSent = true;
      this.#queueFrame(0x88, encodeClosePayload(code, reason));
    }
    this.#handler.closeReceived(code, reason);
  }

  #fail(error: WebSocketProtocolError, notify = true): void {
    if (this.#failure !== null) return;
    this.#failure = error;
    this.#inputEnded = true;
    this.#parser.stop();
    this.#assembler.reset();
    if (!this.#closeSent) {
      this.#closeSent = true;
      this.#queueFrame(0x88, encodeClosePayload(error.closeCode, error.message));
    }
    if (notify) this.#handler.failed(error);
  }

  #sendMessage(opcode: number, data: Uint8Array): number {
    const codec = this.#codec;
    // RFC 7692 §6.1: a compressed message has RSV1 on its first frame only.
    const frames = codec !== null && data.length >= codec.threshold
      ? this.#encoder.encodeMessage(opcode, codec.compress(data), 4)
      : this.#encoder.encodeMessage(opcode, data);
    for (const frame of frames) {
      this.#output.push(frame);
      this.#outputBytes += frame.length;
    }
    return data.length;
  }

  #queueFrame(firstByte: number, payload: Uint8Array): void {
    const frame = this.#encoder.encode(firstByte, payload);
    this.#output.push(frame);
    this.#outputBytes += frame.length;
  }
}
