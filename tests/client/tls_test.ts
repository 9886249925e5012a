/**
 * `wss:` (Qt's QSslConfiguration, sslErrors, ignoreSslErrors, pause mode)
 * against TLS servers started by the tests with the certificates in
 * tests/fixtures/tls (see make.sh there).
 */

import assert from "node:assert/strict";
import {
  QAbstractSocket,
  QSslCertificate,
  QSslConfiguration,
  QSslError,
  QWebSocket,
} from "../../mod.ts";
import {
  disconnected,
  EventLog,
  fixture,
  fixtureText,
  nextEvent,
  rawPeer,
  serverFrame,
  startDenoServer,
  within,
} from "./_helpers.ts";

const E = QAbstractSocket.SocketError;
const SslError = QSslError.SslError;

function trustingTestCa(): QSslConfiguration {
  const config = QSslConfiguration.defaultConfiguration();
  config.setCaCertificates(QSslCertificate.fromPath(fixture("ca.crt")));
  return config;
}

function tlsServer(name: "server" | "wronghost" | "selfsigned", hostname?: "::1") {
  return startDenoServer({
    cert: fixtureText(`${name}.crt`),
    key: fixtureText(`${name}.key`),
    hostname,
  });
}

async function echoOnce(socket: QWebSocket): Promise<void> {
  const echo = nextEvent(socket, "textMessageReceived");
  socket.sendTextMessage("over TLS");
  assert.equal((await within(echo, "the echo over TLS")).message, "over TLS");
  const end = disconnected(socket);
  socket.close();
  await end;
}

Deno.test("Qt QWebSocket::setSslConfiguration: a server certificate signed by a CA given in caCertificates connects", async () => {
  const server = tlsServer("server");
  const server6 = tlsServer("server", "::1");
  for (const host of ["localhost", "127.0.0.1", "[::1]"]) {
    const port = host === "[::1]" ? server6.port : server.port;
    const socket = new QWebSocket();
    socket.setSslConfiguration(trustingTestCa());
    const log = new EventLog(socket);
    const connected = nextEvent(socket, "connected");
    socket.open(`wss://${host}:${port}/secure?x=1`);
    await within(connected, `connected to ${host}`);
    assert.equal(socket.sslConfiguration().caCertificates().length, 1);
    assert.equal(socket.resourceName(), "/secure?x=1");
    await echoOnce(socket);
    assert.deepEqual(log.only("peerVerifyError", "sslErrors", "error"), []);
  }
  await server.close();
  await server6.close();
});

Deno.test("Qt QWebSocket::open(https:): https is an alias of wss", async () => {
  const server = tlsServer("server");
  const socket = new QWebSocket();
  socket.setSslConfiguration(trustingTestCa());
  const connected = nextEvent(socket, "connected");
  socket.open(new URL(`https://localhost:${server.port}`));
  await within(connected, "connected");
  await echoOnce(socket);
  await server.close();
});

Deno.test("Qt QWebSocket::sslErrors: an untrusted issuer gives peerVerifyError, sslErrors, error(SslHandshakeFailedError), disconnected", async () => {
  const server = tlsServer("server");
  const socket = new QWebSocket();
  const log = new EventLog(socket);
  let errors: readonly QSslError[] = [];
  socket.addEventListener("sslErrors", (e) => (errors = e.errors));
  let verify: QSslError | null = null;
  socket.addEventListener("peerVerifyError", (e) => (verify = e.error));
  const end = disconnected(socket);
  socket.open(`wss://localhost:${server.port}`);
  await end;
  assert.deepEqual(log.events, [
    "stateChanged(Connecting)",
    `peerVerifyError(${SslError.UnableToGetLocalIssuerCertificate})`,
    `sslErrors(${SslError.UnableToGetLocalIssuerCertificate})`,
    `error(${E.SslHandshakeFailedError})`,
    `errorOccurred(${E.SslHandshakeFailedError})`,
    "stateChanged(Unconnected)",
    "disconnected",
  ]);
  assert.equal(errors.length, 1);
  assert.ok(errors[0] instanceof QSslError);
  assert.notEqual(errors[0]!.errorString(), "");
  assert.equal(verify!.error(), SslError.UnableToGetLocalIssuerCertificate);
  assert.equal(socket.error(), E.SslHandshakeFailedError);
  assert.match(socket.errorString(), /not trusted/);
  await server.close();
});

