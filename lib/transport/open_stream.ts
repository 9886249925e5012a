/**
 * Opens the byte stream under a client WebSocket: TCP or TLS, directly or
 * through a tunnel (an HTTP proxy's CONNECT).
 *
 * @module
 */

import { ConnChannel } from "./byte_channel.ts";
import {
  type ConnectTarget,
  connectTcp,
  connectTls,
  startTls,
  type TlsOptions,
} from "./connect.ts";

/** Something that opens a TCP connection to a target on our behalf (a proxy tunnel). */
export interface Tunnel {
  /**
   * Opens a TCP stream that reaches `target`.
   *
   * @param target Where the stream must lead.
   * @param signal Cancels the attempt.
   * @returns A connection whose bytes reach `target`.
   */
  open(target: ConnectTarget, signal: AbortSignal): Promise<Deno.TcpConn>;
}

/** Where and how to open the stream. */
export interface StreamTarget extends ConnectTarget {
  /** Whether to run TLS (wss:). */
  secure: boolean;
  /** The TLS settings, for secure targets. */
  tls: TlsOptions;
}

/** An open stream. */
export interface OpenStream {
  /** The channel. */
  channel: ConnChannel;
  /** The ALPN protocol the server chose, for TLS. */
  alpnProtocol: string | null;
}

/**
 * Opens the stream; for TLS through a tunnel the TLS session runs end to end
 * inside the tunnel and verifies the target's name, not the proxy's.
 *
 * @param target Where to connect.
 * @param signal Cancels the attempt (closing whatever was opened).
 * @param tunnel A proxy tunnel, or `null` to connect directly.
 * @returns The stream.
 * @throws {TransportError} Classified as a Qt socket error.
 */
export async function openStream(
  target: StreamTarget,
  signal: AbortSignal,
  tunnel: Tunnel | null,
): Promise<OpenStream> {
  if (tunnel === null) {
    if (!target.secure) {
      return { channel: new ConnChannel(await connectTcp(target, signal)), alpnProtocol: null };
    }
    const { conn, alpnProtocol } = await lateClose(connectTls(target, target.tls, signal), signal);
    return { channel: new ConnChannel(conn), alpnProtocol };
  }
  const raw = await tunnel.open(target, signal);
  if (!target.secure) return { channel: new ConnChannel(raw), alpnProtocol: null };
  const { conn, alpnProtocol } = await startTls(raw, target.hostname, target.tls, signal);
  return { channel: new ConnChannel(conn), alpnProtocol };
}

// `Deno.connectTls` takes no signal: if the attempt was abandoned, close the
// connection as soon as it arrives.
async function lateClose<T extends { conn: Deno.Conn }>(
  pending: Promise<T>,
  signal: AbortSignal,
): Promise<T> {
  const result = await pending;
  if (signal.aborted) {
    result.conn.close();
    throw signal.reason;
  }
  return result;
}
