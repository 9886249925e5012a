/**
 * Qt's handshake timeout (`setHandshakeTimeout`, default 10 s, negative
 * disables): a client that has not finished its opening handshake in time
 * is dropped, and the server keeps serving everybody else meanwhile.
 */

import assert from "node:assert/strict";
import { QWebSocket } from "../../mod.ts";
import {
  acceptHead,
  delay,
  disconnected,
  echoEveryClient,
  listeningServer,
  nextClient,
  nextEvent,
  RawClient,
  upgradeRequest,
  within,
} from "./_helpers.ts";

// A client that is served completely while the slow ones wait.
async function echoOnce(url: URL): Promise<string> {
  await using socket = new QWebSocket();
  const echo = nextEvent<Event & { message: string }>(socket, "textMessageReceived");
  socket.addEventListener("connected", () => socket.sendTextMessage("served meanwhile"));
  socket.open(url);
  return (await echo).message;
}

Deno.test("QWebSocketServer::setHandshakeTimeout: a slow peer (a byte per 100 ms) is dropped while another client is served", async () => {
  await using server = listeningServer();
  server.setHandshakeTimeout(600);
  const sockets = echoEveryClient(server);
  let errors = 0;
  server.addEventListener("serverError", () => errors++);

  using slow = await RawClient.connect(server);
  const request = upgradeRequest();
  // Write a byte every 100 ms until the server drops the connection.
  const trickling = (async () => {
    try {
      for (let i = 0; i < request.length; i++) {
        await slow.conn.write(new TextEncoder().encode(request[i]));
        await delay(100);
      }
      return "sent all";
    } catch {
      return "dropped";
    }
  })();
  assert.equal(await echoOnce(server.serverUrl()!), "served meanwhile");
  // The server ends the stream without answering anything.
  assert.equal((await slow.readToEnd()).length, 0);
  slow.close();
  assert.equal(await within(trickling, "the slow writer to stop"), "dropped");
  assert.equal(server.hasPendingConnections(), false);
  // A timeout is not a handshake error in Qt: no serverError.
  assert.equal(errors, 0);
  for (const socket of sockets) await within(socket[Symbol.asyncDispose](), "disconnect");
});

Deno.test("QWebSocketServer::setHandshakeTimeout: a peer that sends nothing is dropped", async () => {
  await using server = listeningServer();
  server.setHandshakeTimeout(300);
  const sockets = echoEveryClient(server);
  using silent = await RawClient.connect(server);
  assert.equal(await echoOnce(server.serverUrl()!), "served meanwhile");
  assert.equal((await silent.readToEnd()).length, 0);
  for (const socket of sockets) await within(socket[Symbol.asyncDispose](), "disconnect");
});

Deno.test("QWebSocketServer::setHandshakeTimeout: a negative timeout disables it", async () => {
  await using server = listeningServer();
  server.setHandshakeTimeout(-1);
  using client = await RawClient.connect(server);
  const request = upgradeRequest();
  await client.write(request.slice(0, 20));
  // Long enough that a timer armed with the negative value would have fired.
  await delay(500);
  await client.write(request.slice(20));
  assert.equal(await client.readHead(), acceptHead());
  await disconnected(await nextClient(server), client);
});

Deno.test("QWebSocketServer::setHandshakeTimeout: the timeout ends with the handshake; an idle connection stays", async () => {
  await using server = listeningServer();
  server.setHandshakeTimeout(200);
  const sockets = echoEveryClient(server);
  await using socket = new QWebSocket();
  const connected = nextEvent(socket, "connected");
  socket.open(server.serverUrl()!);
  await connected;
  // Idle for longer than the handshake timeout, then still usable.
  await delay(600);
  const echo = nextEvent<Event & { message: string }>(socket, "textMessageReceived");
  socket.sendTextMessage("still here");
  assert.equal((await echo).message, "still here");
  socket.close();
  for (const peer of sockets) await within(peer[Symbol.asyncDispose](), "disconnect");
});
