/**
 * RFC 6455 §4.1: every way the client's opening phase can fail gives
 * `error` and `errorOccurred` with the fitting Qt socket error, a clear
 * `errorString()`, then `disconnected` — against raw scripted TCP peers.
 */

import assert from "node:assert/strict";
import { QAbstractSocket, QNetworkRequest, QWebSocket } from "../../mod.ts";
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

const E = QAbstractSocket.SocketError;

/** Opens `target` and waits for the end; checks the failure's event sequence. */
async function expectFailure(
  target: string | URL | QNetworkRequest,
  error: QAbstractSocket.SocketError,
  configure?: (socket: QWebSocket) => void,
): Promise<{ socket: QWebSocket; log: EventLog }> {
  const socket = new QWebSocket();
  configure?.(socket);
  const log = new EventLog(socket);
  const end = disconnected(socket, "disconnected after the failure");
  socket.open(target);
  await end;
  assert.deepEqual(log.only("error", "errorOccurred", "disconnected"), [
    `error(${error})`,
    `errorOccurred(${error})`,
    "disconnected",
  ]);
  assert.equal(socket.error(), error);
  assert.equal(socket.state(), QAbstractSocket.SocketState.UnconnectedState);
  assert.notEqual(socket.errorString(), "");
  return { socket, log };
}

/** A peer that reads the request and answers with `response(request key)`. */
function answering(response: (accept: string, key: string) => string) {
  return rawPeer(async (conn: RawConn) => {
    const request = await conn.readRequest();
    const key = request.headers.get("sec-websocket-key")!;
    await conn.write(response(await acceptFor(key), key));
    await conn.readToEnd();
  });
}

Deno.test("RFC 6455 §4.1 client: a refused TCP connection gives ConnectionRefusedError", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const { socket, log } = await expectFailure(`ws://127.0.0.1:${port}`, E.ConnectionRefusedError);
  assert.match(socket.errorString(), new RegExp(`refused.*127\\.0\\.0\\.1:${port}`, "i"));
  assert.deepEqual(log.events, [
    "stateChanged(Connecting)",
    "error(0)",
    "errorOccurred(0)",
    "stateChanged(Unconnected)",
    "disconnected",
  ]);
});

Deno.test("RFC 6455 §4.1 client: an unknown host gives HostNotFoundError", async () => {
  const { socket } = await expectFailure("ws://no-such-host.invalid:80/", E.HostNotFoundError);
  assert.match(socket.errorString(), /no-such-host\.invalid/);
});

Deno.test("Qt QWebSocket::open: a URL with CR or LF gives ConnectionRefusedError before connecting", async () => {
  let connections = 0;
  const peer = rawPeer(() => {
    connections++;
    return Promise.resolve();
  });
  const targets = [
    `${peer.url}/a\r\nX-Injected: 1`,
    `${peer.url}/a\nb`,
    new QNetworkRequest(`${peer.url}/?q=1\r\nX-Injected: 1`),
  ];
  for (const target of targets) {
    const { socket, log } = await expectFailure(target, E.ConnectionRefusedError);
    assert.match(socket.errorString(), /line break/);
    assert.deepEqual(log.events, ["error(0)", "errorOccurred(0)", "disconnected"]);
  }
  await peer.close();
  assert.equal(connections, 0, "nothing reached the server");
});

Deno.test("Qt QWebSocket::open: a scheme other than ws, wss, http or https gives ConnectionRefusedError", async () => {
  for (const url of ["ftp://127.0.0.1:1/", "file:///etc/passwd", "not a url"]) {
    const { socket } = await expectFailure(url, E.ConnectionRefusedError);
    assert.match(socket.errorString(), /scheme|Invalid URL/);
  }
});

Deno.test("Qt QWebSocket(origin): an origin with a line break is refused in the handshake phase", async () => {
  const heads: string[] = [];
  const peer = rawPeer(async (conn) => {
    heads.push(new TextDecoder().decode(await conn.readToEnd()));
  });
  const socket = new QWebSocket("https://a.example\r\nX-Injected: 1");
  const log = new EventLog(socket);
  const end = disconnected(socket);
  socket.open(peer.url);
  await end;
  assert.equal(socket.error(), E.ConnectionRefusedError);
  assert.match(socket.errorString(), /Origin/);
  assert.deepEqual(log.only("error", "errorOccurred", "disconnected"), [
    "error(0)",
    "errorOccurred(0)",
    "disconnected",
  ]);
  await peer.close();
  assert.ok(heads.every((h) => !h.includes("X-Injected")), "no injected header was sent");
});

Deno.test("RFC 6455 §4.1 client: a status other than 101 gives ConnectionRefusedError naming status and reason", async () => {
  const peer = answering(() => "HTTP/1.1 403 Go Away\r\nContent-Length: 0\r\n\r\n");
  const { socket } = await expectFailure(peer.url, E.ConnectionRefusedError);
  assert.match(socket.errorString(), /403/);
  assert.match(socket.errorString(), /Go Away/);
  await peer.close();
});

