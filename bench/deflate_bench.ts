/**
 * permessage-deflate (RFC 7692) on a 16 KiB JSON-like text message, the
 * typical chat/API payload: bytes on the wire and messages per second,
 * compressed against uncompressed.
 *
 * - send: `WebSocketConnection.sendText` on the server side (compress, frame),
 *   as `QWebSocket.sendTextMessage` runs it;
 * - receive: a client `WebSocketConnection` reading the server's frames
 *   (inflate, validate UTF-8, build the string);
 * - echo over TCP: `QWebSocket` → `QWebSocketServer` → back, one message in
 *   flight, on 127.0.0.1 (engines, sockets and both codecs).
 *
 * The bytes per message on the wire are in each bench's name (steady state:
 * with context takeover, later messages refer back to earlier ones). Messages
 * per second = 1 / time per iteration.
 *
 *     deno bench --allow-net=127.0.0.1 bench/deflate_bench.ts
 *
 * @module
 */

import { PerMessageDeflateCodec } from "../lib/deflate/permessage_deflate_codec.ts";
import {
  type PerMessageDeflateParameters,
  WebSocketConnection,
  type WebSocketConnectionHandler,
} from "../lib/protocol/mod.ts";
import { QWebSocket, QWebSocketHandshakeOptions, QWebSocketServer } from "../mod.ts";

/** Ten different 16 KiB JSON-like messages (ids, names, flags, timestamps). */
function jsonMessages(): string[] {
  const names = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"];
  const messages: string[] = [];
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 8;
  for (let m = 0; m < 10; m++) {
    const items = [];
    let text = "";
    for (let i = 0; text.length < 16 * 1024; i++) {
      items.push({
        id: m * 1000 + i,
        user: names[random() % names.length],
        online: random() % 2 === 0,
        score: random() % 10000,
        updated: `2026-11-${String(1 + random() % 28).padStart(2, "0")}T12:${
          String(random() % 60).padStart(2, "0")
        }:00Z`,
        tags: ["chat", "json", names[random() % names.length]],
      });
      text = JSON.stringify({ type: "update", seq: m, items });
    }
    messages.push(text.slice(0, 16 * 1024 - 2) + "]}");
  }
  return messages;
}

const MESSAGES = jsonMessages();
const SIZE = new TextEncoder().encode(MESSAGES[0]!).length;

const AGREED: PerMessageDeflateParameters = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};
const NO_CONTEXT: PerMessageDeflateParameters = {
  ...AGREED,
  serverNoContextTakeover: true,
  clientNoContextTakeover: true,
};

let sink = 0;

const quiet: WebSocketConnectionHandler = {
  textFrame() {},
  binaryFrame() {},
  textMessage(message) {
    sink ^= message.length;
  },
  binaryMessage() {},
  ping() {},
  pong() {},
  closeReceived() {},
  failed(error) {
    throw error;
  },
};

function sender(parameters: PerMessageDeflateParameters | null): WebSocketConnection {
  return new WebSocketConnection({
    role: "server",
    codec: parameters === null ? null : new PerMessageDeflateCodec("server", parameters, {}),
  }, quiet);
}

// Bytes on the wire per message over the second round of the ten messages.
function wireBytes(parameters: PerMessageDeflateParameters | null): number {
  const conn = sender(parameters);
  for (const m of MESSAGES) conn.sendText(m);
  conn.takeOutput();
  let total = 0;
  for (const m of MESSAGES) conn.sendText(m);
  for (const frame of conn.takeOutput()) total += frame.length;
  return Math.round(total / MESSAGES.length);
}

function label(parameters: PerMessageDeflateParameters | null): string {
  const bytes = wireBytes(parameters);
  const ratio = (bytes / SIZE * 100).toFixed(1);
  const kind = parameters === null
    ? "uncompressed"
    : parameters.serverNoContextTakeover
    ? "deflate, no context takeover"
    : "deflate, context takeover";
  return `${kind}: ${bytes} B on the wire (${ratio}%)`;
}

