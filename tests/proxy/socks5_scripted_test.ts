/**
 * Qt QWebSocket through a QNetworkProxy::Socks5Proxy, against a scripted
 * SOCKS5 peer (RFC 1928, RFC 1929) on 127.0.0.1 that records what it is sent
 * and answers what each test needs: every reply code, method refusals,
 * protocol violations, early closes, silence, refused credentials. The real
 * proxy (dante) is in socks5_dante_test.ts.
 */

import assert from "node:assert/strict";
import { QAbstractSocket, QNetworkProxy, type QWebSocket } from "../../mod.ts";
import {
  dispose,
  echo,
  freePort,
  openSocket,
  startScriptedListener,
  startTarget,
  trustingSocket,
  writeAll,
} from "./_helpers.ts";

const E = QAbstractSocket.SocketError;
const Type = QNetworkProxy.ProxyType;

// --- the scripted peer -------------------------------------------------------------

interface Connect {
  atyp: number;
  host: string;
  port: number;
}

/** Everything the peer was sent, per connection, in order. */
interface Seen {
  connections: number;
  greetings: number[][];
  auths: { user: string; password: string }[];
  connects: Connect[];
}

/** One connection, as the script sees it. */
interface PeerIo {
  conn: Deno.Conn;
  seen: Seen;
  /** Reads exactly `n` bytes; `null` when the client closed first. */
  read(n: number): Promise<Uint8Array | null>;
  write(bytes: number[] | Uint8Array): Promise<void>;
}

type Script = (io: PeerIo) => Promise<void>;

interface Peer {
  port: number;
  seen: Seen;
  close(): Promise<void>;
}

function startPeer(script: Script): Peer {
  const seen: Seen = { connections: 0, greetings: [], auths: [], connects: [] };
  const listener = startScriptedListener(async (conn) => {
    seen.connections++;
    const io: PeerIo = {
      conn,
      seen,
      async read(n) {
        const bytes = new Uint8Array(n);
        let at = 0;
        while (at < n) {
          const got = await conn.read(bytes.subarray(at));
          if (got === null) return null;
          at += got;
        }
        return bytes;
      },
      write: (bytes) =>
        writeAll(conn, bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes)),
    };
    await script(io);
  }, "the SOCKS5 peer");
  return { port: listener.port, seen, close: () => listener.close() };
}

// RFC 1928 §3: VER NMETHODS METHODS.
async function readGreeting(io: PeerIo): Promise<number[] | null> {
  const head = await io.read(2);
  if (head === null) return null;
  assert.equal(head[0], 5, "the greeting's version");
  const methods = await io.read(head[1]);
  if (methods === null) return null;
  io.seen.greetings.push([...methods]);
  return [...methods];
}

// RFC 1929 §2: VER ULEN UNAME PLEN PASSWD.
async function readAuth(io: PeerIo): Promise<{ user: string; password: string } | null> {
  const head = await io.read(2);
  if (head === null) return null;
  assert.equal(head[0], 1, "the sub-negotiation's version");
  const name = await io.read(head[1]);
  const plen = await io.read(1);
  if (name === null || plen === null) return null;
  const secret = await io.read(plen[0]);
  if (secret === null) return null;
  const decoder = new TextDecoder();
  const auth = { user: decoder.decode(name), password: decoder.decode(secret) };
  io.seen.auths.push(auth);
  return auth;
}

// RFC 1928 §4: VER CMD RSV ATYP DST.ADDR DST.PORT.
async function readConnect(io: PeerIo): Promise<Connect | null> {
  const head = await io.read(4);
  if (head === null) return null;
  assert.deepEqual([...head.subarray(0, 3)], [5, 1, 0], "VER CMD(CONNECT) RSV");
  let host: string;
  if (head[3] === 1) {
    const a = await io.read(4);
    if (a === null) return null;
    host = [...a].join(".");
  } else if (head[3] === 4) {
    const a = await io.read(16);
    if (a === null) return null;
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(((a[i] << 8) | a[i + 1]).toString(16));
    host = groups.join(":");
  } else {
    const n = await io.read(1);
    if (n === null) return null;
    const name = await io.read(n[0]);
    if (name === null) return null;
    host = new TextDecoder().decode(name);
  }
  const port = await io.read(2);
  if (port === null) return null;
  const connect = { atyp: head[3], host, port: (port[0] << 8) | port[1] };
  io.seen.connects.push(connect);
  return connect;
}

