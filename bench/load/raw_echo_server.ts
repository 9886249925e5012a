/**
 * A minimal echo server for the client cells: raw `Deno.listen` sockets, a
 * hand-written handshake, and frames echoed as they stream through (each
 * header rewritten without its mask, each payload piece unmasked a word at a
 * time), so the server costs far less than either client under test and the
 * client is what is measured. It checks nothing but what it must to echo:
 * the clients check every byte they get back.
 *
 *   deno run --allow-net=127.0.0.1 bench/load/raw_echo_server.ts
 *
 * @module
 */

import { serveControl } from "./control.ts";
import { acceptFor, readHead } from "./wire.ts";

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

// XORs data with the key bytes starting at key index `phase`.
function unmask(data: Uint8Array, key: Uint8Array, phase: number): void {
  const length = data.length;
  let i = 0;
  const lead = Math.min(length, (4 - (data.byteOffset & 3)) & 3);
  for (; i < lead; i++) data[i] ^= key[(phase + i) & 3]!;
  const words = (length - i) >>> 2;
  if (words > 0) {
    const p = (phase + i) & 3;
    const k0 = key[p]!, k1 = key[(p + 1) & 3]!, k2 = key[(p + 2) & 3]!, k3 = key[(p + 3) & 3]!;
    const word = LITTLE_ENDIAN
      ? (k0 | (k1 << 8) | (k2 << 16) | (k3 << 24))
      : ((k0 << 24) | (k1 << 16) | (k2 << 8) | k3);
    const view = new Uint32Array(data.buffer, data.byteOffset + i, words);
    for (let w = 0; w < words; w++) view[w] ^= word;
    i += words * 4;
  }
  for (; i < length; i++) data[i] ^= key[(phase + i) & 3]!;
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < data.length) offset += await conn.write(data.subarray(offset));
}

async function serve(conn: Deno.TcpConn): Promise<void> {
  conn.setNoDelay(true);
  const request = await readHead(conn, new Uint8Array(8192));
  if (request === null) return;
  const key = /\r\nsec-websocket-key:\s*(\S+)/i.exec(request.head)?.[1] ?? "";
  await writeAll(
    conn,
    new TextEncoder().encode(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        `Sec-WebSocket-Accept: ${await acceptFor(key)}\r\n\r\n`,
    ),
  );
  const input = new Uint8Array(1 << 20);
  const output = new Uint8Array((1 << 20) + 64);
  const header = new Uint8Array(14);
  const key4 = new Uint8Array(4);
  let headerFill = 0;
  let frameLeft = 0;
  let phase = 0;
  let control = false;
  let closing = false;
  let pending: Uint8Array | null = request.rest.length > 0 ? request.rest : null;
  for (;;) {
    let chunk: Uint8Array;
    if (pending !== null) {
      chunk = pending;
      pending = null;
    } else {
      const n = await conn.read(input);
      if (n === null) return;
      chunk = input.subarray(0, n);
    }
    let w = 0;
    let pos = 0;
    const end = chunk.length;
    while (pos < end) {
      if (frameLeft > 0) {
        const n = Math.min(frameLeft, end - pos);
        const piece = output.subarray(w, w + n);
        piece.set(chunk.subarray(pos, pos + n));
        unmask(piece, key4, phase);
        phase = (phase + n) & 3;
        w += n;
        pos += n;
        frameLeft -= n;
        if (frameLeft === 0 && control) closing = true;
        continue;
      }
      while (headerFill < 2 && pos < end) header[headerFill++] = chunk[pos++]!;
      if (headerFill < 2) break;
      const code = header[1]! & 0x7f;
      const size = (code < 126 ? 2 : code === 126 ? 4 : 10) + 4;
      while (headerFill < size && pos < end) header[headerFill++] = chunk[pos++]!;
      if (headerFill < size) break;
      headerFill = 0;
      let length = code;
      if (code === 126) length = (header[2]! << 8) | header[3]!;
      if (code === 127) {
        length = ((header[6]! << 24) | (header[7]! << 16) | (header[8]! << 8) | header[9]!) >>> 0;
      }
      output.set(header.subarray(0, size - 4), w);
      output[w + 1]! &= 0x7f;
      w += size - 4;
      key4.set(header.subarray(size - 4, size));
      phase = 0;
      frameLeft = length;
      control = (header[0]! & 0x0f) === 0x8;
      if (length === 0 && control) closing = true;
    }
    if (w > 0) await writeAll(conn, output.subarray(0, w));
    if (closing) return;
  }
}

const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
(async () => {
  for await (const conn of listener) {
    serve(conn).catch(() => {}).finally(() => {
      try {
        conn.close();
      } catch { /* already closed */ }
    });
  }
})();

await serveControl((listener.addr as Deno.NetAddr).port, () => listener.close());
