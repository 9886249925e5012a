/**
 * Client certificates (QSslConfiguration.setLocalCertificate + setPrivateKey)
 * against a server that requires one. Deno.listenTls cannot ask for client
 * certificates, so the server is Debian's python3 `ssl` module running
 * python-websockets (tests/fixtures/python/mtls_echo_server.py), started and
 * stopped by the test.
 */

import assert from "node:assert/strict";
import {
  QAbstractSocket,
  QSslCertificate,
  QSslConfiguration,
  QSslKey,
  QWebSocket,
} from "../../mod.ts";
import { disconnected, EventLog, fixture, fixtureText, nextEvent, within } from "./_helpers.ts";

const PYTHON = "/usr/bin/python3";

/** Whether python3 with python-websockets is here; on CI its absence fails the test. */
async function havePeer(): Promise<boolean> {
  let ok = false;
  try {
    const { success } = await new Deno.Command(PYTHON, {
      args: ["-c", "import ssl, websockets"],
      stdout: "null",
      stderr: "null",
    }).output();
    ok = success;
  } catch {
    ok = false;
  }
  if (ok) return true;
  const message =
    `${PYTHON} with python3-websockets is missing (apt-get install -y python3-websockets)`;
  if (Deno.env.get("CI") === "true") throw new Error(message);
  console.warn(`SKIPPED: mutual TLS tests: ${message}`);
  return false;
}

/** Starts the mutual-TLS echo server; returns its port and a stop function. */
async function startServer(): Promise<{ port: number; stop: () => Promise<string> }> {
  const child = new Deno.Command(PYTHON, {
    args: [
      new URL("../fixtures/python/mtls_echo_server.py", import.meta.url).pathname,
      fixture(""),
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const stop = async () => {
    await reader.cancel().catch(() => {});
    try {
      child.kill("SIGTERM");
    } catch {
      // Exited already.
    }
    await child.status;
    return await stderr;
  };
  try {
    while (!text.includes("\n")) {
      const { value, done } = await within(reader.read(), "the python server's port");
      if (done) break;
      text += value;
    }
    const port = Number(text.trim());
    if (!Number.isInteger(port) || port <= 0) {
      throw new Error(`the python server did not start: ${await stop()}`);
    }
    return { port, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function clientConfiguration(withCertificate: boolean): QSslConfiguration {
  const config = QSslConfiguration.defaultConfiguration();
  config.setCaCertificates(QSslCertificate.fromPath(fixture("ca.crt")));
  if (withCertificate) {
    config.setLocalCertificate(QSslCertificate.fromPath(fixture("client.crt"))[0]!);
    config.setPrivateKey(new QSslKey(fixtureText("client.key")));
  }
  return config;
}

Deno.test("Qt QSslConfiguration::setLocalCertificate/setPrivateKey: a server that requires a client certificate sees ours", async () => {
  if (!(await havePeer())) return;
  const server = await startServer();
  try {
    const socket = new QWebSocket();
    socket.setSslConfiguration(clientConfiguration(true));
    assert.equal(socket.sslConfiguration().localCertificate().isNull(), false);
    const greeting = nextEvent(socket, "textMessageReceived");
    socket.open(`wss://localhost:${server.port}`);
    assert.equal((await within(greeting, "the server's greeting")).message, "cn:qtws test client");
    const echo = nextEvent(socket, "textMessageReceived");
    socket.sendTextMessage("mutual");
    assert.equal((await within(echo, "the echo")).message, "mutual");
    const end = disconnected(socket);
    socket.close();
    await end;
    assert.equal(socket.closeCode(), 1000);
  } finally {
    await server.stop();
  }
});

Deno.test("Qt QWebSocket: without a client certificate the mutual-TLS server refuses the handshake", async () => {
  if (!(await havePeer())) return;
  const server = await startServer();
  try {
    const socket = new QWebSocket();
    socket.setSslConfiguration(clientConfiguration(false));
    const log = new EventLog(socket);
    const end = disconnected(socket);
    socket.open(`wss://localhost:${server.port}`);
    await end;
    assert.deepEqual(log.only("connected"), [], "never connected");
    assert.equal(socket.error(), QAbstractSocket.SocketError.SslHandshakeFailedError);
    assert.match(socket.errorString(), /certificate/i);
  } finally {
    await server.stop();
  }
});