// Copies bytes both ways between the client and 127.0.0.1:port until either ends.
async function relay(io: PeerIo, port: number): Promise<void> {
  const upstream = await Deno.connect({ hostname: "127.0.0.1", port });
  const copy = async (from: Deno.Conn, to: Deno.Conn) => {
    const buffer = new Uint8Array(16384);
    try {
      for (;;) {
        const n = await from.read(buffer);
        if (n === null) break;
        await writeAll(to, buffer.subarray(0, n));
      }
    } catch {
      // Either side closed.
    }
    try {
      await to.closeWrite();
    } catch {
      // Closed already.
    }
  };
  try {
    await Promise.all([copy(io.conn, upstream), copy(upstream, io.conn)]);
  } finally {
    upstream.close();
  }
}

/** Reads until the client closes (the peer stays silent). */
async function drain(io: PeerIo): Promise<void> {
  const buffer = new Uint8Array(1024);
  while (await io.conn.read(buffer) !== null) {
    // Discard.
  }
}

const IPV4_BOUND = [1, 127, 0, 0, 1, 0x04, 0x38];

interface Behaviour {
  /** The method to select, given the offered ones (default: 0x00). */
  method?: (offered: number[]) => number;
  /** Whether credentials pass (default: all). */
  accept?: (auth: { user: string; password: string }) => boolean;
  /** The REP code (default 0). */
  reply?: number;
  /** ATYP + BND.ADDR + BND.PORT of the reply (default an IPv4 address). */
  bound?: number[];
}

// A well-behaved SOCKS5 proxy, within what `behaviour` says.
function socks(behaviour: Behaviour = {}): Script {
  return async (io) => {
    const offered = await readGreeting(io);
    if (offered === null) return;
    const method = behaviour.method?.(offered) ?? 0x00;
    await io.write([5, method]);
    if (method === 0xff) return await drain(io);
    if (method === 0x02) {
      const auth = await readAuth(io);
      if (auth === null) return;
      const ok = behaviour.accept?.(auth) ?? true;
      await io.write([1, ok ? 0 : 1]);
      // RFC 1929 §2: on failure the server MUST close the connection.
      if (!ok) return;
    }
    const connect = await readConnect(io);
    if (connect === null) return;
    const reply = behaviour.reply ?? 0;
    await io.write([5, reply, 0, ...(behaviour.bound ?? IPV4_BOUND)]);
    if (reply !== 0) return;
    await relay(io, connect.port);
  };
}

// Runs `body` with an echo target and a scripted peer, closing both after.
async function withPeer(
  script: Script,
  body: (peer: Peer, targetPort: number) => Promise<void>,
): Promise<void> {
  const target = startTarget();
  const peer = startPeer(script);
  try {
    await body(peer, target.port);
  } finally {
    await peer.close();
    await target.close();
  }
}

function socksProxy(port: number, user = "", password = ""): QNetworkProxy {
  return new QNetworkProxy(Type.Socks5Proxy, "127.0.0.1", port, user, password);
}

async function connects(socket: QWebSocket, url: string): Promise<void> {
  const outcome = await openSocket(socket, url);
  assert.deepEqual(outcome, { connected: true }, JSON.stringify(outcome));
  assert.equal(await echo(socket, "through socks"), "through socks");
}

async function fails(socket: QWebSocket, url: string, error: number): Promise<string> {
  const outcome = await openSocket(socket, url);
  assert.equal(outcome.connected, false, "the socket must not connect");
  assert.equal(
    !outcome.connected && outcome.error,
    error,
    !outcome.connected ? outcome.errorString : "",
  );
  return socket.errorString();
}

