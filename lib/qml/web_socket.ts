/**
 * `WebSocket`: the declarative client of Qt's QML module (`import
 * QtWebSockets`), as a TypeScript class with plain property setters, built
 * on {@linkcode QWebSocket}.
 *
 * @module
 */

import { PendingChanges } from "./pending_changes.ts";
import {
  BinaryMessageReceivedEvent,
  type QtEventListener,
  QtEventTarget,
  TextMessageReceivedEvent,
} from "../events.ts";
import { QAbstractSocket } from "../protocol/qabstract_socket.ts";
import { QWebSocket, type QWebSocketEventMap } from "../qwebsocket.ts";
import { QWebSocketHandshakeOptions } from "../qwebsocket_handshake_options.ts";
import {
  ActiveChangedEvent,
  ErrorStringChangedEvent,
  StatusChangedEvent,
  UrlChangedEvent,
} from "./events.ts";

const State = QAbstractSocket.SocketState;

/** Qt's QML `WebSocket` reports this when a message is sent while not `Open`. */
const NOT_OPEN = "Messages can only be sent when the socket is open.";

/**
 * Every event a declarative {@linkcode WebSocket} dispatches, by type (QML's signal names).
 *
 * @example Named handlers, typed through the map
 * ```ts
 * import { WebSocket as QmlWebSocket, type WebSocketEventMap } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * const problems: string[] = [];
 * function onErrorString(e: WebSocketEventMap["errorStringChanged"]): void {
 *   if (e.errorString !== "") problems.push(e.errorString);
 * }
 *
 * const socket = new QmlWebSocket();
 * socket.addEventListener("errorStringChanged", onErrorString);
 * socket.active = true; // but no url was set
 * assert.equal(socket.status, QmlWebSocket.Status.Error); // reading it applies the properties
 * assert.match(problems[0]!, /url is empty/);
 * ```
 */
export interface WebSocketEventMap {
  /** `status` changed. */
  statusChanged: StatusChangedEvent;
  /** A text message arrived. */
  textMessageReceived: TextMessageReceivedEvent;
  /** A binary message arrived. */
  binaryMessageReceived: BinaryMessageReceivedEvent;
  /** `active` changed. */
  activeChanged: ActiveChangedEvent;
  /** `url` changed. */
  urlChanged: UrlChangedEvent;
  /** `errorString` changed. */
  errorStringChanged: ErrorStringChangedEvent;
  /** `requestedSubprotocols` changed. */
  requestedSubprotocolsChanged: Event;
  /** `negotiatedSubprotocol` changed. */
  negotiatedSubprotocolChanged: Event;
}

/**
 * Initial property values for a {@linkcode WebSocket}, as the property block
 * of a QML declaration. They are applied together, so `{ url, active: true }`
 * opens one connection.
 *
 * @example Declare a client, to connect later
 * ```ts
 * import { WebSocket as QmlWebSocket, type WebSocketInit } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * const init: WebSocketInit = { url: "ws://127.0.0.1:1234/chat", requestedSubprotocols: ["chat.v1"] };
 * const socket = new QmlWebSocket(init);
 * assert.equal(socket.url?.href, "ws://127.0.0.1:1234/chat");
 * assert.deepEqual(socket.requestedSubprotocols, ["chat.v1"]);
 * // Not active, so not connecting: add `active: true` to connect at once.
 * assert.equal(socket.status, QmlWebSocket.Status.Closed);
 * ```
 */
export interface WebSocketInit {
  /** The server to connect to (see {@linkcode WebSocket.url}). */
  url?: URL | string | null;
  /** Whether to connect (see {@linkcode WebSocket.active}). */
  active?: boolean;
  /** Subprotocols to offer (see {@linkcode WebSocket.requestedSubprotocols}). */
  requestedSubprotocols?: readonly string[];
}

let adoptAccepted: (socket: QWebSocket) => WebSocket;

/**
 * Wraps a socket a `QWebSocketServer` accepted in the declarative surface
 * (used by the declarative `WebSocketServer`).
 *
 * @param socket A connected server-side socket.
 * @returns A `WebSocket` that is active and open.
 * @internal
 */
export function wrapAcceptedSocket(socket: QWebSocket): WebSocket {
  return adoptAccepted(socket);
}

