/**
 * Run by listen_test.ts in a subprocess with a narrow (or no) `--allow-net`:
 * listens once on the address and port given as arguments and prints what
 * the server reported, as one line of JSON.
 *
 * @module
 */

import { QWebSocketServer } from "../../../mod.ts";

const [address = "127.0.0.1", port = "0"] = Deno.args;
const server = new QWebSocketServer("", QWebSocketServer.SslMode.NonSecureMode);
let serverErrors = 0;
server.addEventListener("serverError", () => serverErrors++);
const ok = server.listen(address, Number(port));
console.log(JSON.stringify({
  ok,
  listening: server.isListening(),
  error: server.error(),
  errorString: server.errorString(),
  serverErrors,
}));
await server[Symbol.asyncDispose]();
