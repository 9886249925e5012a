/**
 * One connection of the fuzzing peer, after the opening handshake: it sends
 * exactly the bytes a case asks for (any opcode, RSV bits, masking, chopped
 * writes) and reads the peer the way the Autobahn TestSuite's protocol does,
 * keeping the flags its verdicts are made of: `closedByMe`, `failedByMe`,
 * `droppedByMe`, `wasClean`, `remoteCloseCode` and the rest.
 *
 * The state machine follows Autobahn's WebSocket protocol (OPEN → CLOSING →
 * CLOSED): a peer's close frame in OPEN is answered with 1000 and, on the
 * server side, the TCP connection is dropped; the reply to our own close frame
 * ends the closing handshake (a server then drops at once, a client waits,
 * bounded, for the server to drop). Violations by the peer fail the
 * connection with a close frame (Autobahn's `failByDrop: false`, the setting
 * its documentation gives for running the suite).
 *
 * @module
 */

import {
  concat,
  EMPTY,
  encodeFrame,
  frameHeader,
  randomMask,
  readFrameHead,
  repeatTo,
  utf8,
  writeAll,
  xorMask,
} from "./wire.ts";

/** The protocol states Autobahn's verdicts refer to. */
export type FuzzerState = "open" | "closing" | "closed";

/** What the connection reports to the case running on it. */
export interface FuzzingHandler {
  /** The connection is open: the case starts sending. */
  onOpen(): void;
  /** A whole message arrived (text as its UTF-8 bytes). */
  onMessage(payload: Uint8Array, binary: boolean): void;
  /** A pong arrived. */
  onPong(payload: Uint8Array): void;
  /** The TCP connection is gone; the flags are final. */
  onConnectionLost(): void;
}

/**
 * A per-message extension agreed in the opening handshake (permessage-deflate
 * for categories 12 and 13, tests/conformance/deflate_peer.ts): messages are
 * encoded whole and their first frame carries RSV1.
 */
export interface MessageExtension {
  /** Encodes an outgoing message. */
  encode(payload: Uint8Array): Uint8Array;
  /** Decodes an incoming message whose first frame had RSV1 set; throws on bad data. */
  decode(payload: Uint8Array): Uint8Array;
}

/** Options of a {@linkcode FuzzingConnection}. */
export interface FuzzingOptions {
  /** Whether the fuzzer is the server end (it then never masks, and drops TCP first). */
  isServer: boolean;
  /**
   * Multiplies Autobahn's timeouts (`killAfter`, `closeAfter`, the closing
   * handshake and server-drop timeouts), so a loaded machine does not turn a
   * slow but correct peer into a failure. Waits that are part of what a case
   * tests (`continueLater`) are not scaled.
   */
  patience: number;
  /** Fail the connection by dropping TCP instead of with a close frame (Autobahn's `failByDrop`). */
  failByDrop: boolean;
  /** Bytes read past the opening handshake. */
  leftover?: Uint8Array;
  /**
   * Bytes to write before anything else, in the same write as the frames a
   * case sends on open: a server's 101 response, which Autobahn (Twisted)
   * writes together with the first frames.
   */
  preamble?: Uint8Array;
  /** Drop the connection after this many ms whatever happens (a bound on every case). */
  watchdogMs: number;
  /** The extension agreed in the handshake, if any. */
  extension?: MessageExtension | null;
}

/** Autobahn's `sendFrame` options. */
export interface SendFrameOptions {
  payload?: Uint8Array;
  fin?: boolean;
  rsv?: number;
  /** Repeat `payload` to this length (Autobahn's `payload_len`). */
  payloadLen?: number;
  /** Write the frame in chunks of this many bytes, yielding between chunks. */
  chopsize?: number;
  /** Write the frame on its own, yielding to the event loop after it. */
  sync?: boolean;
}

/** Close codes a peer may send (RFC 6455 §7.4.1 and the IANA registry). */
export function isAllowedCloseCode(code: number): boolean {
  if (code >= 3000 && code <= 4999) return true;
  return code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006;
}

// Autobahn's defaults, in seconds (its protocol options).
const CLOSE_HANDSHAKE_TIMEOUT = 1;
const SERVER_CONNECTION_DROP_TIMEOUT = 1;

// Consecutive unsynchronised writes are coalesced up to this size.
const WRITE_BATCH = 256 * 1024;

interface QueuedWrite {
  data: Uint8Array;
  sync: boolean;
}

