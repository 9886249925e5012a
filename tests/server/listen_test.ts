/**
 * Qt's `listen()`, `isListening()`, `serverAddress()`, `serverPort()`,
 * `serverUrl()`, `close()`, `socketDescriptor()` / `setSocketDescriptor()`
 * and the accessors that need no client, with the Deno mapping of SPEC §2
 * and §4: `listen()` answers at once, and a failure says why.
 */

import assert from "node:assert/strict";
import {
  QHostAddress,
  QNetworkProxy,
  type QSslConfiguration,
  QWebSocket,
  QWebSocketProtocol,
  QWebSocketServer,
  type ServerErrorEvent,
} from "../../mod.ts";
import {
  disconnected,
  listeningServer,
  nextClient,
  nextEvent,
  runDeno,
  serverTlsConfiguration,
  within,
} from "./_helpers.ts";

const { NonSecureMode, SecureMode } = QWebSocketServer.SslMode;
const CloseCode = QWebSocketProtocol.CloseCode;
const LISTEN_ONCE = new URL("./_scripts/listen_once.ts", import.meta.url).pathname;

Deno.test("QWebSocketServer::listen: returns true at once; address, port and ws:// URL while listening", async () => {
  const server = new QWebSocketServer("", NonSecureMode);
  assert.equal(server.isListening(), false);
  assert.equal(server.listen(QHostAddress.LocalHost, 0), true);
  assert.equal(server.isListening(), true);
  assert.equal(server.serverAddress(), "127.0.0.1");
  const port = server.serverPort();
  assert.ok(port > 0 && port < 65536);
  assert.equal(server.serverUrl()?.href, `ws://127.0.0.1:${port}/`);
  assert.equal(server.error(), CloseCode.CloseCodeNormal);
  assert.equal(server.errorString(), "");
  // The port really takes connections.
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  conn.close();
  await server[Symbol.asyncDispose]();
  assert.equal(server.isListening(), false);
});

Deno.test("QWebSocketServer::serverUrl: an IPv6 address goes in brackets, and clients connect to it", async () => {
  await using server = new QWebSocketServer("", NonSecureMode);
  assert.ok(server.listen(QHostAddress.LocalHostIPv6, 0), server.errorString());
  assert.equal(server.serverAddress(), "::1");
  assert.equal(server.serverUrl()?.href, `ws://[::1]:${server.serverPort()}/`);
  server.addEventListener("newConnection", () => {
    const peer = server.nextPendingConnection()!;
    peer.addEventListener("textMessageReceived", (e) => peer.sendTextMessage(e.message));
  });
  await using socket = new QWebSocket();
  const echo = nextEvent<Event & { message: string }>(socket, "textMessageReceived");
  socket.addEventListener("connected", () => socket.sendTextMessage("over IPv6"));
  socket.open(server.serverUrl()!);
  assert.equal((await echo).message, "over IPv6");
  assert.equal(socket.peerAddress(), "::1");
});

Deno.test("QWebSocketServer: not listening means Null address, port 0, no URL, descriptor -1", () => {
  const server = new QWebSocketServer("", NonSecureMode);
  assert.equal(server.serverAddress(), QHostAddress.Null);
  assert.equal(server.serverPort(), 0);
  assert.equal(server.serverUrl(), null);
  assert.equal(server.socketDescriptor(), -1);
});

Deno.test("QWebSocketServer::listen: an address in use gives false, serverError(1006) and says so", async () => {
  await using first = listeningServer();
  const second = new QWebSocketServer("", NonSecureMode);
  const events: ServerErrorEvent[] = [];
  second.addEventListener("serverError", (e) => events.push(e));
  assert.equal(second.listen("127.0.0.1", first.serverPort()), false);
  assert.equal(second.isListening(), false);
  assert.equal(second.error(), CloseCode.CloseCodeAbnormalDisconnection);
  assert.match(second.errorString(), /Address already in use: 127\.0\.0\.1:\d+/);
  // Dispatched synchronously, as Qt's setError() emits serverError.
  assert.deepEqual(events.map((e) => e.closeCode), [CloseCode.CloseCodeAbnormalDisconnection]);
});

Deno.test("QWebSocketServer::listen: listening twice gives false and keeps the first port", async () => {
  await using server = listeningServer();
  const port = server.serverPort();
  assert.equal(server.listen("127.0.0.1", 0), false);
  assert.match(server.errorString(), /already listens.*close\(\) first/);
  assert.equal(server.isListening(), true);
  assert.equal(server.serverPort(), port);
});

