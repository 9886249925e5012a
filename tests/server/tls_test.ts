/**
 * SecureMode: `setSslConfiguration()` with a PEM certificate chain and key
 * → `Deno.listenTls`; our client and Deno's built-in client connect over
 * wss:, and a peer that fails TLS disturbs nobody else.
 */

import assert from "node:assert/strict";
import {
  QSslConfiguration,
  QSslKey,
  QWebSocket,
  QWebSocketProtocol,
  QWebSocketServer,
  type ServerErrorEvent,
} from "../../mod.ts";
import {
  clientTlsConfiguration,
  delay,
  disconnected,
  echoEveryClient,
  listeningSecureServer,
  nextClient,
  nextEvent,
  runDeno,
  serverTlsConfiguration,
  TLS_DIR,
  within,
} from "./_helpers.ts";

const { SecureMode } = QWebSocketServer.SslMode;
const CloseCode = QWebSocketProtocol.CloseCode;
const DENO_ECHO_CLIENT = new URL("./_scripts/deno_echo_client.ts", import.meta.url).pathname;

async function secureEcho(url: URL, text: string): Promise<string> {
  await using socket = new QWebSocket();
  socket.setSslConfiguration(clientTlsConfiguration());
  const echo = nextEvent<Event & { message: string }>(socket, "textMessageReceived");
  socket.addEventListener("connected", () => socket.sendTextMessage(text));
  socket.open(url);
  return (await echo).message;
}

Deno.test("QWebSocketServer::SecureMode: listening without a certificate fails with a clear reason", () => {
  const server = new QWebSocketServer("", SecureMode);
  const errors: number[] = [];
  server.addEventListener("serverError", (e) => errors.push(e.closeCode));
  assert.equal(server.listen("127.0.0.1", 0), false);
  assert.equal(server.isListening(), false);
  assert.match(
    server.errorString(),
    /SecureMode without a certificate and key.*setSslConfiguration/,
  );
  assert.equal(server.error(), CloseCode.CloseCodeTlsHandshakeFailed);
  assert.deepEqual(errors, [CloseCode.CloseCodeTlsHandshakeFailed]);

  // A key without a certificate is not enough either.
  const keyOnly = QSslConfiguration.defaultConfiguration();
  keyOnly.setPrivateKey(serverTlsConfiguration().privateKey());
  server.setSslConfiguration(keyOnly);
  assert.equal(server.listen("127.0.0.1", 0), false);
});

Deno.test("QWebSocketServer::setSslConfiguration: an unusable key makes listen() fail and say so", () => {
  const server = new QWebSocketServer("", SecureMode);
  const config = serverTlsConfiguration();
  config.setPrivateKey(
    new QSslKey("-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n"),
  );
  server.setSslConfiguration(config);
  assert.equal(server.listen("127.0.0.1", 0), false);
  assert.match(server.errorString(), /certificate or key is invalid/);
});

Deno.test("QWebSocketServer::setSslConfiguration: VerifyPeer is refused (Deno.listenTls cannot request client certificates)", () => {
  const server = new QWebSocketServer("", SecureMode);
  const config = serverTlsConfiguration();
  config.setPeerVerifyMode(QSslConfiguration.PeerVerifyMode.VerifyPeer);
  server.setSslConfiguration(config);
  assert.equal(server.listen("127.0.0.1", 0), false);
  assert.match(server.errorString(), /VerifyPeer.*cannot request or verify client certificates/);
});

Deno.test("QWebSocketServer::SecureMode: our QWebSocket trusting the test CA connects over wss: and echoes", async () => {
  await using server = listeningSecureServer("Secure Echo");
  assert.equal(server.serverUrl()?.protocol, "wss:");
  const sockets = echoEveryClient(server);
  assert.equal(await secureEcho(server.serverUrl()!, "secret"), "secret");
  assert.equal(sockets.length, 1);
  assert.equal(sockets[0]!.requestUrl().protocol, "wss:");
  for (const socket of sockets) await disconnected(socket);
});

Deno.test("QWebSocketServer::SecureMode: wss:// over IPv6", async () => {
  const server = new QWebSocketServer("", SecureMode);
  server.setSslConfiguration(serverTlsConfiguration());
  assert.ok(server.listen("::1", 0), server.errorString());
  assert.equal(server.serverUrl()?.href, `wss://[::1]:${server.serverPort()}/`);
  const sockets = echoEveryClient(server);
  assert.equal(await secureEcho(server.serverUrl()!, "v6"), "v6");
  for (const socket of sockets) await disconnected(socket);
  await server[Symbol.asyncDispose]();
});

