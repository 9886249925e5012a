/**
 * The server's opening handshake (RFC 6455 §4.2, SPEC §4), byte for byte,
 * against a raw TCP client: the 101 answer, every refusal with its exact
 * head, `serverError` with `error()` / `errorString()` for each refusal,
 * chopped requests, and a first frame that arrives with the request.
 */

import assert from "node:assert/strict";
import { QWebSocketProtocol, type ServerErrorEvent } from "../../mod.ts";
import {
  acceptHead,
  assertRefusal,
  clientFrame,
  disconnected,
  listeningServer,
  nextClient,
  nextEvent,
  OP,
  RawClient,
  rawHandshake,
  upgradeRequest,
  utf8,
} from "./_helpers.ts";

const CloseCode = QWebSocketProtocol.CloseCode;

Deno.test("4.2.2 server: answers a valid request with the exact 101 head, Server header included", async () => {
  await using server = listeningServer("Qt Test Server");
  using client = await RawClient.connect(server);
  await client.write(upgradeRequest());
  assert.equal(await client.readHead(), acceptHead("Qt Test Server"));
  const socket = await nextClient(server);
  assert.equal(socket.state(), 3);
  await disconnected(socket, client);
});

Deno.test("4.2.2 server: an empty serverName sends no Server header; setServerName applies to later handshakes", async () => {
  await using server = listeningServer("");
  {
    using client = await RawClient.connect(server);
    await client.write(upgradeRequest());
    assert.equal(await client.readHead(), acceptHead(""));
    await disconnected(await nextClient(server), client);
  }
  server.setServerName("Renamed/2.0");
  assert.equal(server.serverName(), "Renamed/2.0");
  using client = await RawClient.connect(server);
  await client.write(upgradeRequest());
  assert.equal(await client.readHead(), acceptHead("Renamed/2.0"));
  await disconnected(await nextClient(server), client);
});

Deno.test("4.2.1 server: Connection and Upgrade are token lists in any case", async () => {
  await using server = listeningServer();
  using client = await RawClient.connect(server);
  await client.write(
    upgradeRequest({ connection: "keep-alive, UPGRADE", upgrade: "WebSocket" }),
  );
  assert.equal(await client.readHead(), acceptHead());
  await disconnected(await nextClient(server), client);
});

interface Rejection {
  name: string;
  request: string;
  status: number;
  reason: string;
  closeCode: number;
  extra?: string;
  says: RegExp;
}

const badRequests: Rejection[] = [
  {
    name: "a method other than GET",
    request: upgradeRequest({ method: "POST" }),
    status: 400,
    reason: "Bad Request",
    closeCode: CloseCode.CloseCodeProtocolError,
    extra: "Allow: GET\r\n",
    says: /must be GET, not POST/,
  },
  {
    name: "HTTP/1.0",
    request: upgradeRequest({ httpVersion: "HTTP/1.0" }),
    status: 400,
    reason: "Bad Request",
    closeCode: CloseCode.CloseCodeProtocolError,
    says: /HTTP\/1\.0|HTTP version/i,
  },
  {
    name: "no Host header",
    request: upgradeRequest({ host: null }),
    status: 400,
    reason: "Bad Request",
    closeCode: CloseCode.CloseCodeProtocolError,
    says: /no Host header/,
  },
  {
    name: "no Upgrade header",
    request: upgradeRequest({ upgrade: null }),
    status: 400,
    reason: "Bad Request",
    closeCode: CloseCode.CloseCodeProtocolError,
    says: /Upgrade: websocket/,
  },
  {
    name: "an Upgrade to another protocol",
    request: upgradeRequest({ upgrade: "h2c" }),
    status: 400,
    reason: "Bad Request",
    closeCode: CloseCode.CloseCodeProtocolError,
    says: /Upgrade: websocket/,
  },
  {
    name: "a Connection header without upgrade",
    request: upgradeRequest({ connection: "keep-alive" }),
    status: 400,
    reason: "Bad Request",
    closeCode: CloseCode.CloseCodeProtocolError,
    says: /Connection header does not include "Upgrade"/,
  },
  {
    name: "no Sec-WebSocket-Key",
    request: upgradeRequest({ key: null }),
    status: 400,
    reason: "Bad Request",
    closeCode: CloseCode.CloseCodeProtocolError,
    says: /no Sec-WebSocket-Key/,
  },
  {
    name: "a key that decodes to 15 bytes",
    request: upgradeRequest({ key: btoa("0123456789abcde") }),
    status: 400,
    reason: "Bad Request",
    closeCode: CloseCode.CloseCodeProtocolError,
    says: /not base64 of 16 bytes/,
  },
  {
    name: "a key that is not base64",
    request: upgradeRequest({ key: "not base64 at all!!!!!!!" }),
    status: 400,
    reason: "Bad Request",
    closeCode: CloseCode.CloseCodeProtocolError,
    says: /not base64 of 16 bytes/,
  },
  {
    name: "no Sec-WebSocket-Version",
    request: upgradeRequest({ version: null }),
    status: 400,
    reason: "Bad Request",
    closeCode: CloseCode.CloseCodeProtocolError,
    says: /no Sec-WebSocket-Version/,
  },
  {
    name: "version 8",
    request: upgradeRequest({ version: "8" }),
    status: 426,
    reason: "Upgrade Required",
    closeCode: CloseCode.CloseCodeProtocolError,
    extra: "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n",
    says: /version 8/,
  },
  {
    name: "a head over 64 KiB",
    request: upgradeRequest({
      extra: Array.from({ length: 20 }, (_, i) => [`X-Filler-${i}`, "f".repeat(4000)] as const),
    }),
    status: 431,
    reason: "Request Header Fields Too Large",
    closeCode: CloseCode.CloseCodeTooMuchData,
    says: /.+/,
  },
  {
    name: "a header line over 8 KiB",
    request: upgradeRequest({ extra: [["X-Long", "l".repeat(9000)]] }),
    status: 431,
    reason: "Request Header Fields Too Large",
    closeCode: CloseCode.CloseCodeTooMuchData,
    says: /.+/,
  },
  {
    name: "more than 100 header fields",
    request: upgradeRequest({
      extra: Array.from({ length: 101 }, (_, i) => [`X-Many-${i}`, "m"] as const),
    }),
    status: 431,
    reason: "Request Header Fields Too Large",
    closeCode: CloseCode.CloseCodeTooMuchData,
    says: /.+/,
  },
];

