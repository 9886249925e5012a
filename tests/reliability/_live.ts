/**
 * Live peers for the reliability tests: an echo `QWebSocketServer` that
 * records how each of its sockets ended, raw TCP clients that write exact
 * (hostile) bytes and read everything back with a bound, and a well-behaved
 * `QWebSocket` client that proves the server still serves others.
 *
 * @module
 */

import assert from "node:assert/strict";
import { QWebSocket, QWebSocketServer } from "../../mod.ts";
import { acceptFor, randomKey } from "./_heads.ts";
import type { Prng } from "./_prng.ts";
import { concat, encodeFrame, referenceFrames, type WireFrame } from "./_wire.ts";
import { within } from "../_within.ts";

export { within };

/** Generous bounds: several engineers share two CPU cores. */
export const BOUND = 20_000;

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** How one of the server's sockets ended. */
export interface ServerSocketRecord {
  socket: QWebSocket;
  /** Resolves at `disconnected`. */
  done: Promise<void>;
  errors: number[];
  messages: number;
}

/** Options of {@linkcode startEchoServer}. */
export interface EchoServerOptions {
  handshakeTimeout?: number;
  maxFrameSize?: number;
  maxMessageSize?: number;
  /** Do not echo (for tests that only read). */
  silent?: boolean;
}

/** A running echo server. */
export interface EchoServer {
  server: QWebSocketServer;
  port: number;
  url: string;
  sockets: ServerSocketRecord[];
  /** Closes the server and every socket it accepted; resolves when all are disconnected. */
  dispose(): Promise<void>;
}

/** Starts an echo `QWebSocketServer` on 127.0.0.1, port 0. */
export function startEchoServer(options: EchoServerOptions = {}): EchoServer {
  const server = new QWebSocketServer("", QWebSocketServer.SslMode.NonSecureMode);
  if (options.handshakeTimeout !== undefined) server.setHandshakeTimeout(options.handshakeTimeout);
  if (options.maxFrameSize !== undefined) {
    server.setMaxAllowedIncomingFrameSize(options.maxFrameSize);
  }
  if (options.maxMessageSize !== undefined) {
    server.setMaxAllowedIncomingMessageSize(options.maxMessageSize);
  }
  // The server's own refusals are expected here; listening keeps them quiet.
  server.addEventListener("serverError", () => {});
  const sockets: ServerSocketRecord[] = [];
  server.addEventListener("newConnection", () => {
    for (
      let socket = server.nextPendingConnection();
      socket !== null;
      socket = server.nextPendingConnection()
    ) {
      const s = socket;
      const record: ServerSocketRecord = {
        socket: s,
        done: new Promise((resolve) =>
          s.addEventListener("disconnected", () => resolve(), { once: true })
        ),
        errors: [],
        messages: 0,
      };
      s.addEventListener("error", (e) => record.errors.push(e.error));
      s.addEventListener("textMessageReceived", (e) => {
        record.messages++;
        if (!options.silent) s.sendTextMessage(e.message);
      });
      s.addEventListener("binaryMessageReceived", (e) => {
        record.messages++;
        if (!options.silent) s.sendBinaryMessage(e.message);
      });
      sockets.push(record);
    }
  });
  assert.ok(server.listen("127.0.0.1", 0), server.errorString());
  const port = server.serverPort();
  return {
    server,
    port,
    url: `ws://127.0.0.1:${port}`,
    sockets,
    async dispose() {
      await server[Symbol.asyncDispose]();
      for (const record of sockets) record.socket.abort();
      await within(Promise.all(sockets.map((r) => r.done)), "server sockets to disconnect");
    },
  };
}

/** A raw TCP client that writes exact bytes and reads whatever comes back. */
export class RawPeer {
  readonly conn: Deno.TcpConn;
  #closed = false;
  #received: Uint8Array[] = [];
  #reading: Promise<void> | null = null;
  #eof = false;
  #error: Error | null = null;
  #waiters: Array<() => void> = [];

