/**
 * `QWebSocketServer.handleRequest()` behind `Deno.serve`: the opening
 * handshake runs the same checks, refusals and pending queue as the TCP
 * path (RFC 6455 §4.2, Qt's originAuthenticationRequired, maxPendingConnections,
 * newConnection / nextPendingConnection), and the sockets it yields carry
 * the request.
 */

import assert from "node:assert/strict";
import { QAbstractSocket, QWebSocketProtocol, QWebSocketServer } from "../../mod.ts";
import {
  DenoClient,
  EdgeServer,
  nextEvent,
  RawClient,
  Recorder,
  RFC_ACCEPT,
  RFC_KEY,
  upgradeHead,
  within,
} from "./_edge.ts";

const CloseCode = QWebSocketProtocol.CloseCode;

function serverErrors(server: QWebSocketServer): Array<{ code: number; text: string }> {
  const errors: Array<{ code: number; text: string }> = [];
  server.addEventListener("serverError", (e) => {
    errors.push({ code: e.closeCode, text: server.errorString() });
  });
  return errors;
}

Deno.test("RFC 9110 §15.5.22 handleRequest: a request without Upgrade: websocket gets 426, Upgrade: websocket and a plain-text body", async () => {
  await using edge = new EdgeServer(new QWebSocketServer("Edge", 1));
  const errors = serverErrors(edge.server);
  const base = `http://127.0.0.1:${edge.port}`;

  const get = await fetch(`${base}/ws?room=1`);
  assert.equal(get.status, 426);
  assert.equal(get.headers.get("upgrade"), "websocket");
  assert.equal(get.headers.get("sec-websocket-version"), "13");
  assert.equal(get.headers.get("server"), "Edge");
  assert.match(get.headers.get("content-type") ?? "", /^text\/plain/);
  const body = await get.text();
  assert.match(body, /^GET \/ws is a WebSocket endpoint: connect with a WebSocket client/);

  const post = await fetch(`${base}/ws`, { method: "POST", body: "hello" });
  assert.equal(post.status, 426);
  assert.match(await post.text(), /^POST \/ws is a WebSocket endpoint/);

  // Qt: every refused handshake is a serverError.
  assert.equal(errors.length, 2);
  assert.equal(errors[0]!.code, CloseCode.CloseCodeProtocolError);
  assert.match(errors[0]!.text, /^Refused the WebSocket handshake of 127\.0\.0\.1:\d+ with 426/);
  assert.equal(edge.server.hasPendingConnections(), false);
  assert.equal(edge.server.isListening(), false, "handleRequest needs no listen()");
});

Deno.test("RFC 6455 §4.2.1 handleRequest: a bad upgrade request gets 400, another version 426 with Sec-WebSocket-Version: 13", async () => {
  await using edge = new EdgeServer();
  const errors = serverErrors(edge.server);
  const cases: Array<{ head: string; status: number; header?: [string, string]; body: RegExp }> = [
    {
      head: upgradeHead(edge.port, "/", { "Sec-WebSocket-Version": "8" }),
      status: 426,
      header: ["sec-websocket-version", "13"],
      body: /Unsupported WebSocket version 8/,
    },
    {
      head: upgradeHead(edge.port, "/", { "Sec-WebSocket-Key": "c2hvcnQ=" }),
      status: 400,
      body: /is not base64 of 16 bytes/,
    },
    {
      head: upgradeHead(edge.port, "/", { "Sec-WebSocket-Protocol": "chat, bad/name" }),
      status: 400,
      body: /The subprotocol "bad\/name" is not a valid token/,
    },
    {
      head: upgradeHead(edge.port, "/").replace("Connection: Upgrade", "Connection: keep-alive"),
      status: 400,
      body: /Connection header does not include "Upgrade"/,
    },
  ];
  for (const { head, status, header, body } of cases) {
    const raw = await RawClient.connect(edge.port);
    try {
      await raw.send(head);
      const response = await raw.readResponse();
      assert.equal(response.status, status, response.head);
      if (header !== undefined) assert.equal(response.headers.get(header[0]), header[1]);
      assert.equal(response.headers.has("sec-websocket-accept"), false);
    } finally {
      raw.close();
    }
    assert.match(errors.at(-1)!.text, body);
    assert.equal(errors.at(-1)!.code, CloseCode.CloseCodeProtocolError);
  }
  assert.equal(errors.length, cases.length);

  // Deno.serve answers a POST upgrade itself; a Request made by hand reaches the check.
  const post = edge.server.handleRequest(
    new Request(`http://127.0.0.1:${edge.port}/`, {
      method: "POST",
      headers: {
        Host: `127.0.0.1:${edge.port}`,
        Upgrade: "websocket",
        Connection: "Upgrade",
        "Sec-WebSocket-Key": RFC_KEY,
        "Sec-WebSocket-Version": "13",
      },
    }),
  );
  assert.equal(post.status, 400);
  assert.equal(post.headers.get("allow"), "GET");
  assert.match(await post.text(), /must be GET, not POST/);
});

