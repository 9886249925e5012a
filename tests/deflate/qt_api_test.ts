/**
 * permessage-deflate through the Qt classes: the client's offer and its check
 * of the answer, the server's choice, what both sockets report, and the
 * limits, over real TCP connections on 127.0.0.1.
 */

import assert from "node:assert/strict";
import {
  type PerMessageDeflateOptions,
  QAbstractSocket,
  type QWebSocket,
  QWebSocket as Socket,
  QWebSocketHandshakeOptions,
  QWebSocketServer,
} from "../../mod.ts";
import { PerMessageDeflateCodec } from "../../lib/deflate/permessage_deflate_codec.ts";
import { encodeFrame } from "../../lib/protocol/frame.ts";
import {
  acceptFor,
  disconnected,
  EventLog,
  nextEvent,
  type RawConn,
  rawPeer,
  within,
} from "../client/_helpers.ts";
import { nextClient, RawClient, upgradeRequest } from "../server/_helpers.ts";

const E = QAbstractSocket.SocketError;

function listening(deflate: boolean, options?: PerMessageDeflateOptions): QWebSocketServer {
  const server = new QWebSocketServer("deflate", QWebSocketServer.SslMode.NonSecureMode);
  if (deflate) server.setPerMessageDeflateEnabled(true);
  if (options !== undefined) server.setPerMessageDeflateOptions(options);
  assert.ok(server.listen("127.0.0.1", 0), server.errorString());
  return server;
}

/** Opens a client to `server` and returns both ends once connected. */
async function pair(
  server: QWebSocketServer,
  handshake?: QWebSocketHandshakeOptions,
): Promise<{ client: QWebSocket; peer: QWebSocket }> {
  const client = new Socket();
  const connected = within(nextEvent(client, "connected"), "connected");
  const accepted = within(nextClient(server), "the server's socket");
  client.open(server.serverUrl()!, handshake);
  await connected;
  return { client, peer: await accepted };
}

async function closeAll(server: QWebSocketServer, ...sockets: QWebSocket[]): Promise<void> {
  for (const socket of sockets) await within(socket[Symbol.asyncDispose](), "the socket to close");
  await server[Symbol.asyncDispose]();
}

// Counts the bytes a socket wrote to the wire.
function wireCounter(socket: QWebSocket): { bytes: number } {
  const counter = { bytes: 0 };
  socket.addEventListener("bytesWritten", (e) => (counter.bytes += e.bytes));
  return counter;
}

function nextText(socket: QWebSocket): Promise<string> {
  return within(nextEvent(socket, "textMessageReceived").then((e) => e.message), "a text message");
}

function nextBinary(socket: QWebSocket): Promise<Uint8Array> {
  return within(
    nextEvent(socket, "binaryMessageReceived").then((e) => e.message),
    "a binary message",
  );
}

const JSON_LIKE = JSON.stringify(
  Array.from({ length: 400 }, (_, i) => ({ id: i, name: `user ${i}`, online: i % 3 === 0 })),
);

Deno.test("QWebSocketHandshakeOptions: permessage-deflate is offered by default; settings copy, compare and swap", () => {
  const a = new QWebSocketHandshakeOptions();
  assert.equal(a.perMessageDeflateEnabled(), true);
  assert.deepEqual(a.perMessageDeflateOptions(), {});
  const b = new QWebSocketHandshakeOptions(a);
  assert.ok(a.equals(b));
  b.setPerMessageDeflateOptions({ serverMaxWindowBits: 10 });
  assert.ok(!a.equals(b));
  const c = new QWebSocketHandshakeOptions(b);
  assert.ok(c.equals(b));
  assert.equal(c.perMessageDeflateOptions().serverMaxWindowBits, 10);
  a.setPerMessageDeflateEnabled(false);
  a.setSubprotocols(["x"]);
  a.swap(b);
  assert.equal(a.perMessageDeflateEnabled(), true);
  assert.equal(a.perMessageDeflateOptions().serverMaxWindowBits, 10);
  assert.deepEqual(a.subprotocols(), []);
  assert.equal(b.perMessageDeflateEnabled(), false);
  assert.deepEqual(b.perMessageDeflateOptions(), {});
  assert.deepEqual(b.subprotocols(), ["x"]);
  assert.throws(() => a.setPerMessageDeflateEnabled("yes" as unknown as boolean), TypeError);
  assert.throws(() => a.setPerMessageDeflateOptions({ clientMaxWindowBits: 7 }), RangeError);
  // The options handed out cannot be changed behind the setter's back.
  assert.throws(() => {
    (a.perMessageDeflateOptions() as { level?: number }).level = 1;
  }, TypeError);
});