Deno.test("Qt QWebSocket::ignoreSslErrors(errors): Qt's self-signed certificate example works as written", async () => {
  const server = tlsServer("selfsigned");
  // The snippet from Qt's ignoreSslErrors() documentation, in TypeScript.
  const cert = QSslCertificate.fromPath(fixture("selfsigned.crt"));
  const error = new QSslError(QSslError.SslError.SelfSignedCertificate, cert.at(0));
  const expectedSslErrors: QSslError[] = [];
  expectedSslErrors.push(error);

  const socket = new QWebSocket();
  socket.ignoreSslErrors(expectedSslErrors);
  const log = new EventLog(socket);
  const connected = nextEvent(socket, "connected");
  socket.open(`wss://localhost:${server.port}`);
  await within(connected, "connected to the self-signed server");
  await echoOnce(socket);
  assert.deepEqual(log.only("sslErrors", "error"), []);

  // Without the expected certificate the same server is refused.
  const plain = new QWebSocket();
  const end = disconnected(plain);
  plain.open(`wss://localhost:${server.port}`);
  await end;
  assert.equal(plain.error(), E.SslHandshakeFailedError);

  // An empty list clears the errors to ignore.
  socket.ignoreSslErrors([]);
  const again = disconnected(socket);
  socket.open(`wss://localhost:${server.port}`);
  await again;
  assert.equal(socket.error(), E.SslHandshakeFailedError);
  await server.close();
});

Deno.test("Qt QWebSocket::sslErrors: a certificate for another host gives HostNameMismatch", async () => {
  const server = tlsServer("wronghost");
  const socket = new QWebSocket();
  socket.setSslConfiguration(trustingTestCa());
  const log = new EventLog(socket);
  const end = disconnected(socket);
  socket.open(`wss://localhost:${server.port}`);
  await end;
  assert.deepEqual(log.only("peerVerifyError", "sslErrors", "error"), [
    `peerVerifyError(${SslError.HostNameMismatch})`,
    `sslErrors(${SslError.HostNameMismatch})`,
    `error(${E.SslHandshakeFailedError})`,
  ]);
  assert.match(socket.errorString(), /localhost/);
  await server.close();
});

Deno.test("Qt QWebSocket::ignoreSslErrors(errors): ignoring HostNameMismatch before open() connects", async () => {
  const server = tlsServer("wronghost");
  const socket = new QWebSocket();
  socket.setSslConfiguration(trustingTestCa());
  socket.ignoreSslErrors([new QSslError(SslError.HostNameMismatch)]);
  const log = new EventLog(socket);
  const connected = nextEvent(socket, "connected");
  socket.open(`wss://localhost:${server.port}`);
  await within(connected, "connected");
  await echoOnce(socket);
  assert.deepEqual(log.only("sslErrors", "error"), []);
  await server.close();
});

Deno.test("Qt QWebSocket::ignoreSslErrors(): called from the sslErrors listener, the connection goes on", async () => {
  const server = tlsServer("wronghost");
  for (const how of ["all", "list"] as const) {
    const socket = new QWebSocket();
    socket.setSslConfiguration(trustingTestCa());
    socket.addEventListener("sslErrors", (e) => {
      if (how === "all") socket.ignoreSslErrors();
      else socket.ignoreSslErrors([...e.errors]);
    });
    const log = new EventLog(socket);
    const connected = nextEvent(socket, "connected");
    socket.open(`wss://localhost:${server.port}`);
    await within(connected, `connected after ignoreSslErrors (${how})`);
    assert.deepEqual(log.events, [
      "stateChanged(Connecting)",
      `peerVerifyError(${SslError.HostNameMismatch})`,
      `sslErrors(${SslError.HostNameMismatch})`,
      "stateChanged(Connected)",
      "connected",
    ]);
    await echoOnce(socket);
  }
  await server.close();
});

Deno.test("Qt QWebSocket::ignoreSslErrors(): Deno cannot waive an untrusted issuer; the error says how to trust it", async () => {
  const server = tlsServer("server");
  const socket = new QWebSocket();
  socket.addEventListener("sslErrors", () => socket.ignoreSslErrors());
  const end = disconnected(socket);
  socket.open(`wss://localhost:${server.port}`);
  await end;
  assert.equal(socket.error(), E.SslHandshakeFailedError);
  assert.match(socket.errorString(), /ignoreSslErrors/);
  assert.match(socket.errorString(), /setCaCertificates|caCertificates/);
  await server.close();
});

