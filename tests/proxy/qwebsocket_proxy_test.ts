/**
 * Qt QWebSocket::setProxy / proxy() / proxyAuthenticationRequired and
 * QNetworkProxy::setApplicationProxy, with a scripted CONNECT proxy that
 * counts what it is asked (the real proxy is in tinyproxy_test.ts).
 */

import assert from "node:assert/strict";
import {
  type ProxyAuthenticationRequiredEvent,
  QAbstractSocket,
  QNetworkProxy,
  QSslError,
  QWebSocket,
} from "../../mod.ts";
import {
  dispose,
  echo,
  freePort,
  headerOf,
  openSocket,
  respond,
  startFakeProxy,
  startTarget,
  TLS,
  trustingSocket,
  tunnel,
  writeAll,
} from "./_helpers.ts";

const E = QAbstractSocket.SocketError;
const Type = QNetworkProxy.ProxyType;

function httpProxy(port: number, user = "", password = ""): QNetworkProxy {
  return new QNetworkProxy(Type.HttpProxy, "127.0.0.1", port, user, password);
}

// Runs `body` with an application proxy, restoring the previous one after.
async function withApplicationProxy(proxy: QNetworkProxy, body: () => Promise<void>) {
  const before = QNetworkProxy.applicationProxy();
  QNetworkProxy.setApplicationProxy(proxy);
  try {
    await body();
  } finally {
    QNetworkProxy.setApplicationProxy(before);
  }
}

Deno.test("Qt QWebSocket::setProxy(HttpProxy): ws:// goes through one CONNECT to the target", async () => {
  const target = startTarget();
  const proxy = startFakeProxy();
  const socket = new QWebSocket();
  try {
    const setting = httpProxy(proxy.port);
    socket.setProxy(setting);
    assert.equal(socket.proxy(), setting);
    const outcome = await openSocket(socket, `ws://localhost:${target.port}/chat`);
    assert.deepEqual(outcome, { connected: true });
    assert.equal(await echo(socket, "through the tunnel"), "through the tunnel");
    assert.deepEqual(proxy.requests.map((r) => r.line), [
      `CONNECT localhost:${target.port} HTTP/1.1`,
    ]);
    // The target was reached by the proxy's connection, not ours.
    assert.equal(target.peers.length, 1);
    assert.notEqual(target.peers[0].port, socket.localPort());
  } finally {
    await dispose(socket);
    await proxy.close();
    await target.close();
  }
});

Deno.test("Qt QWebSocket::setProxy: wss:// runs TLS end to end and verifies the target's name, not the proxy's", async () => {
  // The target serves a certificate for wrong.example only. The fake proxy
  // reaches 127.0.0.1 whatever name is asked, so no DNS is involved: asking
  // for wrong.example must pass (the name is the target's), and asking for
  // localhost must fail, although the proxy itself is at 127.0.0.1.
  const target = startTarget({ cert: TLS.wrongCert, key: TLS.wrongKey });
  const proxy = startFakeProxy();
  const good = trustingSocket();
  const bad = trustingSocket();
  try {
    good.setProxy(httpProxy(proxy.port));
    const ok = await openSocket(good, `wss://wrong.example:${target.port}/`);
    assert.deepEqual(ok, { connected: true });
    assert.equal(await echo(good, "secret over TLS"), "secret over TLS");
    // The TLS connection made by Deno.startTls inside the tunnel still knows its addresses.
    assert.ok(good.localPort() > 0);
    assert.equal(target.peers.length, 1);
    assert.notEqual(target.peers[0].port, good.localPort());
    assert.equal(proxy.requests[0].line, `CONNECT wrong.example:${target.port} HTTP/1.1`);

    bad.setProxy(httpProxy(proxy.port));
    const sslErrors: number[] = [];
    bad.addEventListener("sslErrors", (e) => sslErrors.push(...e.errors.map((x) => x.error())));
    const failed = await openSocket(bad, `wss://localhost:${target.port}/`);
    assert.equal(failed.connected, false);
    assert.equal(!failed.connected && failed.error, E.SslHandshakeFailedError);
    assert.deepEqual(sslErrors, [QSslError.SslError.HostNameMismatch]);
    assert.equal(proxy.requests.length, 2, "the failing attempt went through the proxy too");
  } finally {
    await dispose(good);
    await dispose(bad);
    await proxy.close();
    await target.close();
  }
});

