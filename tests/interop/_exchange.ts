/**
 * The exchange every interop pair runs against an echo peer, in either role:
 * text and binary at each length boundary (echoed back and reported by the
 * peer as size + SHA-256), our own fragmentation, pings both ways, and the
 * closing handshake started by either side.
 *
 * An echo peer echoes every message except commands: text messages that are
 * JSON objects starting with `{"cmd"`:
 * - `{"cmd":"ping","payload":"<hex>"}`: the peer pings and reports
 *   `{"event":"pong","payload":"<hex>"}` when the pong arrives;
 * - `{"cmd":"close","code":N,"reason":"..."}`: the peer starts the closing
 *   handshake with that code and reason;
 * - `{"cmd":"send","kind":"text"|"binary","size":N}`: the peer sends a message
 *   of N bytes (not echoed back).
 * It sends a text message starting with "greeting from" as soon as it is
 * connected, and reports each message as `{"event":"text"|"binary","size":N,"sha256":"..."}`,
 * and the end as `{"event":"disconnected","closeCode":N,"closeReason":"..."}`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { QAbstractSocket, type QWebSocket } from "../../mod.ts";
import { BOUND, type PeerEvent, within } from "./_peer.ts";
import { CLOSE_REASON, makeBinary, makeText, sha256Hex, SIZES, toHex } from "./_payloads.ts";

/** Where a peer's reports come from: a process's JSON lines, or an in-process log. */
export interface PeerReports {
  /** Takes the first report of `event` not taken yet, waiting (bounded) for it. */
  expect(event: string, ms?: number): Promise<PeerEvent>;
}

/** An in-process peer's reports (for Deno's built-in WebSocket). */
export class ReportLog implements PeerReports {
  readonly #events: PeerEvent[] = [];
  readonly #waiters = new Set<() => void>();

