/**
 * The security properties SECURITY.md promises: unpredictable mask keys
 * (RFC 6455 §5.3, §10.3), origin checks when the application asks for them
 * (§10.2), certificate verification for `wss:` unless a given certificate is
 * trusted explicitly, bounded handshakes, frames and messages on servers by
 * default (§10.4), and no secrets in error strings or inspected objects.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  QAbstractSocket,
  QNetworkProxy,
  QNetworkRequest,
  QSslCertificate,
  QSslConfiguration,
  QSslError,
  QSslKey,
  QWebSocket,
  QWebSocketServer,
} from "../../mod.ts";
import { DEFAULT_HTTP_HEAD_LIMITS, DefaultMaskGenerator } from "../../lib/protocol/mod.ts";
import {
  clientFrames,
  closeCodeOf,
  RawPeer,
  RawServer,
  requestBytes,
  serverFrames,
  startEchoServer,
  statusOf,
  within,
} from "./_live.ts";
import { Prng } from "./_prng.ts";
import { encodeHeader64 } from "./_wire.ts";

const TLS = new URL("../fixtures/tls/", import.meta.url);

function disconnected(socket: QWebSocket): Promise<void> {
  return new Promise((resolve) =>
    socket.addEventListener("disconnected", () => resolve(), { once: true })
  );
}

// Pearson's chi-square of byte counts against a uniform distribution (255 degrees of freedom).
function chiSquare(counts: Uint32Array, total: number): number {
  const expected = total / 256;
  let sum = 0;
  for (const count of counts) sum += (count - expected) ** 2 / expected;
  return sum;
}

/** Repeats and per-byte-position uniformity of 32-bit keys. */
function keyStatistics(keys: readonly number[]): { maxRepeat: number; chi: number[] } {
  const seen = new Map<number, number>();
  const positions = [
    new Uint32Array(256),
    new Uint32Array(256),
    new Uint32Array(256),
    new Uint32Array(256),
  ];
  for (const key of keys) {
    seen.set(key, (seen.get(key) ?? 0) + 1);
    for (let p = 0; p < 4; p++) positions[p]![(key >>> (24 - 8 * p)) & 0xff]!++;
  }
  return {
    maxRepeat: Math.max(...seen.values()),
    chi: positions.map((counts) => chiSquare(counts, keys.length)),
  };
}

// 255 degrees of freedom: mean 255, standard deviation about 22.6. 400 is
// over six deviations out; a biased or constant source lands in the
// thousands or more.
const CHI_LIMIT = 400;

Deno.test("5.3 10.3 masks: 100,000 keys from the default generator do not repeat and are uniform in each byte", () => {
  const generator = new DefaultMaskGenerator();
  assert.ok(generator.seed());
  const keys = Array.from({ length: 100_000 }, () => generator.nextMask());
  const { maxRepeat, chi } = keyStatistics(keys);
  // 100,000 draws from 2^32 give about one repeated pair; three of a kind is
  // already a one-in-millions event for a good source.
  assert.ok(maxRepeat <= 3, `a key came ${maxRepeat} times`);
  for (const [p, value] of chi.entries()) {
    assert.ok(value < CHI_LIMIT, `byte ${p}: chi-square ${value}`);
  }
  // The statistic would catch a weak source: a counter fails it at once.
  assert.ok(keyStatistics(Array.from({ length: 100_000 }, (_, i) => i * 7919)).chi[0]! > CHI_LIMIT);
});

Deno.test("5.3 10.3 masks on the wire: a client's 2,000 frames carry distinct keys, uniform in each byte", async () => {
  const raw = new RawServer();
  const socket = new QWebSocket();
  const done = disconnected(socket);
  const connected = new Promise((r) => socket.addEventListener("connected", r, { once: true }));
  try {
    socket.open(raw.url);
    const peer = await raw.accept();
    try {
      await peer.acceptHandshake();
      await within(connected, "the client to connect");
      for (let i = 0; i < 2000; i++) socket.sendBinaryMessage(new Uint8Array([i & 0xff]));
      // 2,000 frames of 7 bytes each.
      const bytes = await peer.waitFor((b) => b.length >= 14_000, "2,000 frames");
      const keys: number[] = [];
      for (let at = 0; at + 7 <= bytes.length; at += 7) {
        assert.equal(bytes[at + 1], 0x81, "masked, 1-byte payload");
        keys.push(new DataView(bytes.buffer, bytes.byteOffset + at + 2, 4).getUint32(0));
      }
      assert.equal(clientFrames(bytes).frames.length, 2000);
      const { maxRepeat, chi } = keyStatistics(keys);
      assert.ok(maxRepeat <= 2, `a key came ${maxRepeat} times in 2,000 frames`);
      for (const [p, value] of chi.entries()) {
        assert.ok(value < CHI_LIMIT, `byte ${p}: chi-square ${value}`);
      }
    } finally {
      socket.abort();
      await peer.close();
    }
  } finally {
    await within(done, "the client to disconnect");
    raw.close();
  }
});

