/**
 * `QNetworkProxy`: how a `QWebSocket` reaches its server (directly, through
 * an HTTP CONNECT or SOCKS5 proxy, or as the environment variables say).
 *
 * @module
 */

/**
 * A proxy setting, as Qt's `QNetworkProxy`: a type, a host and port, and
 * optional credentials. Give it to `QWebSocket.setProxy()`, or make it the
 * default of every socket with {@linkcode QNetworkProxy.setApplicationProxy}.
 *
 * The types that apply to WebSockets:
 *
 * - `HttpProxy`: `ws:` and `wss:` connections go through an HTTP `CONNECT`
 *   tunnel; for `wss:` the TLS session runs end to end inside the tunnel and
 *   verifies the server's name, not the proxy's. With a user or password set,
 *   `Proxy-Authorization: Basic` is sent from the first request; a 407 answer
 *   dispatches `proxyAuthenticationRequired` on the socket.
 * - `Socks5Proxy`: `ws:` and `wss:` connections go through a SOCKS5 CONNECT
 *   (RFC 1928), TLS end to end as for `HttpProxy`. The target's name is sent
 *   to the proxy, which resolves it (Qt's `HostNameLookupCapability`); IP
 *   addresses are sent as addresses. With a user or password set,
 *   username/password authentication (RFC 1929) is offered besides none; a
 *   proxy that wants a password it did not get, or refuses it, dispatches
 *   `proxyAuthenticationRequired` (realm `""`). CONNECT reply codes map to
 *   Qt's errors as Qt's SOCKS5 engine maps them (see `docs/proxy.md`).
 * - `DefaultProxy` (the default of every socket): use the application proxy.
 *   The application proxy is itself `DefaultProxy` until set, which means the
 *   environment variables, as curl reads them: `https_proxy`/`HTTPS_PROXY`
 *   for `wss:`, `http_proxy`/`HTTP_PROXY` for `ws:`, then `all_proxy`/
 *   `ALL_PROXY` (`http://`, `socks5://` or `socks5h://` URLs), with
 *   `no_proxy`/`NO_PROXY` exempting hosts (see
 *   `docs/proxy.md` for the exact rules). Reading them needs `--allow-env`;
 *   without that permission they count as unset (no prompt, no error).
 * - `HttpCachingProxy`, `FtpCachingProxy`: cannot carry a WebSocket; a
 *   socket using one fails to open with `UnsupportedSocketOperationError`.
 *
 * The password is never shown by `console.log` / `Deno.inspect`, nor put in
 * any error message.
 *
 * @example A proxy with credentials
 * ```ts
 * import { QNetworkProxy } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * const proxy = new QNetworkProxy(QNetworkProxy.ProxyType.HttpProxy, "127.0.0.1", 3128, "alice", "secret");
 * assert.equal(proxy.type(), QNetworkProxy.ProxyType.HttpProxy);
 * assert.equal(proxy.port(), 3128);
 * ```
 *
 * @example A SOCKS5 proxy (an `ssh -D 1080` tunnel, dante, Tor)
 * ```ts
 * import { QNetworkProxy } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * const socks = new QNetworkProxy(QNetworkProxy.ProxyType.Socks5Proxy, "127.0.0.1", 1080);
 * assert.equal(socks.type(), QNetworkProxy.ProxyType.Socks5Proxy);
 * assert.equal(socks.user(), "");
 * ```
 */
export class QNetworkProxy {
  /** Qt's `QNetworkProxy::ProxyType` values. */
  static readonly ProxyType = {
    /** Use the application proxy (by default: the proxy environment variables). */
    DefaultProxy: 0,
    /**
     * A SOCKS5 proxy (RFC 1928): CONNECT with the target's name resolved by
     * the proxy, optional username/password authentication (RFC 1929).
     */
    Socks5Proxy: 1,
    /** Connect directly. */
    NoProxy: 2,
    /** An HTTP proxy, used through `CONNECT` tunnels. */
    HttpProxy: 3,
    /** An HTTP caching proxy (not usable for WebSockets). */
    HttpCachingProxy: 4,
    /** An FTP caching proxy (not usable for WebSockets). */
    FtpCachingProxy: 5,
  } as const;

  // Null until set: the initial application proxy is a DefaultProxy, meaning
  // the environment variables decide (made on first use, after the class exists).
  static #applicationProxy: QNetworkProxy | null = null;

  #type: QNetworkProxy.ProxyType;
  #hostName: string;
  #port: number;
  #user: string;
  #password: string;

  /**
   * Creates a proxy setting.
   *
   * @param type The kind of proxy (default `DefaultProxy`).
   * @param hostName The proxy's host name or IP address (IPv6 with or without brackets).
   * @param port The proxy's port, 0 to 65535 (an `HttpProxy` needs one).
   * @param user The user name for proxy authentication.
   * @param password The password for proxy authentication.
   * @throws {RangeError} When `type` is not a `ProxyType` or `port` is out of range.
   * @throws {TypeError} When a name or credential is not a string.
   */
  constructor(
    type: QNetworkProxy.ProxyType = QNetworkProxy.ProxyType.DefaultProxy,
    hostName = "",
    port = 0,
    user = "",
    password = "",
  ) {
    this.#type = checkType(type);
    this.#hostName = checkString("host name", hostName);
    this.#port = checkPort(port);
    this.#user = checkString("user", user);
    this.#password = checkString("password", password);
  }

