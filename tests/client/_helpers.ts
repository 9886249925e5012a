/**
 * Helpers of the client tests: bounded waits, an event recorder, Deno's
 * built-in WebSocket server as a real peer, and raw scripted TCP peers that
 * read the upgrade request and write exact bytes. The raw peers compute the
 * accept key and parse frames on their own, so the tests do not trust the
 * code they test.
 *
 * @module
 */

import assert from "node:assert/strict";
import { QAbstractSocket, QWebSocket, type QWebSocketEventMap } from "../../mod.ts";
import { within } from "../_within.ts";

export { within };

/** Generous bounds: several engineers' tests share two CPU cores. */
export const BOUND = 20_000;

/** Resolves with the next event of `type` on `socket`. */
export function nextEvent<K extends keyof QWebSocketEventMap & string>(
  socket: QWebSocket,
  type: K,
): Promise<QWebSocketEventMap[K]> {
  return new Promise((resolve) => {
    socket.addEventListener(type, (e) => resolve(e), { once: true });
  });
}

/** Waits (bounded) for `disconnected`. */
export function disconnected(socket: QWebSocket, what = "disconnected"): Promise<Event> {
  return within(nextEvent(socket, "disconnected"), what);
}

/** Every event type of the Qt 6 QWebSocket page (and PySide6's errorOccurred, authenticationRequired). */
export const EVENT_TYPES = [
  "aboutToClose",
  "alertReceived",
  "alertSent",
  "authenticationRequired",
  "binaryFrameReceived",
  "binaryMessageReceived",
  "bytesWritten",
  "connected",
  "disconnected",
  "error",
  "errorOccurred",
  "handshakeInterruptedOnError",
  "peerVerifyError",
  "pong",
  "preSharedKeyAuthenticationRequired",
  "proxyAuthenticationRequired",
  "readChannelFinished",
  "sslErrors",
  "stateChanged",
  "textFrameReceived",
  "textMessageReceived",
] as const satisfies readonly (keyof QWebSocketEventMap)[];

const STATE_NAMES: Record<number, string> = {};
for (const [name, value] of Object.entries(QAbstractSocket.SocketState)) {
  STATE_NAMES[value] = name.replace(/State$/, "");
}

/**
 * Records every event a socket dispatches, as short strings such as
 * `stateChanged(Connecting)` or `error(1)`; `bytesWritten` is left out unless
 * asked for, as its count depends on how writes were coalesced.
 */
export class EventLog {
  readonly events: string[] = [];

  constructor(socket: QWebSocket, options: { bytesWritten?: boolean } = {}) {
    for (const type of EVENT_TYPES) {
      if (type === "bytesWritten" && !options.bytesWritten) continue;
      socket.addEventListener(type, (e: Event) => this.events.push(describeEvent(e)));
    }
  }

  /** The events of the given types, in order. */
  only(...types: string[]): string[] {
    return this.events.filter((e) => types.some((t) => e === t || e.startsWith(t + "(")));
  }
}

function describeEvent(e: Event): string {
  const f = e as unknown as Record<string, unknown>;
  switch (e.type) {
    case "stateChanged":
      return `stateChanged(${STATE_NAMES[f.state as number]})`;
    case "error":
    case "errorOccurred":
      return `${e.type}(${f.error})`;
    case "peerVerifyError":
      return `peerVerifyError(${(f.error as { error(): number }).error()})`;
    case "sslErrors":
      return `sslErrors(${(f.errors as { error(): number }[]).map((x) => x.error()).join(",")})`;
    case "textMessageReceived":
    case "binaryMessageReceived":
      return `${e.type}(${(f.message as { length: number }).length})`;
    case "textFrameReceived":
    case "binaryFrameReceived":
      return `${e.type}(${(f.frame as { length: number }).length},${f.isLastFrame})`;
    case "bytesWritten":
      return `bytesWritten(${f.bytes})`;
    default:
      return e.type;
  }
}

// --- Deno's built-in server -------------------------------------------------------

/** What a Deno.serve WebSocket server saw of one upgrade request. */
export interface SeenRequest {
  url: string;
  headers: Headers;
}

/** A running Deno.serve WebSocket server. */
export interface DenoServer {
  /** ws://127.0.0.1:port */
  readonly url: string;
  readonly port: number;
  /** The upgrade requests, in order. */
  readonly requests: SeenRequest[];
  /** The server-side sockets, in order. */
  readonly sockets: WebSocket[];
  /** Resolves when the nth socket (0-based) opens. */
  opened(index?: number): Promise<WebSocket>;
  /** Shuts down, closing every server-side socket first. */
  close(): Promise<void>;
}

