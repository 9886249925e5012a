/**
 * The SOCKS5 tunnel itself (lib/transport/socks5_tunnel.ts), below
 * QWebSocket: what it leaves in the connection, its own time bound, and
 * cancellation. The QWebSocket-level paths are in socks5_scripted_test.ts.
 */

import assert from "node:assert/strict";
import { QAbstractSocket } from "../../mod.ts";
import { TransportError } from "../../lib/transport/connect.ts";
import { Socks5Tunnel } from "../../lib/transport/socks5_tunnel.ts";
import { BOUND, within, writeAll } from "./_helpers.ts";

const E = QAbstractSocket.SocketError;

// A one-connection SOCKS5 peer: runs `script` on the first connection, then closes it.
function onePeer(script: (conn: Deno.Conn) => Promise<void>): {
  port: number;
  done: Promise<void>;
} {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const done = (async () => {
    const conn = await listener.accept();
    listener.close();
    try {
      await script(conn);
    } catch {
      // The client went away.
    } finally {
      conn.close();
    }
  })();
  return { port: (listener.addr as Deno.NetAddr).port, done };
}

async function readExactly(conn: Deno.Conn, n: number): Promise<Uint8Array> {
  const bytes = new Uint8Array(n);
  let at = 0;
  while (at < n) {
    const got = await conn.read(bytes.subarray(at));
    if (got === null) throw new Error("closed");
    at += got;
  }
  return bytes;
}

function server(port: number) {
  return { hostname: "127.0.0.1", port, user: "", password: "" };
}

Deno.test("RFC 1928 §6: bytes the proxy sends in the same packet right behind its reply stay in the tunnel", async () => {
  const extra = new TextEncoder().encode("HTTP/1.1 101 early bytes");
  const peer = onePeer(async (conn) => {
    await readExactly(conn, 3); // 05 01 00
    await writeAll(conn, Uint8Array.of(5, 0));
    await readExactly(conn, 4 + 1 + 9 + 2); // CONNECT to "localhost"
    // The reply with a domain-name bound address and the target's first bytes, in one write.
    await writeAll(
      conn,
      Uint8Array.of(5, 0, 0, 3, 4, ...new TextEncoder().encode("bind"), 0, 80, ...extra),
    );
    await readExactly(conn, 1); // Until the client is done.
  });
  const tunnel = new Socks5Tunnel(server(peer.port), { timeout: BOUND });
  const conn = await tunnel.open(
    { hostname: "localhost", port: 443 },
    new AbortController().signal,
  );
  try {
    const got = await within(readExactly(conn, extra.length), "the early bytes", BOUND);
    assert.deepEqual(got, extra);
  } finally {
    conn.close();
    await peer.done;
  }
});

Deno.test("a SOCKS5 proxy that never answers is ProxyConnectionTimeoutError after the tunnel's own bound", async () => {
  const peer = onePeer(async (conn) => {
    await readExactly(conn, 3);
    await conn.read(new Uint8Array(1)); // Silent until the client closes.
  });
  const tunnel = new Socks5Tunnel(server(peer.port), { timeout: 300 });
  const error = await tunnel.open({ hostname: "localhost", port: 80 }, new AbortController().signal)
    .then(() => null, (e) => e);
  await peer.done;
  assert.ok(error instanceof TransportError, String(error));
  assert.equal(error.socketError, E.ProxyConnectionTimeoutError);
  assert.match(error.message, /within 300 ms/);
});

Deno.test("cancelling while the SOCKS5 proxy is silent rejects with the signal's reason and leaves nothing open", async () => {
  let greeted!: () => void;
  const greeting = new Promise<void>((resolve) => greeted = resolve);
  const peer = onePeer(async (conn) => {
    await readExactly(conn, 3);
    greeted();
    await conn.read(new Uint8Array(1));
  });
  const tunnel = new Socks5Tunnel(server(peer.port), { timeout: BOUND });
  const controller = new AbortController();
  const opening = tunnel.open({ hostname: "localhost", port: 80 }, controller.signal);
  await within(greeting, "the greeting", BOUND);
  const reason = new Error("cancelled by the test");
  controller.abort(reason);
  await assert.rejects(opening, (e) => e === reason);
  await peer.done;
});

Deno.test("RFC 1929 §2: a user name over 255 bytes fails before it is sent, naming neither it nor the password", async () => {
  const peer = onePeer(async (conn) => {
    await readExactly(conn, 4); // 05 02 00 02
    await writeAll(conn, Uint8Array.of(5, 2));
    await conn.read(new Uint8Array(1));
  });
  const user = "u".repeat(300);
  const tunnel = new Socks5Tunnel(
    { hostname: "127.0.0.1", port: peer.port, user, password: "pw-secret" },
    { timeout: BOUND },
  );
  const error = await tunnel.open({ hostname: "localhost", port: 80 }, new AbortController().signal)
    .then(() => null, (e) => e);
  await peer.done;
  assert.ok(error instanceof TransportError, String(error));
  assert.equal(error.socketError, E.ProxyAuthenticationRequiredError);
  assert.match(error.message, /255 bytes/);
  assert.ok(!error.message.includes(user) && !error.message.includes("pw-secret"));
});

Deno.test("a target name that cannot go into a CONNECT request is HostNotFoundError without contacting the proxy", async () => {
  const tunnel = new Socks5Tunnel(server(1), { timeout: BOUND });
  const error = await tunnel.open(
    { hostname: "x".repeat(256), port: 80 },
    new AbortController().signal,
  )
    .then(() => null, (e) => e);
  assert.ok(error instanceof TransportError, String(error));
  assert.equal(error.socketError, E.HostNotFoundError);
});