Deno.test("Qt QNetworkProxy::setApplicationProxy: used by sockets whose proxy is DefaultProxy", async () => {
  const target = startTarget();
  const proxy = startFakeProxy();
  const socket = new QWebSocket();
  try {
    assert.equal(socket.proxy().type(), Type.DefaultProxy, "a socket's proxy is DefaultProxy");
    await withApplicationProxy(httpProxy(proxy.port), async () => {
      assert.deepEqual(await openSocket(socket, `ws://127.0.0.1:${target.port}/`), {
        connected: true,
      });
    });
    assert.equal(proxy.requests.length, 1);
    assert.equal(socket.proxy().type(), Type.DefaultProxy, "proxy() reports the setting");
  } finally {
    await dispose(socket);
    await proxy.close();
    await target.close();
  }
});

Deno.test("Qt QNetworkProxy::NoProxy: a socket set to NoProxy ignores the application proxy", async () => {
  const target = startTarget();
  const proxy = startFakeProxy();
  const socket = new QWebSocket();
  try {
    socket.setProxy(new QNetworkProxy(Type.NoProxy));
    await withApplicationProxy(httpProxy(proxy.port), async () => {
      assert.deepEqual(await openSocket(socket, `ws://127.0.0.1:${target.port}/`), {
        connected: true,
      });
    });
    assert.equal(proxy.requests.length, 0);
    assert.equal(target.peers[0].port, socket.localPort(), "a direct connection");
  } finally {
    await dispose(socket);
    await proxy.close();
    await target.close();
  }
});

Deno.test("Qt proxyAuthenticationRequired: dispatched synchronously with the proxy and realm; filled in, the open retries once", async () => {
  const target = startTarget();
  const proxy = startFakeProxy(async (conn, request) => {
    if (headerOf(request, "proxy-authorization") === "Basic " + btoa("alice:s3cret")) {
      await tunnel(conn, request);
    } else {
      await writeAll(
        conn,
        'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="corp"\r\n\r\n',
      );
    }
  });
  const socket = new QWebSocket();
  try {
    const setting = httpProxy(proxy.port);
    socket.setProxy(setting);
    const seen: ProxyAuthenticationRequiredEvent[] = [];
    socket.addEventListener("proxyAuthenticationRequired", (e) => {
      seen.push(e);
      e.authenticator.setUser("alice");
      e.authenticator.setPassword("s3cret");
    });
    const outcome = await openSocket(socket, `ws://localhost:${target.port}/`);
    assert.deepEqual(outcome, { connected: true });
    assert.equal(seen.length, 1);
    assert.equal(seen[0].proxy, setting, "the event carries the proxy proxy() reports");
    assert.equal(seen[0].authenticator.realm(), "corp");
    assert.equal(proxy.requests.length, 2);
  } finally {
    await dispose(socket);
    await proxy.close();
    await target.close();
  }
});

Deno.test("Qt proxyAuthenticationRequired: left empty, the open fails with ProxyAuthenticationRequiredError", async () => {
  const proxy = startFakeProxy(
    respond(
      'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="corp"\r\n\r\n',
    ),
  );
  const socket = new QWebSocket();
  const events: string[] = [];
  try {
    socket.setProxy(httpProxy(proxy.port));
    for (const type of ["proxyAuthenticationRequired", "error", "disconnected"] as const) {
      socket.addEventListener(type, () => events.push(type));
    }
    const outcome = await openSocket(socket, "ws://localhost:9/");
    assert.equal(outcome.connected, false);
    assert.equal(!outcome.connected && outcome.error, E.ProxyAuthenticationRequiredError);
    assert.deepEqual(events, ["proxyAuthenticationRequired", "error", "disconnected"]);
    assert.equal(socket.error(), E.ProxyAuthenticationRequiredError);
    assert.equal(socket.state(), QAbstractSocket.SocketState.UnconnectedState);
  } finally {
    await dispose(socket);
    await proxy.close();
  }
});