  /** Records a report. */
  report(event: PeerEvent): void {
    this.#events.push(event);
    for (const waiter of [...this.#waiters]) waiter();
  }

  async expect(event: string, ms = BOUND): Promise<PeerEvent> {
    let check: () => void = () => {};
    const arrived = new Promise<PeerEvent>((resolve) => {
      check = () => {
        const at = this.#events.findIndex((e) => e.event === event);
        if (at < 0) return;
        this.#waiters.delete(check);
        resolve(this.#events.splice(at, 1)[0]!);
      };
      this.#waiters.add(check);
      check();
    });
    try {
      return await within(arrived, `the peer to report "${event}"`, ms);
    } finally {
      this.#waiters.delete(check);
    }
  }
}

/** A command for an echo peer (see the module doc). */
export function command(
  cmd:
    | { cmd: "ping"; payload: string }
    | { cmd: "close"; code: number; reason: string }
    | { cmd: "send"; kind: "text" | "binary"; size: number },
): string {
  return JSON.stringify(cmd);
}

/** A queue whose `shift()` waits (bounded) for the next item. */
class AsyncQueue<T> {
  readonly #items: T[] = [];
  #wake: (() => void) | null = null;

  push(item: T): void {
    this.#items.push(item);
    this.#wake?.();
  }

  async shift(what: string, ms = BOUND): Promise<T> {
    if (this.#items.length === 0) {
      await within(new Promise<void>((resolve) => (this.#wake = resolve)), what, ms)
        .finally(() => (this.#wake = null));
    }
    return this.#items.shift()!;
  }

  get length(): number {
    return this.#items.length;
  }
}

/** Collects what one `QWebSocket` receives, for bounded waits. */
export class SocketProbe {
  readonly #messages = new AsyncQueue<string | Uint8Array>();
  readonly #pongs = new AsyncQueue<Uint8Array>();
  readonly #disconnected: Promise<void>;
  /** `errorString()` at each `error` event. */
  readonly errors: string[] = [];
  /** The number of `textFrameReceived` / `binaryFrameReceived` events. */
  frames = 0;
  /** The number of `textMessageReceived` / `binaryMessageReceived` events. */
  messages = 0;

  constructor(readonly socket: QWebSocket) {
    socket.addEventListener("textMessageReceived", (e) => this.#messages.push(e.message));
    socket.addEventListener("binaryMessageReceived", (e) => this.#messages.push(e.message));
    socket.addEventListener("textMessageReceived", () => this.messages++);
    socket.addEventListener("binaryMessageReceived", () => this.messages++);
    socket.addEventListener("textFrameReceived", () => this.frames++);
    socket.addEventListener("binaryFrameReceived", () => this.frames++);
    socket.addEventListener("pong", (e) => this.#pongs.push(e.payload));
    socket.addEventListener("error", () => this.errors.push(socket.errorString()));
    this.#disconnected = new Promise((resolve) => {
      socket.addEventListener("disconnected", () => resolve(), { once: true });
    });
  }

  /** The next message (bounded wait). */
  nextMessage(ms = BOUND): Promise<string | Uint8Array> {
    return this.#messages.shift("a message from the peer", ms);
  }

  /** The payload of the next pong (bounded wait). */
  nextPong(ms = BOUND): Promise<Uint8Array> {
    return this.#pongs.shift("a pong from the peer", ms);
  }

  /** Waits (bounded) for `disconnected`. */
  disconnected(ms = BOUND): Promise<void> {
    return within(this.#disconnected, "disconnected", ms);
  }
}

/** Waits (bounded) for a client socket to connect, failing with its error string. */
export async function opened(socket: QWebSocket, ms = BOUND): Promise<void> {
  await within(
    new Promise<void>((resolve, reject) => {
      socket.addEventListener("connected", () => resolve(), { once: true });
      socket.addEventListener(
        "disconnected",
        () => reject(new Error(`Not connected: ${socket.errorString()}`)),
        { once: true },
      );
    }),
    "connected",
    ms,
  );
}

async function echoOnce(
  probe: SocketProbe,
  reports: PeerReports,
  message: string | Uint8Array,
  what: string,
): Promise<void> {
  const socket = probe.socket;
  const queued = typeof message === "string"
    ? socket.sendTextMessage(message)
    : socket.sendBinaryMessage(message);
  const bytes = typeof message === "string" ? new TextEncoder().encode(message) : message;
  assert.equal(queued, bytes.length, `${what}: bytes queued`);
  const report = await reports.expect(typeof message === "string" ? "text" : "binary");
  assert.equal(report.size, bytes.length, `${what}: size the peer received`);
  assert.equal(report.sha256, await sha256Hex(bytes), `${what}: digest of what the peer received`);
  const echo = await probe.nextMessage();
  if (typeof message === "string") {
    assert.equal(typeof echo, "string", `${what}: the echo is text`);
    assert.ok(echo === message, `${what}: the echo differs (${(echo as string).length} chars)`);
  } else {
    assert.ok(echo instanceof Uint8Array, `${what}: the echo is binary`);
    assert.equal(echo.length, message.length, `${what}: echo length`);
    assert.equal(await sha256Hex(echo), await sha256Hex(message), `${what}: echo digest`);
  }
}

/**
 * RFC 6455 §5.6: text (valid UTF-8 with 1–4-byte characters) and binary at
 * every payload length boundary reach the peer intact and come back intact.
 */
export async function echoAtEverySize(probe: SocketProbe, reports: PeerReports): Promise<void> {
  for (const size of SIZES) {
    await echoOnce(probe, reports, makeText(size), `text of ${size} bytes`);
    await echoOnce(probe, reports, makeBinary(size), `binary of ${size} bytes`);
  }
}

/**
 * RFC 6455 §5.4: messages we split into many frames (1000-byte frames, text
 * cut on character boundaries) are reassembled by the peer.
 */
export async function echoFragmented(probe: SocketProbe, reports: PeerReports): Promise<void> {
  const socket = probe.socket;
  const before = socket.outgoingFrameSize();
  socket.setOutgoingFrameSize(1000);
  try {
    await echoOnce(probe, reports, makeText(65536 + 7), "text in 1000-byte frames");
    await echoOnce(probe, reports, makeBinary(65536 + 7), "binary in 1000-byte frames");
  } finally {
    socket.setOutgoingFrameSize(before);
  }
}

/**
 * RFC 6455 §5.4–5.6: 200 messages sent in one go (so both ends read many
 * frames per chunk and frames cut across chunks) come back in order, intact.
 */
export async function echoBurst(probe: SocketProbe, reports: PeerReports): Promise<void> {
  const socket = probe.socket;
  const sent: (string | Uint8Array)[] = [];
  for (let i = 0; i < 200; i++) {
    const size = (i * 7919) % 3000;
    const message = i % 2 === 0 ? makeText(size) : makeBinary(size);
    sent.push(message);
    if (typeof message === "string") socket.sendTextMessage(message);
    else socket.sendBinaryMessage(message);
  }
  for (const [i, message] of sent.entries()) {
    const text = typeof message === "string";
    const bytes = text ? new TextEncoder().encode(message) : message;
    const report = await reports.expect(text ? "text" : "binary");
    assert.equal(report.size, bytes.length, `burst message ${i}: size the peer received`);
    assert.equal(report.sha256, await sha256Hex(bytes), `burst message ${i}: digest`);
    const echo = await probe.nextMessage();
    if (text) assert.ok(echo === message, `burst message ${i}: the text echo differs`);
    else assert.deepEqual(echo, message, `burst message ${i}: the binary echo differs`);
  }
}

/**
 * RFC 6455 §5.5.2–5.5.3: the peer answers our pings with pongs carrying the
 * same payload; `ping()` cuts a longer payload to the 125 bytes a control
 * frame may carry (§5.5), so the peer does not fail the connection.
 */
export async function pingThePeer(probe: SocketProbe): Promise<void> {
  for (const payload of [new Uint8Array(0), makeBinary(125), makeBinary(200)]) {
    probe.socket.ping(payload);
    const pong = await probe.nextPong();
    assert.deepEqual(
      pong,
      payload.subarray(0, 125),
      `pong payload for a ${payload.length}-byte ping`,
    );
  }
}

/** RFC 6455 §5.5.2–5.5.3: we answer the peer's pings with pongs carrying the same payload. */
export async function pingedByThePeer(probe: SocketProbe, reports: PeerReports): Promise<void> {
  for (const payload of [new Uint8Array(0), makeBinary(125)]) {
    probe.socket.sendTextMessage(command({ cmd: "ping", payload: toHex(payload) }));
    const pong = await reports.expect("pong");
    assert.equal(
      pong.payload,
      toHex(payload),
      `the peer's pong for its ${payload.length}-byte ping`,
    );
  }
}

/**
 * RFC 6455 §7.1.2–7.1.6: we close with `code` and a UTF-8 reason; the peer
 * sees exactly those, and we end with a clean closing handshake (the peer's
 * close frame arrived, so our close code is not 1006).
 */
export async function closeFromOurSide(
  probe: SocketProbe,
  reports: PeerReports,
  code = 4000,
  reason = CLOSE_REASON,
  reasonSent = reason,
): Promise<PeerEvent> {
  probe.socket.close(code, reason);
  await probe.disconnected();
  const seen = await reports.expect("disconnected");
  assert.equal(seen.closeCode, code, "the close code the peer saw");
  assert.equal(seen.closeReason, reasonSent, "the close reason the peer saw");
  assert.notEqual(probe.socket.closeCode(), 1006, "our end closed cleanly");
  assert.deepEqual(probe.errors, [], "no error on our end");
  return seen;
}

/**
 * RFC 6455 §7.1.2–7.1.6: the peer closes with `code` and a UTF-8 reason; we
 * see exactly those in `closeCode()` / `closeReason()`, without an error.
 */
export async function closeFromPeerSide(
  probe: SocketProbe,
  reports: PeerReports,
  code = 4001,
  reason = CLOSE_REASON,
): Promise<PeerEvent> {
  probe.socket.sendTextMessage(command({ cmd: "close", code, reason }));
  await probe.disconnected();
  assert.equal(probe.socket.closeCode(), code, "the close code we saw");
  assert.equal(probe.socket.closeReason(), reason, "the close reason we saw");
  assert.deepEqual(probe.errors, [], "no error on our end");
  const seen = await reports.expect("disconnected");
  // RFC 6455 §5.5.1: our reply echoes the status code.
  assert.equal(seen.closeCode, code, "the close code the peer got back");
  return seen;
}

/**
 * RFC 6455 §4.1, §4.2.2: a message the peer sent as soon as it was connected
 * (so it may share a TCP segment with the end of the handshake) is the first
 * one we receive.
 */
export async function greeted(probe: SocketProbe): Promise<void> {
  const greeting = await probe.nextMessage();
  assert.equal(typeof greeting, "string", "the greeting is text");
  assert.match(greeting as string, /^greeting from /, "the first message is the peer's greeting");
}

/** A 220-byte close reason of 2- and 4-byte characters: too long for a close frame. */
export const LONG_REASON: string = "é".repeat(50) + "😀".repeat(30);

/**
 * RFC 6455 §5.5: a close frame carries at most 123 bytes of reason; we cut a
 * longer one on a character boundary, so the peer (which must fail invalid
 * UTF-8 with 1007, §8.1) sees the longest whole-character prefix.
 */
export async function closeWithLongReason(
  probe: SocketProbe,
  reports: PeerReports,
): Promise<void> {
  let expected = "";
  for (const char of LONG_REASON) {
    if (new TextEncoder().encode(expected + char).length > 123) break;
    expected += char;
  }
  await closeFromOurSide(probe, reports, 4002, LONG_REASON, expected);
}

/**
 * RFC 6455 §7.4.1 (1009): a message over our `maxAllowedIncomingMessageSize()`
 * fails the connection with 1009, and the peer, still sending, gets that
 * close frame (not a reset connection, which it would report as 1006).
 */
export async function messageTooBig(probe: SocketProbe, reports: PeerReports): Promise<void> {
  probe.socket.setMaxAllowedIncomingMessageSize(65536);
  probe.socket.sendTextMessage(command({ cmd: "send", kind: "binary", size: 4 * 1024 * 1024 }));
  await probe.disconnected();
  assert.equal(probe.socket.closeCode(), 1009, "our closeCode()");
  const seen = await reports.expect("disconnected");
  assert.equal(seen.closeCode, 1009, "the close code the peer saw");
  assert.match(String(seen.closeReason), /65536/, "the reason names the limit");
}

/**
 * RFC 6455 §7.1.5: when the peer's process dies, its TCP connection ends
 * without a close frame; we end too, with close code 1006 and one error.
 */
export async function peerDied(probe: SocketProbe): Promise<void> {
  await probe.disconnected();
  assert.equal(probe.socket.closeCode(), 1006, "closeCode() after the peer died");
  assert.equal(probe.socket.state(), QAbstractSocket.SocketState.UnconnectedState);
  // As Qt: the dropped connection is reported as RemoteHostClosedError.
  assert.equal(probe.socket.error(), QAbstractSocket.SocketError.RemoteHostClosedError);
  assert.equal(probe.errors.length, 1, "one error event");
}

/**
 * Runs the whole data exchange (everything but the close) against an echo
 * peer: sizes, fragmentation, a burst, pings both ways (`peerPings`: whether the peer
 * can ping on command).
 */
export async function exchange(
  probe: SocketProbe,
  reports: PeerReports,
  peerPings = true,
): Promise<void> {
  await echoAtEverySize(probe, reports);
  await echoFragmented(probe, reports);
  await echoBurst(probe, reports);
  await pingThePeer(probe);
  if (peerPings) await pingedByThePeer(probe, reports);
}
