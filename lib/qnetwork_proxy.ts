/**
 * `QNetworkProxy`: how a `QWebSocket` reaches its server.
 *
 * @module
 */

/**
 * A proxy setting, as Qt's `QNetworkProxy`: a type, a host and port, and
 * optional credentials.
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
 */
export class QNetworkProxy {
  /** Qt's `QNetworkProxy::ProxyType` values. */
  static readonly ProxyType = {
    /** Use the application proxy (by default: the proxy environment variables). */
    DefaultProxy: 0,
    /** SOCKS 5 (not supported). */
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

  static #applicationProxy: QNetworkProxy = new QNetworkProxy(QNetworkProxy.ProxyType.DefaultProxy);

  #type: QNetworkProxy.ProxyType;
  #hostName: string;
  #port: number;
  #user: string;
  #password: string;

  /**
   * Creates a proxy setting.
   *
   * @param type The kind of proxy (default `DefaultProxy`).
   * @param hostName The proxy's host.
   * @param port The proxy's port.
   * @param user The user name for proxy authentication.
   * @param password The password for proxy authentication.
   */
  constructor(
    type: QNetworkProxy.ProxyType = QNetworkProxy.ProxyType.DefaultProxy,
    hostName = "",
    port = 0,
    user = "",
    password = "",
  ) {
    this.#type = type;
    this.#hostName = hostName;
    this.#port = port;
    this.#user = user;
    this.#password = password;
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
    this.#type = type;
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
    this.#hostName = hostName;
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
    this.#port = port;
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
    this.#user = user;
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
    this.#password = password;
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
   * The proxy used by sockets whose proxy is `DefaultProxy`.
   *
   * @returns The application-wide proxy.
   */
  static applicationProxy(): QNetworkProxy {
    return QNetworkProxy.#applicationProxy;
  }

  /**
   * Sets the proxy used by sockets whose proxy is `DefaultProxy`.
   *
   * @param proxy The application-wide proxy.
   */
  static setApplicationProxy(proxy: QNetworkProxy): void {
    QNetworkProxy.#applicationProxy = proxy;
  }
}

/** The type of `QNetworkProxy.ProxyType` values. */
export declare namespace QNetworkProxy {
  /** One of `QNetworkProxy.ProxyType`. */
  export type ProxyType = typeof QNetworkProxy.ProxyType[keyof typeof QNetworkProxy.ProxyType];
}