Deno.test("10.2 origin: with an originAuthenticationRequired listener a refused origin gets 403 and never becomes a socket; without one every origin passes", async () => {
  const server = startEchoServer();
  try {
    const key = "dGhlIHNhbXBsZSBub25jZQ==";
    const ask = async (origin: string) => {
      const peer = await RawPeer.connect(server.port);
      try {
        await peer.write(requestBytes(key, "/", `Origin: ${origin}\r\n`));
        await peer.closeWrite();
        return statusOf(await peer.readToEnd());
      } finally {
        await peer.close();
      }
    };
    assert.equal(await ask("https://evil.example"), 101, "no listener: origins are not checked");
    const seen: string[] = [];
    server.server.addEventListener("originAuthenticationRequired", (e) => {
      seen.push(e.authenticator.origin());
      e.authenticator.setAllowed(e.authenticator.origin() === "https://good.example");
    });
    const before = server.sockets.length;
    assert.equal(await ask("https://evil.example"), 403);
    assert.equal(await ask("https://good.example"), 101);
    assert.deepEqual(seen, ["https://evil.example", "https://good.example"]);
    assert.equal(server.sockets.length, before + 1, "the refused origin never became a socket");
  } finally {
    await server.dispose();
  }
});

Deno.test("10.4 limits: a QWebSocketServer bounds handshakes, frames, messages and its queue by default", async () => {
  const server = new QWebSocketServer("", QWebSocketServer.SslMode.NonSecureMode);
  assert.equal(server.handshakeTimeoutMS(), 10_000);
  assert.equal(server.maxAllowedIncomingFrameSize(), 16 * 1024 * 1024);
  assert.equal(server.maxAllowedIncomingMessageSize(), 64 * 1024 * 1024);
  assert.equal(server.maxPendingConnections(), 30);
  assert.deepEqual({ ...DEFAULT_HTTP_HEAD_LIMITS }, {
    maxHeadBytes: 65536,
    maxLineBytes: 8192,
    maxHeaderCount: 100,
  });

  // And they hold on the wire: a frame header one byte over 16 MiB fails
  // with 1009 on a server nobody configured.
  const echo = startEchoServer();
  try {
    const peer = await RawPeer.connect(echo.port);
    try {
      await peer.handshake(new Prng(30));
      await peer.write(encodeHeader64(0x82, 16n * 1024n * 1024n + 1n, 0x01020304));
      const bytes = await peer.waitFor(
        (b) => closeCodeOf(serverFrames(b).frames) !== null,
        "the close frame",
      );
      assert.equal(closeCodeOf(serverFrames(bytes).frames), 1009);
      const accepted = echo.sockets[0]!.socket;
      assert.equal(accepted.maxAllowedIncomingFrameSize(), 16 * 1024 * 1024);
      assert.equal(accepted.maxAllowedIncomingMessageSize(), 64 * 1024 * 1024);
    } finally {
      await peer.close();
    }
  } finally {
    await echo.dispose();
  }
});

function selfSignedServer(): QWebSocketServer {
  const config = QSslConfiguration.defaultConfiguration();
  config.setLocalCertificate(QSslCertificate.fromPath(new URL("selfsigned.crt", TLS).pathname)[0]!);
  config.setPrivateKey(new QSslKey(Deno.readTextFileSync(new URL("selfsigned.key", TLS))));
  const server = new QWebSocketServer("", QWebSocketServer.SslMode.SecureMode);
  server.setSslConfiguration(config);
  server.addEventListener("newConnection", () => server.nextPendingConnection()?.close());
  assert.ok(server.listen("127.0.0.1", 0), server.errorString());
  return server;
}

async function openSecure(
  url: string,
  prepare: (socket: QWebSocket) => void,
): Promise<{ connected: boolean; socket: QWebSocket }> {
  const socket = new QWebSocket();
  prepare(socket);
  let connected = false;
  socket.addEventListener("connected", () => (connected = true));
  const done = disconnected(socket);
  socket.open(url);
  await within(done, `the wss: client to finish (${url})`);
  return { connected, socket };
}

Deno.test("wss: a certificate nobody vouches for is refused, blanket ignoreSslErrors() does not change that, and only trusting that certificate does", async () => {
  const server = selfSignedServer();
  try {
    const url = `wss://localhost:${server.serverPort()}`;
    const plain = await openSecure(url, () => {});
    assert.equal(plain.connected, false);
    assert.equal(plain.socket.error(), QAbstractSocket.SocketError.SslHandshakeFailedError);

    const blanket = await openSecure(url, (s) => s.ignoreSslErrors());
    assert.equal(
      blanket.connected,
      false,
      "ignoreSslErrors() without a certificate cannot disable verification",
    );

    const other = QSslCertificate.fromPath(new URL("wronghost.crt", TLS).pathname)[0]!;
    const wrong = await openSecure(
      url,
      (s) => s.ignoreSslErrors([new QSslError(QSslError.SslError.SelfSignedCertificate, other)]),
    );
    assert.equal(wrong.connected, false, "trusting another certificate does not help");

    const cert = QSslCertificate.fromPath(new URL("selfsigned.crt", TLS).pathname)[0]!;
    const trusted = await openSecure(
      url,
      (s) => s.ignoreSslErrors([new QSslError(QSslError.SslError.SelfSignedCertificate, cert)]),
    );
    assert.equal(trusted.connected, true, trusted.socket.errorString());
  } finally {
    await server[Symbol.asyncDispose]();
  }
});

