/**
 * The server side of the load benchmark (`load_10k.ts` starts it): an echo
 * server, either qtws's `QWebSocketServer` or Deno's built-in `Deno.serve` +
 * `Deno.upgradeWebSocket`, on 127.0.0.1 port 0.
 *
 * Talks to the load generator over stdio: prints `{"port": n}` once listening,
 * then answers each `mem` line on stdin with one JSON line of memory figures
 * (after a full garbage collection when run with `--v8-flags=--expose-gc`)
 * and the number of open WebSockets; `exit` stops it.
 *
 * ```sh
 * deno run --allow-net=127.0.0.1 --v8-flags=--expose-gc bench/load_server.ts qtws
 * ```
 *
 * @module
 */

import { QWebSocketServer } from "../mod.ts";

const impl = Deno.args[0];
if (impl !== "qtws" && impl !== "deno") {
  console.error("usage: load_server.ts qtws|deno");
  Deno.exit(2);
}

let open = 0;
let stop: () => Promise<void>;
let port: number;

if (impl === "qtws") {
  const server = new QWebSocketServer("", QWebSocketServer.SslMode.NonSecureMode);
  server.addEventListener("newConnection", () => {
    for (let s = server.nextPendingConnection(); s !== null; s = server.nextPendingConnection()) {
      const socket = s;
      open++;
      socket.addEventListener("textMessageReceived", (e) => socket.sendTextMessage(e.message));
      socket.addEventListener("binaryMessageReceived", (e) => socket.sendBinaryMessage(e.message));
      socket.addEventListener("disconnected", () => open--);
    }
  });
  if (!server.listen("127.0.0.1", 0)) throw new Error(server.errorString());
  port = server.serverPort();
  stop = () => server[Symbol.asyncDispose]();
} else {
  const ac = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen() {} },
    (request) => {
      const { socket, response } = Deno.upgradeWebSocket(request);
      socket.onopen = () => open++;
      socket.onmessage = (e) => socket.send(e.data);
      socket.onclose = () => open--;
      return response;
    },
  );
  port = server.addr.port;
  stop = async () => {
    ac.abort();
    await server.finished;
  };
}

console.log(JSON.stringify({ port }));

const gc = (globalThis as { gc?: () => void }).gc;
const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream());
let pending = "";
outer: for await (const text of lines) {
  pending += text;
  let newline;
  while ((newline = pending.indexOf("\n")) !== -1) {
    const command = pending.slice(0, newline).trim();
    pending = pending.slice(newline + 1);
    if (command === "mem") {
      gc?.();
      const { rss, heapUsed, external } = Deno.memoryUsage();
      console.log(JSON.stringify({ rss, heapUsed, external, open }));
    } else if (command === "exit") {
      break outer;
    }
  }
}
await stop();
Deno.exit(0);
