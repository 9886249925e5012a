/**
 * Bugs the reliability fuzzers and hostile-peer tests found, each pinned as
 * its own case so it cannot come back unnoticed.
 *
 * @module
 */

import assert from "node:assert/strict";
import { type QWebSocket, QWebSocketServer } from "../../mod.ts";
import { HandshakeError, HeaderList, validateServerResponse } from "../../lib/protocol/mod.ts";
import { acceptFor } from "./_heads.ts";
import {
  headEnd,
  RawPeer,
  requestBytes,
  sleep,
  startEchoServer,
  statusOf,
  within,
} from "./_live.ts";

const KEY = "dGhlIHNhbXBsZSBub25jZQ==";

// Found by fuzz_handshake_test (seed 33): only "HTTP/0.9" and "HTTP/1.0" were
// refused, so a 101 over "HTTP/0.1" passed as a WebSocket handshake.
Deno.test("4.1 client handshake: a 101 over any HTTP version before 1.1 (HTTP/0.1) is refused", async () => {
  const headers = new HeaderList([
    ["Upgrade", "websocket"],
    ["Connection", "Upgrade"],
    ["Sec-WebSocket-Accept", await acceptFor(KEY)],
  ]);
  for (const version of ["HTTP/0.1", "HTTP/0.0", "HTTP/1.0"]) {
    await assert.rejects(
      validateServerResponse({ startLine: `${version} 101 OK`, headers }, {
        key: KEY,
        protocols: [],
      }),
      (error) => error instanceof HandshakeError && error.status === 101,
      version,
    );
  }
  const ok = await validateServerResponse(
    { startLine: "HTTP/1.1 101 OK", headers },
    { key: KEY, protocols: [] },
  );
  assert.equal(ok.status, 101);
});

// Found by bench/load_10k.ts: a place in the pending queue was reserved
// before the accept value was computed and the 101 written, so more than
// maxPendingConnections handshakes in flight at once (200 here, against the
// default 30) got 503 even though the application took every socket at once.
Deno.test("Qt QWebSocketServer::maxPendingConnections counts queued sockets only: a burst of 200 handshakes is accepted when the application takes each at once", async () => {
  const server = startEchoServer();
  try {
    assert.equal(server.server.maxPendingConnections(), 30);
    const peers = await Promise.all(
      Array.from({ length: 200 }, () => RawPeer.connect(server.port)),
    );
    try {
      await Promise.all(peers.map((peer) => peer.write(requestBytes(KEY))));
      const statuses = await Promise.all(
        peers.map(async (peer) =>
          statusOf(await peer.waitFor((b) => headEnd(b) !== -1, "the answer"))
        ),
      );
      assert.deepEqual(statuses.filter((s) => s !== 101), [], "every handshake was accepted");
      await within(
        (async () => {
          while (server.sockets.length < 200) await sleep(10);
        })(),
        "all 200 sockets to reach the application",
      );
    } finally {
      await Promise.all(peers.map((peer) => peer.close()));
    }
  } finally {
    await server.dispose();
  }
});

Deno.test("Qt QWebSocketServer::maxPendingConnections still refuses with 503 once that many sockets wait untaken", async () => {
  const server = new QWebSocketServer("", QWebSocketServer.SslMode.NonSecureMode);
  server.setMaxPendingConnections(5);
  server.addEventListener("serverError", () => {});
  assert.ok(server.listen("127.0.0.1", 0));
  const peers = await Promise.all(
    Array.from({ length: 20 }, () => RawPeer.connect(server.serverPort())),
  );
  try {
    await Promise.all(peers.map((peer) => peer.write(requestBytes(KEY))));
    const statuses = await Promise.all(
      peers.map(async (peer) =>
        statusOf(await peer.waitFor((b) => headEnd(b) !== -1, "the answer"))
      ),
    );
    assert.equal(statuses.filter((s) => s === 101).length, 5);
    assert.equal(statuses.filter((s) => s === 503).length, 15);
    let queued = 0;
    while (server.nextPendingConnection() !== null) queued++;
    assert.equal(queued, 5, "never more than maxPendingConnections wait");
  } finally {
    await Promise.all(peers.map((peer) => peer.close()));
    await server[Symbol.asyncDispose]();
  }
});

// Found next to the one above: handleRequest() held a place in the pending
// queue from the request until Deno opened the socket, so a burst of more
// than maxPendingConnections upgrades through Deno.serve got 503 although the
// application took every socket at once (140 of 200 refused).
Deno.test("Qt QWebSocketServer::maxPendingConnections with handleRequest: a burst of 200 upgrades through Deno.serve is accepted when the application takes each at once", async () => {
  const server = new QWebSocketServer("", QWebSocketServer.SslMode.NonSecureMode);
  server.addEventListener("serverError", () => {});
  const taken: QWebSocket[] = [];
  server.addEventListener("newConnection", () => {
    for (let s = server.nextPendingConnection(); s !== null; s = server.nextPendingConnection()) {
      taken.push(s);
    }
  });
  const ac = new AbortController();
  const http = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen() {} },
    (request, info) => server.handleRequest(request, info),
  );
  const peers = await Promise.all(
    Array.from({ length: 200 }, () => RawPeer.connect(http.addr.port)),
  );
  try {
    await Promise.all(peers.map((peer) => peer.write(requestBytes(KEY))));
    const statuses = await Promise.all(
      peers.map(async (peer) =>
        statusOf(await peer.waitFor((b) => headEnd(b) !== -1, "the answer"))
      ),
    );
    assert.deepEqual(statuses.filter((s) => s !== 101), [], "every upgrade was accepted");
    await within(
      (async () => {
        while (taken.length < 200) await sleep(10);
      })(),
      "all 200 sockets to reach the application",
    );
  } finally {
    await Promise.all(peers.map((peer) => peer.close()));
    for (const socket of taken) socket.abort();
    ac.abort();
    await http.finished;
    await server[Symbol.asyncDispose]();
  }
});