/** The fuzzer's end of one WebSocket connection. */
export class FuzzingConnection {
  readonly isServer: boolean;
  state: FuzzerState = "open";

  // Autobahn's closing-behaviour flags, with its names and meanings.
  /** True iff I initiated the closing handshake (sent close first). */
  closedByMe = false;
  /** True iff I failed the connection (a protocol error or a timeout). */
  failedByMe = false;
  /** True iff I dropped the TCP connection. */
  droppedByMe = false;
  /** True iff close frames went both ways and the server dropped TCP. */
  wasClean = false;
  /** Why the close was not clean. */
  wasNotCleanReason: string | null = null;
  /** The server did not drop TCP in time after the closing handshake. */
  wasServerConnectionDropTimeout = false;
  /** The peer did not answer my close frame in time. */
  wasCloseHandshakeTimeout = false;
  /** The code of the close frame I sent. */
  localCloseCode: number | null = null;
  /** The reason of the close frame I sent. */
  localCloseReason: Uint8Array | null = null;
  /** The code of the peer's close frame (null: none, or an empty one). */
  remoteCloseCode: number | null = null;
  /** The reason of the peer's close frame. */
  remoteCloseReason: string | null = null;
  /** The opening handshake completed. */
  connectionWasOpen = true;
  /** Messages larger than this go out in frames of this size (0: never split). */
  autoFragmentSize = 0;
  /** Frames sent, by opcode (Autobahn's `txFrameStats`). */
  readonly txFrameStats: Map<number, number> = new Map();
  /** Frames received, by opcode. */
  readonly rxFrameStats: Map<number, number> = new Map();
  /** Notes for the report (timeouts, violations seen). */
  readonly notes: string[] = [];

  readonly #conn: Deno.Conn;
  readonly #options: FuzzingOptions;
  #handler: FuzzingHandler | null = null;
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  #closeHandshakeTimer: ReturnType<typeof setTimeout> | undefined;

  // Writing.
  #queue: QueuedWrite[] = [];
  #writing = false;
  #pump: Promise<void> = Promise.resolve();
  #closeWhenFlushed = false;
  #connClosed = false;

  // Reading.
  #buffer: Uint8Array = EMPTY;
  #frame:
    | { opcode: number; fin: boolean; rsv: number; mask: Uint8Array | null; length: number }
    | null = null;
  #frameReceived = 0;
  #controlData: Uint8Array[] = [];
  #insideMessage = false;
  #messageBinary = false;
  #messageData: Uint8Array[] = [];
  #utf8: TextDecoder | null = null;
  #messageCompressed = false;

  // Sending a message frame by frame (beginMessage / sendMessageFrameData).
  #streamOpcode = 1;
  #streamFirst = true;
  #streamMask: Uint8Array | null = null;
  #streamLeft = 0;
  #streamSent = 0;

  /** Whether a per-message extension (permessage-deflate) was agreed. */
  get extensionInUse(): boolean {
    return (this.#options.extension ?? null) !== null;
  }

  /**
   * Wraps a connection whose opening handshake is complete.
   *
   * @param conn The TCP connection; this object owns it from now on.
   * @param options Role and timing.
   */
  constructor(conn: Deno.Conn, options: FuzzingOptions) {
    this.#conn = conn;
    this.#options = options;
    this.isServer = options.isServer;
    // Chopped writes should leave as separate segments, as Autobahn's do.
    if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true);
  }

