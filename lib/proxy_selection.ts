/**
 * Which proxy a client connection goes through: the socket's
 * `QNetworkProxy`, the application proxy behind `DefaultProxy`, and the
 * proxy environment variables behind an application proxy of `DefaultProxy`.
 *
 * @module
 */

import { QAbstractSocket } from "./protocol/qabstract_socket.ts";
import { QNetworkProxy } from "./qnetwork_proxy.ts";
import { TransportError } from "./transport/connect.ts";
import type { Tunnel } from "./transport/open_stream.ts";
import {
  environmentProxyFor,
  type EnvironmentReader,
  readEnvironment,
} from "./transport/proxy_environment.ts";
import {
  DEFAULT_PROXY_TIMEOUT,
  HttpConnectTunnel,
  type ProxyCredentials,
} from "./transport/proxy_tunnel.ts";
import { Socks5Tunnel } from "./transport/socks5_tunnel.ts";

const E = QAbstractSocket.SocketError;
const Type = QNetworkProxy.ProxyType;

/** The way to a target. */
export type ProxyRoute =
  | { kind: "direct" }
  | { kind: "http"; proxy: QNetworkProxy }
  | { kind: "socks5"; proxy: QNetworkProxy }
  | { kind: "unusable"; socketError: QAbstractSocket.SocketError; message: string };

/**
 * Resolves a socket's proxy setting for one URL. `DefaultProxy` means the
 * application proxy; an application proxy of `DefaultProxy` (the initial one)
 * means the environment variables (see `transport/proxy_environment.ts`).
 *
 * @param setting The socket's proxy.
 * @param url The `ws:`/`wss:` (or `http:`/`https:`) URL.
 * @param read Reads an environment variable.
 * @returns Direct, an HTTP or SOCKS5 proxy (the very object the setting
 *   resolved to), or why the setting cannot be used.
 */
export function proxyRoute(
  setting: QNetworkProxy,
  url: URL,
  read: EnvironmentReader = readEnvironment,
): ProxyRoute {
  const proxy = setting.type() === Type.DefaultProxy ? QNetworkProxy.applicationProxy() : setting;
  switch (proxy.type()) {
    case Type.NoProxy:
      return { kind: "direct" };
    case Type.HttpProxy:
    case Type.Socks5Proxy: {
      const name = proxy.type() === Type.HttpProxy ? "HttpProxy" : "Socks5Proxy";
      if (proxy.hostName().replace(/^\[|\]$/g, "") === "") {
        return {
          kind: "unusable",
          socketError: E.ProxyNotFoundError,
          message: `The ${name} has no host name: call setHostName() on the QNetworkProxy`,
        };
      }
      if (proxy.port() === 0) {
        return {
          kind: "unusable",
          socketError: E.ProxyNotFoundError,
          message: `The ${name} has no port: call setPort() on the QNetworkProxy`,
        };
      }
      return { kind: proxy.type() === Type.HttpProxy ? "http" : "socks5", proxy };
    }
    case Type.HttpCachingProxy:
    case Type.FtpCachingProxy:
      return {
        kind: "unusable",
        socketError: E.UnsupportedSocketOperationError,
        message: "A caching proxy cannot carry a WebSocket connection: use " +
          "QNetworkProxy.ProxyType.HttpProxy (an HTTP CONNECT proxy) or NoProxy",
      };
    default:
      return fromEnvironment(url, read);
  }
}

function fromEnvironment(url: URL, read: EnvironmentReader): ProxyRoute {
  const secure = url.protocol === "wss:" || url.protocol === "https:";
  const port = url.port === "" ? (secure ? 443 : 80) : Number(url.port);
  const choice = environmentProxyFor({ secure, hostname: url.hostname, port }, read);
  switch (choice.kind) {
    case "direct":
      return { kind: "direct" };
    case "unsupported":
      return {
        kind: "unusable",
        socketError: E.UnsupportedSocketOperationError,
        message: `The proxy in ${choice.variable} cannot be used: ${choice.reason}`,
      };
    case "http":
    case "socks5": {
      const { hostname, port, user, password } = choice.proxy;
      const type = choice.kind === "http" ? Type.HttpProxy : Type.Socks5Proxy;
      return {
        kind: choice.kind,
        proxy: new QNetworkProxy(type, hostname, port, user, password),
      };
    }
  }
}

/** What {@linkcode tunnelFor} needs from the socket. */
export interface TunnelHooks {
  /** The socket's opening bound in ms (negative: none). */
  openTimeout: number;
  /**
   * Asks for credentials after a 407 (or a SOCKS5 proxy's demand for a user
   * name and password), synchronously.
   *
   * @param proxy The proxy that asked.
   * @param realm Its realm (`""` for SOCKS5, which has none).
   * @returns Credentials, or `null` to give up.
   */
  authenticate(proxy: QNetworkProxy, realm: string): ProxyCredentials | null;
}

/**
 * The tunnel for a socket's proxy setting and URL: `null` to connect
 * directly, an HTTP CONNECT or SOCKS5 tunnel, or, for a setting that cannot be used, a
 * tunnel whose `open()` fails with the reason (so the failure reaches the
 * application as an `error` event, never as a throw from `open()`).
 *
 * The proxy phase (reaching the proxy and its answer) may take half of the
 * opening bound, so that a proxy that does not answer is reported as
 * `ProxyConnectionTimeoutError` before the whole opening times out.
 *
 * @param setting The socket's proxy.
 * @param url The URL being opened.
 * @param hooks The socket's bound and its 407 callback.
 * @returns The tunnel, or `null`.
 */
export function tunnelFor(setting: QNetworkProxy, url: URL, hooks: TunnelHooks): Tunnel | null {
  const route = proxyRoute(setting, url);
  switch (route.kind) {
    case "direct":
      return null;
    case "unusable":
      return {
        open(): Promise<Deno.TcpConn> {
          return Promise.reject(new TransportError(route.socketError, route.message));
        },
      };
    case "http":
    case "socks5": {
      const proxy = route.proxy;
      const server = {
        hostname: proxy.hostName().replace(/^\[|\]$/g, ""),
        port: proxy.port(),
        user: proxy.user(),
        password: proxy.password(),
      };
      const timeout = hooks.openTimeout < 0
        ? DEFAULT_PROXY_TIMEOUT
        : Math.max(1, hooks.openTimeout / 2);
      return route.kind === "http"
        ? new HttpConnectTunnel(server, {
          timeout,
          authenticate: (realm) => hooks.authenticate(proxy, realm),
        })
        : new Socks5Tunnel(server, { timeout, authenticate: () => hooks.authenticate(proxy, "") });
    }
  }
}
