/**
 * What the client does with what a server sends (RFC 6455 §5, §8), against
 * raw scripted TCP peers that write exact bytes: frame and message events,
 * automatic pongs, and every protocol error closing with the right code.
 */

import assert from "node:assert/strict";
import { QAbstractSocket, QWebSocket } from "../../mod.ts";
import {
  acceptFor,
  closePayload,
  concat,
  disconnected,
  EventLog,
  nextEvent,
  parseClose,
  rawPeer,
  serverFrame,
  within,
} from "./_helpers.ts";

const utf8 = (text: string) => new TextEncoder().encode(text);

Deno.test("RFC 6455 §5.4 client: frames and messages arrive as textFrameReceived/binaryFrameReceived then the message event", async () => {
  const peer = rawPeer(async (conn) => {
    await conn.handshake();
    await conn.write(concat(
      serverFrame(0x1, "Hel", false),
      serverFrame(0x9, "mid-message ping"), // RFC 6455 §5.4: control frames may interleave
      serverFrame(0x0, "lo", true),
      serverFrame(0x2, new Uint8Array([1, 2]), false),
      serverFrame(0x0, new Uint8Array([3]), false),
      serverFrame(0x0, new Uint8Array([]), true),
    ));
    const pong = await conn.readFrame();
    assert.equal(pong.opcode, 0xa, "the ping is answered with a pong");
    assert.equal(new TextDecoder().decode(pong.payload), "mid-message ping");
    const close = await conn.readFrame();
    assert.equal(close.opcode, 0x8);
    await conn.write(serverFrame(0x8, close.payload));
  });
  const socket = new QWebSocket();
  const log = new EventLog(socket);
  const frames: Array<[string, boolean]> = [];
  socket.addEventListener("textFrameReceived", (e) => frames.push([e.frame, e.isLastFrame]));
  let binary: Uint8Array | null = null;
  socket.addEventListener("binaryMessageReceived", (e) => {
    binary = e.message;
    socket.close();
  });
  const end = disconnected(socket);
  socket.open(peer.url);
  await end;
  assert.deepEqual(frames, [["Hel", false], ["lo", true]]);
  assert.deepEqual([...binary!], [1, 2, 3]);
  assert.deepEqual(
    log.only(
      "textFrameReceived",
      "textMessageReceived",
      "binaryFrameReceived",
      "binaryMessageReceived",
    ),
    [
      "textFrameReceived(3,false)",
      "textFrameReceived(2,true)",
      "textMessageReceived(5)",
      "binaryFrameReceived(2,false)",
      "binaryFrameReceived(1,false)",
      "binaryFrameReceived(0,true)",
      "binaryMessageReceived(3)",
    ],
  );
  await peer.close();
});

