/**
 * Shared helpers of the edge tests: a `QWebSocketServer` answering through
 * `handleRequest()` behind `Deno.serve` on 127.0.0.1 (port 0), a raw TCP
 * client for handshakes and frames real clients would not send, and
 * bounded waits.
 *
 * @module
 */

import assert from "node:assert/strict";
import { type QWebSocket, QWebSocketServer } from "../../mod.ts";
import { encodeFrame, firstHeaderByte } from "../../lib/protocol/frame.ts";
import { within } from "../_within.ts";

export { within };

/** How long any single wait may take: generous, the machine is shared. */
export const WAIT_MS = 20_000;

/** The `Sec-WebSocket-Key` of RFC 6455 §1.3 and its accept value. */
export const RFC_KEY = "dGhlIHNhbXBsZSBub25jZQ==";
/** The `Sec-WebSocket-Accept` value for {@linkcode RFC_KEY}. */
export const RFC_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/** Opcodes, for raw frames. */
export const OP = { text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

/** Waits, bounded, for the next event of `type` on `target`. */
export function nextEvent<E extends Event = Event>(
  target: EventTarget,
  type: string,
  ms = WAIT_MS,
): Promise<E> {
  let listener: (event: Event) => void;
  const fired = new Promise<E>((resolve) => {
    listener = (event) => resolve(event as E);
    target.addEventListener(type, listener, { once: true });
  });
  return within(fired, `the "${type}" event`, ms).finally(() =>
    target.removeEventListener(type, listener)
  );
}

/** A `QWebSocketServer` behind `Deno.serve`, every request going to `handleRequest()`. */
export class EdgeServer {
  readonly server: QWebSocketServer;
  readonly http: Deno.HttpServer<Deno.NetAddr>;
  /** The `ws://127.0.0.1:port` base URL. */
  readonly url: string;
  /** The port. */
  readonly port: number;
  readonly #taken: QWebSocket[] = [];

  /**
   * Starts serving. `route` may answer a request itself (return a
   * `Response`) before it reaches `handleRequest()`.
   */
  constructor(
    server = new QWebSocketServer("", QWebSocketServer.SslMode.NonSecureMode),
    route?: (request: Request) => Response | null,
  ) {
    this.server = server;
    this.http = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req, info) => {
      return route?.(req) ?? server.handleRequest(req, info);
    });
    this.port = this.http.addr.port;
    this.url = `ws://127.0.0.1:${this.port}`;
  }

  /** Takes the next client, waiting for `newConnection` when none is queued. */
  async nextClient(): Promise<QWebSocket> {
    const socket = this.server.nextPendingConnection() ??
      (await nextEvent(this.server, "newConnection"), this.server.nextPendingConnection());
    assert.ok(socket !== null, "newConnection fired with an empty queue");
    this.#taken.push(socket);
    return socket;
  }

  /** Disposes of the taken sockets, the server and the HTTP server. */
  async [Symbol.asyncDispose](): Promise<void> {
    await Promise.all(
      this.#taken.map((socket) => within(socket[Symbol.asyncDispose](), "dispose")),
    );
    await this.server[Symbol.asyncDispose]();
    await this.http.shutdown();
  }
}

/** Collects the events of a server's socket. */
export class Recorder {
  readonly messages: Array<string | Uint8Array> = [];
  readonly frames: Array<{ frame: string | Uint8Array; isLastFrame: boolean }> = [];
  readonly errors: string[] = [];
  readonly events: string[] = [];
  readonly pongs: Uint8Array[] = [];
  readonly written: number[] = [];
  readonly disconnected: Promise<void>;
  #wake: (() => void) | null = null;