  /** Returns the kind of proxy. */
  type(): QNetworkProxy.ProxyType {
    return this.#type;
  }

  /**
   * Sets the kind of proxy.
   *
   * @param type The kind of proxy.
   */
  setType(type: QNetworkProxy.ProxyType): void {
    this.#type = checkType(type);
  }

  /** Returns the proxy's host. */
  hostName(): string {
    return this.#hostName;
  }

  /**
   * Sets the proxy's host.
   *
   * @param hostName The proxy's host.
   */
  setHostName(hostName: string): void {
    this.#hostName = checkString("host name", hostName);
  }

  /** Returns the proxy's port. */
  port(): number {
    return this.#port;
  }

  /**
   * Sets the proxy's port.
   *
   * @param port The proxy's port.
   */
  setPort(port: number): void {
    this.#port = checkPort(port);
  }

  /** Returns the user name for proxy authentication. */
  user(): string {
    return this.#user;
  }

  /**
   * Sets the user name.
   *
   * @param user The user name.
   */
  setUser(user: string): void {
    this.#user = checkString("user", user);
  }

  /** Returns the password for proxy authentication. */
  password(): string {
    return this.#password;
  }

  /**
   * Sets the password.
   *
   * @param password The password.
   */
  setPassword(password: string): void {
    this.#password = checkString("password", password);
  }

  /**
   * Whether `other` is the same setting.
   *
   * @param other The proxy to compare with.
   * @returns `true` when type, host, port, user and password match.
   */
  equals(other: QNetworkProxy): boolean {
    return this.#type === other.type() && this.#hostName === other.hostName() &&
      this.#port === other.port() && this.#user === other.user() &&
      this.#password === other.password();
  }

  /**
   * The proxy used by sockets whose proxy is `DefaultProxy`. Until set, this
   * is a `DefaultProxy` itself, which means the proxy environment variables.
   *
   * @returns The application-wide proxy.
   */
  static applicationProxy(): QNetworkProxy {
    QNetworkProxy.#applicationProxy ??= new QNetworkProxy(QNetworkProxy.ProxyType.DefaultProxy);
    return QNetworkProxy.#applicationProxy;
  }

  /**
   * Sets the proxy used by sockets whose proxy is `DefaultProxy`, from their
   * next `open()` on. Set `NoProxy` to ignore the environment variables, or a
   * `DefaultProxy` to follow them again.
   *
   * @example Route every socket through a corporate proxy
   * ```ts
   * import { QNetworkProxy } from "@qtws/websockets";
   * import assert from "node:assert/strict";
   *
   * const before = QNetworkProxy.applicationProxy();
   * QNetworkProxy.setApplicationProxy(
   *   new QNetworkProxy(QNetworkProxy.ProxyType.HttpProxy, "proxy.example", 3128),
   * );
   * assert.equal(QNetworkProxy.applicationProxy().hostName(), "proxy.example");
   * QNetworkProxy.setApplicationProxy(before);
   * ```
   *
   * @param proxy The application-wide proxy.
   * @throws {TypeError} When `proxy` is not a `QNetworkProxy`.
   */
  static setApplicationProxy(proxy: QNetworkProxy): void {
    if (!(proxy instanceof QNetworkProxy)) {
      throw new TypeError("Cannot set the application proxy: pass a QNetworkProxy");
    }
    QNetworkProxy.#applicationProxy = proxy;
  }

  /**
   * What `console.log` and `Deno.inspect` show: every field but the password,
   * which is masked so that logs never carry it.
   *
   * @returns A description such as `QNetworkProxy { HttpProxy proxy:3128 user="alice" password=*** }`.
   */
  [Symbol.for("Deno.customInspect")](): string {
    const type = Object.entries(QNetworkProxy.ProxyType).find(([, v]) => v === this.#type)?.[0];
    const host = this.#hostName === "" ? "" : ` ${this.#hostName}:${this.#port}`;
    const user = this.#user === "" ? "" : ` user=${JSON.stringify(this.#user)}`;
    const password = this.#password === "" ? "" : " password=***";
    return `QNetworkProxy { ${type}${host}${user}${password} }`;
  }
}

function checkType(type: unknown): QNetworkProxy.ProxyType {
  if (!Object.values(QNetworkProxy.ProxyType).includes(type as QNetworkProxy.ProxyType)) {
    throw new RangeError(
      `Cannot use proxy type ${String(type)}: pass one of QNetworkProxy.ProxyType`,
    );
  }
  return type as QNetworkProxy.ProxyType;
}

function checkPort(port: unknown): number {
  if (typeof port !== "number" || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`Cannot use proxy port ${String(port)}: pass an integer from 0 to 65535`);
  }
  return port;
}

function checkString(what: string, value: unknown): string {
  if (typeof value !== "string") {
    throw new TypeError(`Cannot set the proxy's ${what}: pass a string, not ${typeof value}`);
  }
  return value;
}

/** The type of `QNetworkProxy.ProxyType` values. */
export declare namespace QNetworkProxy {
  /** One of `QNetworkProxy.ProxyType`. */
  export type ProxyType = typeof QNetworkProxy.ProxyType[keyof typeof QNetworkProxy.ProxyType];
}
