/**
 * The HTTP CONNECT tunnel (RFC 9110 §9.3.6) against scripted proxies: what it
 * sends, how it reads the answer, and how each failure maps to Qt's proxy
 * errors. The real-proxy tests are in tinyproxy_test.ts.
 */

import assert from "node:assert/strict";
import { QAbstractSocket } from "../../mod.ts";
import { TransportError } from "../../lib/transport/connect.ts";
import { HttpConnectTunnel } from "../../lib/transport/proxy_tunnel.ts";
import { proxyConnectError } from "../../lib/transport/proxy_connection.ts";
import {
  BOUND,
  drain,
  freePort,
  headerOf,
  respond,
  startFakeProxy,
  startTarget,
  within,
  writeAll,
} from "./_helpers.ts";

const E = QAbstractSocket.SocketError;
const never = new AbortController().signal;

function server(port: number, user = "", password = "") {
  return { hostname: "127.0.0.1", port, user, password };
}

async function rejection(promise: Promise<unknown>): Promise<TransportError> {
  try {
    await within(promise, "the tunnel to fail", BOUND);
  } catch (error) {
    if (error instanceof TransportError) return error;
    throw error;
  }
  assert.fail("the tunnel opened, but it should have failed");
}

Deno.test("RFC 9110 9.3.6 CONNECT: request line, Host, no Proxy-Authorization without credentials", async () => {
  const proxy = startFakeProxy(respond("HTTP/1.1 200 Connection established\r\n\r\n", true));
  try {
    const conn = await new HttpConnectTunnel(server(proxy.port)).open(
      { hostname: "example.test", port: 8443 },
      never,
    );
    conn.close();
    assert.equal(proxy.requests.length, 1);
    assert.equal(proxy.requests[0].line, "CONNECT example.test:8443 HTTP/1.1");
    assert.equal(headerOf(proxy.requests[0], "host"), "example.test:8443");
    assert.equal(headerOf(proxy.requests[0], "proxy-authorization"), null);
  } finally {
    await proxy.close();
  }
});

Deno.test("RFC 9110 9.3.6 CONNECT: an IPv6 target is bracketed in the request target and Host", async () => {
  const proxy = startFakeProxy(respond("HTTP/1.1 200 OK\r\n\r\n", true));
  try {
    const conn = await new HttpConnectTunnel(server(proxy.port)).open(
      { hostname: "::1", port: 80 },
      never,
    );
    conn.close();
    assert.equal(proxy.requests[0].line, "CONNECT [::1]:80 HTTP/1.1");
    assert.equal(headerOf(proxy.requests[0], "host"), "[::1]:80");
  } finally {
    await proxy.close();
  }
});

Deno.test("RFC 7617 Basic: credentials on the proxy are sent from the first request, UTF-8 then Base64", async () => {
  const proxy = startFakeProxy(respond("HTTP/1.1 200 OK\r\n\r\n", true));
  try {
    const conn = await new HttpConnectTunnel(server(proxy.port, "zoë", "pa:ss")).open(
      { hostname: "localhost", port: 443 },
      never,
    );
    conn.close();
    const expected = "Basic " +
      btoa(String.fromCharCode(...new TextEncoder().encode("zoë:pa:ss")));
    assert.equal(headerOf(proxy.requests[0], "proxy-authorization"), expected);
  } finally {
    await proxy.close();
  }
});

Deno.test("RFC 9110 9.3.6 CONNECT: bytes the proxy sends after its 200 head stay in the tunnel", async () => {
  // The head and the first tunnelled bytes arrive in one write: the tunnel
  // must hand them on, not swallow them with the head.
  const proxy = startFakeProxy(
    respond("HTTP/1.0 200 Connection established\r\nProxy-Agent: fake\r\n\r\nfirst bytes", true),
  );
  try {
    const conn = await new HttpConnectTunnel(server(proxy.port)).open(
      { hostname: "localhost", port: 80 },
      never,
    );
    try {
      const buffer = new Uint8Array(64);
      let text = "";
      while (text.length < "first bytes".length) {
        const n = await within(conn.read(buffer), "the tunnelled bytes", BOUND);
        if (n === null) break;
        text += new TextDecoder().decode(buffer.subarray(0, n));
      }
      assert.equal(text, "first bytes");
    } finally {
      conn.close();
    }
  } finally {
    await proxy.close();
  }
});

