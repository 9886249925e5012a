/**
 * SSL echo server: the counterpart of Qt's "sslechoserver" example — the echo
 * server over wss://, with the example certificate in `examples/certs/`
 * (for this example only: see examples/certs/README.md).
 *
 *   deno run --allow-net=127.0.0.1:1234 --allow-read=examples/certs examples/sslechoserver.ts --port 1234 [--debug]
 *
 * Options: `--port` / `-p` (default 1234), `--debug` / `-d`. Run it from the
 * repository's root folder. Stop it with Ctrl+C.
 *
 * @module
 */

import {
  QHostAddress,
  QSslCertificate,
  QSslConfiguration,
  QSslKey,
  QWebSocketServer,
} from "../mod.ts";
import {
  exitOnSignal,
  fail,
  listenTarget,
  mayUseNet,
  parseOptions,
  permissionDenied,
  portOption,
  reading,
} from "./_cli.ts";

const usage = "Usage: sslechoserver.ts [--port|-p PORT] [--debug|-d]";
const options = parseOptions(Deno.args, {
  port: { short: "p", takesValue: true },
  debug: { short: "d", takesValue: false },
}, usage);
const port = portOption(options, "port", 1234);
const debug = options.has("debug");

const certs = new URL("./certs/", import.meta.url);
const { certificate, key } = reading(() => ({
  certificate: QSslCertificate.fromPath(new URL("localhost.crt", certs))[0],
  key: new QSslKey(Deno.readTextFileSync(new URL("localhost.key", certs))),
}), "--allow-read=examples/certs");
if (certificate === undefined || key.isNull()) {
  fail(
    "examples/certs/localhost.crt or localhost.key holds no PEM data: see examples/certs/README.md",
  );
}

const sslConfiguration = new QSslConfiguration();
sslConfiguration.setLocalCertificate(certificate);
sslConfiguration.setPrivateKey(key);

const server = new QWebSocketServer("SSL Echo Server", QWebSocketServer.SslMode.SecureMode);
server.setSslConfiguration(sslConfiguration);
if (!server.listen(QHostAddress.LocalHost, port)) {
  const target = listenTarget(QHostAddress.LocalHost, port);
  if (!mayUseNet(target)) permissionDenied(`--allow-net=${target}`);
  fail(`Cannot start the SSL echo server: ${server.errorString()}`);
}
console.log(`SSL echo server listening on ${server.serverUrl()!.href}`);

server.addEventListener("newConnection", () => {
  const socket = server.nextPendingConnection();
  if (socket === null) return;
  const peer = `${socket.peerAddress()}:${socket.peerPort()}`;
  if (debug) console.log(`Client connected: ${peer}`);
  socket.addEventListener("textMessageReceived", (e) => {
    if (debug) console.log(`Message received: ${e.message}`);
    socket.sendTextMessage(e.message);
  });
  socket.addEventListener("binaryMessageReceived", (e) => {
    if (debug) console.log(`Binary message received: ${e.message.length} bytes`);
    socket.sendBinaryMessage(e.message);
  });
  socket.addEventListener("disconnected", () => {
    if (debug) console.log(`Client disconnected: ${peer} (close code ${socket.closeCode()})`);
  });
});
server.addEventListener("sslErrors", (e) => {
  if (debug) console.log(`TLS problem with a client: ${e.errors.map((x) => x.errorString())}`);
});

exitOnSignal(() => server[Symbol.asyncDispose]());
