/**
 * Shared helpers of the server tests: a server on a free loopback port, a raw
 * TCP client that speaks bytes (for handshakes and frames the real clients
 * would never send), bounded waits, and the TLS fixtures.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  QSslCertificate,
  QSslConfiguration,
  QSslKey,
  type QWebSocket,
  QWebSocketServer,
} from "../../mod.ts";
import { encodeFrame, firstHeaderByte } from "../../lib/protocol/frame.ts";
import { within } from "../_within.ts";

export { within };

/** How long any single wait in these tests may take: generous, the machine is shared. */
export const WAIT_MS = 20_000;

/** The `Sec-WebSocket-Key` of RFC 6455 §1.3 and its accept value. */
export const RFC_KEY = "dGhlIHNhbXBsZSBub25jZQ==";
/** The `Sec-WebSocket-Accept` value for {@linkcode RFC_KEY}. */
export const RFC_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/** Opcodes, for raw frames. */
export const OP = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** ASCII or UTF-8 text as bytes. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

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

/** Resolves after `ms` (for pacing a slow client, never for asserting on time). */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A plain server listening on 127.0.0.1 at a free port. */
export function listeningServer(name = ""): QWebSocketServer {
  const server = new QWebSocketServer(name, QWebSocketServer.SslMode.NonSecureMode);
  assert.ok(server.listen("127.0.0.1", 0), server.errorString());
  return server;
}

/** Takes the next client of `server`, waiting for `newConnection` when none is queued. */
export async function nextClient(server: QWebSocketServer): Promise<QWebSocket> {
  if (!server.hasPendingConnections()) await nextEvent(server, "newConnection");
  const socket = server.nextPendingConnection();
  assert.ok(socket !== null, "newConnection fired but nextPendingConnection() gave null");
  return socket;
}

/** Echoes every message of every client of `server`. */
export function echoEveryClient(
  server: QWebSocketServer,
  sockets: QWebSocket[] = [],
): QWebSocket[] {
  server.addEventListener("newConnection", () => {
    let socket: QWebSocket | null;
    while ((socket = server.nextPendingConnection()) !== null) {
      const peer = socket;
      sockets.push(peer);
      peer.addEventListener("textMessageReceived", (e) => peer.sendTextMessage(e.message));
      peer.addEventListener("binaryMessageReceived", (e) => peer.sendBinaryMessage(e.message));
    }
  });
  return sockets;
}

/**
 * Closes `socket` and waits until it has disconnected (its last event). A
 * raw client given too is closed first, so the server sees the end of the
 * stream at once instead of waiting out its close timeout.
 */
export async function disconnected(socket: QWebSocket, peer?: { close(): void }): Promise<void> {
  peer?.close();
  await within(socket[Symbol.asyncDispose](), "the socket to disconnect");
}

/** The text of an upgrade request, with RFC 6455 §1.3's key unless told otherwise. */
export function upgradeRequest(
  options: {
    method?: string;
    target?: string;
    httpVersion?: string;
    host?: string | null;
    key?: string | null;
    version?: string | null;
    upgrade?: string | null;
    connection?: string | null;
    extra?: ReadonlyArray<readonly [string, string]>;
  } = {},
): string {
  const line = `${options.method ?? "GET"} ${options.target ?? "/chat"} ${
    options.httpVersion ?? "HTTP/1.1"
  }\r\n`;
  const headers: [string, string | null | undefined][] = [
    ["Host", options.host === undefined ? "127.0.0.1" : options.host],
    ["Upgrade", options.upgrade === undefined ? "websocket" : options.upgrade],
    ["Connection", options.connection === undefined ? "Upgrade" : options.connection],
    ["Sec-WebSocket-Key", options.key === undefined ? RFC_KEY : options.key],
    ["Sec-WebSocket-Version", options.version === undefined ? "13" : options.version],
  ];
  let text = line;
  for (const [name, value] of headers) if (value !== null) text += `${name}: ${value}\r\n`;
  for (const [name, value] of options.extra ?? []) text += `${name}: ${value}\r\n`;
  return text + "\r\n";
}

/** The exact 101 answer of a server named `serverName` to RFC 6455 §1.3's key. */
export function acceptHead(serverName = "", protocol = ""): string {
  return "HTTP/1.1 101 Switching Protocols\r\n" +
    "Upgrade: websocket\r\n" +
    "Connection: Upgrade\r\n" +
    `Sec-WebSocket-Accept: ${RFC_ACCEPT}\r\n` +
    (protocol === "" ? "" : `Sec-WebSocket-Protocol: ${protocol}\r\n`) +
    (serverName === "" ? "" : `Server: ${serverName}\r\n`) +
    "\r\n";
}

