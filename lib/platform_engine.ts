/**
 * The platform engine: a {@linkcode SocketEngine} driven by a platform
 * `WebSocket` (the Web API object `Deno.upgradeWebSocket` returns), for
 * runtimes that hand the program HTTP requests and never a socket. The
 * platform runs RFC 6455 itself; this engine maps its events and properties
 * onto the seam the stream engine implements over bytes, using only the Web
 * API, and does the nearest honest thing where the Web API has no equivalent:
 *
 * - frames are not visible: each message is one frame event with
 *   `isLastFrame = true`;
 * - incoming messages are checked against the message limit once the
 *   platform has assembled them (larger ones close with 1009); the frame
 *   limit and the outgoing frame size have no effect;
 * - the Web API has no ping: `ping()` sends nothing and `pong` never fires;
 * - `bytesToWrite()` is the platform's `bufferedAmount` (payload bytes), and
 *   `bytesWritten` is reported as it goes down;
 * - reading cannot be paused, and a connection cannot be dropped: `abort()`
 *   and the close timeout send or keep the close frame, report the end at
 *   once, and leave the TCP connection to the platform.
 *
 * @module
 */

import { truncateUtf8 } from "./protocol/close_payload.ts";
import { QAbstractSocket } from "./protocol/qabstract_socket.ts";
import { QWebSocketProtocol } from "./protocol/qwebsocket_protocol.ts";
import type {
  EngineEndpoint,
  EngineHost,
  EngineLimits,
  EngineResult,
  SocketEngine,
} from "./socket_engine.ts";
import { DEFAULT_CLOSE_TIMEOUT } from "./stream_engine.ts";

const E = QAbstractSocket.SocketError;
const CloseCode = QWebSocketProtocol.CloseCode;
const UNKNOWN_ENDPOINT: EngineEndpoint = Object.freeze({ address: "", port: 0 });
// WebSocket.OPEN, spelled out so the engine does not depend on the global's statics.
const OPEN = 1;
// How often, at most, bufferedAmount is polled while data waits to be written.
const MAX_POLL_MS = 50;
// setTimeout fires at once for delays above 2^31 - 1 ms.
const MAX_TIMER_DELAY = 2147483647;

/** Options of a {@linkcode PlatformEngine}. */
export interface PlatformEngineOptions {
  /** Largest incoming message, in bytes; a larger one closes with 1009. */
  maxMessageSize: number;
  /** The peer's address, when the runtime says (`Deno.ServeHandlerInfo.remoteAddr`). */
  remote?: EngineEndpoint;
  /** How long to wait for the closing handshake, in ms. */
  closeTimeout?: number;
}

/**
 * Runs a WebSocket connection that the platform carries.
 */
export class PlatformEngine implements SocketEngine {
  readonly #ws: WebSocket;
  readonly #host: EngineHost;
  readonly #remote: EngineEndpoint;
  readonly #opened: Promise<boolean>;
  #resolveOpened: ((open: boolean) => void) | null = null;
  #maxMessageSize: number;
  #closeTimeout: number;

  // Host calls wait here until start(): the application attaches its
  // listeners first, as with a socket that has not started reading.
  #backlog: Array<() => void> | null = [];
  #backlogBytes = 0;
  #started = false;

  #closeSent = false;
  #closingNotified = false;
  #inputDone = false;
  #failure: { code: number; reason: string } | null = null;
  #errorReported = false;
  #platformError = "";
  #aborted = false;
  #finished = false;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;

  #totalQueued = 0;
  #reportedWritten = 0;
  #pollTimer: ReturnType<typeof setTimeout> | undefined;
  #pollDelay = 0;
  #drainWaiters: Array<{ target: number; resolve: (done: boolean) => void }> = [];