/**
 * The QML `WebSocket` type: a WebSocket client driven by properties. Set
 * `url`, then set `active` to `true` to connect and to `false` to close;
 * watch `status` through `statusChanged`; receive messages through
 * `textMessageReceived` and `binaryMessageReceived`.
 *
 * As in QML, invalid use does not throw: it sets `status` to
 * `WebSocket.Status.Error` and says why in `errorString` (for example
 * activating with no url, or sending while not open). Only arguments of the
 * wrong type throw a `TypeError`.
 *
 * Property changes are applied together, as QML applies a declaration's
 * properties at once: at the end of the current microtask, or earlier when
 * you read `status`, `errorString` or `negotiatedSubprotocol` or send a
 * message. So `ws.url = u; ws.active = true;` opens one connection, in either
 * order. Change notifications (`activeChanged`, `urlChanged`, ...) are
 * dispatched at once by the setter.
 *
 * The class is named `WebSocket`, as in QML, so importing it shadows the
 * global `WebSocket` of the module that imports it. Import it under another
 * name to keep both: `import { WebSocket as QmlWebSocket } from "@qtws/websockets"`.
 *
 * @example Connect, send, print the echo, close (run with `--allow-net=127.0.0.1:1234`)
 * ```ts ignore
 * import { WebSocket as QmlWebSocket } from "@qtws/websockets";
 *
 * const socket = new QmlWebSocket({ url: "ws://127.0.0.1:1234", active: true });
 * socket.addEventListener("statusChanged", (e) => {
 *   if (e.status === QmlWebSocket.Status.Open) socket.sendTextMessage("Hello, world!");
 *   if (e.status === QmlWebSocket.Status.Error) console.error(socket.errorString);
 * });
 * socket.addEventListener("textMessageReceived", (e) => {
 *   console.log("Received:", e.message);
 *   socket.active = false;
 * });
 * ```
 */
export class WebSocket extends QtEventTarget<WebSocketEventMap> {
  /**
   * QML's `WebSocket.Status` values: `Connecting` 0, `Open` 1, `Closing` 2,
   * `Closed` 3, `Error` 4.
   */
  static readonly Status = {
    /** The connection is being opened. */
    Connecting: 0,
    /** The connection is open: messages can be sent. */
    Open: 1,
    /** The closing handshake is under way. */
    Closing: 2,
    /** There is no connection. */
    Closed: 3,
    /** The last operation failed; `errorString` says why. */
    Error: 4,
  } as const;

  static {
    adoptAccepted = (socket) => {
      const webSocket = new WebSocket();
      webSocket.#adopt(socket);
      return webSocket;
    };
  }

  // The properties, as the application set them.
  #url: URL | null = null;
  #urlText = "";
  #active = false;
  #requestedSubprotocols: string[] = [];

  // What the connection reports.
  #status: WebSocket.Status = WebSocket.Status.Closed;
  #errorString = "";
  #negotiatedSubprotocol = "";

  #socket: QWebSocket | null = null;
  #detach: AbortController | null = null;
  #accepted = false;
  #retiring: Set<Promise<void>> = new Set();

  // Changes not yet applied.
  readonly #changes: PendingChanges = new PendingChanges(() => this.#apply());
  #urlDirty = false;
  #activated = false;
  #disposed = false;

  /**
   * Creates a socket: not active, status `Closed`. Properties given in
   * `init` are applied together at the end of the current microtask, so
   * listeners added right after construction see every event.
   *
   * @param init Initial property values.
   */
  constructor(init: WebSocketInit = {}) {
    super();
    if (init === null || typeof init !== "object") {
      throw new TypeError("Cannot create WebSocket: pass an object such as { url, active }");
    }
    if (init.url !== undefined) this.url = init.url;
    if (init.requestedSubprotocols !== undefined) {
      this.requestedSubprotocols = init.requestedSubprotocols;
    }
    if (init.active !== undefined) this.active = init.active;
  }

  // --- properties ----------------------------------------------------------------

  /**
   * The server to connect to: a `ws://` or `wss://` URL (`http://` and
   * `https://` are accepted as aliases, as by `QWebSocket`). A string without
   * a scheme gets `ws://`, as QML documents. Setting it while `active`
   * closes the current connection and opens one to the new URL.
   *
   * Reads as a copy of the URL, or `null` when empty or not a valid URL
   * (activating then gives status `Error`).
   */
  get url(): URL | null {
    return this.#url === null ? null : new URL(this.#url.href);
  }