Deno.test("QWebSocketServer: permessage-deflate is off by default, and settings are checked", async () => {
  const server = listening(false);
  assert.equal(server.perMessageDeflateEnabled(), false);
  assert.throws(() => server.setPerMessageDeflateEnabled(1 as unknown as boolean), TypeError);
  assert.throws(() => server.setPerMessageDeflateOptions({ memLevel: 10 }), RangeError);
  const { client, peer } = await pair(server);
  try {
    // RFC 6455 §9.1: the client offered, the server declined by naming no extension.
    assert.match(peer.request().rawHeader("Sec-WebSocket-Extensions"), /^permessage-deflate/);
    assert.equal(client.perMessageDeflate(), null);
    assert.equal(peer.perMessageDeflate(), null);
    const written = wireCounter(client);
    peer.addEventListener("textMessageReceived", (e) => peer.sendTextMessage(e.message));
    client.sendTextMessage(JSON_LIKE);
    // The echo comes back only after our write completed.
    assert.equal(await nextText(client), JSON_LIKE);
    assert.ok(written.bytes >= JSON_LIKE.length, "sent uncompressed");
  } finally {
    await closeAll(server, client, peer);
  }
});

Deno.test("RFC 7692: with deflate enabled both sockets report the agreed parameters and JSON shrinks on the wire", async () => {
  const server = listening(true);
  const { client, peer } = await pair(server);
  try {
    const agreed = {
      serverNoContextTakeover: false,
      clientNoContextTakeover: false,
      serverMaxWindowBits: 15,
      clientMaxWindowBits: 15,
    };
    assert.deepEqual(client.perMessageDeflate(), agreed);
    assert.deepEqual(peer.perMessageDeflate(), agreed);
    const clientWire = wireCounter(client);
    const serverWire = wireCounter(peer);
    peer.addEventListener("textMessageReceived", (e) => peer.sendTextMessage(e.message));
    peer.addEventListener("binaryMessageReceived", (e) => peer.sendBinaryMessage(e.message));
    for (let i = 0; i < 3; i++) {
      client.sendTextMessage(JSON_LIKE);
      assert.equal(await nextText(client), JSON_LIKE);
    }
    const binary = new TextEncoder().encode(JSON_LIKE);
    client.sendBinaryMessage(binary);
    assert.deepEqual(await nextBinary(client), binary);
    // Four messages of ~20 KB each way: compressed, and better with the shared window.
    assert.ok(clientWire.bytes < JSON_LIKE.length, `client wrote ${clientWire.bytes} bytes`);
    assert.ok(serverWire.bytes < JSON_LIKE.length, `server wrote ${serverWire.bytes} bytes`);
  } finally {
    await closeAll(server, client, peer);
  }
});

Deno.test("QWebSocketHandshakeOptions.setPerMessageDeflateEnabled(false): no offer, no compression", async () => {
  const server = listening(true);
  const options = new QWebSocketHandshakeOptions();
  options.setPerMessageDeflateEnabled(false);
  const { client, peer } = await pair(server, options);
  try {
    assert.equal(peer.request().hasRawHeader("Sec-WebSocket-Extensions"), false);
    assert.equal(client.perMessageDeflate(), null);
    assert.equal(peer.perMessageDeflate(), null);
    assert.equal(client.handshakeOptions().perMessageDeflateEnabled(), false);
  } finally {
    await closeAll(server, client, peer);
  }
});

