/**
 * The stream engine: RFC 6455 over a byte channel. It pumps bytes from the
 * channel into the sans-I/O {@linkcode WebSocketConnection}, writes what the
 * connection queues (coalescing everything queued in one turn of the event
 * loop into one write), and runs the closing handshake with its timers.
 *
 * @module
 */

import { WebSocketConnection, type WebSocketConnectionHandler } from "./protocol/connection.ts";
import type { WebSocketProtocolError } from "./protocol/errors.ts";
import type { MessageCodec } from "./protocol/message_codec.ts";
import type { Role } from "./protocol/frame_parser.ts";
import { FramePool } from "./protocol/frame_pool.ts";
import { QAbstractSocket } from "./protocol/qabstract_socket.ts";
import type { QMaskGenerator } from "./protocol/qmask_generator.ts";
import type {
  EngineEndpoint,
  EngineHost,
  EngineLimits,
  EngineResult,
  SocketEngine,
} from "./socket_engine.ts";
import type { ByteChannel } from "./transport/byte_channel.ts";
import { TransportError } from "./transport/connect.ts";

/** How long to wait for the closing handshake by default (SPEC §3). */
export const DEFAULT_CLOSE_TIMEOUT = 5000;

// Writes are coalesced up to this size; larger chunks go out on their own.
const BATCH_LIMIT = 64 * 1024;

// The first byte of every pong frame (FIN + opcode 0xA), masked or not.
const PONG_FIRST_BYTE = 0x8a;
// How far back from the end of the queue an unsent pong is looked for.
const PONG_SEARCH = 16;

const E = QAbstractSocket.SocketError;

// Shared by all connections of the process: a frame's memory goes back once
// the frame is written (see FramePool for why), so echoing a message costs
// one new buffer (the received message's own) instead of two or three.
const FRAME_POOL = new FramePool();

/** Options of a {@linkcode StreamEngine}. */
export interface StreamEngineOptions extends EngineLimits {
  /** Which end this is. */
  role: Role;
  /** Where a client gets its masking keys. */
  maskGenerator: QMaskGenerator | null;
  /** Bytes already read past the opening handshake, to parse first. */
  leftover?: Uint8Array;
  /** How long to wait for the closing handshake, in ms. */
  closeTimeout?: number;
  /** Caps the size of each socket read (0: no cap). */
  readBufferSize?: number;
  /**
   * The negotiated permessage-deflate codec, or `null`. The engine owns it
   * and closes it (freeing its zlib memory) once the connection has ended.
   */
  codec?: MessageCodec | null;
}

// What the connection reports, passed on to the host: one object with
// methods costs less memory per connection than a closure per event.
class ConnectionEvents implements WebSocketConnectionHandler {
  readonly #host: EngineHost;
  readonly #beforeMessage: () => void;
  readonly closeReceived: () => void;
  readonly failed: (error: WebSocketProtocolError) => void;

  constructor(
    host: EngineHost,
    beforeMessage: () => void,
    closeReceived: () => void,
    failed: (error: WebSocketProtocolError) => void,
  ) {
    this.#host = host;
    this.#beforeMessage = beforeMessage;
    this.closeReceived = closeReceived;
    this.failed = failed;
  }

  textFrame(frame: string, isLast: boolean): void {
    this.#host.textFrame(frame, isLast);
  }

  binaryFrame(frame: Uint8Array, isLast: boolean): void {
    this.#host.binaryFrame(frame, isLast);
  }

  textMessage(message: string): void {
    this.#beforeMessage();
    this.#host.textMessage(message);
  }

  binaryMessage(message: Uint8Array): void {
    this.#beforeMessage();
    this.#host.binaryMessage(message);
  }

  ping(): void {}

  pong(payload: Uint8Array): void {
    this.#host.pong(payload);
  }
}

/**
 * Runs an open WebSocket connection over a {@linkcode ByteChannel}.
 */
