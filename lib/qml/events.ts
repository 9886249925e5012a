/**
 * The signals of the declarative types as DOM events: one `Event` subclass
 * per QML signal that carries arguments, with the arguments as readonly
 * fields named after the QML signal's parameters.
 *
 * @module
 */

import type { WebSocket } from "./web_socket.ts";

/**
 * `statusChanged(Status status)` of the declarative {@linkcode WebSocket}.
 *
 * @example The new status
 * ```ts
 * import { StatusChangedEvent, WebSocket } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * const event = new StatusChangedEvent(WebSocket.Status.Open);
 * assert.equal(event.type, "statusChanged");
 * assert.equal(event.status, 1);
 * ```
 */
export class StatusChangedEvent extends Event {
  /** The new status, one of `WebSocket.Status`. */
  readonly status: WebSocket.Status;

  /**
   * Creates the event.
   *
   * @param status The new status.
   */
  constructor(status: WebSocket.Status) {
    super("statusChanged");
    this.status = status;
  }
}

/**
 * `clientConnected(WebSocket webSocket)` of the declarative `WebSocketServer`:
 * a client completed its opening handshake.
 *
 * @example The client's connection
 * ```ts
 * import { ClientConnectedEvent, WebSocket } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * const client = new WebSocket();
 * const event = new ClientConnectedEvent(client);
 * assert.equal(event.type, "clientConnected");
 * assert.equal(event.webSocket, client);
 * ```
 */
export class ClientConnectedEvent extends Event {
  /** The client's end of the connection, already active and open. */
  readonly webSocket: WebSocket;

  /**
   * Creates the event.
   *
   * @param webSocket The client's connection.
   */
  constructor(webSocket: WebSocket) {
    super("clientConnected");
    this.webSocket = webSocket;
  }
}

/**
 * `activeChanged(bool isActive)` of the declarative {@linkcode WebSocket}.
 *
 * @example The new active value
 * ```ts
 * import { ActiveChangedEvent } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new ActiveChangedEvent(true).isActive, true);
 * ```
 */
export class ActiveChangedEvent extends Event {
  /** The new value of `active`. */
  readonly isActive: boolean;

  /**
   * Creates the event.
   *
   * @param isActive The new value of `active`.
   */
  constructor(isActive: boolean) {
    super("activeChanged");
    this.isActive = isActive;
  }
}

/**
 * `errorStringChanged(QString errorString)` of both declarative types.
 *
 * @example The new error string
 * ```ts
 * import { ErrorStringChangedEvent } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new ErrorStringChangedEvent("Connection refused").errorString, "Connection refused");
 * ```
 */
export class ErrorStringChangedEvent extends Event {
  /** The new error description; `""` once the error is cleared. */
  readonly errorString: string;

  /**
   * Creates the event.
   *
   * @param errorString The new error description.
   */
  constructor(errorString: string) {
    super("errorStringChanged");
    this.errorString = errorString;
  }
}

/**
 * `urlChanged` of both declarative types. QML's `WebSocket.urlChanged()` has
 * no argument and `WebSocketServer.urlChanged(QUrl url)` has one; here both
 * carry the new URL.
 *
 * @example The new url
 * ```ts
 * import { UrlChangedEvent } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new UrlChangedEvent(new URL("ws://127.0.0.1:1234")).url?.port, "1234");
 * ```
 */
export class UrlChangedEvent extends Event {
  /** The new URL; `null` for a `WebSocket` whose url is empty or not a valid URL. */
  readonly url: URL | null;

  /**
   * Creates the event.
   *
   * @param url The new URL.
   */
  constructor(url: URL | null) {
    super("urlChanged");
    this.url = url;
  }
}

/**
 * `hostChanged(QString host)` of the declarative `WebSocketServer`.
 *
 * @example The new host
 * ```ts
 * import { HostChangedEvent } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new HostChangedEvent("::1").host, "::1");
 * ```
 */
export class HostChangedEvent extends Event {
  /** The new host address. */
  readonly host: string;

  /**
   * Creates the event.
   *
   * @param host The new host address.
   */
  constructor(host: string) {
    super("hostChanged");
    this.host = host;
  }
}

/**
 * `portChanged(int port)` of the declarative `WebSocketServer`, also
 * dispatched when a server asked for port 0 learns the port it got.
 *
 * @example The new port
 * ```ts
 * import { PortChangedEvent } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new PortChangedEvent(1234).port, 1234);
 * ```
 */
export class PortChangedEvent extends Event {
  /** The new port. */
  readonly port: number;

  /**
   * Creates the event.
   *
   * @param port The new port.
   */
  constructor(port: number) {
    super("portChanged");
    this.port = port;
  }
}

/**
 * `nameChanged(QString name)` of the declarative `WebSocketServer`.
 *
 * @example The new name
 * ```ts
 * import { NameChangedEvent } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new NameChangedEvent("Echo").name, "Echo");
 * ```
 */
export class NameChangedEvent extends Event {
  /** The new server name. */
  readonly name: string;

  /**
   * Creates the event.
   *
   * @param name The new server name.
   */
  constructor(name: string) {
    super("nameChanged");
    this.name = name;
  }
}

/**
 * `listenChanged(bool listen)` of the declarative `WebSocketServer`.
 *
 * @example The new listen value
 * ```ts
 * import { ListenChangedEvent } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new ListenChangedEvent(true).listen, true);
 * ```
 */
export class ListenChangedEvent extends Event {
  /** The new value of `listen`. */
  readonly listen: boolean;

  /**
   * Creates the event.
   *
   * @param listen The new value of `listen`.
   */
  constructor(listen: boolean) {
    super("listenChanged");
    this.listen = listen;
  }
}

/**
 * `acceptChanged(bool accept)` of the declarative `WebSocketServer`.
 *
 * @example The new accept value
 * ```ts
 * import { AcceptChangedEvent } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new AcceptChangedEvent(false).accept, false);
 * ```
 */
export class AcceptChangedEvent extends Event {
  /** The new value of `accept`. */
  readonly accept: boolean;

  /**
   * Creates the event.
   *
   * @param accept The new value of `accept`.
   */
  constructor(accept: boolean) {
    super("acceptChanged");
    this.accept = accept;
  }
}
