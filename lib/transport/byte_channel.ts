/**
 * `ByteChannel`: a connected byte stream (TCP, TLS, or a tunnel through a
 * proxy) as the connection engine sees it, and its implementation over a
 * `Deno.Conn`.
 *
 * @module
 */

import { classifyError } from "./connect.ts";

/** The local or remote end of a connection. */
export interface Endpoint {
  /** The IP address, e.g. `"127.0.0.1"` or `"::1"`. */
  readonly address: string;
  /** The port. */
  readonly port: number;
}

/** A connected byte stream. */
export interface ByteChannel {
  /** This end's address. */
  readonly local: Endpoint;
  /** The peer's address. */
  readonly remote: Endpoint;
  /**
   * Reads the next bytes, waiting for them.
   *
   * @returns The bytes, or `null` at the end of the stream.
   * @throws {TransportError} When the connection fails.
   */
  read(): Promise<Uint8Array | null>;
  /**
   * Reads into `target` (the rest of a large frame, into the frame's own
   * buffer), waiting for bytes.
   *
   * @param target Where the bytes go; a read may fill less of it.
   * @returns How many bytes were read, or `null` at the end of the stream.
   * @throws {TransportError} When the connection fails.
   */
  readInto(target: Uint8Array): Promise<number | null>;
  /**
   * Writes all of `data`.
   *
   * @param data The bytes.
   */
  write(data: Uint8Array): Promise<void>;
  /** Sends the end of the stream (TCP FIN), keeping the read side open. */
  closeWrite(): Promise<void>;
  /** Closes both directions at once; pending reads end. Safe to call twice. */
  close(): void;
  /** Caps the size of each read (0: adapt freely). */
  setReadLimit(bytes: number): void;
  /**
   * Tells the channel that nothing refers to the bytes of the last `read()`
   * any more, so the next read may reuse their memory. Without this call,
   * every read returns memory of its own.
   */
  release(): void;
}

// Read buffers start small so an idle connection holds little memory (a
// waiting read pins its buffer), and grow while reads keep filling them.
const MIN_READ = 512;
const MAX_READ = 256 * 1024;

function endpointOf(addr: Deno.Addr): Endpoint {
  if (addr.transport === "tcp" || addr.transport === "udp") {
    return { address: addr.hostname, port: addr.port };
  }
  // A TlsConn from Deno.startTls (wss: through a proxy tunnel) reports its
  // addresses without a `transport` field.
  const net = addr as Partial<Deno.NetAddr>;
  if (typeof net.hostname === "string" && typeof net.port === "number") {
    return { address: net.hostname, port: net.port };
  }
  return { address: "", port: 0 };
}

/**
 * A {@linkcode ByteChannel} over a `Deno.Conn` (TCP or TLS).
 */
export class ConnChannel implements ByteChannel {
  readonly #conn: Deno.Conn;
  readonly local: Endpoint;
  readonly remote: Endpoint;
  #size = MIN_READ;
  #limit = 0;
  // The buffer of the last read, and whether its bytes were released.
  #buffer: Uint8Array | null = null;
  #released = false;
  // Whether the last read filled its buffer.
  #filled = false;
  #closed = false;
  // The write in progress (writes run one after another) and a count of the
  // writes started, so the last one to finish can clear it.
  #lastWrite: Promise<void> | null = null;
  #writes = 0;

  /**
   * Wraps a connection.
   *
   * @param conn A connected TCP or TLS connection; the channel owns it.
   */
  constructor(conn: Deno.Conn) {
    this.#conn = conn;
    this.local = endpointOf(conn.localAddr);
    this.remote = endpointOf(conn.remoteAddr);
  }

  /** The underlying connection. */
  get conn(): Deno.Conn {
    return this.#conn;
  }

  async read(): Promise<Uint8Array | null> {
    const size = this.#limit > 0 ? Math.min(this.#size, this.#limit) : this.#size;
    let buffer = this.#buffer;
    // One byte more than is ever read into: no view of the bytes read spans
    // the whole buffer, so the protocol core, which hands such a view to the
    // application as is, copies every payload it hands out from this memory.
    if (!this.#released || buffer === null || buffer.length !== size + 1) {
      buffer = new Uint8Array(size + 1);
    }
    this.#buffer = buffer;
    this.#released = false;
    let n: number | null;
    try {
      n = await this.#conn.read(buffer.subarray(0, size));
    } catch (error) {
      throw classifyError(error, this.#where());
    }
    if (n === null) return null;
    if (n === size) {
      if (this.#size < MAX_READ) this.#size *= 2;
    } else if (n < this.#size >>> 2 && this.#size > MIN_READ && !this.#filled) {
      // Not after a full read: that small read is the rest of a message
      // that just overflowed the buffer (16 KiB messages would otherwise
      // grow it and shrink it on every message, and be split every time).
      this.#size >>>= 1;
    }
    this.#filled = n === size;
    return buffer.subarray(0, n);
  }

  release(): void {
    this.#released = true;
  }

  async readInto(target: Uint8Array): Promise<number | null> {
    const limit = this.#limit;
    try {
      return await this.#conn.read(
        limit > 0 && target.length > limit ? target.subarray(0, limit) : target,
      );
    } catch (error) {
      throw classifyError(error, this.#where());
    }
  }

  write(data: Uint8Array): Promise<void> {
    // Writes never interleave, even when a caller does not await one before
    // starting the next (the server queues the socket's first frames right
    // behind its 101 response): a partial write finishes before the next starts.
    const previous = this.#lastWrite;
    const turn = ++this.#writes;
    const write = previous === null
      ? this.#writeAll(data, turn)
      : previous.then(() => this.#writeAll(data, turn), () => this.#writeAll(data, turn));
    this.#lastWrite = write;
    return write;
  }

  async #writeAll(data: Uint8Array, turn: number): Promise<void> {
    let offset = 0;
    try {
      while (offset < data.length) {
        offset += await this.#conn.write(offset === 0 ? data : data.subarray(offset));
      }
    } catch (error) {
      throw classifyError(error, this.#where());
    } finally {
      // The last write started has finished: the next one need not wait.
      if (turn === this.#writes) this.#lastWrite = null;
    }
  }

  async closeWrite(): Promise<void> {
    if (this.#closed) return;
    await this.#conn.closeWrite();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // Already closed by the runtime (e.g. after a reset): nothing to release.
    }
  }

  setReadLimit(bytes: number): void {
    this.#limit = bytes;
  }

  #where(): string {
    const { address, port } = this.remote;
    return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
  }
}