// --- the way there ----------------------------------------------------------------

for (
  const [label, bound] of [
    ["an IPv4", IPV4_BOUND],
    ["an IPv6", [4, ...new Array(15).fill(0), 1, 0x04, 0x38]],
    ["a domain-name", [3, 21, ...new TextEncoder().encode("bound.proxy.example.n"), 0x04, 0x38]],
  ] as const
) {
  Deno.test(`RFC 1928 §6: a reply with ${label} bound address is read to its end, and not one byte further`, async () => {
    await withPeer(socks({ bound: [...bound] }), async (peer, targetPort) => {
      const socket = trustingSocket();
      try {
        socket.setProxy(socksProxy(peer.port));
        await connects(socket, `ws://localhost:${targetPort}/`);
        assert.deepEqual(peer.seen.greetings, [[0x00]], "no credentials: only 'no authentication'");
      } finally {
        await dispose(socket);
      }
    });
  });
}

Deno.test("RFC 1928 §4/§5: a host name goes as ATYP 3 for the proxy to resolve (Qt's HostNameLookupCapability), IP literals as ATYP 1 and 4", async () => {
  await withPeer(socks(), async (peer, targetPort) => {
    for (
      const url of [
        `ws://LocalHost:${targetPort}/`,
        `ws://127.0.0.1:${targetPort}/`,
        `ws://[::1]:${targetPort}/`,
      ]
    ) {
      const socket = trustingSocket();
      try {
        socket.setProxy(socksProxy(peer.port));
        await connects(socket, url);
      } finally {
        await dispose(socket);
      }
    }
    assert.deepEqual(peer.seen.connects, [
      { atyp: 3, host: "localhost", port: targetPort },
      { atyp: 1, host: "127.0.0.1", port: targetPort },
      { atyp: 4, host: "0:0:0:0:0:0:0:1", port: targetPort },
    ]);
  });
});

Deno.test("Qt QNetworkProxy::setApplicationProxy: a Socks5Proxy as the application proxy carries DefaultProxy sockets", async () => {
  await withPeer(socks(), async (peer, targetPort) => {
    const before = QNetworkProxy.applicationProxy();
    QNetworkProxy.setApplicationProxy(socksProxy(peer.port));
    const socket = trustingSocket();
    try {
      await connects(socket, `ws://localhost:${targetPort}/`);
      assert.equal(peer.seen.connects.length, 1);
    } finally {
      QNetworkProxy.setApplicationProxy(before);
      await dispose(socket);
    }
  });
});

// --- reply codes: Qt's QSocks5SocketEngine mapping -----------------------------------

const BY_NAME: [number, number][] = [
  [0x01, E.HostNotFoundError],
  [0x02, E.HostNotFoundError],
  [0x03, E.NetworkError],
  [0x04, E.HostNotFoundError],
  [0x05, E.ConnectionRefusedError],
  [0x06, E.NetworkError],
  [0x07, E.UnsupportedSocketOperationError],
  [0x08, E.UnsupportedSocketOperationError],
  [0x09, E.UnknownSocketError],
];

Deno.test("Qt QSocks5SocketEngine: each CONNECT reply code for a target sent by name maps to Qt's error (0x01/0x02: HostNotFoundError, as dante answers so for an unknown name)", async () => {
  for (const [reply, error] of BY_NAME) {
    await withPeer(socks({ reply }), async (peer) => {
      const socket = trustingSocket();
      try {
        socket.setProxy(socksProxy(peer.port));
        const message = await fails(socket, "ws://target.example:8080/", error);
        assert.match(message, new RegExp(`0x0${reply}`), message);
        assert.match(message, /target\.example:8080/);
      } finally {
        await dispose(socket);
      }
    });
  }
});

