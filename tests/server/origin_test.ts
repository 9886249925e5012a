/**
 * Qt's `originAuthenticationRequired(QWebSocketCorsAuthenticator *)`: dispatched
 * synchronously for every handshake, every origin allowed when nobody
 * listens, `403 Forbidden` and `serverError(CloseCodePolicyViolated)` when
 * refused (RFC 6455 §4.2.2 point 4 / §10.2).
 */

import assert from "node:assert/strict";
import {
  type OriginAuthenticationRequiredEvent,
  QWebSocketCorsAuthenticator,
  QWebSocketProtocol,
  type ServerErrorEvent,
} from "../../mod.ts";
import {
  assertRefusal,
  disconnected,
  listeningServer,
  nextClient,
  nextEvent,
  RawClient,
  rawHandshake,
  upgradeRequest,
} from "./_helpers.ts";

Deno.test("QWebSocketServer::originAuthenticationRequired: with no listener every origin is allowed and origin() reports it", async () => {
  await using server = listeningServer();
  using client = await rawHandshake(
    server,
    upgradeRequest({ extra: [["Origin", "https://anything.example"]] }),
  );
  const socket = await nextClient(server);
  assert.equal(socket.origin(), "https://anything.example");
  await disconnected(socket, client);
});

Deno.test("QWebSocketServer::originAuthenticationRequired: a refused origin gets 403 and serverError(1008), no connection", async () => {
  await using server = listeningServer("Gate");
  const seen: string[] = [];
  server.addEventListener("originAuthenticationRequired", (e) => {
    assert.ok(e.authenticator instanceof QWebSocketCorsAuthenticator);
    assert.equal(e.authenticator.allowed(), true, "origins start allowed");
    seen.push(e.authenticator.origin());
    e.authenticator.setAllowed(e.authenticator.origin() === "https://good.example");
  });
  let connections = 0;
  server.addEventListener("newConnection", () => connections++);
  const serverError = nextEvent<ServerErrorEvent>(server, "serverError");
  {
    using client = await RawClient.connect(server);
    await client.write(upgradeRequest({ extra: [["Origin", "https://evil.example"]] }));
    assertRefusal(await client.readToEnd(), 403, "Forbidden", {
      serverName: "Gate",
      bodyIncludes: "https://evil.example",
    });
  }
  assert.equal((await serverError).closeCode, QWebSocketProtocol.CloseCode.CloseCodePolicyViolated);
  assert.equal(server.error(), QWebSocketProtocol.CloseCode.CloseCodePolicyViolated);
  assert.match(server.errorString(), /403 Forbidden.*https:\/\/evil\.example/);
  assert.equal(connections, 0);

  using good = await rawHandshake(
    server,
    upgradeRequest({ extra: [["Origin", "https://good.example"]] }),
  );
  const socket = await nextClient(server);
  assert.equal(socket.origin(), "https://good.example");
  assert.deepEqual(seen, ["https://evil.example", "https://good.example"]);
  await disconnected(socket, good);
});

Deno.test("QWebSocketServer::originAuthenticationRequired: the legacy Sec-WebSocket-Origin header and a missing origin", async () => {
  await using server = listeningServer();
  const seen: string[] = [];
  server.addEventListener(
    "originAuthenticationRequired",
    (e) => seen.push(e.authenticator.origin()),
  );
  {
    using client = await rawHandshake(server);
    const socket = await nextClient(server);
    assert.equal(socket.origin(), "");
    await disconnected(socket, client);
  }
  using client = await rawHandshake(
    server,
    upgradeRequest({ extra: [["Sec-WebSocket-Origin", "http://old.example"]] }),
  );
  const socket = await nextClient(server);
  assert.equal(socket.origin(), "http://old.example");
  assert.deepEqual(seen, ["", "http://old.example"]);
  await disconnected(socket, client);
});

Deno.test("QWebSocketServer::originAuthenticationRequired: only a synchronous answer counts (the signal cannot be queued)", async () => {
  await using server = listeningServer();
  let authenticator: QWebSocketCorsAuthenticator | null = null;
  server.addEventListener(
    "originAuthenticationRequired",
    (e: OriginAuthenticationRequiredEvent) => {
      authenticator = e.authenticator;
      // Too late: the decision was taken when the listener returned.
      queueMicrotask(() => e.authenticator.setAllowed(false));
    },
  );
  using client = await rawHandshake(
    server,
    upgradeRequest({ extra: [["Origin", "https://late.example"]] }),
  );
  const socket = await nextClient(server);
  assert.ok(authenticator !== null);
  assert.equal(socket.origin(), "https://late.example");
  await disconnected(socket, client);
});