Deno.test("RFC 6455 §4.1 client: a first frame in the same packet as the 101 response is delivered", async () => {
  const peer = rawPeer(async (conn) => {
    const request = await conn.readRequest();
    const accept = await acceptFor(request.headers.get("sec-websocket-key")!);
    await conn.write(concat(
      utf8(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
          `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
      ),
      serverFrame(0x1, "welcome"),
      serverFrame(0x8, closePayload(1000, "bye")),
    ));
    const close = await conn.readFrame();
    assert.equal(parseClose(close.payload).code, 1000);
  });
  const socket = new QWebSocket();
  const log = new EventLog(socket);
  const message = nextEvent(socket, "textMessageReceived");
  const end = disconnected(socket);
  socket.open(peer.url);
  assert.equal((await within(message, "the first message")).message, "welcome");
  await end;
  assert.deepEqual(log.events, [
    "stateChanged(Connecting)",
    "stateChanged(Connected)",
    "connected",
    "textFrameReceived(7,true)",
    "textMessageReceived(7)",
    "aboutToClose",
    "stateChanged(Closing)",
    "readChannelFinished",
    "stateChanged(Unconnected)",
    "disconnected",
  ]);
  assert.equal(socket.closeCode(), 1000);
  assert.equal(socket.closeReason(), "bye");
  await peer.close();
});

Deno.test("RFC 6455 §5.5.2 client: a ping is answered with a masked pong carrying the same payload", async () => {
  const payload = new Uint8Array(125).map((_, i) => 255 - i);
  const peer = rawPeer(async (conn) => {
    await conn.handshake();
    await conn.write(serverFrame(0x9, payload));
    const pong = await conn.readFrame();
    assert.equal(pong.opcode, 0xa);
    assert.equal(pong.fin, true);
    assert.deepEqual([...pong.payload], [...payload]);
    await conn.write(serverFrame(0x8, closePayload(1000)));
    await conn.readFrame();
  });
  const socket = new QWebSocket();
  const end = disconnected(socket);
  socket.open(peer.url);
  await end;
  await peer.close();
});

/** Runs a peer that sends `bytes` after the handshake and returns the client's close frame. */
async function expectClientClose(
  bytes: Uint8Array | ((conn: import("./_helpers.ts").RawConn) => Promise<void>),
  configure?: (socket: QWebSocket) => void,
): Promise<{ code: number; reason: string; socket: QWebSocket; log: EventLog }> {
  let seen: { code: number; reason: string } | null = null;
  const peer = rawPeer(async (conn) => {
    await conn.handshake();
    if (typeof bytes === "function") await bytes(conn);
    else await conn.write(bytes);
    let frame = await conn.readFrame();
    while (frame.opcode !== 0x8) frame = await conn.readFrame();
    seen = parseClose(frame.payload);
    // RFC 6455 §7.1.1: after a failure the client may close TCP; we answer, then hang up.
    await conn.write(serverFrame(0x8, frame.payload)).catch(() => {});
  });
  const socket = new QWebSocket();
  configure?.(socket);
  const log = new EventLog(socket);
  const end = disconnected(socket);
  socket.open(peer.url);
  await end;
  await peer.close();
  assert.ok(seen !== null, "the peer saw a close frame");
  return { ...(seen as { code: number; reason: string }), socket, log };
}

Deno.test("RFC 6455 §5.1 client: a masked frame from the server closes with 1002", async () => {
  const masked = new Uint8Array([
    0x81,
    0x85,
    1,
    2,
    3,
    4,
    0x48 ^ 1,
    0x65 ^ 2,
    0x6c ^ 3,
    0x6c ^ 4,
    0x6f ^ 1,
  ]);
  const { code, reason, socket, log } = await expectClientClose(masked);
  assert.equal(code, 1002);
  assert.match(reason, /mask/i);
  assert.equal(socket.closeCode(), 1002);
  assert.ok(log.events.includes("aboutToClose"));
  assert.deepEqual(log.only("textMessageReceived"), [], "the frame was not delivered");
  assert.ok(log.events.indexOf("error(-1)") >= 0, "an error is reported");
  assert.match(socket.errorString(), /1002/);
});

Deno.test("RFC 6455 §5.2 client: RSV bits, unknown opcodes, bad control frames and stray continuations close with 1002", async () => {
  const cases: Array<[string, Uint8Array]> = [
    ["RSV1 without an extension", new Uint8Array([0xc1, 0x01, 0x61])],
    ["reserved opcode 0x3", new Uint8Array([0x83, 0x00])],
    ["reserved control opcode 0xB", new Uint8Array([0x8b, 0x00])],
    ["fragmented ping", new Uint8Array([0x09, 0x00])],
    ["126-byte ping", serverFrame(0x9, new Uint8Array(126))],
    ["continuation with nothing to continue", serverFrame(0x0, "x")],
    [
      "new text frame inside a fragmented message",
      concat(serverFrame(0x1, "a", false), serverFrame(0x1, "b")),
    ],
    ["1-byte close payload", new Uint8Array([0x88, 0x01, 0x03])],
    ["close code 1005 on the wire", serverFrame(0x8, closePayload(1005))],
    ["close code 999", serverFrame(0x8, closePayload(999))],
  ];
  for (const [what, bytes] of cases) {
    const { code } = await expectClientClose(bytes);
    assert.equal(code, 1002, what);
  }
});

Deno.test("RFC 6455 §8.1 client: invalid UTF-8 closes with 1007 as soon as it arrives, before the message ends", async () => {
  const { code, socket, log } = await expectClientClose(async (conn) => {
    // A 1000-byte text frame whose 5th byte can never be UTF-8; only 10 bytes sent.
    const header = new Uint8Array([0x81, 126, 1000 >> 8, 1000 & 0xff]);
    await conn.write(
      concat(header, new Uint8Array([0x61, 0x62, 0x63, 0x64, 0xff, 0x61, 0x62, 0x63, 0x64, 0x65])),
    );
    // expectClientClose reads the client's close frame next, while 990 bytes
    // are still owed: a client that waited for the whole frame would hang here.
  });
  assert.equal(code, 1007);
  assert.equal(socket.closeCode(), 1007);
  assert.deepEqual(log.only("textMessageReceived", "textFrameReceived"), []);
});

Deno.test("RFC 6455 §8.1 client: UTF-8 is checked across frame boundaries", async () => {
  // "€" is E2 82 AC: a frame ending in E2 82 is fine; the continuation must go on with AC.
  const good = await expectClientClose(
    concat(
      serverFrame(0x1, new Uint8Array([0x61, 0xe2, 0x82]), false),
      serverFrame(0x0, new Uint8Array([0xac]), true),
      serverFrame(0x8, closePayload(1000)),
    ),
    (socket) =>
      socket.addEventListener("textMessageReceived", (e) => assert.equal(e.message, "a€")),
  );
  assert.equal(good.code, 1000);
  assert.deepEqual(good.log.only("textMessageReceived"), ["textMessageReceived(2)"]);

  const bad = await expectClientClose(concat(
    serverFrame(0x1, new Uint8Array([0x61, 0xe2, 0x82]), false),
    serverFrame(0x0, new Uint8Array([0x41]), true),
  ));
  assert.equal(bad.code, 1007);

  const truncated = await expectClientClose(serverFrame(0x1, new Uint8Array([0x61, 0xe2, 0x82])));
  assert.equal(truncated.code, 1007, "a message may not end inside a character");

  const badReason = await expectClientClose(
    serverFrame(0x8, concat(closePayload(1000), new Uint8Array([0xc3]))),
  );
  assert.equal(badReason.code, 1007, "a close reason must be UTF-8 too");
});

Deno.test("Qt QWebSocket::setMaxAllowedIncomingFrameSize: a larger frame closes with 1009 from its header alone", async () => {
  const { code, socket, log } = await expectClientClose(
    // Announces 1 MiB but sends 3 bytes: the client must not wait for (or hold) the rest.
    concat(new Uint8Array([0x82, 127, 0, 0, 0, 0, 0, 0x10, 0, 0]), new Uint8Array([1, 2, 3])),
    (s) => {
      s.setMaxAllowedIncomingFrameSize(1000);
      assert.equal(s.maxAllowedIncomingFrameSize(), 1000);
    },
  );
  assert.equal(code, 1009);
  assert.equal(socket.closeCode(), 1009);
  assert.deepEqual(log.only("binaryFrameReceived", "binaryMessageReceived"), []);
});

Deno.test("Qt QWebSocket::setMaxAllowedIncomingMessageSize: a message growing past it closes with 1009 at the next header", async () => {
  const { code, log } = await expectClientClose(
    concat(
      serverFrame(0x2, new Uint8Array(600), false),
      new Uint8Array([0x80, 126, 600 >> 8, 600 & 0xff]), // announces 600 more: 1200 > 1000
    ),
    (s) => {
      s.setMaxAllowedIncomingMessageSize(1000);
      assert.equal(s.maxAllowedIncomingMessageSize(), 1000);
    },
  );
  assert.equal(code, 1009);
  assert.deepEqual(log.only("binaryMessageReceived"), []);
});

Deno.test("Qt QWebSocket limits: setters check their range and the static maxima", () => {
  const socket = new QWebSocket();
  assert.equal(socket.maxAllowedIncomingFrameSize(), QWebSocket.maxIncomingFrameSize());
  assert.equal(socket.maxAllowedIncomingMessageSize(), QWebSocket.maxIncomingMessageSize());
  assert.equal(socket.outgoingFrameSize(), 512 * 1024);
  assert.ok(QWebSocket.maxOutgoingFrameSize() >= 512 * 1024);
  assert.throws(() => socket.setMaxAllowedIncomingFrameSize(-1), RangeError);
  assert.throws(
    () => socket.setMaxAllowedIncomingFrameSize(QWebSocket.maxIncomingFrameSize() + 1),
    RangeError,
  );
  assert.throws(() => socket.setMaxAllowedIncomingMessageSize(1.5), RangeError);
  assert.throws(
    () => socket.setOutgoingFrameSize(QWebSocket.maxOutgoingFrameSize() + 1),
    RangeError,
  );
  socket.setOutgoingFrameSize(QWebSocket.maxOutgoingFrameSize());
  assert.equal(socket.outgoingFrameSize(), QWebSocket.maxOutgoingFrameSize());
});

Deno.test("RFC 6455 §7.1.5 client: a peer that drops without a close frame gives 1006 and RemoteHostClosedError", async () => {
  const peer = rawPeer(async (conn) => {
    await conn.handshake();
    await conn.write(serverFrame(0x1, "last words"));
  });
  const socket = new QWebSocket();
  const log = new EventLog(socket);
  const end = disconnected(socket);
  socket.open(peer.url);
  await end;
  await peer.close();
  assert.equal(socket.closeCode(), 1006);
  assert.equal(socket.error(), QAbstractSocket.SocketError.RemoteHostClosedError);
  assert.match(socket.errorString(), /without a closing handshake/);
  assert.deepEqual(log.events.slice(2), [
    "connected",
    "textFrameReceived(10,true)",
    "textMessageReceived(10)",
    "readChannelFinished",
    "error(1)",
    "errorOccurred(1)",
    "stateChanged(Unconnected)",
    "disconnected",
  ]);
});
