/**
 * Peers that leave badly, in both roles: a half-close (TCP FIN without a close
 * frame) between frames, mid-frame and right after a message, and a reset
 * (RST) mid-frame or mid-handshake. Each ends as RFC 6455 §7.1.5 says (close
 * code 1006, `RemoteHostClosedError`), in bounded time, without losing what
 * was already queued, and without disturbing other connections.
 *
 * @module
 */

import assert from "node:assert/strict";
import { QAbstractSocket, QWebSocket } from "../../mod.ts";
import {
  clientFrame,
  type EchoServer,
  goodClientRoundTrip,
  LongLivedClient,
  RawPeer,
  RawServer,
  requestBytes,
  serverFrame,
  serverFrames,
  sleep,
  startEchoServer,
  within,
} from "./_live.ts";
import { Prng } from "./_prng.ts";

const RemoteHostClosedError = QAbstractSocket.SocketError.RemoteHostClosedError;

async function withServer(test: (server: EchoServer) => Promise<void>): Promise<void> {
  const server = startEchoServer();
  const longLived = new LongLivedClient();
  try {
    await longLived.open(server.url);
    await test(server);
    await longLived.roundTrip("the long-lived client after the hostile peer");
    await goodClientRoundTrip(server.url, "a good client after the hostile peer");
  } finally {
    await longLived.close();
    await server.dispose();
  }
}

/** The server's socket for the raw peer: the last one accepted. */
function lastSocket(server: EchoServer) {
  return server.sockets.at(-1)!;
}

Deno.test("7.1.5 hostile: a peer that half-closes between frames ends with 1006 and RemoteHostClosedError, promptly", async () => {
  await withServer(async (server) => {
    const peer = await RawPeer.connect(server.port);
    try {
      await peer.handshake(new Prng(20));
      await peer.closeWrite();
      const received = await peer.readToEnd("the server to end its side too");
      assert.equal(serverFrames(received).frames.length, 0, "no close frame after an abnormal end");
      const record = lastSocket(server);
      await within(record.done, "the server socket to disconnect");
      assert.equal(record.socket.closeCode(), 1006);
      assert.deepEqual(record.errors, [RemoteHostClosedError]);
    } finally {
      await peer.close();
    }
  });
});

Deno.test("7.1.5 hostile: a peer that half-closes mid-frame ends with 1006 and the partial frame is dropped", async () => {
  await withServer(async (server) => {
    const peer = await RawPeer.connect(server.port);
    try {
      await peer.handshake(new Prng(21));
      const frame = clientFrame(0x1, "x".repeat(1000));
      await peer.write(frame.subarray(0, 500));
      await peer.closeWrite();
      await peer.readToEnd("the server to end its side too");
      const record = lastSocket(server);
      await within(record.done, "the server socket to disconnect");
      assert.equal(record.socket.closeCode(), 1006);
      assert.equal(record.messages, 0);
      assert.deepEqual(record.errors, [RemoteHostClosedError]);
    } finally {
      await peer.close();
    }
  });
});

Deno.test("7.1.5 hostile: a peer that half-closes right after a message still gets the echo: nothing queued is lost", async () => {
  await withServer(async (server) => {
    const peer = await RawPeer.connect(server.port);
    try {
      await peer.handshake(new Prng(22));
      await peer.write(clientFrame(0x1, "last words"));
      await peer.closeWrite();
      const received = await peer.readToEnd("the echo and the end");
      const frames = serverFrames(received).frames;
      assert.equal(frames.length, 1);
      assert.equal(new TextDecoder().decode(frames[0]!.payload), "last words");
    } finally {
      await peer.close();
    }
  });
});