// Representative settings of each side; every pair is connected below.
const CLIENT_SETTINGS: PerMessageDeflateOptions[] = [
  {},
  { serverNoContextTakeover: true },
  { clientNoContextTakeover: true },
  { serverMaxWindowBits: 8 },
  { clientMaxWindowBits: 8 },
  { serverMaxWindowBits: 12, clientMaxWindowBits: 9, threshold: 0 },
  { serverNoContextTakeover: true, clientNoContextTakeover: true, level: 1, memLevel: 1 },
  {
    serverNoContextTakeover: true,
    clientNoContextTakeover: true,
    serverMaxWindowBits: 9,
    clientMaxWindowBits: 15,
    threshold: 10,
  },
];
const SERVER_SETTINGS: PerMessageDeflateOptions[] = [
  {},
  { serverNoContextTakeover: true },
  { clientNoContextTakeover: true },
  { serverMaxWindowBits: 8 },
  { clientMaxWindowBits: 10 },
  { serverMaxWindowBits: 13, clientMaxWindowBits: 8, level: 9 },
  { serverNoContextTakeover: true, clientNoContextTakeover: true, threshold: 0 },
  {
    serverNoContextTakeover: true,
    clientNoContextTakeover: false,
    serverMaxWindowBits: 15,
    clientMaxWindowBits: 9,
    memLevel: 9,
  },
];

Deno.test("RFC 7692 §7.1: QWebSocket ↔ QWebSocketServer for every pair of settings agree and round-trip", async () => {
  const server = listening(true);
  const messages = [
    "",
    "short",
    JSON_LIKE,
    "€".repeat(5000),
    new Uint8Array(0),
    new Uint8Array(3000).map((_, i) => (i * 31) % 7),
  ];
  try {
    for (const clientSettings of CLIENT_SETTINGS) {
      for (const serverSettings of SERVER_SETTINGS) {
        const label = `client ${JSON.stringify(clientSettings)} / server ${
          JSON.stringify(serverSettings)
        }`;
        server.setPerMessageDeflateOptions(serverSettings);
        const handshake = new QWebSocketHandshakeOptions();
        handshake.setPerMessageDeflateOptions(clientSettings);
        const { client, peer } = await pair(server, handshake);
        try {
          const agreed = client.perMessageDeflate();
          assert.ok(agreed !== null, label);
          assert.deepEqual(peer.perMessageDeflate(), agreed, label);
          if (clientSettings.serverNoContextTakeover || serverSettings.serverNoContextTakeover) {
            assert.ok(agreed.serverNoContextTakeover, label);
          }
          if (clientSettings.clientNoContextTakeover || serverSettings.clientNoContextTakeover) {
            assert.ok(agreed.clientNoContextTakeover, label);
          }
          assert.equal(
            agreed.serverMaxWindowBits,
            Math.min(
              clientSettings.serverMaxWindowBits ?? 15,
              serverSettings.serverMaxWindowBits ?? 15,
            ),
            label,
          );
          assert.equal(
            agreed.clientMaxWindowBits,
            Math.min(
              clientSettings.clientMaxWindowBits ?? 15,
              serverSettings.clientMaxWindowBits ?? 15,
            ),
            label,
          );
          const received: Array<string | Uint8Array> = [];
          const echoed: Array<string | Uint8Array> = [];
          peer.addEventListener("textMessageReceived", (e) => {
            received.push(e.message);
            peer.sendTextMessage(e.message);
          });
          peer.addEventListener("binaryMessageReceived", (e) => {
            received.push(e.message);
            peer.sendBinaryMessage(e.message);
          });
          const done = new Promise<void>((resolve) => {
            const take = (m: string | Uint8Array) => {
              echoed.push(m);
              if (echoed.length === messages.length) resolve();
            };
            client.addEventListener("textMessageReceived", (e) => take(e.message));
            client.addEventListener("binaryMessageReceived", (e) => take(e.message));
          });
          for (const m of messages) {
            if (typeof m === "string") client.sendTextMessage(m);
            else client.sendBinaryMessage(m);
          }
          await within(done, `the echoes (${label})`);
          assert.deepEqual(received, messages, label);
          assert.deepEqual(echoed, messages, label);
        } finally {
          await within(client[Symbol.asyncDispose](), "close");
          await within(peer[Symbol.asyncDispose](), "close");
        }
      }
    }
  } finally {
    await server[Symbol.asyncDispose]();
  }
});

