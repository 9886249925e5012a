// Node's ws server as an echo peer, for tests/interop/node_ws_test.ts.
//
// Usage: QTWS_NODE_WS=<dir of ws> node node_ws_echo_server.mjs
//          [--subprotocols a,b] [--cert PEM --key PEM]
// Listens on 127.0.0.1, port chosen by the system (wss: with the certificate
// and key given), with permessage-deflate enabled; prints
// {"event":"listening","port":N,"scheme":"ws"|"wss","version":V}, then per
// connection {"event":"connected",...}, the reports of node_ws_echo.mjs, and
// {"event":"disconnected",...}. Runs until killed (or for at most 10 minutes).

import { readFileSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import process from "node:process";
import { parseArgs } from "node:util";
import {
  cipherOf,
  echo,
  emit,
  extensionNames,
  MAX_PAYLOAD,
  ws,
  WS_VERSION,
} from "./node_ws_echo.mjs";

const { values: args } = parseArgs({
  options: {
    subprotocols: { type: "string", default: "" },
    cert: { type: "string", default: "" },
    key: { type: "string", default: "" },
  },
});
const supported = args.subprotocols === "" ? [] : args.subprotocols.split(",");
const tls = args.cert !== "";

const server = tls
  ? createHttpsServer({ cert: readFileSync(args.cert), key: readFileSync(args.key) })
  : createHttpServer();

const wss = new ws.WebSocketServer({
  server,
  maxPayload: MAX_PAYLOAD,
  // Accept a client's permessage-deflate offer (RFC 7692) with ws's defaults.
  perMessageDeflate: true,
  // Without this hook ws picks the client's first offer even when the server
  // does not support it; RFC 6455 §4.2.2: the server selects one it supports,
  // or answers without Sec-WebSocket-Protocol.
  handleProtocols: (offered) => [...offered].find((p) => supported.includes(p)) ?? false,
});

// The response ws is about to send: its answer to the extension offer.
const answers = new WeakMap();
wss.on("headers", (headers, request) => {
  const line = headers.find((h) => /^sec-websocket-extensions:/i.test(h));
  answers.set(request, line === undefined ? "" : line.slice(line.indexOf(":") + 1).trim());
});

wss.on("connection", (socket, request) => {
  emit("connected", {
    subprotocol: socket.protocol,
    origin: request.headers.origin ?? "",
    path: request.url,
    extensions: extensionNames(socket),
    offeredExtensions: request.headers["sec-websocket-extensions"] ?? "",
    acceptedExtensions: answers.get(request) ?? "",
    cipher: cipherOf(request.socket),
  });
  echo(socket);
});

server.listen(0, "127.0.0.1", () => {
  emit("listening", {
    port: server.address().port,
    scheme: tls ? "wss" : "ws",
    version: WS_VERSION,
  });
});

// A peer the test forgot must not outlive it for long.
setTimeout(() => process.exit(0), 600_000).unref();