Deno.test("7.1.5 hostile: a peer that resets mid-frame ends with 1006 and RemoteHostClosedError", async () => {
  await withServer(async (server) => {
    // No reader: the 101 and the pong stay unread, so close() sends a reset.
    const peer = RawPeer.wrap(await Deno.connect({ hostname: "127.0.0.1", port: server.port }));
    try {
      await peer.write(requestBytes("dGhlIHNhbXBsZSBub25jZQ=="));
      await peer.write(clientFrame(0x9, "leave this pong unread"));
      await peer.write(clientFrame(0x2, new Uint8Array(5000)).subarray(0, 2000));
      await within(
        (async () => {
          while (server.sockets.length < 2) await sleep(10);
        })(),
        "the server to accept the peer",
      );
      await sleep(100);
    } finally {
      await peer.close();
    }
    const record = lastSocket(server);
    await within(record.done, "the server socket to disconnect");
    assert.equal(record.socket.closeCode(), 1006);
    assert.equal(record.messages, 0);
    assert.deepEqual(record.errors, [RemoteHostClosedError]);
  });
});

// --- the client's side: a server that leaves badly -----------------------------------

async function withClient(
  test: (
    raw: RawServer,
    socket: QWebSocket,
    errors: number[],
    done: Promise<void>,
  ) => Promise<void>,
): Promise<void> {
  const raw = new RawServer();
  const socket = new QWebSocket();
  const errors: number[] = [];
  socket.addEventListener("error", (e) => errors.push(e.error));
  const done = new Promise<void>((r) =>
    socket.addEventListener("disconnected", () => r(), { once: true })
  );
  try {
    socket.open(raw.url);
    await test(raw, socket, errors, done);
  } finally {
    socket.abort();
    await within(done, "the client to disconnect");
    raw.close();
  }
}

Deno.test("7.1.5 hostile client side: a server that half-closes after the handshake ends the client with 1006 and RemoteHostClosedError", async () => {
  await withClient(async (raw, socket, errors, done) => {
    const messages: string[] = [];
    socket.addEventListener("textMessageReceived", (e) => messages.push(e.message));
    const peer = await raw.accept();
    try {
      await peer.acceptHandshake();
      await peer.write(serverFrame(0x1, "one message, then FIN"));
      await peer.closeWrite();
      await within(done, "the client to disconnect");
      assert.deepEqual(messages, ["one message, then FIN"]);
      assert.equal(socket.closeCode(), 1006);
      assert.deepEqual(errors, [RemoteHostClosedError]);
      await peer.readToEnd("the client to close its side");
    } finally {
      await peer.close();
    }
  });
});

Deno.test("7.1.5 hostile client side: a server that resets mid-frame ends the client with 1006 and RemoteHostClosedError", async () => {
  await withClient(async (raw, socket, errors, done) => {
    const peer = await raw.accept();
    try {
      await peer.acceptHandshake();
      await within(
        new Promise((r) => socket.addEventListener("connected", r, { once: true })),
        "the client to connect",
      );
      // The client's message stays unread here, so close() sends a reset.
      socket.sendTextMessage("unread");
      await peer.write(serverFrame(0x2, new Uint8Array(3000)).subarray(0, 1000));
      await sleep(100);
    } finally {
      await peer.close();
    }
    await within(done, "the client to disconnect");
    assert.equal(socket.closeCode(), 1006);
    assert.deepEqual(errors, [RemoteHostClosedError]);
  });
});

Deno.test("4.1 hostile client side: a server that vanishes mid-handshake (FIN after half a 101, or a reset) fails the opening with an error", async () => {
  for (const how of ["half head, FIN", "reset before answering"]) {
    await withClient(async (raw, socket, errors, done) => {
      const peer = await raw.accept();
      try {
        if (how === "half head, FIN") {
          await peer.waitFor((b) => b.length > 0, "the client's request");
          await peer.write(new TextEncoder().encode("HTTP/1.1 101 Switching Protocols\r\nUpgr"));
          await peer.closeWrite();
        } else {
          // Never read the request: closing with it unread sends a reset.
          await sleep(100);
        }
      } finally {
        await peer.close();
      }
      await within(done, `the client to give up (${how})`);
      assert.equal(errors.length, 1, how);
      assert.equal(socket.state(), QAbstractSocket.SocketState.UnconnectedState);
      assert.notEqual(socket.errorString(), "", how);
    });
  }
});
