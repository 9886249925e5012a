/**
 * One attempt's connection to a proxy, shared by the HTTP CONNECT and SOCKS5
 * tunnels: reaching the proxy within a time bound, closing the connection on
 * any failure or cancellation, and Qt's proxy errors for a proxy that cannot
 * be reached.
 *
 * @module
 */

import { QAbstractSocket } from "../protocol/qabstract_socket.ts";
import { classifyError, TransportError } from "./connect.ts";

const E = QAbstractSocket.SocketError;

/** Where a proxy is, and how messages name it. */
export interface ProxyEndpoint {
  /** The proxy's host name or IP address (IPv6 without brackets). */
  hostname: string;
  /** The proxy's port. */
  port: number;
  /** `host:port` for messages. */
  where: string;
}

/** An attempt's outcome: a connection that is now the tunnel, or anything else. */
export type ProxyOutcome = { kind: "open"; conn: Deno.TcpConn } | { kind: string };

/**
 * Connects to the proxy and runs `talk` on the connection, the whole bounded
 * by `timeout` ms (negative: no bound). The connection stays open only when
 * `talk` returns `{ kind: "open" }`; any other outcome, any error, the
 * timeout and `outer` close it. Once a signal has fired, its reason is what
 * the attempt rejects with (the timeout's is `ProxyConnectionTimeoutError`
 * with `timeoutMessage`); other errors go through `mapError`.
 *
 * @param proxy The proxy.
 * @param timeout The bound in ms.
 * @param timeoutMessage The message of the timeout's error.
 * @param outer The caller's cancellation.
 * @param talk What to say to the proxy once connected.
 * @param mapError Turns an error of `talk` into the one to throw.
 * @returns What `talk` returned.
 */
export async function attemptThroughProxy<T extends ProxyOutcome>(
  proxy: ProxyEndpoint,
  timeout: number,
  timeoutMessage: string,
  outer: AbortSignal,
  talk: (conn: Deno.TcpConn) => Promise<T>,
  mapError: (error: unknown) => unknown = (error) => error,
): Promise<T> {
  const timer = new AbortController();
  const timeoutId = timeout >= 0
    ? setTimeout(() => {
      timer.abort(new TransportError(E.ProxyConnectionTimeoutError, timeoutMessage));
    }, timeout)
    : undefined;
  const signal = AbortSignal.any([outer, timer.signal]);
  let conn: Deno.TcpConn | null = null;
  let closed = false;
  const close = () => {
    if (conn !== null && !closed) {
      closed = true;
      conn.close();
    }
  };
  signal.addEventListener("abort", close, { once: true });
  try {
    try {
      conn = await Deno.connect({ hostname: proxy.hostname, port: proxy.port, signal });
    } catch (error) {
      signal.throwIfAborted();
      throw proxyConnectError(error, proxy.where);
    }
    if (signal.aborted) throw signal.reason;
    conn.setNoDelay(true);
    const outcome = await talk(conn);
    if (outcome.kind !== "open") close();
    return outcome;
  } catch (error) {
    close();
    // The timer's reason is the timeout error; the caller's is its own.
    if (signal.aborted) throw signal.reason;
    throw mapError(error);
  } finally {
    clearTimeout(timeoutId);
    signal.removeEventListener("abort", close);
  }
}

/**
 * Writes all of `bytes` to the proxy.
 *
 * @param conn The connection to the proxy.
 * @param bytes What to write.
 * @param where The proxy's `host:port`.
 * @throws {TransportError} Classified by {@linkcode proxyConnectError}.
 */
export async function writeToProxy(
  conn: Deno.TcpConn,
  bytes: Uint8Array,
  where: string,
): Promise<void> {
  let at = 0;
  while (at < bytes.length) {
    try {
      at += await conn.write(bytes.subarray(at));
    } catch (error) {
      throw proxyConnectError(error, where);
    }
  }
}

/**
 * Maps a failure to reach the proxy to Qt's proxy errors: refused or
 * unreachable is `ProxyConnectionRefusedError`, an unknown name is
 * `ProxyNotFoundError`, a timeout `ProxyConnectionTimeoutError`, a reset
 * `ProxyConnectionClosedError`. A missing `--allow-net` stays
 * `SocketAccessError`, whose message names the flag.
 *
 * @param error What `Deno.connect` threw.
 * @param where The proxy's `host:port`.
 * @returns The classified error.
 */
export function proxyConnectError(error: unknown, where: string): TransportError {
  const classified = classifyError(error, where);
  const options = { cause: error };
  switch (classified.socketError) {
    case E.ConnectionRefusedError:
      return new TransportError(
        E.ProxyConnectionRefusedError,
        `Proxy ${where} refused the connection`,
        null,
        options,
      );
    case E.NetworkError:
    case E.SocketAddressNotAvailableError:
      return new TransportError(
        E.ProxyConnectionRefusedError,
        `Proxy ${where} cannot be reached: ${classified.message}`,
        null,
        options,
      );
    case E.HostNotFoundError:
      return new TransportError(
        E.ProxyNotFoundError,
        `Proxy host not found: ${where}`,
        null,
        options,
      );
    case E.SocketTimeoutError:
      return new TransportError(
        E.ProxyConnectionTimeoutError,
        `Connecting to proxy ${where} timed out`,
        null,
        options,
      );
    case E.RemoteHostClosedError:
      return new TransportError(
        E.ProxyConnectionClosedError,
        `Proxy ${where} closed the connection`,
        null,
        options,
      );
    default:
      return classified;
  }
}

/**
 * `host:port` as a URL authority writes it: an IPv6 address in brackets.
 *
 * @param hostname A host name or IP address (IPv6 without brackets).
 * @returns The host as it goes before `:port`.
 */
export function bracketed(hostname: string): string {
  return hostname.includes(":") ? `[${hostname}]` : hostname;
}
