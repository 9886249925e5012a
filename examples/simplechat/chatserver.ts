/**
 * Chat server: the counterpart of Qt's "simplechat" example. Every text
 * message a client sends is relayed to every other connected client. It also
 * serves the chat page, `chat.html`, over HTTP on a second port, so that a
 * person can chat from a browser.
 *
 *   deno run --allow-net=127.0.0.1:1234,127.0.0.1:8080 --allow-read=examples/simplechat/chat.html examples/simplechat/chatserver.ts --port 1234 --http-port 8080 [--debug]
 *
 * Then open http://127.0.0.1:8080/ in two browser windows (or open
 * `examples/simplechat/chat.html` from disk, which talks to
 * ws://localhost:1234), pick a name in each, and chat.
 *
 * Options: `--port` / `-p` (the WebSocket port, default 1234), `--http-port`
 * (the page, default 8080), `--debug` / `-d`. Run it from the repository's
 * root folder. Stop it with Ctrl+C.
 *
 * @module
 */

import { QHostAddress, type QWebSocket, QWebSocketServer } from "../../mod.ts";
import {
  exitOnSignal,
  fail,
  listenTarget,
  mayUseNet,
  parseOptions,
  permissionDenied,
  portOption,
  reading,
} from "../_cli.ts";

const usage = "Usage: chatserver.ts [--port|-p PORT] [--http-port PORT] [--debug|-d]";
const options = parseOptions(Deno.args, {
  port: { short: "p", takesValue: true },
  "http-port": { takesValue: true },
  debug: { short: "d", takesValue: false },
}, usage);
const port = portOption(options, "port", 1234);
const httpPort = portOption(options, "http-port", 8080);
const debug = options.has("debug");
const host = QHostAddress.LocalHost;
const netFlag = `--allow-net=${listenTarget(host, port)},${listenTarget(host, httpPort)}`;

// Read at start, so that a missing --allow-read shows at once, not at the first visit.
const page = reading(
  () => Deno.readTextFileSync(new URL("./chat.html", import.meta.url)),
  "--allow-read=examples/simplechat/chat.html",
);

const server = new QWebSocketServer("Chat Server", QWebSocketServer.SslMode.NonSecureMode);
if (!server.listen(host, port)) {
  if (!mayUseNet(listenTarget(host, port))) permissionDenied(netFlag);
  fail(`Cannot start the chat server: ${server.errorString()}`);
}
const chatUrl = server.serverUrl()!;

const clients = new Set<QWebSocket>();
server.addEventListener("newConnection", () => {
  const socket = server.nextPendingConnection();
  if (socket === null) return;
  clients.add(socket);
  const peer = `${socket.peerAddress()}:${socket.peerPort()}`;
  if (debug) console.log(`Client connected: ${peer} (${clients.size} in the chat)`);
  socket.addEventListener("textMessageReceived", (e) => {
    if (debug) console.log(`Message from ${peer}: ${e.message}`);
    for (const other of clients) if (other !== socket) other.sendTextMessage(e.message);
  });
  socket.addEventListener("disconnected", () => {
    clients.delete(socket);
    if (debug) console.log(`Client disconnected: ${peer} (${clients.size} in the chat)`);
  });
});

// The page, with the address of this chat server filled in.
const html = page.replace(/ws:\/\/localhost:1234\/?/g, chatUrl.href);
let http: Deno.HttpServer;
try {
  http = Deno.serve({
    hostname: host,
    port: httpPort,
    onListen: () => {},
  }, (request) => {
    const path = new URL(request.url).pathname;
    if (request.method !== "GET" || (path !== "/" && path !== "/chat.html")) {
      return new Response("Not found: open / for the chat page\n", { status: 404 });
    }
    return new Response(html, { headers: { "content-type": "text/html; charset=utf-8" } });
  });
} catch (error) {
  server.close();
  if (error instanceof Deno.errors.NotCapable) permissionDenied(netFlag);
  fail(`Cannot serve the chat page on ${listenTarget(host, httpPort)}: ${String(error)}`);
}
const pageUrl = `http://${listenTarget(host, (http.addr as Deno.NetAddr).port)}/`;

console.log(`Chat server listening on ${chatUrl.href}`);
console.log(`Open ${pageUrl} in a browser to chat`);

exitOnSignal(async () => {
  await http.shutdown();
  await server[Symbol.asyncDispose]();
  await Promise.all([...clients].map((client) => client[Symbol.asyncDispose]()));
});