/** A client frame: masked (with a fixed key) unless told otherwise. */
export function clientFrame(
  opcode: number,
  payload: Uint8Array | string,
  options: { fin?: boolean; masked?: boolean } = {},
): Uint8Array {
  const bytes = typeof payload === "string" ? utf8(payload) : payload;
  return encodeFrame(
    firstHeaderByte(options.fin ?? true, 0, opcode),
    bytes,
    options.masked === false ? undefined : 0x37fa213d,
  );
}

/** A close frame payload: the code in network order, then the reason. */
export function closePayload(code: number, reason = ""): Uint8Array {
  const text = utf8(reason);
  const payload = new Uint8Array(2 + text.length);
  payload[0] = code >> 8;
  payload[1] = code & 0xff;
  payload.set(text, 2);
  return payload;
}

/** A frame as the server sent it. */
export interface ServerFrame {
  fin: boolean;
  opcode: number;
  masked: boolean;
  payload: Uint8Array;
}

/**
 * A raw TCP client: writes bytes as given and reads the server's bytes with
 * a deadline on every read, so a server that says nothing fails the test
 * instead of hanging it.
 */
export class RawClient {
  readonly conn: Deno.Conn;
  #buffer: Uint8Array = new Uint8Array(0);
  #eof = false;
  #closed = false;

  constructor(conn: Deno.Conn) {
    this.conn = conn;
  }

