/**
 * `WebSocketServer`: the declarative server of Qt's QML module, as a
 * TypeScript class with plain property setters, built on
 * {@linkcode QWebSocketServer}.
 *
 * @module
 */

import { PendingChanges } from "./pending_changes.ts";
import { QtEventTarget } from "../events.ts";
import type { QWebSocket } from "../qwebsocket.ts";
import { QWebSocketServer } from "../qwebsocket_server.ts";
import {
  AcceptChangedEvent,
  ClientConnectedEvent,
  ErrorStringChangedEvent,
  HostChangedEvent,
  ListenChangedEvent,
  NameChangedEvent,
  PortChangedEvent,
  UrlChangedEvent,
} from "./events.ts";
import { type WebSocket, wrapAcceptedSocket } from "./web_socket.ts";

/**
 * Every event a declarative {@linkcode WebSocketServer} dispatches, by type (QML's signal names).
 *
 * @example Named handlers, typed through the map
 * ```ts
 * import { WebSocketServer, type WebSocketServerEventMap } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * const urls: string[] = [];
 * function onUrlChanged(e: WebSocketServerEventMap["urlChanged"]): void {
 *   urls.push(String(e.url));
 * }
 *
 * const server = new WebSocketServer();
 * server.addEventListener("urlChanged", onUrlChanged);
 * server.port = 1234; // the url follows host and port
 * assert.deepEqual(urls, ["ws://127.0.0.1:1234/"]);
 * ```
 */
export interface WebSocketServerEventMap {
  /** A client completed its opening handshake; `webSocket` is its connection. */
  clientConnected: ClientConnectedEvent;
  /** `host` changed. */
  hostChanged: HostChangedEvent;
  /** `port` changed, including when the port of a `port = 0` server becomes known. */
  portChanged: PortChangedEvent;
  /** `name` changed. */
  nameChanged: NameChangedEvent;
  /** `listen` changed. */
  listenChanged: ListenChangedEvent;
  /** `accept` changed. */
  acceptChanged: AcceptChangedEvent;
  /** `url` changed (because `host` or `port` did). */
  urlChanged: UrlChangedEvent;
  /** `errorString` changed: listening failed, a handshake was refused, or the error cleared. */
  errorStringChanged: ErrorStringChangedEvent;
}

/**
 * Initial property values for a {@linkcode WebSocketServer}, as the property
 * block of a QML declaration; they are applied together.
 *
 * @example Declare a server, to listen later
 * ```ts
 * import { WebSocketServer, type WebSocketServerInit } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * const init: WebSocketServerInit = { host: "127.0.0.1", port: 1234, name: "Chat", accept: false };
 * const server = new WebSocketServer(init);
 * assert.equal(server.url.href, "ws://127.0.0.1:1234/");
 * assert.equal(server.name, "Chat");
 * // Not listening: add `listen: true` (and run with --allow-net) to listen at once.
 * assert.equal(server.listen, false);
 * ```
 */
export interface WebSocketServerInit {
  /** The address to listen on (see {@linkcode WebSocketServer.host}). */
  host?: string;
  /** The port to listen on (see {@linkcode WebSocketServer.port}). */
  port?: number;
  /** The server's name (see {@linkcode WebSocketServer.name}). */
  name?: string;
  /** Whether to listen (see {@linkcode WebSocketServer.listen}). */
  listen?: boolean;
  /** Whether to accept clients (see {@linkcode WebSocketServer.accept}). */
  accept?: boolean;
}

/**
 * The QML `WebSocketServer` type: a WebSocket server driven by properties.
 * Set `listen` to `true` to listen on `host` and `port`; each client that
 * completes its handshake arrives as a `clientConnected` event whose
 * `webSocket` has the declarative {@linkcode WebSocket} surface, already
 * active and open.
 *
 * As in QML, failures do not throw: `errorString` says what went wrong (for
 * example an address in use, or a missing `--allow-net` permission) and
 * `errorStringChanged` is dispatched. Only arguments of the wrong type throw.
 *
 * Property changes are applied together at the end of the current microtask,
 * or earlier when you read `port`, `url` or `errorString`. Changing `host`
 * or `port` while listening listens again on the new address. Like Qt's QML
 * type, it speaks plain `ws://` only; use {@linkcode QWebSocketServer} for
 * `wss://`.
 *
 * @example A server that greets every client (run with `--allow-net=127.0.0.1:1234`)
 * ```ts ignore
 * import { WebSocketServer } from "@qtws/websockets";
 *
 * const server = new WebSocketServer({ port: 1234, listen: true });
 * server.addEventListener("clientConnected", ({ webSocket }) => {
 *   webSocket.addEventListener("textMessageReceived", (e) => {
 *     webSocket.sendTextMessage(`Hello, ${e.message}!`);
 *   });
 * });
 * if (server.errorString !== "") console.error(server.errorString);
 * else console.log(`Listening on ${server.url}`);
 * ```
 */
