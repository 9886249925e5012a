/**
 * A deliberately broken echo server, to prove the suite catches what it is
 * meant to catch: it echoes every frame back as it came (reserved opcodes
 * and RSV bits included), never validates UTF-8 or close codes, answers a
 * close frame by echoing its payload, and — when asked — never closes TCP.
 *
 * @module
 */

import {
  acceptKey,
  concat,
  EMPTY,
  encodeFrame,
  headEnd,
  parseHead,
  readFrameHead,
  utf8,
  writeAll,
  xorMask,
} from "./wire.ts";

/** How the lax peer misbehaves. */
export interface LaxPeerOptions {
  /** After the closing handshake, leave the TCP connection open (the client must drop it). */
  neverCloseTcp?: boolean;
  /** Answer every close frame with this code instead of echoing the peer's payload. */
  closeWith?: number;
}

/** A running lax echo server. */
export interface LaxPeer {
  readonly port: number;
  close(): Promise<void>;
}

/** Starts the lax echo server on 127.0.0.1. */
export function startLaxPeer(options: LaxPeerOptions = {}): LaxPeer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const tasks = new Set<Promise<void>>();
  const loop = (async () => {
    try {
      for await (const conn of listener) {
        conns.add(conn);
        const task = serve(conn, options).catch(() => {}).finally(() => {
          conns.delete(conn);
          try {
            conn.close();
          } catch {
            // Already closed.
          }
        });
        tasks.add(task);
        task.finally(() => tasks.delete(task));
      }
    } catch {
      // Closed.
    }
  })();
  return {
    port: listener.addr.port,
    async close() {
      listener.close();
      for (const conn of conns) {
        try {
          conn.close();
        } catch {
          // Already closed.
        }
      }
      await loop;
      await Promise.allSettled([...tasks]);
    },
  };
}

async function serve(conn: Deno.Conn, options: LaxPeerOptions): Promise<void> {
  const chunk = new Uint8Array(64 * 1024);
  let data: Uint8Array = EMPTY;
  let end = -1;
  while (end < 0) {
    const n = await conn.read(chunk);
    if (n === null) return;
    data = concat([data, chunk.slice(0, n)]);
    end = headEnd(data);
  }
  const head = parseHead(data.subarray(0, end));
  const key = head.headers.get("sec-websocket-key") ?? "";
  await writeAll(
    conn,
    utf8(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${await acceptKey(
        key,
      )}\r\n\r\n`,
    ),
  );
  data = data.slice(end);
  let closed = false;
  for (;;) {
    for (;;) {
      const read = readFrameHead(data);
      if (read === null || data.length < read.size + read.head.length) break;
      const { head: frame, size } = read;
      const payload = data.slice(size, size + frame.length);
      data = data.subarray(size + frame.length);
      if (frame.mask !== null) xorMask(payload, frame.mask);
      if (closed) continue;
      if (frame.opcode === 9) {
        await writeAll(conn, encodeFrame(10, payload));
      } else if (frame.opcode === 10) {
        // Pongs need no answer.
      } else if (frame.opcode === 8) {
        const reply = options.closeWith === undefined
          ? payload
          : new Uint8Array([options.closeWith >>> 8, options.closeWith & 0xff]);
        await writeAll(conn, encodeFrame(8, reply));
        closed = true;
        if (!options.neverCloseTcp) return;
      } else {
        // Frames, not messages, go back: whatever opcode and RSV bits came.
        await writeAll(
          conn,
          encodeFrame(frame.opcode, payload, { fin: frame.fin, rsv: frame.rsv }),
        );
      }
    }
    const n = await conn.read(chunk);
    if (n === null) return;
    data = concat([data, chunk.slice(0, n)]);
  }
}