Deno.test("QWebSocketServer::listen: QHostAddress.Null and a bad host give false with a reason", () => {
  const server = new QWebSocketServer("", NonSecureMode);
  assert.equal(server.listen(QHostAddress.Null, 0), false);
  assert.match(server.errorString(), /QHostAddress\.Null/);
  assert.equal(server.listen("not a host name", 0), false);
  assert.match(server.errorString(), /not an IP address or host name/);
  assert.equal(server.isListening(), false);
  assert.throws(() => server.listen("127.0.0.1", 70000), RangeError);
  assert.throws(() => server.listen(1 as unknown as string, 0), TypeError);
});

Deno.test("QWebSocketServer::listen: a missing --allow-net permission is named exactly", async () => {
  const narrow = await runDeno([
    "run",
    "--no-prompt",
    "--allow-net=127.0.0.1:1",
    LISTEN_ONCE,
    "127.0.0.1",
    "0",
  ]);
  assert.equal(narrow.code, 0, narrow.stderr);
  const report = JSON.parse(narrow.stdout);
  assert.equal(report.ok, false);
  assert.equal(report.listening, false);
  assert.equal(report.error, CloseCode.CloseCodeAbnormalDisconnection);
  assert.equal(report.serverErrors, 1);
  assert.match(report.errorString, /Permission denied to listen on 127\.0\.0\.1:0/);
  assert.ok(report.errorString.includes("--allow-net=127.0.0.1:0"), report.errorString);

  const none = await runDeno(["run", "--no-prompt", LISTEN_ONCE, "::1", "8765"]);
  assert.equal(none.code, 0, none.stderr);
  const ipv6 = JSON.parse(none.stdout);
  assert.equal(ipv6.ok, false);
  assert.ok(ipv6.errorString.includes("--allow-net=[::1]:8765"), ipv6.errorString);
});

Deno.test("QWebSocketServer::close: stops listening, frees the port and dispatches closed", async () => {
  const server = listeningServer();
  const port = server.serverPort();
  const closed = nextEvent(server, "closed");
  server.close();
  assert.equal(server.isListening(), false);
  assert.equal(server.serverPort(), 0);
  await closed;
  await assert.rejects(
    Deno.connect({ hostname: "127.0.0.1", port }),
    Deno.errors.ConnectionRefused,
  );
  // The port can be listened on again.
  assert.ok(server.listen("127.0.0.1", port), server.errorString());
  await server[Symbol.asyncDispose]();
});

Deno.test("QWebSocketServer::setSocketDescriptor: adopts a listener; socketDescriptor() returns it while listening", async () => {
  await using server = new QWebSocketServer("", NonSecureMode);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  assert.equal(server.setSocketDescriptor(listener), true);
  assert.equal(server.isListening(), true);
  assert.equal(server.socketDescriptor(), listener);
  assert.equal(server.serverPort(), (listener.addr as Deno.NetAddr).port);
  assert.equal(server.serverUrl()?.href, `ws://127.0.0.1:${server.serverPort()}/`);

  // A second listener is refused while the first is in use.
  const other = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  assert.equal(server.setSocketDescriptor(other), false);
  assert.match(server.errorString(), /already listens/);
  other.close();

  // Clients are served through the adopted listener.
  await using client = new QWebSocket();
  const connected = nextEvent(client, "connected");
  client.open(server.serverUrl()!);
  await connected;
  const peer = await nextClient(server);
  await disconnected(peer);

  // The server owns the listener: close() closes it.
  server.close();
  assert.equal(server.socketDescriptor(), -1);
  await assert.rejects(listener.accept(), Deno.errors.BadResource);
});

Deno.test("QWebSocketServer::setSocketDescriptor: a listener that does not fit the SslMode is refused", () => {
  const plain = new QWebSocketServer("", NonSecureMode);
  const tlsListener = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: serverTlsConfiguration().localCertificate().toPem(),
    key: serverTlsConfiguration().privateKey().toPem(),
  });
  assert.equal(plain.setSocketDescriptor(tlsListener), false);
  assert.match(plain.errorString(), /TLS listener in NonSecureMode/);
  tlsListener.close();

  const secure = new QWebSocketServer("", SecureMode);
  const tcpListener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  assert.equal(secure.setSocketDescriptor(tcpListener), false);
  assert.match(secure.errorString(), /plain TCP listener in SecureMode/);
  tcpListener.close();
  assert.throws(() => plain.setSocketDescriptor(3 as unknown as Deno.Listener), TypeError);
});