export class StreamEngine implements SocketEngine {
  readonly #channel: ByteChannel;
  readonly #host: EngineHost;
  readonly #conn: WebSocketConnection;
  readonly #codec: MessageCodec | null;
  #leftover: Uint8Array | null;
  #closeTimeout: number;

  #queue: Uint8Array[] = [];
  #queued = 0;
  #totalQueued = 0;
  #totalWritten = 0;
  #writing = false;
  #scheduled = false;
  // Messages handed on since the current read (see #beforeMessage).
  #messagesInRead = 0;
  #drainWaiters: Array<{ target: number; resolve: (done: boolean) => void }> = [];

  #started = false;
  #readPaused = false;
  #resumeRead: (() => void) | null = null;
  #readLoop: Promise<void> | null = null;
  #writeLoop: Promise<void> | null = null;

  #closingNotified = false;
  #shutdownStarted = false;
  #inputDone = false;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;
  #finishing = false;
  #finishWhenWritten = false;
  #error: EngineResult["error"] = null;
  #errorReported = false;
  #aborted = false;

  /**
   * Creates an engine; call {@linkcode StreamEngine.start} to begin reading.
   *
   * @param channel The connected byte stream; the engine owns it.
   * @param options The role, limits and handshake leftovers.
   * @param host Receives the connection's events.
   */
  constructor(channel: ByteChannel, options: StreamEngineOptions, host: EngineHost) {
    this.#channel = channel;
    this.#host = host;
    this.#leftover = options.leftover !== undefined && options.leftover.length > 0
      ? options.leftover
      : null;
    this.#closeTimeout = options.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT;
    if (options.readBufferSize) channel.setReadLimit(options.readBufferSize);
    this.#codec = options.codec ?? null;
    this.#conn = new WebSocketConnection(
      {
        role: options.role,
        maxFrameSize: options.maxFrameSize,
        maxMessageSize: options.maxMessageSize,
        outgoingFrameSize: options.outgoingFrameSize,
        maskGenerator: options.maskGenerator,
        codec: this.#codec,
        framePool: FRAME_POOL,
      },
      new ConnectionEvents(
        host,
        () => this.#beforeMessage(),
        () => this.#onCloseReceived(),
        (e) => this.#onFailed(e),
      ),
    );
  }

  get local(): EngineEndpoint {
    return this.#channel.local;
  }

  get remote(): EngineEndpoint {
    return this.#channel.remote;
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#readLoop = this.#read();
  }

  sendText(text: string): number {
    if (this.#finishing) return 0;
    const sent = this.#conn.sendText(text);
    this.#pullOutput();
    return sent;
  }

  sendBinary(data: Uint8Array): number {
    if (this.#finishing) return 0;
    const sent = this.#conn.sendBinary(data);
    this.#pullOutput();
    return sent;
  }

  ping(payload: Uint8Array): boolean {
    if (this.#finishing) return false;
    const sent = this.#conn.sendPing(payload);
    this.#pullOutput();
    return sent;
  }

  close(code: number, reason: string): void {
    if (this.#finishing || this.#conn.closeSent) return;
    // The peer's reply must be read even if nobody started reading yet.
    this.start();
    this.#conn.sendClose(code, reason);
    this.#pullOutput();
    this.resumeReading();
    this.#notifyClosing(false);
    this.#armCloseTimer();
    // If the peer's close already came, this completes the handshake.
    this.#maybeShutdown();
  }

  abort(): void {
    if (this.#finishing) return;
    this.#aborted = true;
    this.#dropQueue();
    this.#finish();
  }

  #dropQueue(): void {
    this.#queue = [];
    this.#queued = 0;
  }

  flush(): boolean {
    if (this.#queue.length === 0) return false;
    if (!this.#writing) this.#startWriting();
    return true;
  }

  bytesToWrite(): number {
    return this.#queued;
  }

  drained(): Promise<boolean> {
    if (this.#totalWritten >= this.#totalQueued) return Promise.resolve(true);
    if (this.#finishing) return Promise.resolve(false);
    const target = this.#totalQueued;
    return new Promise((resolve) => this.#drainWaiters.push({ target, resolve }));
  }

  setLimits(limits: EngineLimits): void {
    this.#conn.maxFrameSize = limits.maxFrameSize;
    this.#conn.maxMessageSize = limits.maxMessageSize;
    this.#conn.outgoingFrameSize = limits.outgoingFrameSize;
  }

  setMaskGenerator(generator: QMaskGenerator | null): void {
    this.#conn.maskGenerator = generator;
  }

  setReadBufferSize(bytes: number): void {
    this.#channel.setReadLimit(bytes);
  }

  pauseReading(): void {
    this.#readPaused = true;
  }

  resumeReading(): void {
    this.#readPaused = false;
    const resume = this.#resumeRead;
    this.#resumeRead = null;
    resume?.();
  }

  setCloseTimeout(ms: number): void {
    this.#closeTimeout = ms;
  }

  // --- reading -------------------------------------------------------------

  async #read(): Promise<void> {
    // Let the code that created the socket attach its listeners first.
    await Promise.resolve();
    try {
      const leftover = this.#leftover;
      this.#leftover = null;
      if (leftover !== null) this.#receive(leftover);
      while (!this.#finishing) {
        // Once our close frame is out, reading goes on regardless of pauses:
        // the peer's close frame must be seen to finish the handshake.
        if (this.#readPaused && !this.#conn.inputEnded && !this.#conn.closeSent) {
          await new Promise<void>((resolve) => (this.#resumeRead = resolve));
          continue;
        }
        const space = this.#conn.payloadSpace;
        if (space !== null) {
          // The rest of a large frame goes straight into the frame's own
          // buffer: no pieces kept, no copy when it is complete.
          const n = await this.#channel.readInto(space);
          if (this.#finishing) return;
          if (n === null) {
            this.#onEof();
            return;
          }
          this.#receivePayload(n);
          continue;
        }
        const chunk = await this.#channel.read();
        if (this.#finishing) return;
        if (chunk === null) {
          this.#onEof();
          return;
        }
        this.#receive(chunk);
        // Once no frame is half read, the core holds nothing of the chunk
        // (what it hands on, it copies): the channel may read into it again.
        if (this.#conn.bufferedBytes === 0) this.#channel.release();
      }
    } catch (error) {
      if (!this.#finishing) this.#onTransportError(error);
    }
  }

  #receive(chunk: Uint8Array): void {
    const conn = this.#conn;
    // After a close frame or a failure, bytes are read only to see the end.
    if (conn.inputEnded) return;
    this.#messagesInRead = 0;
    conn.receive(chunk);
    this.#pullOutput();
    this.#maybeShutdown();
  }

  #receivePayload(n: number): void {
    const conn = this.#conn;
    if (conn.inputEnded) return;
    this.#messagesInRead = 0;
    conn.receivePayload(n);
    this.#pullOutput();
    this.#maybeShutdown();
  }

  // When one read brought several messages, what the application sent in
  // answer to the first ones goes out before the next is handed on: the peer
  // works on those replies meanwhile instead of waiting for the whole batch
  // (16 messages in flight: 1.5x the throughput). The rest of the replies are
  // coalesced into the next write, as usual.
  #beforeMessage(): void {
    if (++this.#messagesInRead > 1 && !this.#writing && this.#queue.length > 0) {
      this.#startWriting();
    }
  }

  #onCloseReceived(): void {
    this.#notifyClosing(true);
    this.#armCloseTimer();
  }

  #onFailed(error: WebSocketProtocolError): void {
    const report = {
      socketError: E.UnknownSocketError,
      message: `${error.message}: closing with code ${error.closeCode}`,
    };
    this.#error = report;
    this.#notifyClosing(false);
    this.#armCloseTimer();
    // Reported at once: the closing handshake that follows may take up to the
    // close timeout, and the application should not wait that long to know.
    this.#errorReported = true;
    this.#host.error(report.socketError, report.message);
  }

  #onEof(): void {
    this.#inputDone = true;
    this.#host.readFinished();
    const conn = this.#conn;
    if (!conn.closeReceived && conn.failure === null && this.#error === null) {
      this.#error = {
        socketError: E.RemoteHostClosedError,
        message: "The peer closed the connection without a closing handshake",
      };
    }
    conn.receiveEof();
    this.#armCloseTimer();
    this.#finish();
  }

  #onTransportError(error: unknown): void {
    if (this.#error === null && !this.#conn.closeReceived) {
      const message = error instanceof Error ? error.message : String(error);
      this.#error = {
        socketError: error instanceof TransportError ? error.socketError : E.RemoteHostClosedError,
        message: `The connection failed: ${message}`,
      };
    }
    if (!this.#inputDone) {
      this.#inputDone = true;
      this.#host.readFinished();
    }
    this.#finish(true);
  }

  // --- writing -------------------------------------------------------------

  #pullOutput(): void {
    const conn = this.#conn;
    if (conn.outputBytes === 0) return;
    const chunks = conn.takeOutput();
    for (const chunk of chunks) {
      // Each chunk is one whole frame; only pongs start with this byte.
      if (
        chunk[0] === PONG_FIRST_BYTE && this.#queued >= BATCH_LIMIT &&
        this.#replaceQueuedPong(chunk)
      ) continue;
      this.#queue.push(chunk);
      this.#queued += chunk.length;
      this.#totalQueued += chunk.length;
    }
    if (!this.#writing && !this.#scheduled) {
      this.#scheduled = true;
      // Everything queued before the current task ends goes out in one write.
      queueMicrotask(() => {
        this.#scheduled = false;
        if (!this.#writing && this.#queue.length > 0) this.#startWriting();
      });
    }
  }

  // RFC 6455 §5.5.3 lets an endpoint that has not sent its pongs yet answer
  // only the latest ping. Once the peer stops keeping up (64 KiB unsent), an
  // unsent pong is replaced instead of queueing another: a peer that floods
  // pings and never reads cannot grow the write queue without bound, while a
  // peer that reads still gets a pong for every ping.
  #replaceQueuedPong(pong: Uint8Array): boolean {
    const queue = this.#queue;
    const stop = Math.max(0, queue.length - PONG_SEARCH);
    for (let i = queue.length - 1; i >= stop; i--) {
      const old = queue[i]!;
      if (old[0] !== PONG_FIRST_BYTE) continue;
      queue[i] = pong;
      this.#queued += pong.length - old.length;
      this.#totalQueued += pong.length;
      // The dropped pong counts as done, so drained() still resolves.
      this.#totalWritten += old.length;
      return true;
    }
    return false;
  }

  #startWriting(): void {
    this.#writing = true;
    this.#writeLoop = this.#write();
  }

  async #write(): Promise<void> {
    try {
      while (this.#queue.length > 0 && !this.#finishing) {
        const data = this.#takeBatch();
        await this.#channel.write(data);
        // Written: nothing refers to its memory any more. (A failed write
        // throws past this: the frame is left to the garbage collector.)
        FRAME_POOL.give(data);
        this.#queued -= data.length;
        this.#totalWritten += data.length;
        this.#resolveDrained();
        if (!this.#finishing) this.#host.bytesWritten(data.length);
      }
    } catch (error) {
      this.#writing = false;
      if (!this.#finishing) this.#onTransportError(error);
      return;
    }
    this.#writing = false;
    if (this.#finishWhenWritten) {
      this.#finish();
      return;
    }
    this.#maybeShutdown();
  }

  #takeBatch(): Uint8Array {
    const queue = this.#queue;
    const first = queue[0]!;
    if (queue.length === 1 || first.length >= BATCH_LIMIT) {
      queue.shift();
      return first;
    }
    let size = 0;
    let count = 0;
    while (count < queue.length && size + queue[count]!.length <= BATCH_LIMIT) {
      size += queue[count]!.length;
      count++;
    }
    if (count <= 1) {
      queue.shift();
      return first;
    }
    const batch = FRAME_POOL.take(0, size) ?? new Uint8Array(size);
    let offset = 0;
    for (let i = 0; i < count; i++) {
      const frame = queue[i]!;
      batch.set(frame, offset);
      offset += frame.length;
      FRAME_POOL.give(frame);
    }
    queue.splice(0, count);
    return batch;
  }

  #resolveDrained(): void {
    const waiters = this.#drainWaiters;
    if (waiters.length === 0) return;
    const written = this.#totalWritten;
    let i = 0;
    while (i < waiters.length && waiters[i]!.target <= written) waiters[i++]!.resolve(true);
    if (i > 0) waiters.splice(0, i);
  }

  // --- closing -------------------------------------------------------------

  #notifyClosing(byPeer: boolean): void {
    if (this.#closingNotified) return;
    this.#closingNotified = true;
    this.#host.closing(byPeer);
  }

  #armCloseTimer(): void {
    if (this.#closeTimer !== undefined || this.#finishing || this.#closeTimeout < 0) return;
    this.#closeTimer = setTimeout(() => {
      this.#closeTimer = undefined;
      if (this.#finishing) return;
      if (this.#error === null && !this.#conn.closeReceived) {
        this.#error = {
          socketError: E.SocketTimeoutError,
          message:
            `The peer did not complete the closing handshake within ${this.#closeTimeout} ms`,
        };
      }
      this.#dropQueue();
      this.#finish(true);
    }, this.#closeTimeout);
  }

  // Once the close frame is written: the server (or a failing end) half-closes
  // the TCP connection (RFC 6455 §7.1.1) and waits, bounded by the close timer,
  // for the peer's end of stream; a client just waits for the server's.
  #maybeShutdown(): void {
    const conn = this.#conn;
    if (this.#shutdownStarted || this.#finishing || this.#writing || this.#queue.length > 0) return;
    if (!conn.shouldCloseTransport) return;
    this.#shutdownStarted = true;
    this.#channel.closeWrite().catch(() => {
      // The peer is gone already; the read loop will see the end.
    });
  }

  // `force` skips waiting for queued writes (timeouts, transport failures).
  #finish(force = false): void {
    if (this.#finishing) return;
    if (!force && !this.#aborted && (this.#writing || this.#queue.length > 0)) {
      // A close frame (say, the echo of the peer's) may still be queued: write
      // it first. The close timer bounds the wait.
      this.#finishWhenWritten = true;
      if (!this.#writing) this.#startWriting();
      return;
    }
    this.#finishing = true;
    if (this.#closeTimer !== undefined) {
      clearTimeout(this.#closeTimer);
      this.#closeTimer = undefined;
    }
    this.#resumeRead?.();
    this.#resumeRead = null;
    for (const waiter of this.#drainWaiters) waiter.resolve(false);
    this.#drainWaiters = [];
    this.#channel.close();
    const conn = this.#conn;
    const failure = conn.failure;
    let closeCode = 1006;
    let closeReason = "";
    if (conn.closeReceived) {
      closeCode = conn.closeCode;
      closeReason = conn.closeReason;
    } else if (failure !== null) {
      closeCode = failure.closeCode;
      closeReason = failure.message;
    }
    const result: EngineResult = {
      closeCode,
      closeReason,
      error: this.#aborted || this.#errorReported ? null : this.#error,
    };
    const host = this.#host;
    const readLoop = this.#readLoop;
    const writeLoop = this.#writeLoop;
    // Report only once the pending read and write have settled, so nothing of
    // this connection is still running when `disconnected` is dispatched.
    Promise.allSettled([readLoop, writeLoop]).then(() => {
      // Nothing reads or writes any more: the codec's zlib memory can go.
      this.#codec?.close();
      if (!this.#inputDone) {
        this.#inputDone = true;
        host.readFinished();
      }
      host.finished(result);
    });
  }
}