  /** Connects to the server's port on 127.0.0.1. */
  static async connect(server: QWebSocketServer | number): Promise<RawClient> {
    const port = typeof server === "number" ? server : server.serverPort();
    return new RawClient(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  /** Writes all of `data`. */
  async write(data: Uint8Array | string): Promise<void> {
    const bytes = typeof data === "string" ? utf8(data) : data;
    let offset = 0;
    while (offset < bytes.length) offset += await this.conn.write(bytes.subarray(offset));
  }

  /** Writes `data` one byte at a time, letting each byte go out on its own. */
  async trickle(data: Uint8Array | string, pauseMs = 0): Promise<void> {
    const bytes = typeof data === "string" ? utf8(data) : data;
    for (let i = 0; i < bytes.length; i++) {
      await this.conn.write(bytes.subarray(i, i + 1));
      if (pauseMs > 0) await delay(pauseMs);
    }
  }

  // Reads once more into the buffer; false at the end of the stream.
  async #fill(what: string, ms: number): Promise<boolean> {
    if (this.#eof) return false;
    const chunk = new Uint8Array(64 * 1024);
    let timer: ReturnType<typeof setTimeout> | undefined;
    let timedOut = false;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timedOut = true;
        reject(new Error(`Timed out after ${ms} ms waiting for ${what}`));
      }, ms);
    });
    const read = this.conn.read(chunk);
    try {
      const n = await Promise.race([read, deadline]);
      if (n === null) {
        this.#eof = true;
        return false;
      }
      const joined = new Uint8Array(this.#buffer.length + n);
      joined.set(this.#buffer);
      joined.set(chunk.subarray(0, n), this.#buffer.length);
      this.#buffer = joined;
      return true;
    } catch (error) {
      if (timedOut) {
        // Let the pending read end before reporting, so no op outlives the test.
        this.close();
        await read.catch(() => {});
      }
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Reads exactly `n` bytes. */
  async readExactly(n: number, what = `${n} bytes`, ms = WAIT_MS): Promise<Uint8Array> {
    while (this.#buffer.length < n) {
      if (!(await this.#fill(what, ms))) {
        throw new Error(`The server closed the connection before ${what}`);
      }
    }
    const bytes = this.#buffer.slice(0, n);
    this.#buffer = this.#buffer.slice(n);
    return bytes;
  }

  /** Reads up to and including the empty line that ends an HTTP head, as text. */
  async readHead(ms = WAIT_MS): Promise<string> {
    for (;;) {
      const text = decoder.decode(this.#buffer);
      const end = text.indexOf("\r\n\r\n");
      if (end !== -1) {
        const head = text.slice(0, end + 4);
        this.#buffer = this.#buffer.slice(utf8(head).length);
        return head;
      }
      if (!(await this.#fill("the response head", ms))) {
        throw new Error(`The server closed the connection before a response head: "${text}"`);
      }
    }
  }

  /** Reads everything until the server ends the stream. */
  async readToEnd(ms = WAIT_MS): Promise<Uint8Array> {
    while (await this.#fill("the end of the stream", ms));
    const rest = this.#buffer;
    this.#buffer = new Uint8Array(0);
    return rest;
  }

  /** Reads one frame sent by the server. */
  async readFrame(ms = WAIT_MS): Promise<ServerFrame> {
    const start = await this.readExactly(2, "a frame header", ms);
    let length = start[1]! & 0x7f;
    if (length === 126) {
      const ext = await this.readExactly(2, "a 16-bit length", ms);
      length = (ext[0]! << 8) | ext[1]!;
    } else if (length === 127) {
      const ext = await this.readExactly(8, "a 64-bit length", ms);
      length = new DataView(ext.buffer, ext.byteOffset).getUint32(4) +
        new DataView(ext.buffer, ext.byteOffset).getUint32(0) * 2 ** 32;
    }
    const masked = (start[1]! & 0x80) !== 0;
    if (masked) await this.readExactly(4, "a masking key", ms);
    const payload = await this.readExactly(length, `a payload of ${length} bytes`, ms);
    return { fin: (start[0]! & 0x80) !== 0, opcode: start[0]! & 0x0f, masked, payload };
  }

  /** Whether the server ended the stream (known after a read returned nothing). */
  get ended(): boolean {
    return this.#eof;
  }

  /** Closes the connection (safe to call twice). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.conn.close();
    } catch {
      // Closed already.
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** Completes a handshake on a raw client and checks the 101. */
export async function rawHandshake(
  server: QWebSocketServer,
  request = upgradeRequest(),
): Promise<RawClient> {
  const client = await RawClient.connect(server);
  await client.write(request);
  const head = await client.readHead();
  assert.match(head, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
  return client;
}

/** Splits a refusal into its head and body and checks the head byte for byte. */
export function assertRefusal(
  response: Uint8Array,
  status: number,
  reason: string,
  options: { serverName?: string; extra?: string; bodyIncludes?: string } = {},
): string {
  const text = decoder.decode(response);
  const end = text.indexOf("\r\n\r\n");
  assert.notEqual(end, -1, `no complete head in ${JSON.stringify(text)}`);
  const head = text.slice(0, end + 4);
  const body = text.slice(end + 4);
  assert.ok(body.length > 0, "a refusal carries a short body saying why");
  assert.equal(
    head,
    `HTTP/1.1 ${status} ${reason}\r\n` +
      (options.serverName ? `Server: ${options.serverName}\r\n` : "") +
      "Content-Type: text/plain; charset=utf-8\r\n" +
      `Content-Length: ${utf8(body).length}\r\n` +
      "Connection: close\r\n" +
      (options.extra ?? "") +
      "\r\n",
  );
  if (options.bodyIncludes !== undefined) assert.ok(body.includes(options.bodyIncludes), body);
  return body;
}

/** The test CA and the server certificate and key it signed (for 127.0.0.1, ::1, localhost). */
export const TLS_DIR = new URL("../fixtures/tls/", import.meta.url);

/** A configuration with the server certificate and key, for SecureMode. */
export function serverTlsConfiguration(): QSslConfiguration {
  const config = QSslConfiguration.defaultConfiguration();
  config.setLocalCertificateChain(QSslCertificate.fromPath(new URL("server.crt", TLS_DIR)));
  config.setPrivateKey(new QSslKey(Deno.readTextFileSync(new URL("server.key", TLS_DIR))));
  return config;
}

/** A client configuration that trusts the test CA. */
export function clientTlsConfiguration(): QSslConfiguration {
  const config = QSslConfiguration.defaultConfiguration();
  config.setCaCertificates(QSslCertificate.fromPath(new URL("ca.crt", TLS_DIR)));
  return config;
}

/** A secure server listening on 127.0.0.1 at a free port. */
export function listeningSecureServer(name = ""): QWebSocketServer {
  const server = new QWebSocketServer(name, QWebSocketServer.SslMode.SecureMode);
  server.setSslConfiguration(serverTlsConfiguration());
  assert.ok(server.listen("127.0.0.1", 0), server.errorString());
  return server;
}

/** Runs a Deno script in a subprocess and returns its exit code and output. */
export async function runDeno(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const command = new Deno.Command(Deno.execPath(), {
    args,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
  const child = command.spawn();
  const output = child.output();
  // A hung child is killed, so the test fails on its output instead of hanging.
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // Exited meanwhile.
    }
  }, 60_000);
  try {
    const result = await output;
    return {
      code: result.code,
      stdout: decoder.decode(result.stdout),
      stderr: decoder.decode(result.stderr),
    };
  } finally {
    clearTimeout(timer);
  }
}