/** Options of {@linkcode startDenoServer}. */
export interface DenoServerOptions {
  /** Called with each server-side socket before it opens (to attach handlers). */
  onSocket?: (socket: WebSocket, request: Request) => void;
  /** Chooses the subprotocol from the client's offer. */
  protocol?: (offered: string[]) => string | undefined;
  /** Echo every message back (default true). */
  echo?: boolean;
  /** TLS certificate and key, for wss:. */
  cert?: string;
  key?: string;
  /** Upgrade options (idleTimeout etc.). */
  idleTimeout?: number;
  /** Where to listen: "127.0.0.1" (default) or "::1". */
  hostname?: "127.0.0.1" | "::1";
}

/**
 * Starts `Deno.serve` on 127.0.0.1 port 0 and upgrades every request with
 * `Deno.upgradeWebSocket`: a WebSocket peer none of us wrote.
 */
export function startDenoServer(options: DenoServerOptions = {}): DenoServer {
  const requests: SeenRequest[] = [];
  const sockets: WebSocket[] = [];
  const waiters: Array<{ index: number; resolve: (ws: WebSocket) => void }> = [];
  const openedCount = { n: 0 };
  const opened: WebSocket[] = [];
  const ac = new AbortController();
  const tls = options.cert !== undefined ? { cert: options.cert, key: options.key! } : {};
  const hostname = options.hostname ?? "127.0.0.1";
  const server = Deno.serve({
    hostname,
    port: 0,
    signal: ac.signal,
    onListen: () => {},
    ...tls,
  }, (request) => {
    requests.push({ url: request.url, headers: new Headers(request.headers) });
    const offered = (request.headers.get("sec-websocket-protocol") ?? "")
      .split(",").map((p) => p.trim()).filter((p) => p !== "");
    const protocol = options.protocol?.(offered);
    const { socket, response } = Deno.upgradeWebSocket(request, {
      protocol,
      idleTimeout: options.idleTimeout ?? 0,
    });
    socket.binaryType = "arraybuffer";
    sockets.push(socket);
    options.onSocket?.(socket, request);
    if (options.echo !== false) {
      socket.onmessage = (e) => {
        if (socket.readyState === WebSocket.OPEN) socket.send(e.data);
      };
    }
    socket.addEventListener("open", () => {
      opened.push(socket);
      openedCount.n++;
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (waiters[i]!.index < opened.length) {
          waiters[i]!.resolve(opened[waiters[i]!.index]!);
          waiters.splice(i, 1);
        }
      }
    });
    return response;
  });
  const port = server.addr.port;
  return {
    url: `${options.cert !== undefined ? "wss" : "ws"}://${
      hostname === "::1" ? "[::1]" : hostname
    }:${port}`,
    port,
    requests,
    sockets,
    opened(index = 0) {
      if (index < opened.length) return Promise.resolve(opened[index]!);
      return new Promise((resolve) => waiters.push({ index, resolve }));
    },
    async close() {
      const closing = sockets.filter((s) => s.readyState !== WebSocket.CLOSED).map((s) =>
        new Promise<void>((resolve) => {
          s.addEventListener("close", () => resolve(), { once: true });
          if (s.readyState === WebSocket.OPEN) s.close(1001);
        })
      );
      await within(Promise.all(closing), "Deno's server sockets to close");
      ac.abort();
      await within(server.finished, "Deno.serve to shut down");
    },
  };
}