const SETTINGS: Array<PerMessageDeflateParameters | null> = [null, AGREED, NO_CONTEXT];

for (const parameters of SETTINGS) {
  const conn = sender(parameters);
  let next = 0;
  Deno.bench({
    name: `send 16 KiB JSON, ${label(parameters)}`,
    group: "send",
    baseline: parameters === null,
    fn() {
      conn.sendText(MESSAGES[next++ % MESSAGES.length]!);
      sink ^= conn.takeOutput().length;
    },
  });
}

for (const parameters of SETTINGS) {
  // The server's frames for one pass over the messages; replayed in order, a
  // pass stays consistent with context takeover, since its first message was
  // compressed with an empty window.
  const server = sender(parameters);
  const frames: Uint8Array[] = [];
  for (const m of MESSAGES) {
    server.sendText(m);
    frames.push(...server.takeOutput());
  }
  const client = new WebSocketConnection({
    role: "client",
    codec: parameters === null ? null : new PerMessageDeflateCodec("client", parameters, {}),
  }, quiet);
  let next = 0;
  Deno.bench({
    name: `receive 16 KiB JSON, ${label(parameters)}`,
    group: "receive",
    baseline: parameters === null,
    fn() {
      // The parser unmasks in place and keeps views: hand it a copy.
      client.receive(frames[next++ % frames.length]!.slice());
    },
  });
}

// --- over TCP ------------------------------------------------------------------

interface EchoPair {
  client: QWebSocket;
  /** Bytes the client wrote per message, measured on the first pass. */
  bytesPerMessage: number;
  roundTrip(message: string): Promise<void>;
}

async function echoPair(server: QWebSocketServer, deflate: boolean): Promise<EchoPair> {
  const client = new QWebSocket();
  const options = new QWebSocketHandshakeOptions();
  options.setPerMessageDeflateEnabled(deflate);
  let written = 0;
  client.addEventListener("bytesWritten", (e) => (written += e.bytes));
  let resolve: (() => void) | null = null;
  client.addEventListener("textMessageReceived", (e) => {
    sink ^= e.message.length;
    resolve?.();
  });
  await new Promise<void>((connected, failed) => {
    client.addEventListener("connected", () => connected(), { once: true });
    client.addEventListener("error", () => failed(new Error(client.errorString())), { once: true });
    client.open(server.serverUrl()!, options);
  });
  const roundTrip = (message: string) =>
    new Promise<void>((done) => {
      resolve = done;
      client.sendTextMessage(message);
    });
  for (const m of MESSAGES) await roundTrip(m);
  written = 0;
  for (const m of MESSAGES) await roundTrip(m);
  return { client, bytesPerMessage: Math.round(written / MESSAGES.length), roundTrip };
}

const server = new QWebSocketServer("deflate bench", QWebSocketServer.SslMode.NonSecureMode);
server.setPerMessageDeflateEnabled(true);
server.addEventListener("newConnection", () => {
  let socket: QWebSocket | null;
  while ((socket = server.nextPendingConnection()) !== null) {
    const peer = socket;
    peer.addEventListener("textMessageReceived", (e) => peer.sendTextMessage(e.message));
  }
});
if (!server.listen("127.0.0.1", 0)) throw new Error(server.errorString());

for (const deflate of [false, true]) {
  const pair = await echoPair(server, deflate);
  let next = 0;
  const ratio = (pair.bytesPerMessage / SIZE * 100).toFixed(1);
  Deno.bench({
    name: `echo 16 KiB JSON over TCP, ${
      deflate ? "deflate, context takeover" : "uncompressed"
    }: ${pair.bytesPerMessage} B on the wire (${ratio}%)`,
    group: "echo over TCP",
    baseline: !deflate,
    async fn() {
      await pair.roundTrip(MESSAGES[next++ % MESSAGES.length]!);
    },
  });
}
