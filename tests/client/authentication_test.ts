/**
 * PySide6 QWebSocket::authenticationRequired: a server that answers 401.
 * QWebSocket first connects without credentials, then retries with the
 * URL's user and password, then with what an `authenticationRequired`
 * listener fills in — checked by a raw server that reads the
 * `Authorization` header of each attempt.
 */

import assert from "node:assert/strict";
import { QAbstractSocket, type QAuthenticator, QWebSocket } from "../../mod.ts";
import {
  acceptFor,
  disconnected,
  EventLog,
  nextEvent,
  type RawConn,
  rawPeer,
  serverFrame,
  within,
} from "./_helpers.ts";

const basic = (user: string, password: string) =>
  "Basic " + btoa(String.fromCharCode(...new TextEncoder().encode(`${user}:${password}`)));

/** A server that accepts only `expected` and records every attempt's Authorization. */
function guardedServer(expected: string, attempts = 3) {
  const seen: Array<string | null> = [];
  const hosts: string[] = [];
  const peer = rawPeer(async (conn: RawConn) => {
    const request = await conn.readRequest();
    const authorization = request.headers.get("authorization") ?? null;
    seen.push(authorization);
    hosts.push(request.headers.get("host")!);
    if (authorization !== expected) {
      await conn.write(
        'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm="qtws tests", charset="UTF-8"\r\n' +
          "Content-Length: 0\r\n\r\n",
      );
      await conn.readToEnd();
      return;
    }
    await conn.write(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        `Sec-WebSocket-Accept: ${await acceptFor(
          request.headers.get("sec-websocket-key")!,
        )}\r\n\r\n`,
    );
    const close = await conn.readFrame();
    await conn.write(serverFrame(0x8, close.payload));
  }, attempts);
  return { peer, seen, hosts };
}

async function connectAndClose(socket: QWebSocket, url: string): Promise<void> {
  const connected = nextEvent(socket, "connected");
  socket.open(url);
  await within(connected, "connected after authentication");
  const end = disconnected(socket);
  socket.close();
  await end;
}

Deno.test("PySide6 QWebSocket::authenticationRequired: URL credentials are sent only after a first attempt without", async () => {
  const { peer, seen, hosts } = guardedServer(basic("alice", "s3cret wörd"), 2);
  const socket = new QWebSocket();
  const log = new EventLog(socket);
  await connectAndClose(socket, `ws://alice:s3cret%20w%C3%B6rd@127.0.0.1:${peer.port}/private`);
  assert.deepEqual(seen, [null, basic("alice", "s3cret wörd")]);
  assert.ok(hosts.every((h) => h === `127.0.0.1:${peer.port}`), "no credentials in Host");
  assert.deepEqual(log.only("authenticationRequired"), []);
  assert.deepEqual(log.only("stateChanged"), [
    "stateChanged(Connecting)",
    "stateChanged(Connected)",
    "stateChanged(Closing)",
    "stateChanged(Unconnected)",
  ]);
  await peer.close();
});

Deno.test("PySide6 QWebSocket::authenticationRequired: the listener fills in the authenticator and the server sees Basic credentials", async () => {
  const { peer, seen } = guardedServer(basic("bob", "hunter2"), 2);
  const socket = new QWebSocket();
  let asked: QAuthenticator | null = null;
  socket.addEventListener("authenticationRequired", (e) => {
    asked = e.authenticator;
    assert.equal(e.authenticator.realm(), "qtws tests");
    assert.equal(e.authenticator.option("charset"), "UTF-8", "the challenge's parameters");
    assert.equal(e.authenticator.isNull(), true);
    e.authenticator.setUser("bob");
    e.authenticator.setPassword("hunter2");
  });
  await connectAndClose(socket, `ws://127.0.0.1:${peer.port}`);
  assert.ok(asked !== null);
  assert.deepEqual(seen, [null, basic("bob", "hunter2")]);
  await peer.close();
});

Deno.test("PySide6 QWebSocket::authenticationRequired: refused URL credentials fall back to the listener", async () => {
  const { peer, seen } = guardedServer(basic("carol", "right"), 3);
  const socket = new QWebSocket();
  let calls = 0;
  socket.addEventListener("authenticationRequired", (e) => {
    calls++;
    e.authenticator.setUser("carol");
    e.authenticator.setPassword("right");
  });
  await connectAndClose(socket, `ws://carol:wrong@127.0.0.1:${peer.port}`);
  assert.equal(calls, 1);
  assert.deepEqual(seen, [null, basic("carol", "wrong"), basic("carol", "right")]);
  await peer.close();
});

Deno.test("PySide6 QWebSocket::authenticationRequired: no credentials, or refused ones, end in an error naming the 401", async () => {
  for (const fill of [false, true]) {
    const { peer, seen } = guardedServer(basic("dave", "x"), 2);
    const socket = new QWebSocket();
    socket.addEventListener("authenticationRequired", (e) => {
      if (fill) {
        e.authenticator.setUser("dave");
        e.authenticator.setPassword("wrong");
      }
    });
    const log = new EventLog(socket);
    const end = disconnected(socket);
    socket.open(`ws://127.0.0.1:${peer.port}`);
    await end;
    assert.equal(socket.error(), QAbstractSocket.SocketError.ConnectionRefusedError);
    assert.match(socket.errorString(), /401/);
    assert.deepEqual(log.only("authenticationRequired", "error", "disconnected"), [
      "authenticationRequired",
      "error(0)",
      "disconnected",
    ]);
    assert.equal(seen.length, fill ? 2 : 1);
    await peer.close(true);
  }
});