Deno.test("Qt QSocks5SocketEngine: for an IP address target, 0x01 general failure is NetworkError and 0x02 not allowed is SocketAccessError", async () => {
  for (const [reply, error] of [[0x01, E.NetworkError], [0x02, E.SocketAccessError]]) {
    await withPeer(socks({ reply }), async (peer) => {
      const socket = trustingSocket();
      try {
        socket.setProxy(socksProxy(peer.port));
        await fails(socket, "ws://192.0.2.1:8080/", error);
      } finally {
        await dispose(socket);
      }
    });
  }
});

// --- authentication ---------------------------------------------------------------

const USER = "alice";
const PASSWORD = "s3cret-pw";

Deno.test("RFC 1929: credentials on the QNetworkProxy are offered (0x00 and 0x02) and sent when the proxy selects 0x02, without proxyAuthenticationRequired", async () => {
  const script = socks({
    method: (offered) => offered.includes(2) ? 2 : 0xff,
    accept: (a) => a.user === USER && a.password === PASSWORD,
  });
  await withPeer(script, async (peer, targetPort) => {
    const socket = trustingSocket();
    let asked = 0;
    socket.addEventListener("proxyAuthenticationRequired", () => asked++);
    try {
      socket.setProxy(socksProxy(peer.port, USER, PASSWORD));
      await connects(socket, `ws://localhost:${targetPort}/`);
      assert.deepEqual(peer.seen.greetings, [[0x00, 0x02]]);
      assert.deepEqual(peer.seen.auths, [{ user: USER, password: PASSWORD }]);
      assert.equal(asked, 0);
    } finally {
      await dispose(socket);
    }
  });
});

Deno.test("Qt proxyAuthenticationRequired: 0xFF to an offer without credentials asks synchronously (realm ''); filled in, one retry on a new connection connects", async () => {
  const script = socks({
    method: (offered) => offered.includes(2) ? 2 : 0xff,
    accept: (a) => a.user === USER && a.password === PASSWORD,
  });
  await withPeer(script, async (peer, targetPort) => {
    const socket = trustingSocket();
    const setting = socksProxy(peer.port);
    const realms: string[] = [];
    socket.addEventListener("proxyAuthenticationRequired", (e) => {
      assert.equal(e.proxy, setting);
      realms.push(e.authenticator.realm());
      e.authenticator.setUser(USER);
      e.authenticator.setPassword(PASSWORD);
    });
    try {
      socket.setProxy(setting);
      await connects(socket, `ws://localhost:${targetPort}/`);
      assert.deepEqual(realms, [""]);
      assert.equal(peer.seen.connections, 2);
      assert.deepEqual(peer.seen.greetings, [[0x00], [0x00, 0x02]]);
      assert.deepEqual(peer.seen.auths, [{ user: USER, password: PASSWORD }]);
    } finally {
      await dispose(socket);
    }
  });
});

Deno.test("Qt proxyAuthenticationRequired: 0xFF without credentials and no listener is ProxyAuthenticationRequiredError saying credentials are needed", async () => {
  await withPeer(socks({ method: () => 0xff }), async (peer) => {
    const socket = trustingSocket();
    const events: string[] = [];
    for (const type of ["proxyAuthenticationRequired", "error", "disconnected"] as const) {
      socket.addEventListener(type, () => events.push(type));
    }
    try {
      socket.setProxy(socksProxy(peer.port));
      const message = await fails(socket, "ws://localhost:9/", E.ProxyAuthenticationRequiredError);
      assert.match(message, /requires a user name and password/);
      assert.deepEqual(events, ["proxyAuthenticationRequired", "error", "disconnected"]);
      assert.equal(peer.seen.connections, 1);
    } finally {
      await dispose(socket);
    }
  });
});