Deno.test("QWebSocketServer: constructor, secureMode, serverName and supportedVersions", () => {
  const plain = new QWebSocketServer("Echo Server", NonSecureMode, null);
  assert.equal(plain.secureMode(), NonSecureMode);
  assert.equal(plain.serverName(), "Echo Server");
  plain.setServerName("");
  assert.equal(plain.serverName(), "");
  assert.deepEqual(plain.supportedVersions(), [QWebSocketProtocol.Version.Version13]);
  assert.equal(new QWebSocketServer("", SecureMode).secureMode(), SecureMode);
  assert.equal(QWebSocketServer.SslMode.SecureMode, 0);
  assert.equal(QWebSocketServer.SslMode.NonSecureMode, 1);
  assert.throws(() => new QWebSocketServer(1 as unknown as string, NonSecureMode), TypeError);
  assert.throws(() => new QWebSocketServer("", 7 as QWebSocketServer.SslMode), RangeError);
  assert.throws(() => plain.setServerName(null as unknown as string), TypeError);
});

Deno.test("QWebSocketServer::setHandshakeTimeout: 10 000 ms by default, both getters agree", () => {
  const server = new QWebSocketServer("", NonSecureMode);
  assert.equal(server.handshakeTimeoutMS(), 10_000);
  assert.equal(server.handshakeTimeout(), 10_000);
  server.setHandshakeTimeout(250);
  assert.equal(server.handshakeTimeoutMS(), 250);
  assert.equal(server.handshakeTimeout(), 250);
  server.setHandshakeTimeout(-1);
  assert.equal(server.handshakeTimeoutMS(), -1);
  assert.throws(() => server.setHandshakeTimeout(Number.NaN), TypeError);
});

Deno.test("QWebSocketServer::setProxy: stored and returned, DefaultProxy by default", () => {
  const server = new QWebSocketServer("", NonSecureMode);
  assert.equal(server.proxy().type(), QNetworkProxy.ProxyType.DefaultProxy);
  const none = new QNetworkProxy(QNetworkProxy.ProxyType.NoProxy);
  server.setProxy(none);
  assert.equal(server.proxy(), none);
  assert.throws(() => server.setProxy({} as QNetworkProxy), TypeError);
});

Deno.test("QWebSocketServer::setSslConfiguration: kept as a copy in SecureMode, ignored in NonSecureMode", () => {
  const config = serverTlsConfiguration();
  const secure = new QWebSocketServer("", SecureMode);
  secure.setSslConfiguration(config);
  const got = secure.sslConfiguration();
  assert.notEqual(got, config);
  assert.equal(got.localCertificate().toPem(), config.localCertificate().toPem());
  assert.equal(got.privateKey().toPem(), config.privateKey().toPem());
  // Changing the caller's object afterwards changes nothing in the server.
  config.setAllowedNextProtocols(["changed"]);
  assert.deepEqual(secure.sslConfiguration().allowedNextProtocols(), []);

  const plain = new QWebSocketServer("", NonSecureMode);
  plain.setSslConfiguration(config);
  assert.equal(plain.sslConfiguration().isNull(), true);
  assert.throws(() => plain.setSslConfiguration({} as QSslConfiguration), TypeError);
});

Deno.test("QWebSocketServer: server-level incoming limits default to 16 MiB frames and 64 MiB messages", () => {
  const server = new QWebSocketServer("", NonSecureMode);
  assert.equal(server.maxAllowedIncomingFrameSize(), 16 * 1024 * 1024);
  assert.equal(server.maxAllowedIncomingMessageSize(), 64 * 1024 * 1024);
  server.setMaxAllowedIncomingFrameSize(1024);
  server.setMaxAllowedIncomingMessageSize(4096);
  assert.equal(server.maxAllowedIncomingFrameSize(), 1024);
  assert.equal(server.maxAllowedIncomingMessageSize(), 4096);
  assert.throws(
    () => server.setMaxAllowedIncomingFrameSize(QWebSocket.maxIncomingFrameSize() + 1),
    RangeError,
  );
  assert.throws(() => server.setMaxAllowedIncomingMessageSize(-1), RangeError);
});

Deno.test("QWebSocketServer::~QWebSocketServer: await using closes the server", async () => {
  let port = 0;
  let closed = false;
  {
    await using server = listeningServer();
    port = server.serverPort();
    server.addEventListener("closed", () => (closed = true));
  }
  assert.equal(closed, true);
  await within(
    assert.rejects(Deno.connect({ hostname: "127.0.0.1", port }), Deno.errors.ConnectionRefused),
    "a refused connection",
  );
});