Deno.test("Qt originAuthenticationRequired: handleRequest asks synchronously and refuses with 403, serverError(1008)", async () => {
  await using edge = new EdgeServer();
  const errors = serverErrors(edge.server);
  const asked: string[] = [];
  edge.server.addEventListener("originAuthenticationRequired", (e) => {
    asked.push(e.authenticator.origin());
    e.authenticator.setAllowed(e.authenticator.origin() === "https://app.example");
  });

  const refused = await RawClient.connect(edge.port);
  try {
    await refused.send(upgradeHead(edge.port, "/chat", { Origin: "https://evil.example" }));
    const response = await refused.readResponse();
    assert.equal(response.status, 403);
    assert.equal(response.headers.has("upgrade"), false);
  } finally {
    refused.close();
  }
  assert.deepEqual(errors.map((e) => e.code), [CloseCode.CloseCodePolicyViolated]);
  assert.match(
    errors[0]!.text,
    /403 Forbidden: The origin "https:\/\/evil\.example" is not allowed/,
  );

  // Deno's own client sees the refusal as a failed open.
  const deno = new DenoClient(`${edge.url}/chat`, undefined, { origin: "https://evil.example" });
  await assert.rejects(within(deno.opened, "the refused open"), /403/);
  await deno.end();

  const allowed = new DenoClient(`${edge.url}/chat`, undefined, { origin: "https://app.example" });
  await within(allowed.opened, "the allowed open");
  const socket = await edge.nextClient();
  assert.equal(socket.origin(), "https://app.example");
  assert.deepEqual(asked, ["https://evil.example", "https://evil.example", "https://app.example"]);
  allowed.ws.close();
  await allowed.end();
});

Deno.test("Qt maxPendingConnections: beyond the queue handleRequest answers 503 and serverError(1006); nextPendingConnection() makes room", async () => {
  await using edge = new EdgeServer();
  edge.server.setMaxPendingConnections(1);
  const errors = serverErrors(edge.server);

  const first = new DenoClient(`${edge.url}/one`);
  await within(first.opened, "the first open");
  if (!edge.server.hasPendingConnections()) await nextEvent(edge.server, "newConnection");

  const raw = await RawClient.connect(edge.port);
  try {
    await raw.send(upgradeHead(edge.port, "/two"));
    const response = await raw.readResponse();
    assert.equal(response.status, 503);
  } finally {
    raw.close();
  }
  const second = new DenoClient(`${edge.url}/two`);
  await assert.rejects(within(second.opened, "the refused open"), /503/);
  await second.end();
  assert.deepEqual(errors.map((e) => e.code), [
    CloseCode.CloseCodeAbnormalDisconnection,
    CloseCode.CloseCodeAbnormalDisconnection,
  ]);
  assert.match(errors[0]!.text, /503 Service Unavailable: Too many pending connections: 1 clients/);

  const taken = await edge.nextClient();
  assert.equal(taken.resourceName(), "/one");
  const third = new DenoClient(`${edge.url}/three`);
  await within(third.opened, "the open after nextPendingConnection()");
  assert.equal((await edge.nextClient()).resourceName(), "/three");
  for (const client of [first, third]) {
    client.ws.close();
    await client.end();
  }
});

