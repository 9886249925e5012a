/**
 * One connect/disconnect cycle against an echo server, in one of several
 * ways a connection ends: a clean close from either side, an abort from
 * either side, a raw peer that vanishes, an opening cancelled at once, and a
 * refused handshake. Every cycle waits until both ends have let go.
 *
 * @module
 */

import assert from "node:assert/strict";
import { QWebSocket } from "../../mod.ts";
import {
  clientFrame,
  type EchoServer,
  headEnd,
  RawPeer,
  requestBytes,
  statusOf,
  within,
} from "./_live.ts";

/** The ways a cycle ends. */
export const CYCLE_KINDS = [
  "client close",
  "server close",
  "client abort",
  "server abort",
  "raw peer vanishes",
  "opening cancelled",
  "handshake refused",
] as const;

/** One of {@linkcode CYCLE_KINDS}. */
export type CycleKind = typeof CYCLE_KINDS[number];

const KEY = "dGhlIHNhbXBsZSBub25jZQ==";

/** Runs one cycle of `kind`; resolves once both ends are disconnected. */
export async function connectCycle(server: EchoServer, kind: CycleKind): Promise<void> {
  if (kind === "raw peer vanishes" || kind === "handshake refused") {
    const peer = await RawPeer.connect(server.port);
    const before = server.sockets.length;
    try {
      if (kind === "handshake refused") {
        await peer.write(requestBytes(KEY).subarray(0, 40));
        await peer.write(new TextEncoder().encode("\r\n\r\n"));
        await peer.closeWrite();
        assert.equal(statusOf(await peer.readToEnd("the refusal")), 400);
        return;
      }
      await peer.write(requestBytes(KEY));
      await peer.write(clientFrame(0x1, "bye"));
      await peer.waitFor(
        (b) => headEnd(b) !== -1 && b.length >= headEnd(b) + 5,
        "the 101 and the echo",
      );
    } finally {
      await peer.close();
    }
    const record = server.sockets[before];
    if (record !== undefined) await within(record.done, "the server socket to let go");
    return;
  }

  const socket = new QWebSocket();
  const done = new Promise<void>((r) =>
    socket.addEventListener("disconnected", () => r(), { once: true })
  );
  if (kind === "opening cancelled") {
    socket.open(server.url);
    socket.close();
    await within(done, "the cancelled opening to end");
    return;
  }
  const connected = new Promise<void>((r) =>
    socket.addEventListener("connected", () => r(), { once: true })
  );
  const echoed = new Promise<void>((r) =>
    socket.addEventListener("textMessageReceived", () => r(), { once: true })
  );
  const before = server.sockets.length;
  socket.open(server.url);
  try {
    await within(connected, `${kind}: connecting`);
    socket.sendTextMessage("hello");
    await within(echoed, `${kind}: the echo`);
  } catch (error) {
    socket.abort();
    await within(done, "the failed client to let go");
    throw error;
  }
  // The echo proves the server's socket exists: it is the one added for us.
  const record = server.sockets[before]!;
  switch (kind) {
    case "client close":
      socket.close();
      break;
    case "server close":
      record.socket.close();
      break;
    case "client abort":
      socket.abort();
      break;
    case "server abort":
      record.socket.abort();
      break;
  }
  await within(Promise.all([done, record.done]), `${kind}: both ends to let go`);
  if (kind === "client close" || kind === "server close") {
    assert.equal(socket.closeCode(), 1000, `${kind}: ${socket.closeReason()}`);
  }
}
