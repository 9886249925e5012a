/**
 * Listening sockets: `Deno.listen` and `Deno.listenTls`, an accept loop that
 * can pause, and the server side of TLS handshakes.
 *
 * @module
 */

import { QAbstractSocket } from "../protocol/qabstract_socket.ts";
import { ConnChannel, type Endpoint } from "./byte_channel.ts";
import { classifyError, TransportError } from "./connect.ts";

const E = QAbstractSocket.SocketError;

/** TLS settings of a listening socket. */
export interface ListenTlsOptions {
  /** PEM certificate chain. */
  cert: string;
  /** PEM private key. */
  key: string;
  /** ALPN protocols the server accepts. */
  alpnProtocols?: string[];
}

/** A listening socket. */
export interface ListeningSocket {
  /** The listener (what `QWebSocketServer.socketDescriptor()` returns). */
  readonly listener: Deno.Listener;
  /** The bound address. */
  readonly address: Endpoint;
  /** Whether connections are TLS. */
  readonly secure: boolean;
}

/**
 * Starts listening. `Deno.listen` is synchronous, so failures are known at once.
 *
 * @param hostname The address to bind (`"0.0.0.0"`, `"::"`, `"127.0.0.1"`...).
 * @param port The port, 0 for any free one.
 * @param tls TLS settings, or `null` for plain TCP.
 * @returns The listening socket.
 * @throws {TransportError} Classified as a Qt socket error.
 */
export function listen(
  hostname: string,
  port: number,
  tls: ListenTlsOptions | null,
): ListeningSocket {
  const where = `${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;
  let listener: Deno.Listener;
  try {
    listener = tls === null ? Deno.listen({ hostname, port, transport: "tcp" }) : Deno.listenTls({
      hostname,
      port,
      transport: "tcp",
      cert: tls.cert,
      key: tls.key,
      ...(tls.alpnProtocols !== undefined && tls.alpnProtocols.length > 0
        ? { alpnProtocols: tls.alpnProtocols }
        : {}),
    });
  } catch (error) {
    throw classifyListenError(error, where);
  }
  return adopt(listener);
}

/**
 * Wraps a listener the application created.
 *
 * @param listener A TCP or TLS listener.
 * @returns The listening socket.
 * @throws {TypeError} When the listener is not a TCP or TLS listener.
 */
export function adopt(listener: Deno.Listener): ListeningSocket {
  const addr = listener.addr;
  if (addr.transport !== "tcp") {
    throw new TypeError(`Cannot adopt a ${addr.transport} listener: pass a TCP or TLS listener`);
  }
  return {
    listener,
    address: { address: addr.hostname, port: addr.port },
    secure: isTlsListener(listener),
  };
}

function isTlsListener(listener: Deno.Listener): boolean {
  // Deno.TlsListener has no distinct public marker; its class name is stable.
  return listener.constructor?.name === "TlsListener";
}

function classifyListenError(error: unknown, where: string): TransportError {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
    return new TransportError(
      E.SocketAccessError,
      `Permission denied to listen on ${where}: run Deno with --allow-net=${where}`,
    );
  }
  if (error instanceof Deno.errors.AddrInUse) {
    return new TransportError(E.AddressInUseError, `Address already in use: ${where}`);
  }
  if (error instanceof Deno.errors.AddrNotAvailable) {
    return new TransportError(
      E.SocketAddressNotAvailableError,
      `Address not available on this host: ${where}`,
    );
  }
  if (error instanceof Deno.errors.InvalidData || /certificate|private key|pem/i.test(message)) {
    return new TransportError(
      E.SslInvalidUserDataError,
      `Cannot listen with TLS on ${where}: the certificate or key is invalid (${message})`,
    );
  }
  return new TransportError(E.UnknownSocketError, `Cannot listen on ${where}: ${message}`);
}

/**
 * Accepts the next connection.
 *
 * @param socket The listening socket.
 * @returns The connection, or `null` once the listener is closed.
 * @throws {TransportError} For an accept failure (e.g. out of file descriptors).
 */
export async function accept(socket: ListeningSocket): Promise<Deno.Conn | null> {
  try {
    const conn = await socket.listener.accept();
    if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true);
    return conn;
  } catch (error) {
    if (error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted) {
      return null;
    }
    const message = error instanceof Error ? error.message : String(error);
    if (/too many open files/i.test(message)) {
      throw new TransportError(E.SocketResourceError, `Cannot accept: ${message}`);
    }
    throw classifyError(error, "listener");
  }
}

/**
 * Wraps an accepted connection in a channel, completing the server side of
 * its TLS handshake first when it is a TLS connection.
 *
 * @param conn The accepted connection; the channel owns it.
 * @returns The channel.
 * @throws {TransportError} When the TLS handshake fails (the connection is closed).
 */
export async function acceptedChannel(conn: Deno.Conn): Promise<ConnChannel> {
  if ("handshake" in conn && typeof (conn as Deno.TlsConn).handshake === "function") {
    try {
      await (conn as Deno.TlsConn).handshake();
    } catch (error) {
      try {
        conn.close();
      } catch {
        // Already closed.
      }
      const message = error instanceof Error ? error.message : String(error);
      throw new TransportError(
        E.SslHandshakeFailedError,
        `TLS handshake with a client failed: ${message}`,
      );
    }
  }
  return new ConnChannel(conn);
}

/**
 * Wraps an accepted connection in a channel without a TLS handshake.
 *
 * @param conn The connection.
 * @returns The channel.
 */
export function channelOf(conn: Deno.Conn): ConnChannel {
  return new ConnChannel(conn);
}

/**
 * Closes a listener, ignoring a listener that is already closed.
 *
 * @param socket The listening socket.
 */
export function closeListener(socket: ListeningSocket): void {
  try {
    socket.listener.close();
  } catch {
    // Closed already.
  }
}