Deno.test("Qt newConnection: a socket from handleRequest carries request(), origin(), resourceName(), requestUrl(), peerAddress() and the Server header", async () => {
  await using edge = new EdgeServer(new QWebSocketServer("qtws edge", 1));
  const raw = await RawClient.connect(edge.port);
  try {
    await raw.send(upgradeHead(edge.port, "/room/42?user=ann", {
      Origin: "http://127.0.0.1:9",
      "X-Token": "abc",
    }));
    const response = await raw.readResponse();
    assert.equal(response.status, 101);
    assert.equal(response.headers.get("sec-websocket-accept"), RFC_ACCEPT);
    assert.equal(response.headers.get("server"), "qtws edge");
    assert.equal(response.headers.has("sec-websocket-protocol"), false);

    const socket = await edge.nextClient();
    assert.equal(socket.state(), QAbstractSocket.SocketState.ConnectedState);
    assert.equal(socket.isValid(), true);
    assert.equal(socket.origin(), "http://127.0.0.1:9");
    assert.equal(socket.resourceName(), "/room/42?user=ann");
    assert.equal(socket.requestUrl().href, `ws://127.0.0.1:${edge.port}/room/42?user=ann`);
    assert.equal(socket.request().rawHeader("X-Token"), "abc");
    assert.equal(socket.request().rawHeader("sec-websocket-key"), RFC_KEY);
    assert.equal(socket.subprotocol(), "");
    assert.equal(socket.version(), QWebSocketProtocol.Version.Version13);
    // From Deno.ServeHandlerInfo.remoteAddr; Deno.serve gives no local address.
    assert.equal(socket.peerAddress(), "127.0.0.1");
    assert.ok(socket.peerPort() > 0);
    assert.equal(socket.localAddress(), "");
    assert.equal(socket.localPort(), 0);
    assert.equal(socket.peerName(), "");
    // The server's limits apply before the first message.
    assert.equal(
      socket.maxAllowedIncomingMessageSize(),
      edge.server.maxAllowedIncomingMessageSize(),
    );
    assert.equal(edge.server.isListening(), false);
  } finally {
    raw.close();
  }
});

Deno.test("handleRequest without info: the peer is unknown (empty address, port 0)", async () => {
  const server = new QWebSocketServer("", QWebSocketServer.SslMode.NonSecureMode);
  const http = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) => server.handleRequest(request),
  );
  const client = new DenoClient(`ws://127.0.0.1:${http.addr.port}/`);
  try {
    await within(client.opened, "open");
    if (!server.hasPendingConnections()) await nextEvent(server, "newConnection");
    const socket = server.nextPendingConnection()!;
    assert.equal(socket.peerAddress(), "");
    assert.equal(socket.peerPort(), 0);
    const recorder = new Recorder(socket);
    client.ws.close(1000);
    await recorder.ended();
    await client.end();
  } finally {
    await server[Symbol.asyncDispose]();
    await http.shutdown();
  }
});