Deno.test("RFC 9110 15.2 interim 1xx answers before the 200 are skipped", async () => {
  const proxy = startFakeProxy(
    respond("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\nafter", true),
  );
  try {
    const conn = await new HttpConnectTunnel(server(proxy.port)).open(
      { hostname: "localhost", port: 80 },
      never,
    );
    try {
      const buffer = new Uint8Array(16);
      const n = await within(conn.read(buffer), "the tunnelled bytes", BOUND);
      assert.equal(new TextDecoder().decode(buffer.subarray(0, n ?? 0)), "after".slice(0, n ?? 0));
    } finally {
      conn.close();
    }
  } finally {
    await proxy.close();
  }
});

Deno.test("407: the realm goes to authenticate(), and the retry carries the credentials it gave", async () => {
  const proxy = startFakeProxy(async (conn, request) => {
    if (headerOf(request, "proxy-authorization") === "Basic " + btoa("alice:s3cret")) {
      await writeAll(conn, "HTTP/1.1 200 OK\r\n\r\n");
      await drain(conn);
    } else {
      await writeAll(
        conn,
        'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Negotiate, Basic realm="corp \\"west\\"", charset="UTF-8"\r\nContent-Length: 0\r\n\r\n',
      );
    }
  });
  try {
    const realms: string[] = [];
    const tunnel = new HttpConnectTunnel(server(proxy.port), {
      authenticate: (realm) => {
        realms.push(realm);
        return { user: "alice", password: "s3cret" };
      },
    });
    const conn = await tunnel.open({ hostname: "localhost", port: 80 }, never);
    conn.close();
    assert.deepEqual(realms, ['corp "west"']);
    assert.equal(proxy.requests.length, 2);
    assert.equal(headerOf(proxy.requests[0], "proxy-authorization"), null);
    // The credentials are kept for the tunnel's next open(): no second question.
    const again = await tunnel.open({ hostname: "localhost", port: 80 }, never);
    again.close();
    assert.deepEqual(realms, ['corp "west"']);
    assert.equal(proxy.requests.length, 3);
  } finally {
    await proxy.close();
  }
});

Deno.test("407: refused credentials are retried once, then ProxyAuthenticationRequiredError without the secret", async () => {
  const proxy = startFakeProxy(
    respond(
      'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="corp"\r\n\r\n',
    ),
  );
  try {
    let asked = 0;
    const tunnel = new HttpConnectTunnel(server(proxy.port, "alice", "first-secret"), {
      authenticate: () => {
        asked++;
        return { user: "alice", password: "second-secret" };
      },
    });
    const error = await rejection(tunnel.open({ hostname: "localhost", port: 80 }, never));
    assert.equal(error.socketError, E.ProxyAuthenticationRequiredError);
    assert.equal(asked, 1);
    assert.equal(proxy.requests.length, 2);
    assert.match(error.message, /407/);
    assert.match(error.message, /corp/);
    for (const secret of ["first-secret", "second-secret", btoa("alice:first-secret")]) {
      assert.ok(!error.message.includes(secret), `the message leaks ${secret}`);
    }
  } finally {
    await proxy.close();
  }
});

Deno.test("401 with WWW-Authenticate to a CONNECT (tinyproxy's answer to refused credentials) counts as a 407", async () => {
  const proxy = startFakeProxy(async (conn, request) => {
    if (headerOf(request, "proxy-authorization") === "Basic " + btoa("alice:right")) {
      await writeAll(conn, "HTTP/1.0 200 Connection established\r\n\r\n");
      await drain(conn);
    } else {
      await writeAll(
        conn,
        'HTTP/1.0 401 Unauthorized\r\nWWW-Authenticate: Basic realm="Tinyproxy"\r\n\r\n',
      );
    }
  });
  try {
    const realms: string[] = [];
    const conn = await new HttpConnectTunnel(server(proxy.port, "alice", "wrong"), {
      authenticate: (realm) => {
        realms.push(realm);
        return { user: "alice", password: "right" };
      },
    }).open({ hostname: "localhost", port: 80 }, never);
    conn.close();
    assert.deepEqual(realms, ["Tinyproxy"]);
    assert.equal(proxy.requests.length, 2);
  } finally {
    await proxy.close();
  }
});