Deno.test("RFC 1928 §3: 0xFF to an offer that included username/password is ProxyAuthenticationRequiredError at once (no method we have)", async () => {
  await withPeer(socks({ method: () => 0xff }), async (peer) => {
    const socket = trustingSocket();
    let asked = 0;
    socket.addEventListener("proxyAuthenticationRequired", () => asked++);
    try {
      socket.setProxy(socksProxy(peer.port, USER, PASSWORD));
      const message = await fails(socket, "ws://localhost:9/", E.ProxyAuthenticationRequiredError);
      assert.match(message, /accepts neither/);
      assert.equal(asked, 0);
      assert.equal(peer.seen.connections, 1);
    } finally {
      await dispose(socket);
    }
  });
});

Deno.test("Qt proxyAuthenticationRequired: a proxy that selects 0x02 when none was offered asks for credentials", async () => {
  const script = socks({ method: () => 2, accept: (a) => a.password === PASSWORD });
  await withPeer(script, async (peer, targetPort) => {
    const socket = trustingSocket();
    let asked = 0;
    socket.addEventListener("proxyAuthenticationRequired", (e) => {
      asked++;
      e.authenticator.setUser(USER);
      e.authenticator.setPassword(PASSWORD);
    });
    try {
      socket.setProxy(socksProxy(peer.port));
      await connects(socket, `ws://localhost:${targetPort}/`);
      assert.equal(asked, 1);
      assert.deepEqual(peer.seen.auths, [{ user: USER, password: PASSWORD }]);
    } finally {
      await dispose(socket);
    }
  });
});

Deno.test("RFC 1929 §2: refused credentials ask proxyAuthenticationRequired once; the listener's credentials are retried on a new connection", async () => {
  const script = socks({
    method: (offered) => offered.includes(2) ? 2 : 0xff,
    accept: (a) => a.user === USER && a.password === PASSWORD,
  });
  await withPeer(script, async (peer, targetPort) => {
    const socket = trustingSocket();
    let asked = 0;
    socket.addEventListener("proxyAuthenticationRequired", (e) => {
      asked++;
      e.authenticator.setUser(USER);
      e.authenticator.setPassword(PASSWORD);
    });
    try {
      socket.setProxy(socksProxy(peer.port, USER, "wrong-pw"));
      await connects(socket, `ws://localhost:${targetPort}/`);
      assert.equal(asked, 1);
      assert.deepEqual(peer.seen.auths, [
        { user: USER, password: "wrong-pw" },
        { user: USER, password: PASSWORD },
      ]);
      assert.equal(peer.seen.connections, 2);
    } finally {
      await dispose(socket);
    }
  });
});

Deno.test("RFC 1929 §2: credentials refused twice are ProxyAuthenticationRequiredError, and no user name or password is in errorString()", async () => {
  const script = socks({ method: () => 2, accept: () => false });
  await withPeer(script, async (peer) => {
    const socket = trustingSocket();
    const events: string[] = [];
    for (const type of ["proxyAuthenticationRequired", "error", "disconnected"] as const) {
      socket.addEventListener(type, () => events.push(type));
    }
    socket.addEventListener("proxyAuthenticationRequired", (e) => {
      e.authenticator.setUser("bob-the-user");
      e.authenticator.setPassword("also-wrong-pw");
    });
    try {
      socket.setProxy(socksProxy(peer.port, "alice-the-user", "wrong-pw"));
      const message = await fails(socket, "ws://localhost:9/", E.ProxyAuthenticationRequiredError);
      assert.deepEqual(events, ["proxyAuthenticationRequired", "error", "disconnected"]);
      assert.equal(peer.seen.auths.length, 2);
      for (const secret of ["alice-the-user", "wrong-pw", "bob-the-user", "also-wrong-pw"]) {
        assert.ok(!message.includes(secret), message);
      }
    } finally {
      await dispose(socket);
    }
  });
});

Deno.test("Qt QSocks5SocketEngine: a method that was not offered (GSSAPI, 0x01) is SocketAccessError", async () => {
  await withPeer(socks({ method: () => 0x01 }), async (peer) => {
    const socket = trustingSocket();
    try {
      socket.setProxy(socksProxy(peer.port));
      const message = await fails(socket, "ws://localhost:9/", E.SocketAccessError);
      assert.match(message, /0x01/);
    } finally {
      await dispose(socket);
    }
  });
});