// --- raw scripted TCP peers ------------------------------------------------------

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The bytes of `text` (Latin-1 text is ASCII in these tests). */
export function ascii(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Joins byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** RFC 6455 §4.2.2: base64(SHA-1(key + GUID)), computed here independently. */
export async function acceptFor(key: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-1",
    encoder.encode(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"),
  );
  return btoa(String.fromCharCode(...new Uint8Array(digest)));
}

/** A parsed upgrade request, as the raw peer read it. */
export interface RawRequest {
  /** The request line, e.g. `GET /chat?x=1 HTTP/1.1`. */
  line: string;
  /** Header names in lower case to values (repeated headers joined with ", "). */
  headers: Map<string, string>;
  /** The whole head as text. */
  text: string;
}

/** One connection of a raw peer: buffered reads plus exact writes. */
export class RawConn {
  readonly conn: Deno.Conn;
  #buffer: Uint8Array = new Uint8Array(0);
  #eof = false;

  constructor(conn: Deno.Conn) {
    this.conn = conn;
  }

  /** Whether the client closed its side. */
  get eof(): boolean {
    return this.#eof && this.#buffer.length === 0;
  }

  async #fill(): Promise<boolean> {
    const chunk = new Uint8Array(64 * 1024);
    const n = await this.conn.read(chunk);
    if (n === null) {
      this.#eof = true;
      return false;
    }
    this.#buffer = concat(this.#buffer, chunk.subarray(0, n));
    return true;
  }

  /** Reads exactly `n` bytes; rejects if the stream ends first. */
  async readExactly(n: number): Promise<Uint8Array> {
    while (this.#buffer.length < n) {
      if (!(await this.#fill())) {
        throw new Error(`stream ended after ${this.#buffer.length} of ${n} bytes`);
      }
    }
    const out = this.#buffer.slice(0, n);
    this.#buffer = this.#buffer.subarray(n);
    return out;
  }

  /** Reads the upgrade request head. */
  async readRequest(): Promise<RawRequest> {
    for (;;) {
      const text = decoder.decode(this.#buffer);
      const end = text.indexOf("\r\n\r\n");
      if (end >= 0) {
        const head = text.slice(0, end);
        this.#buffer = this.#buffer.subarray(end + 4);
        const [line, ...rest] = head.split("\r\n");
        const headers = new Map<string, string>();
        for (const h of rest) {
          const colon = h.indexOf(":");
          const name = h.slice(0, colon).trim().toLowerCase();
          const value = h.slice(colon + 1).trim();
          headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
        }
        return { line: line!, headers, text: head };
      }
      if (!(await this.#fill())) throw new Error("stream ended before the request head");
    }
  }

  /** Writes all of `data`. */
  async write(data: Uint8Array | string): Promise<void> {
    const bytes = typeof data === "string" ? ascii(data) : data;
    let at = 0;
    while (at < bytes.length) at += await this.conn.write(bytes.subarray(at));
  }

  /** Reads the request and answers with a valid 101 (plus `extra` header lines). */
  async handshake(extra = ""): Promise<RawRequest> {
    const request = await this.readRequest();
    await this.write(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        `Sec-WebSocket-Accept: ${await acceptFor(request.headers.get("sec-websocket-key")!)}\r\n` +
        extra + "\r\n",
    );
    return request;
  }

  /** Reads one client frame, checking it is masked, and unmasks it. */
  async readFrame(): Promise<ClientFrame> {
    const head = await this.readExactly(2);
    const fin = (head[0]! & 0x80) !== 0;
    const rsv = (head[0]! >> 4) & 0x7;
    const opcode = head[0]! & 0x0f;
    const masked = (head[1]! & 0x80) !== 0;
    let length = head[1]! & 0x7f;
    const header = [head[0]!, head[1]!];
    if (length === 126) {
      const ext = await this.readExactly(2);
      header.push(...ext);
      length = (ext[0]! << 8) | ext[1]!;
    } else if (length === 127) {
      const ext = await this.readExactly(8);
      header.push(...ext);
      length = Number(new DataView(ext.buffer, ext.byteOffset, 8).getBigUint64(0));
    }
    assert.ok(masked, "RFC 6455 §5.3: a client frame must be masked");
    const key = await this.readExactly(4);
    header.push(...key);
    const raw = await this.readExactly(length);
    const payload = raw.slice();
    for (let i = 0; i < payload.length; i++) payload[i]! ^= key[i & 3]!;
    return {
      fin,
      rsv,
      opcode,
      mask: new DataView(key.buffer, key.byteOffset, 4).getUint32(0),
      payload,
      wire: concat(new Uint8Array(header), raw),
    };
  }

  /** Reads until the client closes its side; returns what came before. */
  async readToEnd(): Promise<Uint8Array> {
    while (await this.#fill());
    const out = this.#buffer;
    this.#buffer = new Uint8Array(0);
    return out;
  }

  close(): void {
    try {
      this.conn.close();
    } catch {
      // Closed already.
    }
  }
}

/** A client frame as the raw peer read it. */
export interface ClientFrame {
  fin: boolean;
  rsv: number;
  opcode: number;
  mask: number;
  payload: Uint8Array;
  /** The frame's bytes exactly as they came over the wire. */
  wire: Uint8Array;
}

/** An unmasked server frame. */
export function serverFrame(
  opcode: number,
  payload: Uint8Array | string = new Uint8Array(0),
  fin = true,
): Uint8Array {
  const data = typeof payload === "string" ? encoder.encode(payload) : payload;
  let header: number[];
  if (data.length < 126) header = [0, data.length];
  else if (data.length < 65536) header = [0, 126, data.length >> 8, data.length & 0xff];
  else {
    header = [0, 127, 0, 0, 0, 0, 0, 0, 0, 0];
    let n = data.length;
    for (let i = 9; i >= 2; i--) {
      header[i] = n % 256;
      n = Math.floor(n / 256);
    }
  }
  header[0] = (fin ? 0x80 : 0) | opcode;
  return concat(new Uint8Array(header), data);
}

/** A close frame payload. */
export function closePayload(code: number, reason = ""): Uint8Array {
  return concat(new Uint8Array([code >> 8, code & 0xff]), encoder.encode(reason));
}

/** Reads a close payload. */
export function parseClose(payload: Uint8Array): { code: number; reason: string } {
  if (payload.length < 2) return { code: 1005, reason: "" };
  return { code: (payload[0]! << 8) | payload[1]!, reason: decoder.decode(payload.subarray(2)) };
}

/** A raw TCP peer on 127.0.0.1 port 0 running `script` for each accepted connection. */
export interface RawPeer {
  readonly port: number;
  readonly url: string;
  /** Settles when every accepted connection's script has finished. */
  done(): Promise<void>;
  /**
   * Stops listening and waits for the scripts, then closes every connection.
   * With `force`, closes the connections first and ignores the scripts' failures.
   */
  close(force?: boolean): Promise<void>;
}

/**
 * Listens on 127.0.0.1:0 and runs `script` for each connection (at most
 * `max`). A script's failure is rethrown from `done()`/`close()`, so a
 * broken assertion inside the peer fails the test.
 */
export function rawPeer(
  script: (conn: RawConn, index: number) => Promise<void>,
  max = 1,
  tls?: { cert: string; key: string; alpnProtocols?: string[] },
): RawPeer {
  const listener = tls === undefined
    ? Deno.listen({ hostname: "127.0.0.1", port: 0 })
    : Deno.listenTls({ hostname: "127.0.0.1", port: 0, ...tls });
  const port = (listener.addr as Deno.NetAddr).port;
  const conns: RawConn[] = [];
  const scripts: Promise<void>[] = [];
  const accepting = (async () => {
    for (let i = 0; i < max; i++) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch {
        return;
      }
      const raw = new RawConn(conn);
      conns.push(raw);
      scripts.push(script(raw, i).finally(() => raw.close()));
    }
    try {
      listener.close();
    } catch {
      // Closed by close() already.
    }
  })();
  let listening = true;
  return {
    port,
    url: `${tls === undefined ? "ws" : "wss"}://127.0.0.1:${port}`,
    async done() {
      await accepting;
      await Promise.all(scripts);
    },
    async close(force = false) {
      if (force) { for (const c of conns) c.close(); }
      if (listening) {
        listening = false;
        try {
          listener.close();
        } catch {
          // Closed after the last accept.
        }
      }
      await accepting;
      const results = await within(Promise.allSettled(scripts), "the raw peer's scripts");
      for (const c of conns) c.close();
      if (force) return;
      for (const r of results) if (r.status === "rejected") throw r.reason;
    },
  };
}

/** Opens `url` on a new socket and waits for `connected`. */
export async function connect(
  url: string,
  configure?: (socket: QWebSocket) => void,
): Promise<QWebSocket> {
  const socket = new QWebSocket();
  configure?.(socket);
  const done = new Promise<void>((resolve, reject) => {
    socket.addEventListener("connected", () => resolve(), { once: true });
    socket.addEventListener("error", () => reject(new Error(socket.errorString())), {
      once: true,
    });
  });
  socket.open(url);
  await within(done, `connecting to ${url}`);
  return socket;
}

/** Path of a TLS fixture. */
export function fixture(name: string): string {
  return new URL(`../fixtures/tls/${name}`, import.meta.url).pathname;
}

/** Text of a TLS fixture. */
export function fixtureText(name: string): string {
  return Deno.readTextFileSync(fixture(name));
}

/** Deterministic bytes (a linear congruential sequence) of length `n`. */
export function patternBytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** Compares bytes without printing megabytes on failure. */
export function assertSameBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] !== expected[i]) {
      assert.fail(`${what}: byte ${i} is ${actual[i]}, expected ${expected[i]}`);
    }
  }
}