  /**
   * Creates an engine and starts listening to the platform socket; call
   * {@linkcode PlatformEngine.start} to deliver its events.
   *
   * @param ws The platform socket, open or still opening; the engine owns it.
   * @param options The message limit and the peer's address.
   * @param host Receives the connection's events.
   */
  constructor(ws: WebSocket, options: PlatformEngineOptions, host: EngineHost) {
    this.#ws = ws;
    this.#host = host;
    this.#remote = options.remote ?? UNKNOWN_ENDPOINT;
    this.#maxMessageSize = options.maxMessageSize;
    this.#closeTimeout = options.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT;
    this.#opened = ws.readyState === OPEN
      ? Promise.resolve(true)
      : new Promise((resolve) => (this.#resolveOpened = resolve));
    ws.binaryType = "arraybuffer";
    ws.addEventListener("open", () => this.#onOpen());
    ws.addEventListener("message", (e) => this.#onMessage(e.data));
    ws.addEventListener("error", (e) => this.#onError(e));
    ws.addEventListener("close", (e) => this.#onClose(e));
  }

  /** Resolves `true` once the platform socket is open, `false` if it ended (or was dropped) first. */
  get opened(): Promise<boolean> {
    return this.#opened;
  }

  /** Unknown: a `Deno.serve` handler is not told the local address. */
  get local(): EngineEndpoint {
    return UNKNOWN_ENDPOINT;
  }

  get remote(): EngineEndpoint {
    return this.#remote;
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    // Events begin after the current task, as the stream engine's do.
    queueMicrotask(() => {
      const backlog = this.#backlog ?? [];
      this.#backlog = null;
      this.#backlogBytes = 0;
      for (const call of backlog) call();
    });
  }

  sendText(text: string): number {
    return this.#send(text);
  }

  sendBinary(data: Uint8Array): number {
    return this.#send(data);
  }

  #send(data: string | Uint8Array): number {
    const ws = this.#ws;
    if (this.#finished || this.#closeSent || ws.readyState !== OPEN) return 0;
    // The Web API counts exactly the payload bytes in bufferedAmount
    // (UTF-8 for text), and Deno copies the data before send() returns.
    const before = ws.bufferedAmount;
    ws.send(data);
    const queued = ws.bufferedAmount - before;
    if (queued > 0) {
      this.#totalQueued += queued;
      this.#watchWrites();
    }
    return queued;
  }

  /** The Web API has no ping: nothing is sent, and no `pong` will come. */
  ping(_payload: Uint8Array): boolean {
    return false;
  }

  close(code: number, reason: string): void {
    if (this.#finished || this.#closeSent) return;
    this.#closeSent = true;
    this.start();
    this.#closePlatform(code, reason);
    // At once, as the stream engine does: the state is Closing when close()
    // returns, even while earlier messages still wait in the backlog.
    this.#notifyClosing(true);
    this.#armCloseTimer();
  }

  abort(): void {
    if (this.#finished) return;
    this.#aborted = true;
    this.start();
    // The platform cannot drop a connection: ask it to end, and stop
    // listening. It closes TCP when the peer answers, or at its idle timeout.
    if (!this.#closeSent) {
      this.#closeSent = true;
      this.#closePlatform(CloseCode.CloseCodeGoingAway, "");
    }
    this.#finish({
      closeCode: CloseCode.CloseCodeAbnormalDisconnection,
      closeReason: "",
      error: null,
    });
  }

  flush(): boolean {
    return this.bytesToWrite() > 0;
  }

  bytesToWrite(): number {
    const ws = this.#ws;
    return !this.#finished && ws.readyState === OPEN ? ws.bufferedAmount : 0;
  }

  drained(): Promise<boolean> {
    const target = this.#totalQueued;
    if (this.#written() >= target) return Promise.resolve(true);
    if (this.#finished) return Promise.resolve(false);
    this.#watchWrites();
    return new Promise((resolve) => this.#drainWaiters.push({ target, resolve }));
  }

  setLimits(limits: EngineLimits): void {
    // Frames are assembled by the platform, and it frames what it sends:
    // only the message limit can be applied here.
    this.#maxMessageSize = limits.maxMessageSize;
  }

  /** Servers do not mask; the platform frames what it sends. */
  setMaskGenerator(): void {}

  /** The platform reads on its own; there is no read buffer to bound. */
  setReadBufferSize(): void {}

  /** The Web API `WebSocket` has no flow control: messages keep arriving. */
  pauseReading(): void {}

  /** See {@linkcode PlatformEngine.pauseReading}. */
  resumeReading(): void {}

  setCloseTimeout(ms: number): void {
    this.#closeTimeout = ms;
  }

  // --- platform events ---------------------------------------------------------

  #onOpen(): void {
    if (this.#finished) {
      // Dropped while the platform was still switching protocols: it
      // opened regardless (a close() before open does not stick in Deno).
      this.#closePlatform(CloseCode.CloseCodeGoingAway, "");
      return;
    }
    this.#resolveOpened?.(true);
    this.#resolveOpened = null;
  }

  #onMessage(data: unknown): void {
    if (this.#finished || this.#failure !== null) return;
    const limit = this.#maxMessageSize;
    let message: string | Uint8Array;
    let size: number;
    if (typeof data === "string") {
      message = data;
      size = data.length;
      if (utf8Exceeds(data, limit)) {
        return this.#tooBig(`A text message of more than ${limit} bytes`);
      }
    } else if (data instanceof ArrayBuffer) {
      message = new Uint8Array(data);
      size = message.length;
      if (size > limit) return this.#tooBig(`A binary message of ${size} bytes`);
    } else {
      // binaryType is "arraybuffer" from the start: nothing else can come.
      return;
    }
    if (this.#backlog !== null) {
      // A client in the pending queue cannot be made to wait (the platform
      // keeps reading), so what it may send before it is taken is bounded.
      this.#backlogBytes += size;
      if (this.#backlogBytes > limit) {
        return this.#tooBig(
          `More than ${limit} bytes of messages arrived before the application took the connection`,
        );
      }
    }
    const host = this.#host;
    if (typeof message === "string") {
      const text = message;
      this.#emit(() => {
        host.textFrame(text, true);
        host.textMessage(text);
      });
    } else {
      const bytes = message;
      this.#emit(() => {
        host.binaryFrame(bytes, true);
        host.binaryMessage(bytes);
      });
    }
  }

  #onError(event: Event): void {
    const message = (event as ErrorEvent).message;
    if (typeof message === "string" && message !== "") this.#platformError = message;
    if (this.#resolveOpened !== null) {
      // The upgrade itself failed (the client left before the 101, say):
      // the platform dispatches no close event then.
      this.#finish({
        closeCode: CloseCode.CloseCodeAbnormalDisconnection,
        closeReason: "",
        error: {
          socketError: E.RemoteHostClosedError,
          message: `The WebSocket upgrade failed: ${this.#platformError || "unknown reason"}`,
        },
      });
    }
  }