Deno.test("RFC 6455 §4.1 client: a wrong Sec-WebSocket-Accept fails the connection", async () => {
  const peer = answering(() =>
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
  );
  const { socket } = await expectFailure(peer.url, E.ConnectionRefusedError);
  assert.match(socket.errorString(), /Sec-WebSocket-Accept/);
  await peer.close();
});

Deno.test("RFC 6455 §4.1 client: a 101 without Upgrade: websocket or Connection: Upgrade fails", async () => {
  for (
    const [headers, pattern] of [
      ["Connection: Upgrade\r\n", /Upgrade: websocket/],
      ["Upgrade: websocket\r\nConnection: keep-alive\r\n", /Connection: Upgrade/],
    ] as const
  ) {
    const peer = answering((accept) =>
      `HTTP/1.1 101 Switching Protocols\r\n${headers}Sec-WebSocket-Accept: ${accept}\r\n\r\n`
    );
    const { socket } = await expectFailure(peer.url, E.ConnectionRefusedError);
    assert.match(socket.errorString(), pattern);
    await peer.close();
  }
});

Deno.test("RFC 6455 §4.1 client: a subprotocol that was not offered fails the connection", async () => {
  const peer = answering((accept) =>
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
    `Sec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Protocol: evil\r\n\r\n`
  );
  const { socket } = await expectFailure(peer.url, E.ConnectionRefusedError);
  assert.match(socket.errorString(), /subprotocol "evil"/);
  assert.equal(socket.subprotocol(), "");
  await peer.close();
});

Deno.test("RFC 6455 §4.1 client: an extension that was not offered fails the connection", async () => {
  const peer = answering((accept) =>
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
    // permessage-deflate is offered by default (tests/deflate/): answer with another one.
    `Sec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Extensions: x-webkit-deflate-frame\r\n\r\n`
  );
  const { socket } = await expectFailure(peer.url, E.ConnectionRefusedError);
  assert.match(socket.errorString(), /extension x-webkit-deflate-frame was not offered/);
  await peer.close();
});

Deno.test("RFC 6455 §4.1 client: a response head that never ends is bounded by the handshake timeout", async () => {
  const peer = rawPeer(async (conn) => {
    await conn.readRequest();
    await conn.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n");
    await conn.readToEnd(); // until the client gives up
  });
  const { socket } = await expectFailure(peer.url, E.SocketTimeoutError, (s) => {
    s.setHandshakeTimeout(300);
    assert.equal(s.handshakeTimeoutMS(), 300);
  });
  assert.match(socket.errorString(), /timed out after 300 ms/);
  await peer.close();
});

Deno.test("RFC 6455 §4.1 client: a peer that accepts TCP but never starts TLS is bounded too", async () => {
  const peer = rawPeer(async (conn) => {
    await conn.readToEnd(); // swallows the ClientHello, answers nothing
  });
  const { socket } = await expectFailure(`wss://127.0.0.1:${peer.port}`, E.SocketTimeoutError, (
    s,
  ) => s.setHandshakeTimeout(300));
  assert.match(socket.errorString(), /timed out/);
  // Deno's TlsConn.close() lets a pending handshake finish (denoland/deno#14547),
  // so the TCP socket is released only when this peer hangs up.
  await peer.close(true);
});

Deno.test("RFC 6455 §4.1 client: a response head over the size limit fails without growing forever", async () => {
  const peer = rawPeer(async (conn) => {
    await conn.readRequest();
    await conn.write("HTTP/1.1 101 Switching Protocols\r\n");
    const line = `X-Filler: ${"a".repeat(4000)}\r\n`;
    try {
      for (let i = 0; i < 40; i++) await conn.write(line); // 160 KB, never "\r\n\r\n"
    } catch {
      // The client hung up once the limit was passed.
    }
    await conn.readToEnd().catch(() => {});
  });
  const { socket } = await expectFailure(peer.url, E.ConnectionRefusedError);
  assert.match(socket.errorString(), /head|large|limit|bytes/i);
  await peer.close();
});

Deno.test("RFC 6455 §4.1 client: a server that closes during the handshake gives RemoteHostClosedError", async () => {
  const peer = rawPeer(async (conn) => {
    await conn.readRequest();
  });
  const { socket } = await expectFailure(peer.url, E.RemoteHostClosedError);
  assert.match(socket.errorString(), /closed the connection before/);
  await peer.close();
});