Deno.test("QWebSocketServer::SecureMode: Deno's built-in client (DENO_CERT = test CA) connects and echoes", async () => {
  await using server = listeningSecureServer();
  server.setSupportedSubprotocols(["echo.v1"]);
  const sockets = echoEveryClient(server);
  const run = await runDeno(
    ["run", "--no-prompt", "--allow-net=127.0.0.1", DENO_ECHO_CLIENT, server.serverUrl()!.href],
    { DENO_CERT: new URL("ca.crt", TLS_DIR).pathname },
  );
  assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
  const report = JSON.parse(run.stdout.trim().split("\n").at(-1)!);
  assert.equal(report.protocol, "echo.v1");
  assert.deepEqual(report.received, ["hello over TLS", [0, 1, 2, 253, 254, 255]]);
  assert.equal(report.code, 4000);
  assert.equal(report.reason, "done");
  assert.equal(sockets.length, 1);
  await within(sockets[0]![Symbol.asyncDispose](), "the server socket to disconnect");
  assert.equal(sockets[0]!.closeCode(), 4000);
});

Deno.test("QWebSocketServer::SecureMode: a peer sending garbage instead of a TLS hello, and a silent one, disturb no one", async () => {
  await using server = listeningSecureServer();
  server.setHandshakeTimeout(500);
  const sockets = echoEveryClient(server);
  const serverErrors: ServerErrorEvent[] = [];
  server.addEventListener("serverError", (e) => serverErrors.push(e));
  const firstError = nextEvent<ServerErrorEvent>(server, "serverError");

  using _silent = await Deno.connect({ hostname: "127.0.0.1", port: server.serverPort() });
  using garbage = await Deno.connect({ hostname: "127.0.0.1", port: server.serverPort() });
  await garbage.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  const good = secureEcho(server.serverUrl()!, "unharmed");

  // The garbage peer is dropped with serverError(1015)...
  assert.equal((await firstError).closeCode, CloseCode.CloseCodeTlsHandshakeFailed);
  assert.match(server.errorString(), /TLS handshake with the client 127\.0\.0\.1:\d+ failed/);
  // ...its connection ends (after a TLS alert)...
  const buffer = new Uint8Array(1024);
  const readToEnd = async () => {
    try {
      while ((await garbage.read(buffer)) !== null);
    } catch {
      // A reset ends the stream too.
    }
  };
  await within(readToEnd(), "the garbage peer's connection to end");
  // ...and the good client is served all the same, while the silent peer waits.
  assert.equal(await good, "unharmed");
  // The silent peer outlives the handshake timeout without a serverError (a
  // timeout is not a handshake error in Qt). Deno keeps its TCP socket until
  // the peer sends or closes (a TLS handshake is finished before a close), so
  // the test ends it itself.
  await delay(1000);
  assert.equal(serverErrors.length, 1);
  for (const socket of sockets) await disconnected(socket);
});

Deno.test("QWebSocketServer::SecureMode: a client that does not trust the certificate gives serverError(1015) with Deno's reason", async () => {
  await using server = listeningSecureServer();
  const serverError = nextEvent<ServerErrorEvent>(server, "serverError");
  await using socket = new QWebSocket();
  // No CA: Deno's default roots do not know the test CA.
  const failed = nextEvent(socket, "error");
  socket.open(server.serverUrl()!);
  await failed;
  assert.equal((await serverError).closeCode, CloseCode.CloseCodeTlsHandshakeFailed);
  assert.match(server.errorString(), /TLS handshake with the client 127\.0\.0\.1:\d+ failed: .+/);
  assert.equal(server.hasPendingConnections(), false);
});

Deno.test("QWebSocketServer::setSocketDescriptor: a Deno.TlsListener in SecureMode serves wss:", async () => {
  await using server = new QWebSocketServer("", SecureMode);
  const config = serverTlsConfiguration();
  const listener = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: config.localCertificate().toPem(),
    key: config.privateKey().toPem(),
  });
  assert.ok(server.setSocketDescriptor(listener), server.errorString());
  assert.equal(server.serverUrl()?.protocol, "wss:");
  const sockets = echoEveryClient(server);
  assert.equal(await secureEcho(server.serverUrl()!, "adopted"), "adopted");
  for (const socket of sockets) await disconnected(socket);
});

Deno.test("QWebSocketServer::handleConnection: a TLS connection accepted elsewhere gets its TLS handshake first", async () => {
  await using server = new QWebSocketServer("", SecureMode);
  const config = serverTlsConfiguration();
  const listener = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: config.localCertificate().toPem(),
    key: config.privateKey().toPem(),
  });
  const accepted = listener.accept().then((conn) => server.handleConnection(conn));
  const url = new URL(`wss://127.0.0.1:${(listener.addr as Deno.NetAddr).port}/own`);
  const echo = (async () => {
    await using socket = new QWebSocket();
    socket.setSslConfiguration(clientTlsConfiguration());
    const connected = nextEvent(socket, "connected");
    socket.open(url);
    await connected;
    return socket.state();
  })();
  await accepted;
  const peer = await nextClient(server);
  assert.equal(peer.resourceName(), "/own");
  assert.equal(peer.requestUrl().protocol, "wss:");
  assert.equal(await echo, 3);
  await disconnected(peer);
  listener.close();
});