  /**
   * Runs the connection until the TCP connection is gone.
   *
   * @param handler The case.
   * @returns Resolves after `onConnectionLost`, once every read, write and timer has settled.
   */
  async run(handler: FuzzingHandler): Promise<void> {
    this.#handler = handler;
    this.#later(this.#options.watchdogMs / 1000, () => {
      this.notes.push("case watchdog: the connection was still open, dropped it");
      this.wasNotCleanReason ??= "case watchdog expired";
      this.dropConnection(true);
    }, false);
    const preamble = this.#options.preamble;
    if (preamble !== undefined) this.#queue.push({ data: preamble, sync: false });
    handler.onOpen();
    if (this.#queue.length > 0 && !this.#writing) {
      this.#writing = true;
      this.#pump = this.#writeLoop();
    }
    if (this.#options.leftover !== undefined && this.#options.leftover.length > 0) {
      this.#receive(this.#options.leftover);
    }
    const chunk = new Uint8Array(64 * 1024);
    try {
      while (!this.#connClosed) {
        const n = await this.#conn.read(chunk);
        if (n === null) break;
        if (this.state === "closed") continue;
        this.#receive(chunk.slice(0, n));
      }
    } catch {
      // A reset, or our own close(): either way the connection is gone.
    }
    // The peer dropped TCP (or we did): Twisted's connectionLost.
    this.state = "closed";
    this.#closeConn();
    await this.#pump;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    if (!this.wasClean && !this.droppedByMe && this.wasNotCleanReason === null) {
      this.wasNotCleanReason =
        "peer dropped the TCP connection without previous WebSocket closing handshake";
    }
    handler.onConnectionLost();
  }

  // --- timers (Autobahn's killAfter / closeAfter / continueLater) ----------------

  #later(seconds: number, fn: () => void, scaled = true): ReturnType<typeof setTimeout> {
    const ms = seconds * 1000 * (scaled ? this.#options.patience : 1);
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (this.state !== "closed") fn();
    }, ms);
    this.#timers.add(timer);
    return timer;
  }

  #cancel(timer: ReturnType<typeof setTimeout> | undefined): void {
    if (timer === undefined) return;
    clearTimeout(timer);
    this.#timers.delete(timer);
  }

  /** Fails the connection after `seconds` unless it closed before. */
  killAfter(seconds: number): void {
    this.#later(seconds, () => {
      this.notes.push(`killAfter(${seconds}) expired: failing the connection`);
      this.failConnection();
    });
  }

  /** Starts the closing handshake after `seconds` unless it closed before. */
  closeAfter(seconds: number): void {
    this.#later(seconds, () => this.sendClose());
  }

  /** Runs `fn` after `seconds` (not scaled: cases measure with it) if still connected. */
  continueLater(seconds: number, fn: () => void): void {
    this.#later(seconds, fn, false);
  }

  // --- sending ------------------------------------------------------------------

  /**
   * Queues raw bytes. `chopsize` splits them into separate writes; `sync`
   * writes them on their own and yields to the event loop afterwards.
   */
  sendData(data: Uint8Array, sync = false, chopsize = 0): void {
    if (this.state === "closed" || this.#connClosed) return;
    if (chopsize > 0) {
      for (let at = 0; at < data.length; at += chopsize) {
        this.#queue.push({ data: data.subarray(at, at + chopsize), sync: true });
      }
    } else {
      this.#queue.push({ data, sync });
    }
    if (!this.#writing) {
      this.#writing = true;
      this.#pump = this.#writeLoop();
    }
  }

  async #writeLoop(): Promise<void> {
    try {
      while (this.#queue.length > 0 && !this.#connClosed) {
        const first = this.#queue.shift()!;
        let data = first.data;
        if (!first.sync) {
          // Frames written in one go by Autobahn leave in one TCP write here too.
          const parts = [data];
          let size = data.length;
          while (
            this.#queue.length > 0 && !this.#queue[0]!.sync &&
            size + this.#queue[0]!.data.length <= WRITE_BATCH
          ) {
            const next = this.#queue.shift()!;
            parts.push(next.data);
            size += next.data.length;
          }
          if (parts.length > 1) data = concat(parts);
        }
        await writeAll(this.#conn, data);
        // Chopped and synced writes give the peer a chance to read them alone.
        if (first.sync) await new Promise((resolve) => setTimeout(resolve, 0));
      }
    } catch {
      // The peer is gone; the read loop reports it.
      this.#queue = [];
    } finally {
      this.#writing = false;
      if (this.#closeWhenFlushed) this.#closeConn();
    }
  }

  /** Autobahn's `sendFrame`: one frame, exactly as asked (a client masks it). */
  sendFrame(opcode: number, options: SendFrameOptions = {}): void {
    if (this.state === "closed") return;
    let payload = options.payload ?? EMPTY;
    if (options.payloadLen !== undefined) payload = repeatTo(payload, options.payloadLen);
    const frame = encodeFrame(opcode, payload, {
      fin: options.fin ?? true,
      rsv: options.rsv ?? 0,
      mask: this.isServer ? null : randomMask(),
    });
    this.txFrameStats.set(opcode, (this.txFrameStats.get(opcode) ?? 0) + 1);
    this.sendData(frame, options.sync ?? false, options.chopsize ?? 0);
  }

  /**
   * Autobahn's `sendMessage`: one frame, or frames of `fragmentSize` (or
   * `autoFragmentSize`) bytes.
   */
  sendMessage(
    payload: Uint8Array,
    options: { binary?: boolean; fragmentSize?: number; sync?: boolean } = {},
  ): void {
    if (this.state !== "open") return;
    const opcode = options.binary ? 2 : 1;
    const size = options.fragmentSize ??
      (this.autoFragmentSize > 0 ? this.autoFragmentSize : undefined);
    const sync = options.sync ?? false;
    // RFC 7692 §6.1: an extension's message has RSV1 on its first frame only.
    const extension = this.#options.extension ?? null;
    const rsv = extension === null ? 0 : 4;
    if (extension !== null) payload = extension.encode(payload);
    if (size === undefined || payload.length <= size) {
      this.sendFrame(opcode, { payload, sync, rsv });
      return;
    }
    for (let at = 0; at < payload.length; at += size) {
      const end = Math.min(at + size, payload.length);
      this.sendFrame(at === 0 ? opcode : 0, {
        payload: payload.subarray(at, end),
        fin: end === payload.length,
        sync,
        rsv: at === 0 ? rsv : 0,
      });
    }
  }

  /** Starts a message sent frame by frame (Autobahn's streaming API). */
  beginMessage(binary = false): void {
    if (this.state !== "open") return;
    this.#streamOpcode = binary ? 2 : 1;
    this.#streamFirst = true;
  }

  /** Starts a frame of `length` bytes whose payload follows in pieces; FIN is clear. */
  beginMessageFrame(length: number): void {
    if (this.state !== "open") return;
    const opcode = this.#streamFirst ? this.#streamOpcode : 0;
    this.#streamFirst = false;
    this.#streamMask = this.isServer ? null : randomMask();
    this.#streamLeft = length;
    this.#streamSent = 0;
    this.txFrameStats.set(opcode, (this.txFrameStats.get(opcode) ?? 0) + 1);
    this.sendData(frameHeader(opcode, false, 0, length, this.#streamMask));
  }

  /** Sends the next piece of the current frame's payload (masked as it goes). */
  sendMessageFrameData(data: Uint8Array): void {
    if (this.state !== "open") return;
    const piece = data.slice(0, Math.min(data.length, this.#streamLeft));
    if (this.#streamMask !== null) xorMask(piece, this.#streamMask, this.#streamSent & 3);
    this.#streamSent += piece.length;
    this.#streamLeft -= piece.length;
    this.sendData(piece);
  }

  /** Ends the message with an empty final continuation frame. */
  endMessage(): void {
    if (this.state !== "open") return;
    this.sendFrame(0, { fin: true });
  }

  /**
   * Autobahn's `sendCloseFrame`: deliberately sends any payload, valid or
   * not. Only in the open state; moves to closing.
   */
  sendCloseFrame(
    code: number | null = null,
    reason: Uint8Array | null = null,
    isReply = false,
  ): void {
    if (this.state !== "open") return;
    const parts: Uint8Array[] = [];
    if (code !== null) parts.push(new Uint8Array([(code >>> 8) & 0xff, code & 0xff]));
    if (reason !== null) parts.push(reason);
    this.sendFrame(8, { payload: concat(parts) });
    this.state = "closing";
    this.closedByMe = !isReply;
    this.localCloseCode = code;
    this.localCloseReason = reason;
    if (this.closedByMe) {
      this.#closeHandshakeTimer = this.#later(CLOSE_HANDSHAKE_TIMEOUT, () => {
        this.wasClean = false;
        this.wasNotCleanReason = "peer did not respond (in time) in closing handshake";
        this.wasCloseHandshakeTimeout = true;
        this.dropConnection(true);
      });
    }
  }

  /** Autobahn's `sendClose`: a valid close frame (1000 or 3000–4999, reason cut to 123 bytes). */
  sendClose(code: number | null = null, reason: string | null = null): void {
    if (code !== null && code !== 1000 && !(code >= 3000 && code <= 4999)) {
      throw new RangeError(`sendClose: invalid close code ${code}`);
    }
    if (reason !== null && code === null) throw new Error("sendClose: a reason needs a code");
    this.sendCloseFrame(code, reason === null ? null : truncate(utf8(reason), 123));
  }

  /**
   * Fails the connection: with a close frame (`failByDrop: false`), or by
   * dropping TCP when already closing or when `failByDrop` is set.
   */
  failConnection(code = 1001, reason = "going away"): void {
    if (this.state === "closed") return;
    this.failedByMe = true;
    if (this.#options.failByDrop) {
      this.wasClean = false;
      this.wasNotCleanReason = "I failed the WebSocket connection by dropping the TCP connection";
      this.dropConnection(true);
    } else if (this.state !== "closing") {
      this.sendCloseFrame(code, truncate(utf8(reason), 123));
    } else {
      this.dropConnection(false);
    }
  }

  /** Drops the TCP connection: at once (`abort`), or once queued bytes are written. */
  dropConnection(abort: boolean): void {
    if (this.state === "closed") return;
    this.droppedByMe = true;
    this.state = "closed";
    if (abort || !this.#writing) {
      this.#queue = [];
      this.#closeConn();
    } else {
      this.#closeWhenFlushed = true;
    }
  }

  #closeConn(): void {
    if (this.#connClosed) return;
    this.#connClosed = true;
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
  }

  #protocolViolation(reason: string): void {
    this.notes.push(`peer violated the protocol: ${reason}`);
    this.failConnection(1002, reason);
  }

  #invalidPayload(reason: string): void {
    this.notes.push(`peer sent an invalid payload: ${reason}`);
    this.failConnection(1007, reason);
  }

  // --- receiving ----------------------------------------------------------------

  #receive(chunk: Uint8Array): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : concat([this.#buffer, chunk]);
    while (this.state !== "closed" && this.#processData());
  }

  // One step of Autobahn's processData: a header, or a piece of payload.
  #processData(): boolean {
    const data = this.#buffer;
    const frame = this.#frame;
    if (frame === null) {
      const read = readFrameHead(data);
      if (read === null) return false;
      const { head, size } = read;
      // The checks Autobahn makes on every frame a peer sends (it keeps
      // reading after failing, to see the peer's close frame).
      // RFC 7692 §6: with an extension agreed, RSV1 marks a message's first frame.
      const compressedStart = head.rsv === 4 && this.extensionInUse && head.opcode >= 1 &&
        head.opcode <= 2;
      if (head.rsv !== 0 && !compressedStart) {
        this.#protocolViolation(
          this.extensionInUse
            ? `RSV = ${head.rsv} on a frame that cannot carry it`
            : `RSV = ${head.rsv} and no extension negotiated`,
        );
      }
      if (this.isServer && head.mask === null) {
        this.#protocolViolation("unmasked client-to-server frame");
      }
      if (!this.isServer && head.mask !== null) {
        this.#protocolViolation("masked server-to-client frame");
      }
      if (head.opcode > 7) {
        if (!head.fin) this.#protocolViolation("fragmented control frame");
        if (head.length > 125) {
          this.#protocolViolation("control frame with payload length > 125 octets");
        }
        if (head.opcode > 10) {
          this.#protocolViolation(`control frame using reserved opcode ${head.opcode}`);
        }
        if (head.opcode === 8 && head.length === 1) {
          this.#protocolViolation("received close control frame with payload len 1");
        }
      } else {
        if (head.opcode > 2) {
          this.#protocolViolation(`data frame using reserved opcode ${head.opcode}`);
        }
        if (!this.#insideMessage && head.opcode === 0) {
          this.#protocolViolation("received continuation data frame outside fragmented message");
        }
        if (this.#insideMessage && head.opcode !== 0) {
          this.#protocolViolation(
            "received non-continuation data frame while inside fragmented message",
          );
        }
      }
      if (head.nonMinimal) this.#protocolViolation("frame length not in the minimal encoding");
      if (head.tooLong) this.#protocolViolation("frame length above 2^63");
      this.#buffer = data.subarray(size);
      this.#frame = {
        opcode: head.opcode,
        fin: head.fin,
        rsv: head.rsv,
        mask: head.mask,
        length: head.length,
      };
      this.#frameReceived = 0;
      this.#frameBegin();
      if (head.length === 0) {
        this.#frameEnd();
        return true;
      }
      return this.#buffer.length > 0;
    }
    const want = frame.length - this.#frameReceived;
    const take = Math.min(want, data.length);
    const piece = data.slice(0, take);
    this.#buffer = data.subarray(take);
    if (frame.mask !== null) xorMask(piece, frame.mask, this.#frameReceived & 3);
    this.#frameReceived += take;
    this.#frameData(piece);
    if (this.#frameReceived === frame.length) this.#frameEnd();
    return this.#buffer.length > 0;
  }

  #frameBegin(): void {
    const frame = this.#frame!;
    this.rxFrameStats.set(frame.opcode, (this.rxFrameStats.get(frame.opcode) ?? 0) + 1);
    if (frame.opcode > 7) {
      this.#controlData = [];
      return;
    }
    if (!this.#insideMessage) {
      this.#insideMessage = true;
      this.#messageBinary = frame.opcode === 2;
      this.#messageData = [];
      // Compressed text is checked once decoded, at the end.
      this.#messageCompressed = frame.rsv !== 0;
      this.#utf8 = frame.opcode === 1 && !this.#messageCompressed
        ? new TextDecoder("utf-8", { fatal: true })
        : null;
    }
  }

  #frameData(piece: Uint8Array): void {
    if (this.#frame!.opcode > 7) {
      this.#controlData.push(piece);
      return;
    }
    if (this.#utf8 !== null) {
      try {
        this.#utf8.decode(piece, { stream: true });
      } catch {
        this.#utf8 = null;
        this.#invalidPayload("encountered invalid UTF-8 while processing text message");
      }
    }
    if (!this.failedByMe) this.#messageData.push(piece);
  }

  #frameEnd(): void {
    const frame = this.#frame!;
    this.#frame = null;
    if (frame.opcode > 7) {
      this.#controlFrame(frame.opcode, concat(this.#controlData));
      this.#controlData = [];
      return;
    }
    if (!frame.fin) return;
    if (this.#utf8 !== null) {
      try {
        this.#utf8.decode();
      } catch {
        this.#invalidPayload("UTF-8 text message payload ended within Unicode code point");
      }
    }
    this.#insideMessage = false;
    this.#utf8 = null;
    let message = concat(this.#messageData);
    this.#messageData = [];
    if (this.#messageCompressed && !this.failedByMe) {
      try {
        message = this.#options.extension!.decode(message);
        if (!this.#messageBinary) new TextDecoder("utf-8", { fatal: true }).decode(message);
      } catch (error) {
        this.#invalidPayload(`could not decode a compressed message: ${(error as Error).message}`);
        return;
      }
    }
    // Autobahn hands nothing on once it failed the connection itself.
    if (!this.failedByMe) this.#handler!.onMessage(message, this.#messageBinary);
  }

  #controlFrame(opcode: number, payload: Uint8Array): void {
    if (opcode === 8) {
      const code = payload.length > 1 ? (payload[0]! << 8) | payload[1]! : null;
      const reason = payload.length > 2 ? payload.subarray(2) : null;
      this.#onCloseFrame(code, reason);
    } else if (opcode === 9) {
      // Autobahn's base protocol answers pings while open; cases do not see them.
      if (this.state === "open") this.sendFrame(10, { payload });
    } else if (opcode === 10) {
      this.#handler!.onPong(payload);
    }
  }

  #onCloseFrame(code: number | null, reason: Uint8Array | null): void {
    this.remoteCloseCode = null;
    this.remoteCloseReason = null;
    if (code !== null && !isAllowedCloseCode(code)) {
      this.#protocolViolation(`invalid close code ${code}`);
      this.remoteCloseCode = 1000;
    } else {
      this.remoteCloseCode = code;
    }
    if (reason !== null) {
      try {
        this.remoteCloseReason = new TextDecoder("utf-8", { fatal: true }).decode(reason);
      } catch {
        this.#invalidPayload("invalid close reason (non-UTF8 payload)");
      }
    }
    if (this.state === "closing") {
      // The reply to our close frame (or the peer's close after we failed).
      this.#cancel(this.#closeHandshakeTimer);
      this.wasClean = true;
      if (this.isServer) {
        this.dropConnection(true);
      } else {
        this.#later(SERVER_CONNECTION_DROP_TIMEOUT, () => {
          this.wasClean = false;
          this.wasNotCleanReason = "server did not drop TCP connection (in time)";
          this.wasServerConnectionDropTimeout = true;
          this.dropConnection(true);
        });
      }
    } else if (this.state === "open") {
      // The peer starts the closing handshake: reply with 1000 (Autobahn
      // does not echo the peer's code unless told to).
      this.wasClean = true;
      this.sendCloseFrame(1000, null, true);
      if (this.isServer) this.dropConnection(false);
    }
  }
}

function truncate(data: Uint8Array, max: number): Uint8Array {
  if (data.length <= max) return data;
  let end = max;
  while (end > 0 && (data[end]! & 0xc0) === 0x80) end--;
  return data.subarray(0, end);
}