export class WebSocketServer extends QtEventTarget<WebSocketServerEventMap> {
  #host = "127.0.0.1";
  #port = 0;
  #name = "";
  #listen = false;
  #accept = true;
  #errorString = "";

  #server: QWebSocketServer | null = null;
  #bound: { host: string; port: number } | null = null;
  #detach: AbortController | null = null;
  #clients: Set<WebSocket> = new Set();
  #retiring: Set<Promise<void>> = new Set();

  readonly #changes: PendingChanges = new PendingChanges(() => this.#apply());
  #disposed = false;

  /**
   * Creates a server: not listening, on `127.0.0.1`, port 0 (any free port).
   * Properties given in `init` are applied together at the end of the current
   * microtask.
   *
   * @param init Initial property values.
   */
  constructor(init: WebSocketServerInit = {}) {
    super();
    if (init === null || typeof init !== "object") {
      throw new TypeError(
        "Cannot create WebSocketServer: pass an object such as { port, listen }",
      );
    }
    if (init.host !== undefined) this.host = init.host;
    if (init.port !== undefined) this.port = init.port;
    if (init.name !== undefined) this.name = init.name;
    if (init.accept !== undefined) this.accept = init.accept;
    if (init.listen !== undefined) this.listen = init.listen;
  }

  // --- properties ----------------------------------------------------------------

  /**
   * The address to listen on: an IP address (`"127.0.0.1"`, `"::1"`,
   * `"0.0.0.0"`...) or a host name. Default `"127.0.0.1"`, QML's localhost.
   * A value that cannot be part of a URL is refused: `host` keeps its value
   * and `errorString` says why.
   */
  get host(): string {
    return this.#host;
  }