Deno.test("407: with no authenticate() answer the open fails with ProxyAuthenticationRequiredError", async () => {
  const proxy = startFakeProxy(
    respond('HTTP/1.1 407 Nope\r\nProxy-Authenticate: Basic realm="r"\r\n\r\n'),
  );
  try {
    const error = await rejection(
      new HttpConnectTunnel(server(proxy.port), { authenticate: () => null }).open(
        { hostname: "localhost", port: 80 },
        never,
      ),
    );
    assert.equal(error.socketError, E.ProxyAuthenticationRequiredError);
    assert.match(error.message, /requires credentials/);
    assert.equal(proxy.requests.length, 1);
  } finally {
    await proxy.close();
  }
});

Deno.test("407: a proxy that offers no Basic challenge fails at once, naming the scheme", async () => {
  const proxy = startFakeProxy(
    respond(
      "HTTP/1.1 407 Auth\r\nProxy-Authenticate: NTLM\r\nProxy-Authenticate: Negotiate\r\n\r\n",
    ),
  );
  try {
    let asked = 0;
    const error = await rejection(
      new HttpConnectTunnel(server(proxy.port), {
        authenticate: () => {
          asked++;
          return { user: "a", password: "b" };
        },
      }).open({ hostname: "localhost", port: 80 }, never),
    );
    assert.equal(error.socketError, E.ProxyAuthenticationRequiredError);
    assert.match(error.message, /NTLM/);
    assert.equal(asked, 0);
  } finally {
    await proxy.close();
  }
});

for (
  const [status, text] of [[403, "Forbidden"], [502, "Bad Gateway"], [500, "Unable to connect"]]
) {
  Deno.test(`a ${status} answer to CONNECT is ProxyConnectionRefusedError with the status`, async () => {
    const proxy = startFakeProxy(
      respond(`HTTP/1.1 ${status} ${text}\r\nContent-Length: 0\r\n\r\n`),
    );
    try {
      const error = await rejection(
        new HttpConnectTunnel(server(proxy.port)).open({ hostname: "localhost", port: 81 }, never),
      );
      assert.equal(error.socketError, E.ProxyConnectionRefusedError);
      assert.match(error.message, new RegExp(`${status} ${text}`));
      assert.match(error.message, /localhost:81/);
    } finally {
      await proxy.close();
    }
  });
}

Deno.test("a proxy that closes before answering is ProxyConnectionClosedError", async () => {
  const proxy = startFakeProxy(respond(""));
  try {
    const error = await rejection(
      new HttpConnectTunnel(server(proxy.port)).open({ hostname: "localhost", port: 80 }, never),
    );
    assert.equal(error.socketError, E.ProxyConnectionClosedError);
  } finally {
    await proxy.close();
  }
});

Deno.test("a proxy that closes in the middle of its answer is ProxyConnectionClosedError", async () => {
  const proxy = startFakeProxy(respond("HTTP/1.1 200 Connection est"));
  try {
    const error = await rejection(
      new HttpConnectTunnel(server(proxy.port)).open({ hostname: "localhost", port: 80 }, never),
    );
    assert.equal(error.socketError, E.ProxyConnectionClosedError);
  } finally {
    await proxy.close();
  }
});

Deno.test("a peer that is not an HTTP proxy is ProxyProtocolError at once, without waiting", async () => {
  // An SSH server announces itself and waits: the tunnel must not wait with it.
  const proxy = startFakeProxy(respond("SSH-2.0-OpenSSH_9.2\r\n", true));
  try {
    const error = await rejection(
      new HttpConnectTunnel(server(proxy.port), { timeout: 60_000 }).open(
        { hostname: "localhost", port: 80 },
        never,
      ),
    );
    assert.equal(error.socketError, E.ProxyProtocolError);
  } finally {
    await proxy.close();
  }
});

Deno.test("a malformed answer head is ProxyProtocolError", async () => {
  const proxy = startFakeProxy(respond("HTTP/1.1 200 OK\r\nBad Header Line\r\n\r\n", true));
  try {
    const error = await rejection(
      new HttpConnectTunnel(server(proxy.port)).open({ hostname: "localhost", port: 80 }, never),
    );
    assert.equal(error.socketError, E.ProxyProtocolError);
  } finally {
    await proxy.close();
  }
});

Deno.test("an invalid status line is ProxyProtocolError", async () => {
  const proxy = startFakeProxy(respond("HTTP/1.1 2000 OK\r\n\r\n", true));
  try {
    const error = await rejection(
      new HttpConnectTunnel(server(proxy.port)).open({ hostname: "localhost", port: 80 }, never),
    );
    assert.equal(error.socketError, E.ProxyProtocolError);
  } finally {
    await proxy.close();
  }
});