const SECRET = "hunter2-S3CRET";
const TOKEN = "tok-9f8e7d-S3CRET";

function assertNoSecret(text: string, what: string): void {
  for (const secret of [SECRET, TOKEN, btoa(`user:${SECRET}`), btoa(`puser:${SECRET}`)]) {
    assert.ok(!text.includes(secret), `${what} reveals a secret: ${text}`);
  }
}

async function refusedOpening(
  answer: string,
  prepare: (socket: QWebSocket, raw: RawServer) => URL | string | QNetworkRequest,
): Promise<{ socket: QWebSocket; requests: string[] }> {
  const raw = new RawServer();
  const socket = new QWebSocket();
  const requests: string[] = [];
  socket.addEventListener("error", () => {});
  const done = disconnected(socket);
  const target = prepare(socket, raw);
  socket.open(target as URL);
  // Answer every attempt (a client may retry once with credentials).
  const serving = (async () => {
    while (true) {
      let peer: RawPeer;
      try {
        peer = RawPeer.wrap(await raw.listener.accept());
      } catch {
        return;
      }
      try {
        const bytes = await peer.waitFor(
          (b) => new TextDecoder().decode(b).includes("\r\n\r\n"),
          "a request",
        );
        requests.push(new TextDecoder().decode(bytes));
        await peer.write(new TextEncoder().encode(answer));
        await peer.closeWrite();
        await peer.readToEnd();
      } finally {
        await peer.close();
      }
    }
  })();
  await within(done, "the refused client to disconnect");
  raw.close();
  await serving;
  return { socket, requests };
}

Deno.test("secrets: refused openings never put URL passwords, Authorization values or proxy passwords in errorString()", async () => {
  // A URL password, sent as Basic credentials to a server that keeps saying 401.
  const basic = await refusedOpening(
    'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm="r"\r\nContent-Length: 0\r\n\r\n',
    (_s, raw) => `ws://user:${SECRET}@127.0.0.1:${raw.port}/`,
  );
  assert.ok(
    basic.requests.some((r) => r.includes(btoa(`user:${SECRET}`))),
    "the credentials were sent",
  );
  assertNoSecret(basic.socket.errorString(), "a 401 refusal");
  assertNoSecret(Deno.inspect(basic.socket), "the inspected socket");

  // An Authorization header of the application's own, refused with 403.
  const bearer = await refusedOpening(
    "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n",
    (_s, raw) => {
      const request = new QNetworkRequest(`ws://127.0.0.1:${raw.port}/`);
      request.setRawHeader("Authorization", `Bearer ${TOKEN}`);
      return request;
    },
  );
  assert.ok(bearer.requests[0]!.includes(TOKEN));
  assertNoSecret(bearer.socket.errorString(), "a 403 refusal");

  // A proxy password, refused by the proxy with 407.
  const proxied = await refusedOpening(
    'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="p"\r\nContent-Length: 0\r\n\r\n',
    (socket, raw) => {
      socket.setProxy(
        new QNetworkProxy(
          QNetworkProxy.ProxyType.HttpProxy,
          "127.0.0.1",
          raw.port,
          "puser",
          SECRET,
        ),
      );
      return "ws://example.invalid/";
    },
  );
  assert.ok(
    proxied.requests.some((r) => r.includes(btoa(`puser:${SECRET}`))),
    "the proxy credentials were sent",
  );
  assertNoSecret(proxied.socket.errorString(), "a 407 refusal");
  const proxy = new QNetworkProxy(
    QNetworkProxy.ProxyType.HttpProxy,
    "127.0.0.1",
    3128,
    "puser",
    SECRET,
  );
  assertNoSecret(Deno.inspect(proxy), "an inspected QNetworkProxy");
  assertNoSecret(JSON.stringify(proxy), "a QNetworkProxy as JSON");
  assertNoSecret(String(proxy), "a QNetworkProxy as a string");
});

Deno.test("secrets: a server refusing a handshake echoes no Authorization value in its answer or errorString()", async () => {
  const server = startEchoServer();
  try {
    const peer = await RawPeer.connect(server.port);
    try {
      // Version 8: refused with 426, with the client's Authorization header in the request.
      await peer.write(new TextEncoder().encode(
        "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
          `Authorization: Bearer ${TOKEN}\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n` +
          "Sec-WebSocket-Version: 8\r\n\r\n",
      ));
      await peer.closeWrite();
      const answer = new TextDecoder().decode(await peer.readToEnd());
      assert.match(answer, /^HTTP\/1\.1 426 /);
      assertNoSecret(answer, "the 426 answer");
      assertNoSecret(server.server.errorString(), "the server's errorString()");
    } finally {
      await peer.close();
    }
  } finally {
    await server.dispose();
  }
});