  #onClose(event: CloseEvent): void {
    if (this.#finished) return;
    this.#notifyClosing();
    this.#endInput();
    // Deno reports a connection that ended without a close frame with
    // code 0 (and 1005 once this end had sent its close frame).
    const code = event.code === 0 ? CloseCode.CloseCodeAbnormalDisconnection : event.code;
    const failure = this.#failure;
    if (failure !== null) {
      const echoed = event.wasClean && event.code !== 0;
      this.#finish({
        closeCode: echoed ? code : failure.code,
        closeReason: echoed ? event.reason : failure.reason,
        error: null,
      });
      return;
    }
    if (event.wasClean) {
      this.#finish({ closeCode: code, closeReason: event.reason, error: null });
      return;
    }
    let error: EngineResult["error"] = null;
    if (this.#platformError !== "" || !this.#closeSent) {
      const detail = this.#platformError;
      error = {
        socketError: errorKind(detail),
        message: detail === ""
          ? "The peer closed the connection without a closing handshake"
          : `The connection failed: ${detail}`,
      };
    }
    this.#finish({ closeCode: code, closeReason: event.reason, error });
  }

  // --- helpers -----------------------------------------------------------------

  // RFC 6455 §7.4.1: 1009 for a message too big to process.
  #tooBig(what: string): void {
    const limit = this.#maxMessageSize;
    const reason = "Message too big";
    this.#failure = { code: CloseCode.CloseCodeTooMuchData, reason };
    const socketError = E.UnknownSocketError;
    const message =
      `${what} arrived, over the limit of ${limit} bytes: closing with code ${CloseCode.CloseCodeTooMuchData}`;
    if (!this.#closeSent) {
      this.#closeSent = true;
      this.#closePlatform(CloseCode.CloseCodeTooMuchData, reason);
    }
    this.#notifyClosing();
    // Reported at once, as the stream engine does: the closing handshake
    // that follows may take up to the close timeout. finished() will not
    // repeat it.
    this.#errorReported = true;
    const host = this.#host;
    this.#emit(() => host.error(socketError, message));
    this.#armCloseTimer();
  }

  #closePlatform(code: number, reason: string): void {
    // Qt cuts the reason to 123 bytes on a character boundary; the Web API
    // would throw instead.
    const text = new TextDecoder().decode(truncateUtf8(reason, 123));
    try {
      this.#ws.close(code, text);
    } catch {
      // Closed already: its close event ends the connection.
    }
  }

  #endInput(): void {
    if (this.#inputDone) return;
    this.#inputDone = true;
    const host = this.#host;
    this.#emit(() => host.readFinished());
  }

  #emit(call: () => void): void {
    if (this.#backlog !== null) this.#backlog.push(call);
    else call();
  }

  #notifyClosing(now = false): void {
    if (this.#closingNotified) return;
    this.#closingNotified = true;
    const host = this.#host;
    const byPeer = !this.#closeSent;
    if (now) host.closing(byPeer);
    else this.#emit(() => host.closing(byPeer));
  }

  #armCloseTimer(): void {
    if (this.#closeTimer !== undefined || this.#finished || this.#closeTimeout < 0) return;
    this.#closeTimer = setTimeout(() => {
      this.#closeTimer = undefined;
      if (this.#finished) return;
      // The platform keeps waiting for the peer (Deno until its idle
      // timeout); the application is told now, as with a socket.
      const failure = this.#failure;
      this.#finish({
        closeCode: failure?.code ?? CloseCode.CloseCodeAbnormalDisconnection,
        closeReason: failure?.reason ?? "",
        error: {
          socketError: E.SocketTimeoutError,
          message:
            `The peer did not complete the closing handshake within ${this.#closeTimeout} ms`,
        },
      });
    }, Math.min(this.#closeTimeout, MAX_TIMER_DELAY));
  }

  #written(): number {
    const ws = this.#ws;
    if (this.#finished || ws.readyState !== OPEN) return this.#reportedWritten;
    return this.#totalQueued - ws.bufferedAmount;
  }

  // The Web API says nothing when data leaves: poll bufferedAmount while
  // some is waiting, quickly at first, backing off to MAX_POLL_MS.
  #watchWrites(): void {
    if (this.#pollTimer !== undefined || this.#finished) return;
    this.#pollDelay = 0;
    this.#pollTimer = setTimeout(() => this.#checkWrites(), 0);
  }

  #checkWrites(): void {
    this.#pollTimer = undefined;
    if (this.#finished || this.#ws.readyState !== OPEN) return;
    const written = this.#written();
    if (written > this.#reportedWritten) {
      const bytes = written - this.#reportedWritten;
      this.#reportedWritten = written;
      this.#pollDelay = 0;
      this.#resolveDrained();
      const host = this.#host;
      this.#emit(() => host.bytesWritten(bytes));
    } else {
      this.#pollDelay = Math.min(MAX_POLL_MS, Math.max(1, this.#pollDelay * 2));
    }
    if (this.#reportedWritten < this.#totalQueued) {
      this.#pollTimer = setTimeout(() => this.#checkWrites(), this.#pollDelay);
    }
  }

  #resolveDrained(): void {
    const waiters = this.#drainWaiters;
    const written = this.#reportedWritten;
    let i = 0;
    while (i < waiters.length && waiters[i]!.target <= written) waiters[i++]!.resolve(true);
    if (i > 0) waiters.splice(0, i);
  }

  #finish(outcome: EngineResult): void {
    if (this.#finished) return;
    this.#finished = true;
    const result = this.#errorReported ? { ...outcome, error: null } : outcome;
    clearTimeout(this.#closeTimer);
    this.#closeTimer = undefined;
    clearTimeout(this.#pollTimer);
    this.#pollTimer = undefined;
    this.#resolveOpened?.(false);
    this.#resolveOpened = null;
    // A clean close means the peer read up to our close frame, so
    // everything sent before it arrived.
    const delivered = outcome.error === null && !this.#aborted && this.#failure === null;
    for (const waiter of this.#drainWaiters) waiter.resolve(delivered);
    this.#drainWaiters = [];
    this.#endInput();
    const host = this.#host;
    this.#emit(() => host.finished(result));
  }
}

// Whether `text` takes more than `limit` bytes in UTF-8, without encoding it:
// a UTF-16 code unit takes 1 to 3 bytes (a surrogate pair, 4 for two units).
function utf8Exceeds(text: string, limit: number): boolean {
  const units = text.length;
  if (units > limit) return true;
  if (units * 3 <= limit) return false;
  let bytes = 0;
  for (let i = 0; i < units; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < units) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else {
        bytes += 3;
      }
    } else {
      bytes += 3;
    }
    if (bytes > limit) return true;
  }
  return false;
}

// The platform reports a failure as a sentence only; Deno's are matched to
// Qt's kinds where they are recognizable, else UnknownSocketError.
function errorKind(message: string): QAbstractSocket.SocketError {
  if (/no response from ping/i.test(message)) return E.SocketTimeoutError;
  if (message === "" || /eof|reset|broken pipe|closed/i.test(message)) {
    return E.RemoteHostClosedError;
  }
  return E.UnknownSocketError;
}