// --- broken, closing and silent proxies --------------------------------------------

Deno.test("Qt ProxyProtocolError: an HTTP proxy answering the greeting (version byte 'H') fails at once", async () => {
  const script: Script = async (io) => {
    await readGreeting(io);
    await io.write(new TextEncoder().encode("HTTP/1.1 400 Bad Request\r\n\r\n"));
    await drain(io);
  };
  await withPeer(script, async (peer) => {
    const socket = trustingSocket();
    try {
      socket.setProxy(socksProxy(peer.port));
      const message = await fails(socket, "ws://localhost:9/", E.ProxyProtocolError);
      assert.match(message, /not a SOCKS5 proxy/);
    } finally {
      await dispose(socket);
    }
  });
});

Deno.test("Qt ProxyProtocolError: a CONNECT reply with a bad version, a non-zero reserved byte or an unknown address type", async () => {
  for (const reply of [[4, 0, 0, ...IPV4_BOUND], [5, 0, 1, ...IPV4_BOUND], [5, 0, 0, 7, 0, 0]]) {
    const script: Script = async (io) => {
      await readGreeting(io);
      await io.write([5, 0]);
      await readConnect(io);
      await io.write(reply);
      await drain(io);
    };
    await withPeer(script, async (peer) => {
      const socket = trustingSocket();
      try {
        socket.setProxy(socksProxy(peer.port));
        await fails(socket, "ws://localhost:9/", E.ProxyProtocolError);
      } finally {
        await dispose(socket);
      }
    });
  }
});

Deno.test("Qt ProxyConnectionClosedError: the proxy closes after the greeting, or in the middle of its reply", async () => {
  const afterGreeting: Script = async (io) => {
    await readGreeting(io);
  };
  const midReply: Script = async (io) => {
    await readGreeting(io);
    await io.write([5, 0]);
    await readConnect(io);
    await io.write([5, 0, 0, 1, 127, 0]);
  };
  for (const script of [afterGreeting, midReply]) {
    await withPeer(script, async (peer) => {
      const socket = trustingSocket();
      try {
        socket.setProxy(socksProxy(peer.port));
        const message = await fails(socket, "ws://localhost:9/", E.ProxyConnectionClosedError);
        assert.match(message, /closed the connection/);
      } finally {
        await dispose(socket);
      }
    });
  }
});

Deno.test("Qt ProxyConnectionTimeoutError: a SOCKS5 proxy that never answers the greeting times out within half the handshake timeout", async () => {
  const script: Script = async (io) => {
    await readGreeting(io);
    await drain(io);
  };
  await withPeer(script, async (peer) => {
    const socket = trustingSocket();
    try {
      socket.setHandshakeTimeout(1000);
      socket.setProxy(socksProxy(peer.port));
      const message = await fails(socket, "ws://localhost:9/", E.ProxyConnectionTimeoutError);
      assert.match(message, /did not complete/);
      assert.equal(peer.seen.greetings.length, 1);
    } finally {
      await dispose(socket);
    }
  });
});

Deno.test("Qt ProxyConnectionRefusedError / ProxyNotFoundError: a SOCKS5 proxy that is not there, or whose name does not resolve", async () => {
  const socket = trustingSocket();
  try {
    socket.setProxy(socksProxy(freePort()));
    await fails(socket, "ws://localhost:9/", E.ProxyConnectionRefusedError);
    socket.setProxy(new QNetworkProxy(Type.Socks5Proxy, "no-such-proxy.invalid", 1080));
    await fails(socket, "ws://localhost:9/", E.ProxyNotFoundError);
    socket.setProxy(new QNetworkProxy(Type.Socks5Proxy, "127.0.0.1", 0));
    const message = await fails(socket, "ws://localhost:9/", E.ProxyNotFoundError);
    assert.match(message, /Socks5Proxy has no port/);
  } finally {
    await dispose(socket);
  }
});
