// Node's ws client as an echo peer, for tests/interop/node_ws_test.ts.
//
// Usage: QTWS_NODE_WS=<dir of ws> node node_ws_echo_client.mjs URL
//          [--subprotocols a,b] [--origin ORIGIN] [--ca PEM]
// Connects to URL (offering the subprotocols and, as ws does by default,
// permessage-deflate; for wss:, trusting only the CA given), prints
// {"event":"connected",...}, the reports of node_ws_echo.mjs, and
// {"event":"disconnected",...}, then exits. A failed handshake prints
// {"event":"error",...} and {"event":"disconnected","closeCode":1006,...}.

import { readFileSync } from "node:fs";
import process from "node:process";
import { parseArgs } from "node:util";
import { cipherOf, echo, emit, extensionNames, MAX_PAYLOAD, ws } from "./node_ws_echo.mjs";

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    subprotocols: { type: "string", default: "" },
    origin: { type: "string" },
    ca: { type: "string", default: "" },
  },
});
const url = new URL(positionals[0]);
const offered = args.subprotocols === "" ? [] : args.subprotocols.split(",");

let sentExtensions = "";
const socket = new ws.WebSocket(url, offered, {
  maxPayload: MAX_PAYLOAD,
  origin: args.origin,
  ca: args.ca === "" ? undefined : readFileSync(args.ca),
  // ws's hook before the request goes out: the one place its own offer can be read.
  finishRequest: (request) => {
    sentExtensions = request.getHeader("sec-websocket-extensions") ?? "";
    request.end();
  },
});

let acceptedExtensions = "";
let cipher = "";
socket.on("upgrade", (response) => {
  // The server's answer to the offer.
  acceptedExtensions = response.headers["sec-websocket-extensions"] ?? "";
  cipher = cipherOf(response.socket);
});

let opened = false;
socket.on("open", () => {
  opened = true;
  emit("connected", {
    subprotocol: socket.protocol,
    origin: args.origin ?? "",
    path: url.pathname + url.search,
    extensions: extensionNames(socket),
    offeredExtensions: sentExtensions,
    acceptedExtensions,
    cipher,
  });
  echo(socket);
});

// A failed handshake ends before echo() reports anything: report it here.
socket.on("error", (error) => {
  if (!opened) emit("error", { message: String(error?.message ?? error) });
});
socket.on("close", (code, reason) => {
  if (!opened) emit("disconnected", { closeCode: code, closeReason: reason.toString("utf8") });
});

// A peer the test forgot must not outlive it for long.
setTimeout(() => process.exit(0), 600_000).unref();