Deno.test("Qt QWebSocket::close/abort while connecting: cancels the opening, disconnected without error", async () => {
  for (const how of ["close", "abort"] as const) {
    const peer = rawPeer(async (conn) => {
      await conn.readRequest();
      await conn.readToEnd();
    });
    const socket = new QWebSocket();
    const log = new EventLog(socket);
    const end = disconnected(socket);
    socket.open(peer.url);
    socket[how]();
    await end;
    assert.deepEqual(log.events, [
      "stateChanged(Connecting)",
      "stateChanged(Unconnected)",
      "disconnected",
    ]);
    assert.equal(socket.errorString(), "");
    await peer.close();
  }
});

Deno.test("Qt QWebSocket::open: percent-encoded line breaks stay encoded on the wire", async () => {
  const lines: string[] = [];
  const peer = rawPeer(async (conn) => {
    const request = await conn.handshake();
    lines.push(request.line);
    const close = await conn.readFrame();
    await conn.write(serverFrame(0x8, close.payload));
  });
  const socket = new QWebSocket();
  const connected = nextEvent(socket, "connected");
  socket.open(`${peer.url}/notes?text=line1%0D%0Aline2`);
  await within(connected, "connected");
  const end = disconnected(socket);
  socket.close();
  await end;
  await peer.close();
  assert.deepEqual(lines, ["GET /notes?text=line1%0D%0Aline2 HTTP/1.1"]);
});

Deno.test("Qt QWebSocket::open: an invalid URL on a connected socket reports an error and keeps the connection", async () => {
  const peer = rawPeer(async (conn) => {
    await conn.handshake();
    const close = await conn.readFrame();
    await conn.write(serverFrame(0x8, close.payload));
  });
  const socket = new QWebSocket();
  const connected = nextEvent(socket, "connected");
  socket.open(peer.url);
  await within(connected, "connected");
  const log = new EventLog(socket);
  const error = nextEvent(socket, "error");
  socket.open("gopher://127.0.0.1/");
  await within(error, "error");
  assert.equal(socket.state(), QAbstractSocket.SocketState.ConnectedState);
  assert.deepEqual(log.events, ["error(0)", "errorOccurred(0)"]);
  const end = disconnected(socket);
  socket.close();
  await end;
  await peer.close();
});

Deno.test("Qt QWebSocket::open: opening a connected socket drops the old connection without events and connects anew", async () => {
  let first: Uint8Array | null = null;
  const peer = rawPeer(async (conn, index) => {
    await conn.handshake();
    if (index === 0) {
      first = await conn.readToEnd(); // the old connection is dropped: no close frame
      return;
    }
    const close = await conn.readFrame();
    await conn.write(serverFrame(0x8, close.payload));
  }, 2);
  const socket = new QWebSocket();
  const connected = nextEvent(socket, "connected");
  socket.open(peer.url);
  await within(connected, "first connection");
  const log = new EventLog(socket);
  const again = nextEvent(socket, "connected");
  socket.open(`${peer.url}/second`);
  await within(again, "second connection");
  assert.equal(socket.resourceName(), "/second");
  const end = disconnected(socket);
  socket.close();
  await end;
  await peer.close();
  assert.deepEqual(log.events, [
    "stateChanged(Connecting)",
    "stateChanged(Connected)",
    "connected",
    "aboutToClose",
    "stateChanged(Closing)",
    "readChannelFinished",
    "stateChanged(Unconnected)",
    "disconnected",
  ]);
  assert.equal(first!.length, 0);
});

Deno.test("Qt QWebSocket: open() again from an error or disconnected listener retries cleanly", async () => {
  const peer = rawPeer(async (conn, index) => {
    if (index < 2) {
      await conn.readRequest(); // refused twice with 503
      await conn.write("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    await conn.handshake();
    const close = await conn.readFrame();
    await conn.write(serverFrame(0x8, close.payload));
  }, 3);
  const socket = new QWebSocket();
  const log = new EventLog(socket);
  let errors = 0;
  socket.addEventListener("error", () => {
    if (++errors === 1) socket.open(peer.url); // retry from the error signal
  });
  let disconnects = 0;
  socket.addEventListener("disconnected", () => {
    if (++disconnects === 1) socket.open(peer.url); // and once more from disconnected
  });
  const connected = nextEvent(socket, "connected");
  socket.open(peer.url);
  await within(connected, "connected on the third attempt");
  const end = disconnected(socket);
  socket.close();
  await end;
  await peer.close();
  assert.deepEqual(log.events, [
    "stateChanged(Connecting)",
    "error(0)", // first attempt: the listener's open() takes over at once
    "error(0)",
    "errorOccurred(0)",
    "stateChanged(Unconnected)",
    "disconnected",
    "stateChanged(Connecting)",
    "stateChanged(Connected)",
    "connected",
    "aboutToClose",
    "stateChanged(Closing)",
    "readChannelFinished",
    "stateChanged(Unconnected)",
    "disconnected",
  ]);
});