  constructor(readonly socket: QWebSocket) {
    socket.addEventListener("textMessageReceived", (e) => this.#push(e.message));
    socket.addEventListener("binaryMessageReceived", (e) => this.#push(e.message));
    socket.addEventListener("textFrameReceived", (e) => {
      this.frames.push({ frame: e.frame, isLastFrame: e.isLastFrame });
    });
    socket.addEventListener("binaryFrameReceived", (e) => {
      this.frames.push({ frame: e.frame, isLastFrame: e.isLastFrame });
    });
    socket.addEventListener("pong", (e) => this.pongs.push(e.payload));
    socket.addEventListener("bytesWritten", (e) => this.written.push(e.bytes));
    socket.addEventListener("error", () => this.errors.push(socket.errorString()));
    for (const type of ["aboutToClose", "readChannelFinished", "disconnected"] as const) {
      socket.addEventListener(type, () => this.events.push(type));
    }
    this.disconnected = new Promise((resolve) => {
      socket.addEventListener("disconnected", () => resolve(), { once: true });
    });
  }

  #push(message: string | Uint8Array): void {
    this.messages.push(message);
    this.#wake?.();
  }

  /** Waits (bounded) until `count` messages have arrived. */
  async messageCount(count: number): Promise<void> {
    while (this.messages.length < count) {
      await within(new Promise<void>((resolve) => (this.#wake = resolve)), `message ${count}`);
    }
  }

  /** Waits (bounded) for `disconnected`. */
  ended(): Promise<void> {
    return within(this.disconnected, "disconnected");
  }
}

/** A Deno built-in `WebSocket` client, with its messages and close event collected. */
export class DenoClient {
  readonly ws: WebSocket;
  readonly messages: Array<string | ArrayBuffer> = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<CloseEvent>;
  #wake: (() => void) | null = null;

  constructor(url: string, protocols?: string[], headers?: Record<string, string>) {
    // Deno's WebSocket takes extra headers (an Origin, say) in its options.
    this.ws = headers === undefined
      ? new WebSocket(url, protocols)
      : new WebSocket(url, { protocols, headers } as unknown as string[]);
    this.ws.binaryType = "arraybuffer";
    this.ws.addEventListener("message", (e) => {
      this.messages.push(e.data);
      this.#wake?.();
    });
    this.opened = new Promise((resolve, reject) => {
      this.ws.addEventListener("open", () => resolve(), { once: true });
      this.ws.addEventListener("error", (e) => reject(new Error((e as ErrorEvent).message)), {
        once: true,
      });
    });
    this.opened.catch(() => {});
    this.closed = new Promise((resolve) => {
      this.ws.addEventListener("close", (e) => resolve(e), { once: true });
    });
  }

  /** Waits (bounded) until `count` messages have arrived. */
  async messageCount(count: number): Promise<void> {
    while (this.messages.length < count) {
      await within(new Promise<void>((resolve) => (this.#wake = resolve)), `message ${count}`);
    }
  }

  /** Waits (bounded) for the close event. */
  end(): Promise<CloseEvent> {
    return within(this.closed, "the client's close event");
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A raw TCP client speaking bytes, for handshakes and frames. */
export class RawClient {
  readonly #conn: Deno.TcpConn;
  #buffer = new Uint8Array(0);
  #closed = false;

  private constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
  }

  static async connect(port: number): Promise<RawClient> {
    return new RawClient(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  /** Sends text (a request head) or bytes. */
  async send(data: string | Uint8Array): Promise<void> {
    await this.#conn.write(typeof data === "string" ? encoder.encode(data) : data);
  }

  /** Sends one masked frame (a client's). */
  async sendFrame(opcode: number, payload: Uint8Array, fin = true): Promise<void> {
    await this.send(encodeFrame(firstHeaderByte(fin, 0, opcode), payload, 0x37fa213d));
  }

  async #fill(ms = WAIT_MS): Promise<boolean> {
    const chunk = new Uint8Array(65536);
    const n = await within(this.#conn.read(chunk), "bytes from the server", ms);
    if (n === null) return false;
    const next = new Uint8Array(this.#buffer.length + n);
    next.set(this.#buffer);
    next.set(chunk.subarray(0, n), this.#buffer.length);
    this.#buffer = next;
    return true;
  }

  /** Reads a response head; returns its status, headers (lower-case names) and body so far. */
  async readResponse(): Promise<{ status: number; headers: Map<string, string>; head: string }> {
    let end: number;
    while ((end = decoder.decode(this.#buffer).indexOf("\r\n\r\n")) < 0) {
      if (!(await this.#fill())) throw new Error("The server closed before a full response head");
    }
    const text = decoder.decode(this.#buffer);
    const head = text.slice(0, end);
    this.#buffer = encoder.encode(text.slice(end + 4));
    const [statusLine, ...lines] = head.split("\r\n");
    const headers = new Map<string, string>();
    for (const line of lines) {
      const colon = line.indexOf(":");
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    return { status: Number(statusLine!.split(" ")[1]), headers, head };
  }

  /** Reads one unmasked frame (a server's); `null` at the end of the stream. */
  async readFrame(
    ms = WAIT_MS,
  ): Promise<{ opcode: number; fin: boolean; payload: Uint8Array } | null> {
    for (;;) {
      const b = this.#buffer;
      if (b.length >= 2) {
        let length = b[1]! & 0x7f;
        let offset = 2;
        if (length === 126 && b.length >= 4) {
          length = (b[2]! << 8) | b[3]!;
          offset = 4;
        } else if (length === 127 && b.length >= 10) {
          length = Number(new DataView(b.buffer, b.byteOffset + 2, 8).getBigUint64(0));
          offset = 10;
        }
        if ((b[1]! & 0x7f) < 126 || offset > 2) {
          if (b.length >= offset + length) {
            const frame = {
              opcode: b[0]! & 0x0f,
              fin: (b[0]! & 0x80) !== 0,
              payload: b.slice(offset, offset + length),
            };
            this.#buffer = b.slice(offset + length);
            return frame;
          }
        }
      }
      if (!(await this.#fill(ms))) return null;
    }
  }

  /** Reads until the server closes the connection. */
  async readToEnd(): Promise<void> {
    while (await this.#fill()) this.#buffer = new Uint8Array(0);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // Closed by the server already.
    }
  }
}

/** An upgrade request head for a raw client. */
export function upgradeHead(
  port: number,
  path = "/",
  extra: Record<string, string> = {},
): string {
  const headers: Record<string, string> = {
    Host: `127.0.0.1:${port}`,
    Upgrade: "websocket",
    Connection: "Upgrade",
    "Sec-WebSocket-Key": RFC_KEY,
    "Sec-WebSocket-Version": "13",
    ...extra,
  };
  let head = `GET ${path} HTTP/1.1\r\n`;
  for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
  return head + "\r\n";
}

/** The two bytes of a close code, then a UTF-8 reason. */
export function closePayload(code: number, reason = ""): Uint8Array {
  const text = encoder.encode(reason);
  const payload = new Uint8Array(2 + text.length);
  payload[0] = code >> 8;
  payload[1] = code & 0xff;
  payload.set(text, 2);
  return payload;
}

/** The code and reason of a close frame's payload. */
export function parseClose(payload: Uint8Array): { code: number; reason: string } {
  if (payload.length < 2) return { code: 1005, reason: "" };
  return { code: (payload[0]! << 8) | payload[1]!, reason: decoder.decode(payload.subarray(2)) };
}
