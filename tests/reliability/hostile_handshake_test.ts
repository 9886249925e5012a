/**
 * Named hostile opening handshakes against a live `QWebSocketServer`: a head
 * dripped one byte per 100 ms (dropped at the handshake timeout), endless
 * header lines and an endless line (431), and peers that vanish mid-handshake
 * with a FIN or a reset. Each ends with the right status or a dropped
 * connection, and the server keeps serving good clients meanwhile.
 *
 * @module
 */

import assert from "node:assert/strict";
import net from "node:net";
import {
  type EchoServer,
  goodClientRoundTrip,
  LongLivedClient,
  RawPeer,
  requestBytes,
  sleep,
  startEchoServer,
  statusOf,
  within,
} from "./_live.ts";

async function withServer(
  options: Parameters<typeof startEchoServer>[0],
  test: (server: EchoServer) => Promise<void>,
): Promise<void> {
  const server = startEchoServer(options);
  try {
    await test(server);
    await goodClientRoundTrip(server.url, "a good client after the hostile peer");
  } finally {
    await server.dispose();
  }
}

const KEY = "dGhlIHNhbXBsZSBub25jZQ==";

Deno.test("4.2 hostile: a head sent one byte per 100 ms is dropped at the handshake timeout while other clients are served", async () => {
  await withServer({ handshakeTimeout: 1000 }, async (server) => {
    // A client connected before the drip starts must outlive the timeout.
    const longLived = new LongLivedClient();
    await longLived.open(server.url);
    const request = requestBytes(KEY);
    const drippers = await Promise.all(
      Array.from({ length: 5 }, () => RawPeer.connect(server.port)),
    );
    try {
      const drips = drippers.map(async (peer) => {
        peer.startReading();
        let sent = 0;
        // The whole head would take 15 s at this rate; the timeout is 1 s.
        while (sent < request.length && !peer.ended) {
          if (!(await peer.write(request.subarray(sent, sent + 1)))) break;
          sent++;
          await sleep(100);
        }
        const received = await peer.readToEnd("the server to drop the slow client");
        return { sent, received };
      });
      // Good clients are served while the drip goes on.
      for (let i = 0; i < 3; i++) {
        await goodClientRoundTrip(server.url, `good client ${i} during the drip`);
        await longLived.roundTrip(`long-lived client during the drip, ${i}`);
      }
      for (const { sent, received } of await Promise.all(drips)) {
        assert.ok(sent < request.length, "the slow head was never completed");
        assert.equal(received.length, 0, "a dropped handshake gets no answer");
      }
      assert.equal(server.sockets.length, 4, "the long-lived and three good clients, no slow one");
      // Well past the handshake timeout, the upgraded connection still works.
      await longLived.roundTrip("long-lived client after the timeout");
    } finally {
      await Promise.all(drippers.map((p) => p.close()));
      await longLived.close();
    }
  });
});

async function sendUntilAnswered(
  peer: RawPeer,
  next: () => Uint8Array,
  limit: number,
): Promise<number> {
  peer.startReading();
  let sent = 0;
  while (sent < limit && !peer.ended && peer.received().length === 0) {
    const chunk = next();
    if (!(await peer.write(chunk))) break;
    sent += chunk.length;
  }
  await peer.closeWrite();
  const received = await peer.readToEnd("the server to refuse the head");
  return statusOf(received);
}

Deno.test("4.2 hostile: endless header lines get 431 once the head passes its limits", async () => {
  await withServer({}, async (server) => {
    // Endless short fields: refused at the 101st field.
    let peer = await RawPeer.connect(server.port);
    try {
      let i = 0;
      await peer.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n"));
      const status = await sendUntilAnswered(
        peer,
        () => new TextEncoder().encode(`X-Field-${i++}: v\r\n`),
        1 << 24,
      );
      assert.equal(status, 431);
    } finally {
      await peer.close();
    }
    // Endless long fields, each under the line limit: refused past 64 KiB.
    peer = await RawPeer.connect(server.port);
    try {
      let i = 0;
      await peer.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n"));
      const line = "v".repeat(8000);
      const status = await sendUntilAnswered(
        peer,
        () => new TextEncoder().encode(`X-${i++}: ${line}\r\n`),
        1 << 24,
      );
      assert.equal(status, 431);
    } finally {
      await peer.close();
    }
    // One endless line: refused past 8 KiB.
    peer = await RawPeer.connect(server.port);
    try {
      await peer.write(new TextEncoder().encode("GET / HTTP/1.1\r\nX-Endless: "));
      const status = await sendUntilAnswered(peer, () => new Uint8Array(1024).fill(0x61), 1 << 24);
      assert.equal(status, 431);
    } finally {
      await peer.close();
    }
  });
});

Deno.test("4.2 hostile: a peer that vanishes mid-handshake (FIN) is dropped without an answer", async () => {
  await withServer({}, async (server) => {
    const request = requestBytes(KEY);
    for (const cut of [1, 20, request.length - 3]) {
      const peer = await RawPeer.connect(server.port);
      try {
        await peer.write(request.subarray(0, cut));
        await peer.closeWrite();
        assert.equal((await peer.readToEnd("the server to drop the half request")).length, 0);
      } finally {
        await peer.close();
      }
    }
    assert.equal(server.sockets.length, 0);
  });
});

Deno.test("4.2 hostile: a peer that resets the connection mid-handshake (RST) is dropped and nobody else notices", async () => {
  await withServer({}, async (server) => {
    const longLived = new LongLivedClient();
    await longLived.open(server.url);
    try {
      for (let i = 0; i < 5; i++) {
        // Deno's own sockets cannot send a reset; node:net's resetAndDestroy() can.
        const socket = net.connect(server.port, "127.0.0.1");
        await within(
          new Promise((resolve, reject) => {
            socket.once("connect", resolve);
            socket.once("error", reject);
          }),
          "node:net to connect",
        );
        socket.write(new TextDecoder().decode(requestBytes(KEY).subarray(0, 30 + i)));
        await sleep(20);
        const closed = new Promise((resolve) => socket.once("close", resolve));
        socket.resetAndDestroy();
        await within(closed, "the reset socket to close");
      }
      await longLived.roundTrip("after the resets");
      assert.equal(server.sockets.length, 1, "only the long-lived client was accepted");
    } finally {
      await longLived.close();
    }
  });
});