Deno.test("an answer head beyond 16 KiB is ProxyProtocolError before more is read", async () => {
  const filler = "X-Filler: " + "a".repeat(4000) + "\r\n";
  const proxy = startFakeProxy(respond("HTTP/1.1 200 OK\r\n" + filler.repeat(6) + "\r\n", true));
  try {
    const error = await rejection(
      new HttpConnectTunnel(server(proxy.port)).open({ hostname: "localhost", port: 80 }, never),
    );
    assert.equal(error.socketError, E.ProxyProtocolError);
  } finally {
    await proxy.close();
  }
});

Deno.test("a proxy that never answers is ProxyConnectionTimeoutError after the tunnel's bound", async () => {
  const proxy = startFakeProxy(async (conn) => await drain(conn));
  try {
    const error = await rejection(
      new HttpConnectTunnel(server(proxy.port), { timeout: 300 }).open(
        { hostname: "localhost", port: 80 },
        never,
      ),
    );
    assert.equal(error.socketError, E.ProxyConnectionTimeoutError);
    assert.match(error.message, /did not answer/);
  } finally {
    await proxy.close();
  }
});

Deno.test("a proxy port where nothing listens is ProxyConnectionRefusedError", async () => {
  const port = freePort();
  const error = await rejection(
    new HttpConnectTunnel(server(port)).open({ hostname: "localhost", port: 80 }, never),
  );
  assert.equal(error.socketError, E.ProxyConnectionRefusedError);
  assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
});

Deno.test("Deno's name-lookup failure for the proxy maps to ProxyNotFoundError", () => {
  // No test may send a DNS query off this machine, so the error Deno raises
  // for an unknown name is built here with the text Deno gives it.
  const lookup = new Error("failed to lookup address information: Name or service not known");
  const error = proxyConnectError(lookup, "proxy.invalid:3128");
  assert.equal(error.socketError, E.ProxyNotFoundError);
  assert.match(error.message, /proxy\.invalid:3128/);
  const refused = proxyConnectError(new Deno.errors.ConnectionRefused("refused"), "p:1");
  assert.equal(refused.socketError, E.ProxyConnectionRefusedError);
  const reset = proxyConnectError(new Deno.errors.ConnectionReset("reset"), "p:1");
  assert.equal(reset.socketError, E.ProxyConnectionClosedError);
  const timedOut = proxyConnectError(new Deno.errors.TimedOut("timed out"), "p:1");
  assert.equal(timedOut.socketError, E.ProxyConnectionTimeoutError);
  const denied = proxyConnectError(new Deno.errors.NotCapable("no net"), "p:1");
  assert.equal(denied.socketError, E.SocketAccessError);
  assert.match(denied.message, /--allow-net=p:1/);
});

Deno.test("cancelling while the proxy is silent rejects with the signal's reason and leaves nothing open", async () => {
  const proxy = startFakeProxy(async (conn) => await drain(conn));
  try {
    const controller = new AbortController();
    const reason = new Error("cancelled by the test");
    const opening = new HttpConnectTunnel(server(proxy.port)).open(
      { hostname: "localhost", port: 80 },
      controller.signal,
    );
    while (proxy.requests.length === 0) await new Promise((r) => setTimeout(r, 10));
    controller.abort(reason);
    await assert.rejects(within(opening, "the cancelled tunnel", BOUND), (e) => e === reason);
  } finally {
    await proxy.close();
  }
});

Deno.test("a tunnel carries a real WebSocket handshake to the target", async () => {
  const target = startTarget();
  const proxy = startFakeProxy();
  try {
    const conn = await new HttpConnectTunnel(server(proxy.port)).open(
      { hostname: "localhost", port: target.port },
      never,
    );
    try {
      await writeAll(
        conn,
        `GET / HTTP/1.1\r\nHost: localhost:${target.port}\r\nUpgrade: websocket\r\n` +
          "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
          "Sec-WebSocket-Version: 13\r\n\r\n",
      );
      const buffer = new Uint8Array(512);
      const n = await within(conn.read(buffer), "the 101 response", BOUND);
      const text = new TextDecoder().decode(buffer.subarray(0, n ?? 0));
      assert.match(text, /^HTTP\/1\.1 101/);
      assert.match(text, /s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=/i);
    } finally {
      conn.close();
    }
    assert.equal(proxy.requests[0].line, `CONNECT localhost:${target.port} HTTP/1.1`);
    assert.equal(target.peers.length, 1);
  } finally {
    await proxy.close();
    await target.close();
  }
});
