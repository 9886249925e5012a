/**
 * A child program for default_proxy_env_test.ts: opens one QWebSocket with
 * the default proxy setting (DefaultProxy, so the environment decides),
 * sends a text message, and prints one JSON line: the echo, or the error.
 *
 * Usage: deno run --allow-net [--allow-env] [--allow-read] _open_child.ts URL [CA_PATH]
 */

import { QSslCertificate, QWebSocket } from "../../mod.ts";

const [url, caPath] = Deno.args;
const socket = new QWebSocket();
if (caPath !== undefined) {
  const config = socket.sslConfiguration();
  config.setCaCertificates(QSslCertificate.fromData(Deno.readTextFileSync(caPath)));
  socket.setSslConfiguration(config);
}
const result = await new Promise<Record<string, unknown>>((resolve) => {
  socket.addEventListener("connected", () => socket.sendTextMessage("hello via env"));
  socket.addEventListener("textMessageReceived", (e) => {
    resolve({ echo: e.message, localPort: socket.localPort() });
  });
  socket.addEventListener("error", (e) => {
    resolve({ error: e.error, errorString: socket.errorString() });
  });
  socket.open(url);
});
await socket[Symbol.asyncDispose]();
console.log(JSON.stringify(result));