Deno.test("RFC 7692 §7.1.2.2: a server that must limit the client's window declines a client that cannot be limited", async () => {
  const server = listening(true, { clientMaxWindowBits: 10 });
  // A raw client whose offer lacks client_max_window_bits.
  const raw = await RawClient.connect(server);
  try {
    await raw.write(
      upgradeRequest({ extra: [["Sec-WebSocket-Extensions", "permessage-deflate"]] }),
    );
    const head = await raw.readHead();
    assert.match(head, /^HTTP\/1\.1 101/);
    assert.doesNotMatch(head, /Sec-WebSocket-Extensions/i);
  } finally {
    raw.close();
    const peer = await within(nextClient(server), "the server's socket");
    assert.equal(peer.perMessageDeflate(), null);
    await within(peer[Symbol.asyncDispose](), "close");
    await server[Symbol.asyncDispose]();
  }
});

Deno.test("RFC 7692 §5.1: the server answers the first acceptable of several offers, byte for byte", async () => {
  const server = listening(true);
  const raw = await RawClient.connect(server);
  try {
    await raw.write(upgradeRequest({
      extra: [[
        "Sec-WebSocket-Extensions",
        "permessage-deflate; server_max_window_bits=20, x-unknown, " +
        "permessage-deflate; server_no_context_takeover; client_max_window_bits=9, permessage-deflate",
      ]],
    }));
    const head = await raw.readHead();
    assert.match(
      head,
      /\r\nSec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_max_window_bits=9\r\n/,
    );
  } finally {
    raw.close();
    const peer = await within(nextClient(server), "the server's socket");
    assert.deepEqual(peer.perMessageDeflate(), {
      serverNoContextTakeover: true,
      clientNoContextTakeover: false,
      serverMaxWindowBits: 15,
      clientMaxWindowBits: 9,
    });
    await within(peer[Symbol.asyncDispose](), "close");
    await server[Symbol.asyncDispose]();
  }
});

/** A server that answers every upgrade with `extensions` as its Sec-WebSocket-Extensions. */
function answeringWith(extensions: string, offers: string[]) {
  return rawPeer(async (conn: RawConn) => {
    const request = await conn.readRequest();
    offers.push(request.headers.get("sec-websocket-extensions") ?? "");
    const accept = await acceptFor(request.headers.get("sec-websocket-key")!);
    await conn.write(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        `Sec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Extensions: ${extensions}\r\n\r\n`,
    );
    await conn.readToEnd();
  });
}