Deno.test("Qt handshakeTimeout: a Request that never opens (not from Deno.serve) gives its queue place back", async () => {
  const server = new QWebSocketServer("", QWebSocketServer.SslMode.NonSecureMode);
  server.setMaxPendingConnections(1);
  server.setHandshakeTimeout(100);
  let connections = 0;
  server.addEventListener("newConnection", () => connections++);
  // Deno upgrades it and hands back a 101, but no connection is behind it.
  const made = new Request("http://127.0.0.1/ws", {
    headers: {
      Host: "127.0.0.1",
      Upgrade: "websocket",
      Connection: "Upgrade",
      "Sec-WebSocket-Key": RFC_KEY,
      "Sec-WebSocket-Version": "13",
    },
  });
  const response = server.handleRequest(made);
  assert.equal(response.status, 101);
  await using edge = new EdgeServer(server);
  // Once the timeout has passed, the only place in the queue is free again.
  let client: DenoClient | null = null;
  const deadline = Date.now() + 20_000;
  while (client === null) {
    const attempt = new DenoClient(`${edge.url}/`);
    try {
      await within(attempt.opened, "open");
      client = attempt;
    } catch (error) {
      assert.match(String(error), /503/);
      await attempt.end();
      assert.ok(Date.now() < deadline, "the queue place was never given back");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  const socket = await edge.nextClient();
  assert.equal(connections, 1, "only the real client joined the queue");
  const recorder = new Recorder(socket);
  client.ws.close();
  await recorder.ended();
  await client.end();
});

Deno.test("Qt QWebSocketServer::close(): queued sockets from handleRequest are closed with 1001 Server closed", async () => {
  const edge = new EdgeServer();
  const client = new DenoClient(`${edge.url}/`);
  try {
    await within(client.opened, "open");
    if (!edge.server.hasPendingConnections()) await nextEvent(edge.server, "newConnection");
    edge.server.close();
    await nextEvent(edge.server, "closed");
    const end = await client.end();
    assert.equal(end.code, CloseCode.CloseCodeGoingAway);
    assert.equal(end.reason, "Server closed");
    assert.equal(edge.server.hasPendingConnections(), false);
  } finally {
    await edge[Symbol.asyncDispose]();
  }
});

Deno.test("handleRequest: a programming error (not a Request) throws a TypeError saying what to pass", () => {
  const server = new QWebSocketServer("", QWebSocketServer.SslMode.NonSecureMode);
  assert.throws(
    () => server.handleRequest("http://127.0.0.1/" as unknown as Request),
    { name: "TypeError", message: /pass the Request that a Deno\.serve handler received/ },
  );
});

Deno.test("handleRequest: a request the application already upgraded is a programming error (TypeError), and takes no queue place", async () => {
  const server = new QWebSocketServer("", QWebSocketServer.SslMode.NonSecureMode);
  server.setMaxPendingConnections(1);
  const errors = serverErrors(server);
  const thrown: unknown[] = [];
  const http = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req, info) => {
    const first = Deno.upgradeWebSocket(req);
    first.socket.addEventListener("open", () => first.socket.close());
    try {
      server.handleRequest(req, info);
    } catch (error) {
      thrown.push(error);
    }
    return first.response;
  });
  const client = new DenoClient(`ws://127.0.0.1:${http.addr.port}/`);
  try {
    await within(client.opened, "open");
    await client.end();
  } finally {
    await http.shutdown();
  }
  assert.equal(thrown.length, 1);
  assert.ok(thrown[0] instanceof TypeError);
  assert.match(
    (thrown[0] as Error).message,
    /^Cannot handle request: it cannot be read \(.+\); pass each request to handleRequest\(\) once/,
  );
  assert.deepEqual(errors, []);
  // The only place in the queue is free: a real client gets in.
  await using edge = new EdgeServer(server);
  const next = new DenoClient(`${edge.url}/`);
  await within(next.opened, "the next open");
  const recorder = new Recorder(await edge.nextClient());
  next.ws.close();
  await recorder.ended();
  await next.end();
});

Deno.test("Qt pauseAccepting() with handleRequest: upgrades are answered 503 while paused, and accepted again after resumeAccepting()", async () => {
  await using edge = new EdgeServer();
  const errors = serverErrors(edge.server);
  edge.server.pauseAccepting();
  const refused = new DenoClient(`${edge.url}/`);
  await assert.rejects(within(refused.opened, "the refused open"), /503/);
  await refused.end();
  assert.deepEqual(errors.map((e) => e.code), [CloseCode.CloseCodeAbnormalDisconnection]);
  assert.match(errors[0]!.text, /not accepting connections now \(pauseAccepting\(\)\)/);
  edge.server.resumeAccepting();
  const client = new DenoClient(`${edge.url}/`);
  await within(client.opened, "the open after resumeAccepting()");
  const recorder = new Recorder(await edge.nextClient());
  client.ws.close();
  await recorder.ended();
  await client.end();
});
