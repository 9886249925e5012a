// The echo behaviour shared by the Node ws peers (node_ws_echo_server.mjs,
// node_ws_echo_client.mjs), the same line protocol as the python-websockets
// peers (tests/interop/_exchange.ts describes it): echo every message, run
// commands, report what arrived as one JSON line per event on stdout.
//
// ws is loaded from the directory in QTWS_NODE_WS (the test points it at
// <repo>/.peers/node_modules/ws, which .ci/run installs): nothing global.

import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import process from "node:process";

const wsDir = process.env.QTWS_NODE_WS;
if (!wsDir) {
  console.error("QTWS_NODE_WS must name the ws package directory (…/node_modules/ws)");
  process.exit(2);
}
const require = createRequire(import.meta.url);

/** The ws module (its CommonJS index.js). */
export const ws = require(wsDir);

/** The version of ws in use. */
export const WS_VERSION = require(`${wsDir}/package.json`).version;

// Big enough for the 1 MiB messages and the 65543-byte fragmented ones, as
// the python-websockets peers (ws's own default is 100 MiB).
export const MAX_PAYLOAD = 16 * 1024 * 1024;

/** Prints one event as a JSON line. */
export function emit(event, fields = {}) {
  process.stdout.write(JSON.stringify({ event, ...fields }) + "\n");
}

function report(kind, data) {
  emit(kind, { size: data.length, sha256: createHash("sha256").update(data).digest("hex") });
}

/** The extensions in use: ws names them as a comma-separated list. */
export function extensionNames(socket) {
  return socket.extensions === "" ? [] : socket.extensions.split(",").map((s) => s.trim());
}

/** The cipher of a TLS socket, or "" when the connection is not encrypted. */
export function cipherOf(netSocket) {
  return typeof netSocket?.getCipher === "function" ? (netSocket.getCipher()?.name ?? "") : "";
}

/**
 * Greets, then echoes every message and runs the commands until the
 * connection ends; reports `disconnected` with the close code and reason.
 */
export function echo(socket) {
  socket.on("message", (data, isBinary) => {
    if (!isBinary) {
      // Commands are JSON objects starting with {"cmd" (see _exchange.ts).
      if (data.subarray(0, 6).toString("latin1") === '{"cmd"') {
        run(socket, JSON.parse(data.toString("utf8")));
        return;
      }
      report("text", data);
    } else {
      report("binary", data);
    }
    socket.send(data, { binary: isBinary });
  });
  socket.on("pong", (payload) => emit("pong", { payload: payload.toString("hex") }));
  socket.on("error", (error) => emit("error", { message: String(error?.message ?? error) }));
  socket.on("close", (code, reason) => {
    emit("disconnected", { closeCode: code, closeReason: reason.toString("utf8") });
  });
  // At once, so it may reach the other end right behind the handshake.
  socket.send("greeting from Node ws");
}

function run(socket, cmd) {
  if (cmd.cmd === "ping") {
    socket.ping(Buffer.from(cmd.payload, "hex"));
  } else if (cmd.cmd === "send") {
    if (cmd.kind === "text") socket.send("x".repeat(cmd.size));
    else socket.send(Buffer.alloc(cmd.size));
  } else {
    socket.close(cmd.code, cmd.reason);
  }
}