Deno.test("Qt QAbstractSocket::ProxyConnectionRefusedError: no proxy listening", async () => {
  const socket = new QWebSocket();
  try {
    const port = freePort();
    socket.setProxy(httpProxy(port, "alice", "do-not-print-me"));
    const outcome = await openSocket(socket, "ws://localhost:80/");
    assert.equal(outcome.connected, false);
    assert.equal(!outcome.connected && outcome.error, E.ProxyConnectionRefusedError);
    assert.match(socket.errorString(), new RegExp(`127\\.0\\.0\\.1:${port}`));
    assert.ok(!socket.errorString().includes("do-not-print-me"));
  } finally {
    await dispose(socket);
  }
});

Deno.test("Qt QAbstractSocket::ProxyConnectionTimeoutError: a silent proxy times out within half the handshake timeout", async () => {
  const proxy = startFakeProxy(async (conn) => {
    const buffer = new Uint8Array(64);
    while (await conn.read(buffer) !== null) {
      // Never answer.
    }
  });
  const socket = new QWebSocket();
  try {
    socket.setProxy(httpProxy(proxy.port));
    socket.setHandshakeTimeout(1000);
    const outcome = await openSocket(socket, "ws://localhost:80/");
    assert.equal(outcome.connected, false);
    assert.equal(!outcome.connected && outcome.error, E.ProxyConnectionTimeoutError);
  } finally {
    await dispose(socket);
    await proxy.close();
  }
});

for (
  const [name, type] of [
    ["HttpCachingProxy", Type.HttpCachingProxy],
    ["FtpCachingProxy", Type.FtpCachingProxy],
  ] as const
) {
  Deno.test(`Qt QNetworkProxy::${name} is not supported: UnsupportedSocketOperationError, no connection made`, async () => {
    const proxy = startFakeProxy();
    const socket = new QWebSocket();
    try {
      socket.setProxy(new QNetworkProxy(type, "127.0.0.1", proxy.port));
      const outcome = await openSocket(socket, "ws://localhost:80/");
      assert.equal(outcome.connected, false);
      assert.equal(!outcome.connected && outcome.error, E.UnsupportedSocketOperationError);
      assert.match(socket.errorString(), /HttpProxy/);
      assert.equal(proxy.requests.length, 0);
    } finally {
      await dispose(socket);
      await proxy.close();
    }
  });
}

Deno.test("Qt QNetworkProxy: an HttpProxy without a host name fails with ProxyNotFoundError", async () => {
  const socket = new QWebSocket();
  try {
    socket.setProxy(new QNetworkProxy(Type.HttpProxy, "", 3128));
    const outcome = await openSocket(socket, "ws://localhost:80/");
    assert.equal(!outcome.connected && outcome.error, E.ProxyNotFoundError);
    assert.match(socket.errorString(), /setHostName/);
  } finally {
    await dispose(socket);
  }
});

Deno.test("Qt QNetworkProxy: fields, validation, and a password that never shows in inspect output", () => {
  const proxy = new QNetworkProxy(Type.HttpProxy, "proxy.example", 3128, "alice", "hunter2");
  assert.equal(proxy.type(), Type.HttpProxy);
  assert.equal(proxy.hostName(), "proxy.example");
  assert.equal(proxy.port(), 3128);
  assert.equal(proxy.user(), "alice");
  assert.equal(proxy.password(), "hunter2");
  assert.ok(
    proxy.equals(new QNetworkProxy(Type.HttpProxy, "proxy.example", 3128, "alice", "hunter2")),
  );
  assert.ok(!proxy.equals(new QNetworkProxy(Type.HttpProxy, "proxy.example", 3128, "alice", "x")));
  const shown = Deno.inspect(proxy);
  assert.match(shown, /HttpProxy proxy\.example:3128/);
  assert.ok(!shown.includes("hunter2"), shown);
  assert.equal(new QNetworkProxy().type(), Type.DefaultProxy);
  assert.throws(() => proxy.setPort(70000), RangeError);
  assert.throws(() => proxy.setPort(1.5), RangeError);
  assert.throws(() => proxy.setType(9 as QNetworkProxy.ProxyType), RangeError);
  assert.throws(() => proxy.setHostName(42 as unknown as string), TypeError);
  assert.throws(() => new QWebSocket().setProxy({} as QNetworkProxy), TypeError);
  assert.throws(
    () => QNetworkProxy.setApplicationProxy(null as unknown as QNetworkProxy),
    TypeError,
  );
});