for (const rejection of badRequests) {
  Deno.test(`4.2.1 server: ${rejection.name} gets ${rejection.status} with the exact head, and serverError(${rejection.closeCode})`, async () => {
    await using server = listeningServer("Refuser");
    let connections = 0;
    server.addEventListener("newConnection", () => connections++);
    const serverError = nextEvent<ServerErrorEvent>(server, "serverError");
    using client = await RawClient.connect(server);
    await client.write(rejection.request);
    const response = await client.readToEnd();
    assertRefusal(response, rejection.status, rejection.reason, {
      serverName: "Refuser",
      extra: rejection.extra,
    });
    const event = await serverError;
    assert.equal(event.closeCode, rejection.closeCode);
    assert.equal(server.error(), rejection.closeCode);
    assert.match(server.errorString(), new RegExp(`with ${rejection.status} ${rejection.reason}`));
    assert.match(server.errorString(), rejection.says);
    assert.match(server.errorString(), /127\.0\.0\.1:\d+/);
    assert.equal(connections, 0);
    assert.equal(server.hasPendingConnections(), false);
  });
}

Deno.test("4.2.1 server: a malformed request line gets 400", async () => {
  await using server = listeningServer();
  const serverError = nextEvent<ServerErrorEvent>(server, "serverError");
  using client = await RawClient.connect(server);
  await client.write("HELLO\r\n\r\n");
  assertRefusal(await client.readToEnd(), 400, "Bad Request");
  assert.equal((await serverError).closeCode, CloseCode.CloseCodeProtocolError);
});

Deno.test("4.2.1 server: a request sent one byte at a time is answered as a whole", async () => {
  await using server = listeningServer();
  using client = await RawClient.connect(server);
  await client.trickle(upgradeRequest({ target: "/slow?x=1" }));
  assert.equal(await client.readHead(), acceptHead());
  const socket = await nextClient(server);
  assert.equal(socket.resourceName(), "/slow?x=1");
  const message = nextEvent(socket, "textMessageReceived");
  await client.trickle(clientFrame(OP.text, "chopped"));
  assert.equal((await message as Event & { message: string }).message, "chopped");
  await disconnected(socket, client);
});

Deno.test("4.2.1 server: a first frame in the same packet as the request is not lost", async () => {
  await using server = listeningServer();
  using client = await RawClient.connect(server);
  const request = utf8(upgradeRequest());
  const frame = clientFrame(OP.text, "first!");
  const packet = new Uint8Array(request.length + frame.length);
  packet.set(request);
  packet.set(frame, request.length);
  await client.write(packet);
  assert.equal(await client.readHead(), acceptHead());
  // Taken only after the frame surely arrived: the socket must not read before it is handed out.
  const socket = await nextClient(server);
  const received: string[] = [];
  socket.addEventListener("textMessageReceived", (e) => received.push(e.message));
  await nextEvent(socket, "textMessageReceived");
  assert.deepEqual(received, ["first!"]);
  await disconnected(socket, client);
});

Deno.test("4.2.1 server: the socket reports the request's URL, resource name, origin and headers", async () => {
  await using server = listeningServer();
  using client = await rawHandshake(
    server,
    upgradeRequest({
      target: "/room/7?user=ann",
      host: "chat.example:8080",
      extra: [["Origin", "https://app.example"], ["X-Custom", "yes"]],
    }),
  );
  const socket = await nextClient(server);
  assert.equal(socket.resourceName(), "/room/7?user=ann");
  assert.equal(socket.requestUrl().href, "ws://chat.example:8080/room/7?user=ann");
  assert.equal(socket.origin(), "https://app.example");
  assert.equal(socket.request().rawHeader("X-Custom"), "yes");
  assert.equal(socket.version(), QWebSocketProtocol.Version.Version13);
  assert.equal(socket.peerAddress(), "127.0.0.1");
  assert.equal(socket.localPort(), server.serverPort());
  await disconnected(socket, client);
});

Deno.test("4.2.1 server: a client that leaves mid-request costs nothing and dispatches no serverError", async () => {
  await using server = listeningServer();
  let errors = 0;
  server.addEventListener("serverError", () => errors++);
  {
    using client = await RawClient.connect(server);
    await client.write("GET /chat HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  }
  // A good client after it is served, and nothing was reported for the first.
  using good = await rawHandshake(server);
  await disconnected(await nextClient(server), good);
  assert.equal(errors, 0);
});