  set host(value: string) {
    if (typeof value !== "string") {
      throw new TypeError(
        `Cannot set host: pass a string such as "127.0.0.1", not ${typeof value}`,
      );
    }
    if (value === this.#host) return;
    if (!isValidHost(value)) {
      this.#setErrorString(
        `Cannot set host to ${JSON.stringify(value)}: use an IP address or a host name`,
      );
      return;
    }
    this.#host = value;
    this.#changes.schedule();
    this.dispatchEvent(new HostChangedEvent(value));
    this.dispatchEvent(new UrlChangedEvent(this.#urlOf(value, this.#port)));
  }

  /**
   * The port to listen on, 0–65535; 0 (the default) picks a free port, and
   * once listening `port` reads as the port in use. An invalid value is
   * refused as in QML: `port` keeps its value and `errorString` says why.
   */
  get port(): number {
    this.#changes.flush();
    return this.#port;
  }

  set port(value: number) {
    if (typeof value !== "number") {
      throw new TypeError(`Cannot set port: pass a number, not ${typeof value}`);
    }
    if (value === this.#port) return;
    if (!Number.isInteger(value) || value < 0 || value > 65535) {
      this.#setErrorString(`Cannot set port to ${value}: use an integer from 0 to 65535`);
      return;
    }
    this.#setPort(value);
    this.#changes.schedule();
  }

  /** The server's name, sent as the `Server` header of handshake responses when not empty. */
  get name(): string {
    return this.#name;
  }

  set name(value: string) {
    if (typeof value !== "string") {
      throw new TypeError(`Cannot set name: pass a string, not ${typeof value}`);
    }
    if (value === this.#name) return;
    this.#name = value;
    this.#changes.schedule();
    this.dispatchEvent(new NameChangedEvent(value));
  }

  /**
   * Whether the server listens. Setting `true` starts listening on `host`
   * and `port`; setting `false` stops listening (clients already connected
   * stay connected). Default `false`. When listening fails it stays `true`,
   * as in QML, and `errorString` says why.
   */
  get listen(): boolean {
    return this.#listen;
  }

  set listen(value: boolean) {
    if (typeof value !== "boolean") {
      throw new TypeError(`Cannot set listen: pass true or false, not ${describe(value)}`);
    }
    if (value === this.#listen) return;
    this.#listen = value;
    this.#changes.schedule();
    this.dispatchEvent(new ListenChangedEvent(value));
  }

  /**
   * Whether new clients are accepted while listening. Default `true`. While
   * `false`, accepting pauses as Qt's `pauseAccepting()`: new clients wait in
   * the operating system's backlog, unanswered, until it is `true` again.
   */
  get accept(): boolean {
    return this.#accept;
  }

  set accept(value: boolean) {
    if (typeof value !== "boolean") {
      throw new TypeError(`Cannot set accept: pass true or false, not ${describe(value)}`);
    }
    if (value === this.#accept) return;
    this.#accept = value;
    this.#changes.schedule();
    this.dispatchEvent(new AcceptChangedEvent(value));
  }

  /** The URL clients connect to: `ws://host:port` (the port in use once listening). */
  get url(): URL {
    this.#changes.flush();
    return this.#urlOf(this.#host, this.#port);
  }

  /** A description of the last error; `""` after a successful `listen`. */
  get errorString(): string {
    this.#changes.flush();
    return this.#errorString;
  }

  /**
   * Stops listening, closes every client this server handed out, and
   * resolves once all of them have ended. Later property changes have no
   * effect.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    this.#disposed = true;
    this.#stop();
    for (const client of this.#clients) this.#track(client[Symbol.asyncDispose]());
    this.#clients.clear();
    await Promise.allSettled([...this.#retiring]);
  }

  // --- applying changes ----------------------------------------------------------

  #apply(): void {
    if (this.#disposed) return;
    if (!this.#listen) {
      this.#stop();
      return;
    }
    const server = this.#server;
    const bound = this.#bound;
    if (
      server !== null && bound !== null && bound.host === this.#host && bound.port === this.#port
    ) {
      server.setServerName(this.#name);
      if (this.#accept) server.resumeAccepting();
      else server.pauseAccepting();
      return;
    }
    this.#start();
  }

  #start(): void {
    this.#stop();
    const server = new QWebSocketServer(this.#name, QWebSocketServer.SslMode.NonSecureMode);
    if (!server.listen(this.#host, this.#port)) {
      this.#setErrorString(server.errorString());
      return;
    }
    // After listen(): listening starts out accepting.
    if (!this.#accept) server.pauseAccepting();
    const detach = new AbortController();
    server.addEventListener("newConnection", () => this.#takeClients(server), {
      signal: detach.signal,
    });
    // QML reports refused handshakes through errorString.
    server.addEventListener("serverError", () => this.#setErrorString(server.errorString()), {
      signal: detach.signal,
    });
    this.#server = server;
    this.#detach = detach;
    this.#bound = { host: this.#host, port: server.serverPort() };
    this.#setErrorString("");
    this.#setPort(server.serverPort());
  }

  #stop(): void {
    const server = this.#server;
    this.#server = null;
    this.#bound = null;
    this.#detach?.abort();
    this.#detach = null;
    if (server !== null) this.#track(server[Symbol.asyncDispose]());
  }

  #takeClients(server: QWebSocketServer): void {
    for (
      let socket = server.nextPendingConnection();
      socket !== null;
      socket = server.nextPendingConnection()
    ) {
      const webSocket = wrapAcceptedSocket(socket);
      this.#clients.add(webSocket);
      forgetWhenDisconnected(socket, () => this.#clients.delete(webSocket));
      this.dispatchEvent(new ClientConnectedEvent(webSocket));
    }
  }

  #track(done: Promise<void>): void {
    this.#retiring.add(done);
    const forget = () => this.#retiring.delete(done);
    done.then(forget, forget);
  }

  #setPort(port: number): void {
    if (port === this.#port) return;
    this.#port = port;
    this.dispatchEvent(new PortChangedEvent(port));
    this.dispatchEvent(new UrlChangedEvent(this.#urlOf(this.#host, port)));
  }

  #setErrorString(errorString: string): void {
    if (errorString === this.#errorString) return;
    this.#errorString = errorString;
    this.dispatchEvent(new ErrorStringChangedEvent(errorString));
  }

  #urlOf(host: string, port: number): URL {
    return new URL(`ws://${host.includes(":") ? `[${host}]` : host}:${port}`);
  }
}

function forgetWhenDisconnected(socket: QWebSocket, forget: () => void): void {
  socket.addEventListener("disconnected", forget, { once: true });
}

function isValidHost(host: string): boolean {
  if (host === "" || /[\s/?#@[\]]/.test(host)) return false;
  try {
    new URL(`ws://${host.includes(":") ? `[${host}]` : host}:1`);
    return true;
  } catch {
    return false;
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return value.constructor?.name ?? "object";
  return typeof value;
}