Deno.test("Qt QWebSocket::setPauseMode(PauseOnSslErrors): the handshake waits after sslErrors until resume()", async () => {
  const server = tlsServer("wronghost");
  // Decide later: ignore and resume.
  const socket = new QWebSocket();
  socket.setSslConfiguration(trustingTestCa());
  socket.setPauseMode(QAbstractSocket.PauseMode.PauseOnSslErrors);
  assert.equal(socket.pauseMode(), QAbstractSocket.PauseMode.PauseOnSslErrors);
  // The application may take longer than the handshake timeout to decide.
  socket.setHandshakeTimeout(2000);
  const sslErrors = nextEvent(socket, "sslErrors");
  const connected = nextEvent(socket, "connected");
  socket.open(`wss://localhost:${server.port}`);
  const e = await within(sslErrors, "sslErrors");
  await new Promise((resolve) => setTimeout(resolve, 2500));
  assert.equal(socket.state(), QAbstractSocket.SocketState.ConnectingState, "paused, not failed");
  assert.equal(socket.errorString(), "");
  socket.ignoreSslErrors([...e.errors]);
  socket.resume();
  await within(connected, "connected after resume()");
  await echoOnce(socket);

  // Decide later: resume without ignoring fails.
  const refused = new QWebSocket();
  refused.setSslConfiguration(trustingTestCa());
  refused.setPauseMode(QAbstractSocket.PauseMode.PauseOnSslErrors);
  const paused = nextEvent(refused, "sslErrors");
  const end = disconnected(refused);
  refused.open(`wss://localhost:${server.port}`);
  await within(paused, "sslErrors");
  refused.resume();
  await end;
  assert.equal(refused.error(), E.SslHandshakeFailedError);

  // abort() while paused ends the attempt.
  const aborted = new QWebSocket();
  aborted.setSslConfiguration(trustingTestCa());
  aborted.setPauseMode(QAbstractSocket.PauseMode.PauseOnSslErrors);
  const paused2 = nextEvent(aborted, "sslErrors");
  const end2 = disconnected(aborted);
  aborted.open(`wss://localhost:${server.port}`);
  await within(paused2, "sslErrors");
  aborted.abort();
  await end2;
  assert.equal(aborted.state(), QAbstractSocket.SocketState.UnconnectedState);
  await server.close();
});

Deno.test("Qt QSslConfiguration::setAllowedNextProtocols: ALPN is offered and nextNegotiatedProtocol() tells the server's choice", async () => {
  let serverAlpn: string | null = "unset";
  const peer = rawPeer(
    async (conn) => {
      serverAlpn = (await (conn.conn as Deno.TlsConn).handshake()).alpnProtocol;
      await conn.handshake();
      const close = await conn.readFrame();
      await conn.write(serverFrame(0x8, close.payload));
    },
    1,
    {
      cert: fixtureText("server.crt"),
      key: fixtureText("server.key"),
      alpnProtocols: ["qtws-test", "http/1.1"],
    },
  );
  const socket = new QWebSocket();
  const config = trustingTestCa();
  config.setAllowedNextProtocols(["qtws-test"]);
  socket.setSslConfiguration(config);
  const connected = nextEvent(socket, "connected");
  const end = disconnected(socket);
  socket.open(`wss://localhost:${peer.port}`);
  await within(connected, "connected");
  assert.equal(serverAlpn, "qtws-test");
  assert.equal(socket.sslConfiguration().nextNegotiatedProtocol(), "qtws-test");
  assert.equal(config.nextNegotiatedProtocol(), "", "the caller's configuration is not changed");
  socket.close();
  await end;
  await peer.close();
});

Deno.test("Qt QWebSocket::handshakeInterruptedOnError: Deno cannot pause a TLS handshake, so it is never dispatched; sslErrors still is", async () => {
  const server = tlsServer("server");
  const socket = new QWebSocket();
  const config = QSslConfiguration.defaultConfiguration();
  config.setHandshakeMustInterruptOnError(true);
  assert.equal(config.handshakeMustInterruptOnError(), true);
  socket.setSslConfiguration(config);
  socket.addEventListener(
    "handshakeInterruptedOnError",
    () => socket.continueInterruptedHandshake(),
  );
  const log = new EventLog(socket);
  const end = disconnected(socket);
  socket.open(`wss://localhost:${server.port}`);
  await end;
  assert.deepEqual(log.only("handshakeInterruptedOnError", "alertSent", "alertReceived"), []);
  assert.deepEqual(log.only("sslErrors", "error"), [
    `sslErrors(${SslError.UnableToGetLocalIssuerCertificate})`,
    `error(${E.SslHandshakeFailedError})`,
  ]);
  socket.continueInterruptedHandshake(); // harmless at any time
  await server.close();
});
