/**
 * SSL echo client: the counterpart of Qt's "sslechoclient" example. It
 * connects over wss://, sends "Hello, world!", prints the echo, closes and
 * exits with status 0. Start `examples/sslechoserver.ts` first.
 *
 * Qt's example ignores the certificate errors of its self-signed server; this
 * one trusts exactly the example certificate instead, through
 * `QSslConfiguration.setCaCertificates()`, so every other check (host name,
 * dates) still applies.
 *
 *   deno run --allow-net=127.0.0.1:1234 --allow-read=examples/certs examples/sslechoclient.ts --url wss://127.0.0.1:1234 [--debug]
 *
 * Options: `--url` (default `wss://localhost:1234`, as in Qt's example; it
 * needs `--allow-net=localhost:1234`), `--debug` / `-d`.
 *
 * @module
 */

import { QAbstractSocket, QSslCertificate, QSslConfiguration, QWebSocket } from "../mod.ts";
import { fail, netTarget, parseOptions, permissionDenied, reading, urlOption } from "./_cli.ts";

const usage = "Usage: sslechoclient.ts [--url wss://HOST:PORT] [--debug|-d]";
const options = parseOptions(Deno.args, {
  url: { takesValue: true },
  debug: { short: "d", takesValue: false },
}, usage);
const url = urlOption(options, "url", "wss://localhost:1234");
const debug = options.has("debug");

const trusted = reading(
  () => QSslCertificate.fromPath(new URL("./certs/localhost.crt", import.meta.url)),
  "--allow-read=examples/certs",
);
const sslConfiguration = QSslConfiguration.defaultConfiguration();
sslConfiguration.setCaCertificates(trusted);

const socket = new QWebSocket();
socket.setSslConfiguration(sslConfiguration);
let echoed = false;

socket.addEventListener("connected", () => {
  if (debug) console.log(`WebSocket connected to ${url.href}`);
  socket.sendTextMessage("Hello, world!");
});
socket.addEventListener("textMessageReceived", (e) => {
  console.log(`Message received: ${e.message}`);
  echoed = true;
  socket.close();
});
socket.addEventListener("sslErrors", (e) => {
  for (const error of e.errors) console.error(`TLS error: ${error.errorString()}`);
});
socket.addEventListener("error", (e) => {
  if (e.error === QAbstractSocket.SocketError.SocketAccessError) {
    permissionDenied(`--allow-net=${netTarget(url)}`);
  }
  fail(`Cannot talk to ${url.href}: ${socket.errorString()}`);
});
socket.addEventListener("disconnected", () => {
  if (debug) console.log(`WebSocket disconnected (close code ${socket.closeCode()})`);
  if (!echoed) fail(`The connection to ${url.href} closed before the echo arrived`);
  Deno.exit(0);
});

if (debug) console.log(`Connecting to ${url.href}`);
socket.open(url);
