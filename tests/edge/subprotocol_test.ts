/**
 * Subprotocols through `handleRequest()` (RFC 6455 §4.2.2 point 5, Qt 6's
 * choice: the first of the client's offers that the server supports), and
 * the offer without spaces that `Deno.upgradeWebSocket` alone answers 500.
 */

import assert from "node:assert/strict";
import { QWebSocket, QWebSocketHandshakeOptions, QWebSocketServer } from "../../mod.ts";
import {
  DenoClient,
  EdgeServer,
  nextEvent,
  OP,
  RawClient,
  Recorder,
  upgradeHead,
  within,
} from "./_edge.ts";

const decoder = new TextDecoder();

Deno.test("Deno 2.9.6: Deno.upgradeWebSocket alone answers 500 to the offer chat,superchat (the bug handleRequest works around)", async () => {
  // If this starts to fail after a Deno upgrade, Deno fixed its parsing; the
  // workaround in lib/transport/platform_upgrade.ts stays correct either way.
  const thrown: string[] = [];
  const http = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    try {
      return Deno.upgradeWebSocket(req, { protocol: "chat" }).response;
    } catch (error) {
      thrown.push(String(error));
      return new Response("upgrade failed", { status: 500 });
    }
  });
  const raw = await RawClient.connect(http.addr.port);
  try {
    await raw.send(
      upgradeHead(http.addr.port, "/", { "Sec-WebSocket-Protocol": "chat,superchat" }),
    );
    assert.equal((await raw.readResponse()).status, 500);
  } finally {
    raw.close();
    await http.shutdown();
  }
  assert.equal(thrown.length, 1);
  assert.match(thrown[0]!, /Protocol 'chat' not in the request's protocol list/);
});

Deno.test("RFC 6455 §4.2.2 handleRequest: the offer chat,superchat (no space) gets 101 with the chosen subprotocol, and the connection works", async () => {
  const server = new QWebSocketServer("", QWebSocketServer.SslMode.NonSecureMode);
  server.setSupportedSubprotocols(["superchat", "chat"]);
  await using edge = new EdgeServer(server);
  for (const [offer, chosen] of [["chat,superchat", "chat"], ["superchat,chat", "superchat"]]) {
    const raw = await RawClient.connect(edge.port);
    try {
      await raw.send(upgradeHead(edge.port, "/", { "Sec-WebSocket-Protocol": offer! }));
      const response = await raw.readResponse();
      assert.equal(response.status, 101, response.head);
      assert.equal(response.headers.get("sec-websocket-protocol"), chosen);
      const socket = await edge.nextClient();
      assert.equal(socket.subprotocol(), chosen);
      assert.equal(socket.request().rawHeader("Sec-WebSocket-Protocol"), offer);
      socket.addEventListener(
        "textMessageReceived",
        (e) => socket.sendTextMessage(`echo ${e.message}`),
      );
      await raw.sendFrame(OP.text, new TextEncoder().encode("hello"));
      const frame = await raw.readFrame();
      assert.equal(frame?.opcode, OP.text);
      assert.equal(decoder.decode(frame!.payload), "echo hello");
    } finally {
      raw.close();
    }
  }
});

Deno.test("Qt 6 subprotocol choice: the first of the client's offers the server supports (Deno's client and our QWebSocket)", async () => {
  const server = new QWebSocketServer("", QWebSocketServer.SslMode.NonSecureMode);
  server.setSupportedSubprotocols(["v1", "v2"]);
  await using edge = new EdgeServer(server);

  const deno = new DenoClient(`${edge.url}/`, ["v3", "v2", "v1"]);
  await within(deno.opened, "Deno's open");
  assert.equal(deno.ws.protocol, "v2");
  const first = new Recorder(await edge.nextClient());
  assert.equal(first.socket.subprotocol(), "v2");
  deno.ws.close();
  await first.ended();
  await deno.end();

  const client = new QWebSocket();
  const options = new QWebSocketHandshakeOptions();
  options.setSubprotocols(["v1", "v2"]);
  client.open(`${edge.url}/`, options);
  await nextEvent(client, "connected");
  assert.equal(client.subprotocol(), "v1");
  const second = new Recorder(await edge.nextClient());
  assert.equal(second.socket.subprotocol(), "v1");
  await within(client[Symbol.asyncDispose](), "the client to close");
  await second.ended();
});

Deno.test("RFC 6455 §4.2.2 handleRequest: with no common subprotocol the 101 has no Sec-WebSocket-Protocol and subprotocol() is empty", async () => {
  const server = new QWebSocketServer("", QWebSocketServer.SslMode.NonSecureMode);
  server.setSupportedSubprotocols(["v1"]);
  await using edge = new EdgeServer(server);
  const raw = await RawClient.connect(edge.port);
  try {
    await raw.send(upgradeHead(edge.port, "/", { "Sec-WebSocket-Protocol": "v7,v8" }));
    const response = await raw.readResponse();
    assert.equal(response.status, 101);
    assert.equal(response.headers.has("sec-websocket-protocol"), false);
    assert.equal((await edge.nextClient()).subprotocol(), "");
  } finally {
    raw.close();
  }
});
