/**
 * Listening sockets: `Deno.listen` and `Deno.listenTls`, an accept loop that
 * can pause, and the server side of TLS handshakes.
 *
 * @module
 */

import { QAbstractSocket } from "../protocol/qabstract_socket.ts";
import { ConnChannel, type Endpoint } from "./byte_channel.ts";
import { TransportError } from "./connect.ts";

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
    throw classifyListenError(error, hostname, port);
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

/**
 * The `--allow-net` value that grants listening on `hostname:port`, in the
 * form Deno's permission check names it (`127.0.0.1:0`, `[::1]:8080`).
 *
 * @param hostname The address to bind.
 * @param port The port.
 * @returns The flag's value.
 */
export function allowNetValue(hostname: string, port: number): string {
  return `${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;
}

/**
 * Turns what `Deno.listen` or `Deno.listenTls` threw into a Qt socket error
 * with a sentence that says what to do.
 *
 * @param error What Deno threw.
 * @param hostname The address the server tried to bind.
 * @param port The port.
 * @returns The classified error.
 */
export function classifyListenError(
  error: unknown,
  hostname: string,
  port: number,
): TransportError {
  const where = allowNetValue(hostname, port);
  const message = error instanceof Error ? error.message : String(error);
  const options = { cause: error };
  if (error instanceof Deno.errors.NotCapable) {
    // Deno's permission check asks for exactly host:port; the host alone grants every port.
    const host = hostname.includes(":") ? `[${hostname}]` : hostname;
    return new TransportError(
      E.SocketAccessError,
      `Permission denied to listen on ${where}: run Deno with --allow-net=${where} ` +
        `(or --allow-net=${host} for any port)`,
      null,
      options,
    );
  }
  if (error instanceof Deno.errors.PermissionDenied) {
    return new TransportError(
      E.SocketAccessError,
      `The operating system refused to bind ${where} (${message}): ports below 1024 need ` +
        "privileges; use a higher port",
      null,
      options,
    );
  }
  if (error instanceof Deno.errors.AddrInUse) {
    return new TransportError(
      E.AddressInUseError,
      `Address already in use: ${where} (another program or server listens there)`,
      null,
      options,
    );
  }
  if (error instanceof Deno.errors.AddrNotAvailable) {
    return new TransportError(
      E.SocketAddressNotAvailableError,
      `Address not available on this host: ${where}`,
      null,
      options,
    );
  }
  if (error instanceof Deno.errors.InvalidData || /certificate|private key|pem/i.test(message)) {
    return new TransportError(
      E.SslInvalidUserDataError,
      `Cannot listen with TLS on ${where}: the certificate or key is invalid (${message})`,
      null,
      options,
    );
  }
  if (error instanceof URIError || error instanceof TypeError) {
    return new TransportError(
      E.SocketAddressNotAvailableError,
      `Cannot listen on ${where}: "${hostname}" is not an IP address or host name (${message})`,
      null,
      options,
    );
  }
  return new TransportError(
    E.UnknownSocketError,
    `Cannot listen on ${where}: ${message}`,
    null,
    options,
  );
}

/**
 * Turns what `Deno.Listener.accept()` threw into a Qt socket error, or
 * `null` when it only means the listener was closed.
 *
 * @param error What `accept()` threw.
 * @returns The classified error, or `null` for a closed listener.
 */
export function classifyAcceptError(error: unknown): TransportError | null {
  if (error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted) {
    return null;
  }
  if (error instanceof TransportError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const options = { cause: error };
  // EMFILE / ENFILE: out of file descriptors; ENOBUFS / ENOMEM: out of memory (Qt: SocketResourceError).
  if (/too many open files|os error 2[34]\b/i.test(message)) {
    return new TransportError(
      E.SocketResourceError,
      `Cannot accept a connection: out of file descriptors (${message}); raise the limit ` +
        "(ulimit -n) or serve fewer connections",
      null,
      options,
    );
  }
  if (/no buffer space|cannot allocate memory|os error (?:105|12)\b/i.test(message)) {
    return new TransportError(
      E.SocketResourceError,
      `Cannot accept a connection: out of memory (${message})`,
      null,
      options,
    );
  }
  if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
    return new TransportError(
      E.SocketAccessError,
      `Cannot accept a connection: ${message}`,
      null,
      options,
    );
  }
  // ECONNABORTED: Qt reports a NetworkError, with the text of RemoteHostClosedError.
  if (
    error instanceof Deno.errors.ConnectionAborted || error instanceof Deno.errors.ConnectionReset
  ) {
    return new TransportError(
      E.NetworkError,
      `A client left before its connection was accepted (${message})`,
      null,
      options,
    );
  }
  return new TransportError(
    E.UnknownSocketError,
    `Cannot accept a connection: ${message}`,
    null,
    options,
  );
}

/**
 * Accepts the next connection.
 *
 * @param socket The listening socket.
 * @returns The connection, or `null` once the listener is closed.
 * @throws {TransportError} For an accept failure (e.g. out of file descriptors).
 */
export async function accept(socket: ListeningSocket): Promise<Deno.Conn | null> {
  let conn: Deno.Conn;
  try {
    conn = await socket.listener.accept();
  } catch (error) {
    const classified = classifyAcceptError(error);
    if (classified === null) return null;
    throw classified;
  }
  // Handshake answers and small messages should not wait for Nagle's algorithm.
  if ("setNoDelay" in conn && typeof conn.setNoDelay === "function") {
    try {
      (conn as Deno.TcpConn).setNoDelay(true);
    } catch {
      // The client is gone already; the first read will tell.
    }
  }
  return conn;
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
  if (isTlsConn(conn)) {
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
        `TLS handshake with the client ${peerOf(conn)} failed: ${message}`,
        null,
        { cause: error },
      );
    }
  }
  return new ConnChannel(conn);
}

/**
 * Whether a connection is TLS (its server-side handshake still to run or done).
 *
 * @param conn The connection.
 * @returns `true` for a `Deno.TlsConn`.
 */
export function isTlsConn(conn: Deno.Conn): boolean {
  return "handshake" in conn && typeof (conn as Deno.TlsConn).handshake === "function";
}

/**
 * The peer of a connection as `address:port` (`[::1]:port` for IPv6), for messages.
 *
 * @param conn The connection.
 * @returns The peer, or `"an unknown peer"`.
 */
export function peerOf(conn: Deno.Conn): string {
  try {
    const addr = conn.remoteAddr;
    if (addr.transport === "tcp") return allowNetValue(addr.hostname, addr.port);
  } catch {
    // Closed already.
  }
  return "an unknown peer";
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