  set url(value: URL | string | null) {
    let url: URL | null = null;
    let text: string;
    if (value === null) {
      text = "";
    } else if (value instanceof URL) {
      text = value.href;
      url = new URL(value.href);
    } else if (typeof value === "string") {
      text = value;
      url = parseUrl(value);
    } else {
      throw new TypeError(`Cannot set url: pass a URL or a string, not ${describe(value)}`);
    }
    const key = url?.href ?? text;
    if (key === (this.#url?.href ?? this.#urlText)) return;
    this.#url = url;
    this.#urlText = text;
    this.#urlDirty = true;
    this.#changes.schedule();
    this.dispatchEvent(new UrlChangedEvent(this.url));
  }

  /**
   * Whether the socket should be connected. Setting `true` connects to
   * `url`; setting `false` closes the connection with a closing handshake.
   * Default `false`. It stays `true` when the server closes the connection,
   * as in QML: set it to `false` and back to `true` to reconnect.
   */
  get active(): boolean {
    return this.#active;
  }

  set active(value: boolean) {
    if (typeof value !== "boolean") {
      throw new TypeError(`Cannot set active: pass true or false, not ${describe(value)}`);
    }
    if (value === this.#active) return;
    this.#active = value;
    if (value) this.#activated = true;
    this.#changes.schedule();
    this.dispatchEvent(new ActiveChangedEvent(value));
  }

  /**
   * The subprotocols to offer in the opening handshake, most preferred
   * first. Changing them does not reconnect: they apply to the next
   * connection, as in QML. Reads as a copy.
   */
  get requestedSubprotocols(): string[] {
    return [...this.#requestedSubprotocols];
  }

  set requestedSubprotocols(value: readonly string[]) {
    if (!Array.isArray(value) || value.some((p) => typeof p !== "string")) {
      throw new TypeError("Cannot set requestedSubprotocols: pass an array of strings");
    }
    const current = this.#requestedSubprotocols;
    if (value.length === current.length && value.every((p, i) => p === current[i])) return;
    this.#requestedSubprotocols = [...value];
    this.dispatchEvent(new Event("requestedSubprotocolsChanged"));
  }

  /**
   * The connection's status, one of `WebSocket.Status`. `Error` stays until
   * the next connection attempt, so `errorString` can be read after the
   * failed connection has closed.
   */
  get status(): WebSocket.Status {
    this.#changes.flush();
    return this.#status;
  }

  /** A description of the last error; `""` whenever `status` is not `Error`. */
  get errorString(): string {
    this.#changes.flush();
    return this.#errorString;
  }

  /** The subprotocol the server chose; `""` when none (or not connected yet). */
  get negotiatedSubprotocol(): string {
    this.#changes.flush();
    return this.#negotiatedSubprotocol;
  }

  // --- methods -------------------------------------------------------------------

  /**
   * Sends a text message. When `status` is not `Open`, nothing is sent:
   * `status` becomes `Error` and `errorString` says so.
   *
   * @param message The text.
   * @returns The number of UTF-8 bytes queued; 0 when nothing was sent.
   */
  sendTextMessage(message: string): number {
    if (typeof message !== "string") {
      throw new TypeError(
        `Cannot send a text message: expected a string, got ${
          describe(message)
        }; use sendBinaryMessage() for bytes`,
      );
    }
    const socket = this.#openSocket();
    return socket === null ? 0 : socket.sendTextMessage(message);
  }

  /**
   * Sends a binary message. When `status` is not `Open`, nothing is sent:
   * `status` becomes `Error` and `errorString` says so. The bytes are copied.
   *
   * @param message The bytes: an `ArrayBuffer`, a `Uint8Array` or any other view.
   * @returns The number of bytes queued; 0 when nothing was sent.
   */
  sendBinaryMessage(message: ArrayBuffer | ArrayBufferView): number {
    if (!(message instanceof ArrayBuffer) && !ArrayBuffer.isView(message)) {
      throw new TypeError(
        `Cannot send a binary message: expected an ArrayBuffer or a typed array, got ${
          describe(message)
        }; use sendTextMessage() for text`,
      );
    }
    const socket = this.#openSocket();
    return socket === null ? 0 : socket.sendBinaryMessage(message);
  }

  /**
   * Closes the connection (or cancels its opening) and resolves once every
   * connection this object opened has ended. Later property changes have no
   * effect.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    this.#disposed = true;
    const socket = this.#socket;
    if (socket !== null) this.#track(socket[Symbol.asyncDispose]());
    await Promise.allSettled([...this.#retiring]);
  }

  // --- applying changes ----------------------------------------------------------

  #openSocket(): QWebSocket | null {
    this.#changes.flush();
    if (this.#status !== WebSocket.Status.Open || this.#socket === null) {
      this.#fail(NOT_OPEN);
      return null;
    }
    return this.#socket;
  }

  #apply(): void {
    const urlChanged = this.#urlDirty;
    const activated = this.#activated;
    this.#urlDirty = false;
    this.#activated = false;
    if (this.#disposed) return;
    const socket = this.#socket;
    const live = socket !== null && socket.state() !== State.UnconnectedState;
    if (!this.#active) {
      if (live) socket.close();
      return;
    }
    if (this.#accepted) {
      if (urlChanged) {
        this.#fail(
          "A WebSocket accepted by a WebSocketServer cannot connect to another url: create a new WebSocket",
        );
      } else if (activated && !live) {
        this.#fail(
          "A WebSocket accepted by a WebSocketServer cannot reconnect once closed: the client must connect again",
        );
      }
      return;
    }
    if (urlChanged || activated) this.#open();
  }

  #open(): void {
    const previous = this.#socket;
    if (previous !== null) this.#retire(previous);
    this.#socket = null;
    const url = this.#url;
    if (url === null) {
      this.#fail(
        this.#urlText === ""
          ? "Cannot connect: url is empty; set it to a ws:// or wss:// URL before setting active"
          : `Cannot connect: ${JSON.stringify(this.#urlText)} is not a valid URL`,
      );
      return;
    }
    const socket = new QWebSocket();
    this.#attach(socket);
    this.#setNegotiatedSubprotocol("");
    const options = new QWebSocketHandshakeOptions();
    options.setSubprotocols(this.#requestedSubprotocols);
    socket.open(url, options);
  }

  #adopt(socket: QWebSocket): void {
    this.#accepted = true;
    this.#active = true;
    this.#url = socket.requestUrl();
    this.#urlText = this.#url.href;
    this.#negotiatedSubprotocol = socket.subprotocol();
    this.#attach(socket);
    this.#onState(socket.state());
  }

  #attach(socket: QWebSocket): void {
    const detach = new AbortController();
    const signal = detach.signal;
    this.#socket = socket;
    this.#detach = detach;
    on(socket, "stateChanged", (e) => this.#onState(e.state), signal);
    on(socket, "error", () => {
      this.#setErrorString(socket.errorString());
      this.#setStatus(WebSocket.Status.Error);
    }, signal);
    on(socket, "connected", () => this.#setNegotiatedSubprotocol(socket.subprotocol()), signal);
    on(socket, "textMessageReceived", (e) => {
      this.dispatchEvent(new TextMessageReceivedEvent(e.message));
    }, signal);
    on(socket, "binaryMessageReceived", (e) => {
      this.dispatchEvent(new BinaryMessageReceivedEvent(e.message));
    }, signal);
  }

  // Stops reporting a connection that is being replaced, closes it with a
  // closing handshake, and keeps its end so that disposal can wait for it.
  #retire(socket: QWebSocket): void {
    this.#detach?.abort();
    this.#detach = null;
    this.#track(socket[Symbol.asyncDispose]());
  }

  #track(done: Promise<void>): void {
    this.#retiring.add(done);
    const forget = () => this.#retiring.delete(done);
    done.then(forget, forget);
  }

  #onState(state: QAbstractSocket.SocketState): void {
    switch (state) {
      case State.ConnectedState:
        this.#setStatus(WebSocket.Status.Open);
        break;
      case State.ClosingState:
        this.#setStatus(WebSocket.Status.Closing);
        break;
      case State.UnconnectedState:
        // A failed connection reports `error` before it ends: keep `Error`
        // (and its errorString) rather than hiding it behind `Closed`.
        if (this.#status !== WebSocket.Status.Error) this.#setStatus(WebSocket.Status.Closed);
        break;
      default:
        this.#setStatus(WebSocket.Status.Connecting);
    }
  }

  #fail(message: string): void {
    this.#setErrorString(message);
    this.#setStatus(WebSocket.Status.Error);
  }

  #setStatus(status: WebSocket.Status): void {
    if (status === this.#status) return;
    this.#status = status;
    if (status !== WebSocket.Status.Error) this.#setErrorString("");
    this.dispatchEvent(new StatusChangedEvent(status));
  }

  #setErrorString(errorString: string): void {
    if (errorString === this.#errorString) return;
    this.#errorString = errorString;
    this.dispatchEvent(new ErrorStringChangedEvent(errorString));
  }

  #setNegotiatedSubprotocol(protocol: string): void {
    if (protocol === this.#negotiatedSubprotocol) return;
    this.#negotiatedSubprotocol = protocol;
    this.dispatchEvent(new Event("negotiatedSubprotocolChanged"));
  }
}

/** The type of `WebSocket.Status` values. */
export declare namespace WebSocket {
  /** One of `WebSocket.Status`: `Connecting` 0, `Open` 1, `Closing` 2, `Closed` 3, `Error` 4. */
  export type Status = typeof WebSocket.Status[keyof typeof WebSocket.Status];
}

function on<K extends keyof QWebSocketEventMap & string>(
  socket: QWebSocket,
  type: K,
  listener: QtEventListener<QWebSocketEventMap[K]>,
  signal: AbortSignal,
): void {
  socket.addEventListener(type, listener, { signal });
}

// QML: "When not supplied, then ws:// is used."
function parseUrl(text: string): URL | null {
  if (text === "") return null;
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `ws://${text}`;
  try {
    return new URL(withScheme);
  } catch {
    return null;
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return value.constructor?.name ?? "object";
  return typeof value;
}