Deno.test("RFC 7692 §5 / RFC 6455 §9.1: a client fails the opening on an invalid or unoffered answer (ConnectionRefusedError)", async () => {
  const table: Array<[string, PerMessageDeflateOptions, RegExp]> = [
    ["permessage-deflate; x=1", {}, /unknown parameter x/],
    ["permessage-deflate; server_max_window_bits=16", {}, /integer from 8 to 15/],
    ["permessage-deflate; client_max_window_bits", {}, /needs a value/],
    ["permessage-deflate; server_no_context_takeover; server_no_context_takeover", {}, /twice/],
    ["x-webkit-deflate-frame", {}, /x-webkit-deflate-frame was not offered/],
    ["permessage-deflate, permessage-deflate", {}, /more than once/],
    [
      "permessage-deflate",
      { serverNoContextTakeover: true },
      /server_no_context_takeover was asked for/,
    ],
    [
      "permessage-deflate; server_max_window_bits=12",
      { serverMaxWindowBits: 10 },
      /larger than the 10/,
    ],
  ];
  for (const [answer, settings, reason] of table) {
    const offers: string[] = [];
    const peer = answeringWith(answer, offers);
    try {
      const socket = new Socket();
      const log = new EventLog(socket);
      const end = disconnected(socket);
      const options = new QWebSocketHandshakeOptions();
      options.setPerMessageDeflateOptions(settings);
      socket.open(peer.url, options);
      await end;
      assert.deepEqual(log.only("error", "errorOccurred", "disconnected", "connected"), [
        `error(${E.ConnectionRefusedError})`,
        `errorOccurred(${E.ConnectionRefusedError})`,
        "disconnected",
      ], answer);
      assert.match(socket.errorString(), /^The server's Sec-WebSocket-Extensions "/, answer);
      assert.match(socket.errorString(), reason, answer);
      assert.equal(socket.state(), QAbstractSocket.SocketState.UnconnectedState);
      assert.match(offers[0]!, /^permessage-deflate/);
    } finally {
      await peer.close();
    }
  }
});

Deno.test("RFC 6455 §9.1: with the offer switched off, a permessage-deflate answer fails the opening", async () => {
  const offers: string[] = [];
  const peer = answeringWith("permessage-deflate", offers);
  try {
    const socket = new Socket();
    const end = disconnected(socket);
    const options = new QWebSocketHandshakeOptions();
    options.setPerMessageDeflateEnabled(false);
    socket.open(peer.url, options);
    await end;
    assert.equal(socket.error(), E.ConnectionRefusedError);
    assert.match(socket.errorString(), /extension not offered.*permessage-deflate/);
    assert.deepEqual(offers, [""]);
  } finally {
    await peer.close();
  }
});

/** A raw client with permessage-deflate agreed: handshake, then compressed frames. */
async function compressedClient(server: QWebSocketServer): Promise<RawClient> {
  const raw = await RawClient.connect(server);
  await raw.write(upgradeRequest({
    extra: [["Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits"]],
  }));
  const head = await raw.readHead();
  assert.match(head, /\r\nSec-WebSocket-Extensions: permessage-deflate\r\n/);
  return raw;
}

const CLIENT_PARAMETERS = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};

Deno.test("Zip bomb: QWebSocketServer closes with 1009 when a compressed message inflates past its limit", async () => {
  const server = listening(true);
  server.setMaxAllowedIncomingMessageSize(1024 * 1024);
  const raw = await compressedClient(server);
  const codec = new PerMessageDeflateCodec("client", CLIENT_PARAMETERS, {});
  try {
    const peer = await within(nextClient(server), "the server's socket");
    const log = new EventLog(peer);
    // 64 MiB of zeros: about 64 KiB on the wire, under every limit until inflated.
    const bomb = codec.compress(new Uint8Array(64 * 1024 * 1024)).slice();
    assert.ok(bomb.length < 128 * 1024);
    await raw.write(encodeFrame(0xc2, bomb, 0x11223344));
    const close = await raw.readFrame();
    assert.equal(close.opcode, 0x8);
    assert.equal((close.payload[0]! << 8) | close.payload[1]!, 1009);
    raw.close();
    await within(nextEvent(peer, "disconnected"), "the server's socket to disconnect");
    assert.equal(peer.error(), E.UnknownSocketError);
    assert.match(peer.errorString(), /inflates to more than the limit of 1048576 bytes/);
    assert.equal(log.only("binaryMessageReceived").length, 0);
  } finally {
    codec.close();
    raw.close();
    await server[Symbol.asyncDispose]();
  }
});

Deno.test("RFC 7692 §7.2.2 over TCP: bad compressed data closes with 1007, RSV1 on a ping with 1002", async () => {
  const server = listening(true);
  try {
    for (
      const [frame, code] of [[
        encodeFrame(0xc1, new Uint8Array([0xff, 0xff, 0xff]), 0x01020304),
        1007,
      ], [
        encodeFrame(0xc9, new Uint8Array(0), 0x01020304),
        1002,
      ]] as const
    ) {
      const raw = await compressedClient(server);
      const peer = await within(nextClient(server), "the server's socket");
      try {
        await raw.write(frame);
        const close = await raw.readFrame();
        assert.equal(close.opcode, 0x8);
        assert.equal((close.payload[0]! << 8) | close.payload[1]!, code);
      } finally {
        raw.close();
        await within(nextEvent(peer, "disconnected"), "the server's socket to disconnect");
      }
    }
  } finally {
    await server[Symbol.asyncDispose]();
  }
});