  private constructor(conn: Deno.TcpConn) {
    this.conn = conn;
  }

  /** Connects to 127.0.0.1:`port`. */
  static async connect(port: number): Promise<RawPeer> {
    return new RawPeer(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  /** Wraps a connection accepted by a {@linkcode RawServer}. */
  static wrap(conn: Deno.TcpConn): RawPeer {
    return new RawPeer(conn);
  }

  /** Writes all of `bytes`; `false` when the server is gone already. */
  async write(bytes: Uint8Array): Promise<boolean> {
    try {
      for (let at = 0; at < bytes.length;) at += await this.conn.write(bytes.subarray(at));
      return true;
    } catch {
      return false;
    }
  }

  /** Writes `chunks` one write each; stops quietly when the server is gone. */
  async writeChunks(chunks: readonly Uint8Array[]): Promise<boolean> {
    for (const chunk of chunks) if (!(await this.write(chunk))) return false;
    return true;
  }

  /** Sends TCP FIN, keeping the read side open. */
  async closeWrite(): Promise<void> {
    try {
      await this.conn.closeWrite();
    } catch {
      // Reset by the server already.
    }
  }

  /** Starts a background reader collecting everything the server sends. */
  startReading(): void {
    if (this.#reading !== null) return;
    this.#reading = (async () => {
      const buffer = new Uint8Array(64 * 1024);
      try {
        while (true) {
          const n = await this.conn.read(buffer);
          if (n === null) break;
          this.#received.push(buffer.slice(0, n));
          this.#wake();
        }
      } catch (error) {
        // A reset (or our own close()) ends the stream as well.
        this.#error = error instanceof Error ? error : new Error(String(error));
      }
      this.#eof = true;
      this.#wake();
    })();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** Everything received so far. */
  received(): Uint8Array {
    return concat(this.#received);
  }

  /** Whether the server's end of the stream (or a reset) has been seen. */
  get ended(): boolean {
    return this.#eof;
  }

  /** The error that ended reading (a reset), if any. */
  get readError(): Error | null {
    return this.#error;
  }

  /** Waits (bounded) until `test(received)` holds or the stream ends. */
  async waitFor(
    test: (bytes: Uint8Array) => boolean,
    what: string,
    ms = BOUND,
  ): Promise<Uint8Array> {
    this.startReading();
    const deadline = Date.now() + ms;
    while (!test(this.received())) {
      if (this.#eof) return this.received();
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
      await within(new Promise<void>((resolve) => this.#waiters.push(resolve)), what, left).catch(
        () => {},
      );
    }
    return this.received();
  }

  /** Waits (bounded) for the server to end the stream; returns everything received. */
  async readToEnd(what = "the server to end the connection", ms = BOUND): Promise<Uint8Array> {
    this.startReading();
    await within(this.#endPromise(), what, ms);
    return this.received();
  }

  #endPromise(): Promise<void> {
    return this.#reading!;
  }

  /**
   * Sends a valid upgrade request and waits for the 101; returns the bytes
   * that followed it.
   */
  async handshake(rng: Prng, path = "/"): Promise<Uint8Array> {
    const key = randomKey(rng);
    await this.write(requestBytes(key, path));
    const bytes = await this.waitFor((b) => headEnd(b) !== -1, "the 101 response");
    const end = headEnd(bytes);
    assert.notEqual(end, -1, "the server ended the connection before answering the handshake");
    const head = new TextDecoder().decode(bytes.subarray(0, end));
    assert.match(head, /^HTTP\/1\.1 101 /, head);
    assert.ok(head.includes(`Sec-WebSocket-Accept: ${await acceptFor(key)}`), head);
    this.#received = [bytes.subarray(end)];
    return bytes.subarray(end);
  }

  /**
   * The server side of the handshake: reads the client's request and answers
   * 101 with the right accept value; returns the request head as text. With
   * `keepReading: false` nothing is read after the request, so this peer
   * stops reading (its receive window fills up).
   */
  async acceptHandshake(options: { keepReading?: boolean } = {}): Promise<string> {
    let bytes: Uint8Array;
    if (options.keepReading === false) {
      // Read the request directly, one byte at a time past its end: no background reader.
      const parts: number[] = [];
      const one = new Uint8Array(1);
      while (headEnd(new Uint8Array(parts)) === -1) {
        const n = await within(this.conn.read(one), "the client's upgrade request");
        if (n === null) break;
        parts.push(one[0]!);
      }
      bytes = new Uint8Array(parts);
    } else {
      bytes = await this.waitFor((b) => headEnd(b) !== -1, "the client's upgrade request");
    }
    const end = headEnd(bytes);
    assert.notEqual(end, -1, "the client ended the connection before its request was complete");
    const head = new TextDecoder().decode(bytes.subarray(0, end));
    const key = /^sec-websocket-key:[ \t]*(\S+)/im.exec(head)?.[1];
    assert.ok(key !== undefined, head);
    this.#received = [bytes.subarray(end)];
    await this.write(
      new TextEncoder().encode(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
          `Sec-WebSocket-Accept: ${await acceptFor(key)}\r\n\r\n`,
      ),
    );
    return head;
  }

  /** Closes at once (a reset when unread data is pending). Safe to call twice; awaits the reader. */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      try {
        this.conn.close();
      } catch {
        // Closed already.
      }
    }
    await this.#reading;
  }
}

/** A raw TCP listener on 127.0.0.1 that plays a (hostile) WebSocket server by hand. */
export class RawServer {
  readonly listener: Deno.TcpListener;
  readonly port: number;

  constructor() {
    this.listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.port = this.listener.addr.port;
  }

  /** ws://127.0.0.1:port */
  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  /** Accepts the next connection (bounded). */
  async accept(): Promise<RawPeer> {
    return RawPeer.wrap(await within(this.listener.accept(), "a client to connect"));
  }

  /** Stops listening. */
  close(): void {
    this.listener.close();
  }
}

/** A valid client upgrade request. */
export function requestBytes(key: string, path = "/", extra = ""): Uint8Array {
  return new TextEncoder().encode(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`,
  );
}

/** The index just past the head's empty line, or -1. */
export function headEnd(bytes: Uint8Array): number {
  for (let i = 3; i < bytes.length; i++) {
    if (
      bytes[i] === 0x0a && bytes[i - 1] === 0x0d && bytes[i - 2] === 0x0a && bytes[i - 3] === 0x0d
    ) {
      return i + 1;
    }
  }
  return -1;
}

/** The status code of the response in `bytes`, or 0 when there is none. */
export function statusOf(bytes: Uint8Array): number {
  const match = /^HTTP\/1\.1 (\d{3}) /.exec(new TextDecoder().decode(bytes.subarray(0, 64)));
  return match === null ? 0 : Number(match[1]);
}

/** An unmasked server frame. */
export function serverFrame(opcode: number, payload: Uint8Array | string, fin = true): Uint8Array {
  const bytes = typeof payload === "string" ? new TextEncoder().encode(payload) : payload;
  return encodeFrame({ fin, rsv: 0, opcode, payload: bytes, mask: null });
}

/** The frames a client sent (masked), and whether they ended cleanly. */
export function clientFrames(bytes: Uint8Array): { frames: WireFrame[]; clean: boolean } {
  const read = referenceFrames(bytes, "server", Number.MAX_SAFE_INTEGER);
  return { frames: read.frames, clean: read.errorCode === null && read.atBoundary };
}

/** A masked client frame. */
export function clientFrame(
  opcode: number,
  payload: Uint8Array | string,
  fin = true,
  mask = 0x12345678,
): Uint8Array {
  const bytes = typeof payload === "string" ? new TextEncoder().encode(payload) : payload;
  return encodeFrame({ fin, rsv: 0, opcode, payload: bytes, mask });
}

/** The frames a server sent (unmasked), and whether they ended cleanly. */
export function serverFrames(bytes: Uint8Array): { frames: WireFrame[]; clean: boolean } {
  const read = referenceFrames(bytes, "client", Number.MAX_SAFE_INTEGER);
  return { frames: read.frames, clean: read.errorCode === null && read.atBoundary };
}

/** The close code of the last close frame in `frames`: 1005 for none in it, `null` when no close frame. */
export function closeCodeOf(frames: readonly WireFrame[]): number | null {
  const close = frames.findLast((f) => f.opcode === 0x8);
  if (close === undefined) return null;
  return close.payload.length < 2 ? 1005 : (close.payload[0]! << 8) | close.payload[1]!;
}

/**
 * A well-behaved client: opens a `QWebSocket`, round-trips a text and a binary
 * message through the echo server, and closes cleanly. Fails the test when
 * the server does not serve it.
 */
export async function goodClientRoundTrip(url: string, what = "a good client"): Promise<void> {
  const socket = new QWebSocket();
  const done = new Promise<void>((resolve) =>
    socket.addEventListener("disconnected", () => resolve(), { once: true })
  );
  try {
    const connected = new Promise<void>((resolve, reject) => {
      socket.addEventListener("connected", () => resolve(), { once: true });
      socket.addEventListener(
        "error",
        () => reject(new Error(`${what}: ${socket.errorString()}`)),
        {
          once: true,
        },
      );
    });
    socket.open(url);
    await within(connected, `${what} to connect`);
    const text = `hello ${crypto.randomUUID()} ✓`;
    const binary = crypto.getRandomValues(new Uint8Array(300));
    const echoedText = new Promise<string>((resolve) =>
      socket.addEventListener("textMessageReceived", (e) => resolve(e.message), { once: true })
    );
    const echoedBinary = new Promise<Uint8Array>((resolve) =>
      socket.addEventListener("binaryMessageReceived", (e) => resolve(e.message), { once: true })
    );
    socket.sendTextMessage(text);
    socket.sendBinaryMessage(binary);
    assert.equal(await within(echoedText, `${what}'s text echo`), text);
    assert.deepEqual(await within(echoedBinary, `${what}'s binary echo`), binary);
    socket.close();
    await within(done, `${what} to close`);
    assert.equal(socket.closeCode(), 1000, `${what}: ${socket.closeReason()}`);
  } finally {
    socket.abort();
    await within(done, `${what} to disconnect`);
  }
}

/** A `QWebSocket` client that stays connected, for checks between hostile batches. */
export class LongLivedClient {
  readonly socket: QWebSocket = new QWebSocket();
  readonly #done: Promise<void>;
  #next = 0;

  constructor() {
    this.#done = new Promise((resolve) =>
      this.socket.addEventListener("disconnected", () => resolve(), { once: true })
    );
  }

  /** Connects (bounded). */
  async open(url: string): Promise<void> {
    const connected = new Promise<void>((resolve, reject) => {
      this.socket.addEventListener("connected", () => resolve(), { once: true });
      this.socket.addEventListener(
        "disconnected",
        () => reject(new Error(this.socket.errorString())),
        {
          once: true,
        },
      );
    });
    this.socket.open(url);
    await within(connected, "the long-lived client to connect");
  }

  /** One echo round trip on the open connection. */
  async roundTrip(what: string): Promise<void> {
    const text = `ping ${this.#next++}`;
    const echoed = new Promise<string>((resolve) =>
      this.socket.addEventListener("textMessageReceived", (e) => resolve(e.message), { once: true })
    );
    assert.ok(
      this.socket.sendTextMessage(text) > 0,
      `${what}: the long-lived client is not connected`,
    );
    assert.equal(await within(echoed, `${what}: the long-lived client's echo`), text);
  }

  /** Closes cleanly (bounded). */
  async close(): Promise<void> {
    this.socket.close();
    await within(this.#done, "the long-lived client to close");
    this.socket.abort();
  }
}
