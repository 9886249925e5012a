// The server's opening handshake (RFC 6455 §4.2): reading the client's request,
// choosing a subprotocol, and the exact bytes of the 101 and of each refusal.

import assert from "node:assert/strict";
import {
  buildAcceptResponse,
  buildRejectResponse,
  chooseSubprotocol,
  type ClientRequest,
  computeAcceptKey,
  HandshakeError,
  HeaderList,
  HttpHeadParser,
  parseClientRequest,
} from "../../lib/protocol/mod.ts";

const KEY = "dGhlIHNhbXBsZSBub25jZQ==";
const ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

const GOOD_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ["Host", "server.example.com"],
  ["Upgrade", "websocket"],
  ["Connection", "Upgrade"],
  ["Sec-WebSocket-Key", KEY],
  ["Sec-WebSocket-Version", "13"],
];

function latin1(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes);
}

/** The good request with `name` replaced by `values` (none: removed). */
function withHeader(name: string, ...values: string[]): [string, string][] {
  const headers: [string, string][] = GOOD_HEADERS.filter(([n]) => n !== name).map((
    [n, v],
  ) => [n, v]);
  for (const value of values) headers.push([name, value]);
  return headers;
}

function parse(
  headers: ReadonlyArray<readonly [string, string]>,
  startLine = "GET /chat HTTP/1.1",
): ClientRequest {
  return parseClientRequest({ startLine, headers: new HeaderList(headers) });
}

function refusal(
  headers: ReadonlyArray<readonly [string, string]>,
  startLine = "GET /chat HTTP/1.1",
): HandshakeError {
  try {
    parse(headers, startLine);
  } catch (error) {
    assert.ok(error instanceof HandshakeError, `expected a HandshakeError, got ${error}`);
    return error;
  }
  assert.fail("expected parseClientRequest to refuse");
}

Deno.test("1.3 the sample client request parses into its parts", () => {
  const head = new HttpHeadParser().push(
    new TextEncoder().encode(
      "GET /chat HTTP/1.1\r\n" +
        "Host: server.example.com\r\n" +
        "Upgrade: websocket\r\n" +
        "Connection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
        "Origin: http://example.com\r\n" +
        "Sec-WebSocket-Protocol: chat, superchat\r\n" +
        "Sec-WebSocket-Version: 13\r\n" +
        "\r\n",
    ),
  )!;
  const request = parseClientRequest(head);
  assert.deepEqual({ ...request, headers: undefined }, {
    method: "GET",
    target: "/chat",
    host: "server.example.com",
    key: KEY,
    version: 13,
    protocols: ["chat", "superchat"],
    extensions: "",
    origin: "http://example.com",
    headers: undefined,
  });
  assert.equal(request.headers, head.headers);
});

Deno.test("4.2.1 point 1 a method other than GET gets 400 with Allow: GET", () => {
  for (const method of ["POST", "get", "HEAD", "CONNECT"]) {
    const error = refusal(GOOD_HEADERS, `${method} /chat HTTP/1.1`);
    assert.equal(error.status, 400, method);
    assert.deepEqual(error.headers, [["Allow", "GET"]]);
    assert.match(error.message, new RegExp(`must be GET, not ${method}`));
  }
});

Deno.test("4.2.1 point 1 a request older than HTTP/1.1, or a malformed request line, gets 400", () => {
  for (
    const line of ["GET /chat HTTP/1.0", "GET /chat", "GET  /chat HTTP/1.1", "GET /chat HTTP/1.1 x"]
  ) {
    const error = refusal(GOOD_HEADERS, line);
    assert.equal(error.status, 400, line);
    assert.deepEqual(error.headers, []);
  }
  assert.equal(parse(GOOD_HEADERS, "GET /chat HTTP/2.0").version, 13);
});

Deno.test("4.2.1 point 1 the target is a path with query, or a ws/http URL whose path is taken", () => {
  assert.equal(parse(GOOD_HEADERS, "GET /a/b?x=1&y=%20 HTTP/1.1").target, "/a/b?x=1&y=%20");
  assert.equal(parse(GOOD_HEADERS, "GET / HTTP/1.1").target, "/");
  const absolute = parse(GOOD_HEADERS, "GET ws://other.example:9000/chat?x=1 HTTP/1.1");
  assert.equal(absolute.target, "/chat?x=1");
  // RFC 9112 §3.2.2: the authority of an absolute-form target wins over Host.
  assert.equal(absolute.host, "other.example:9000");
  assert.equal(parse(GOOD_HEADERS, "GET WSS://h HTTP/1.1").target, "/");
  assert.equal(parse(GOOD_HEADERS, "GET http://h?q HTTP/1.1").target, "/?q");
  assert.equal(parse(GOOD_HEADERS, "GET https://h/%7Euser HTTP/1.1").target, "/%7Euser");
});

Deno.test("4.2.1 point 1 other request-target forms get 400", () => {
  for (
    const target of [
      "*",
      "chat",
      "server.example.com:80",
      "ftp://h/chat",
      "/chat#frag",
      "ws://h/chat#frag",
      "ws://user:pw@h/chat",
      "ws://",
      "ws://[::1/",
    ]
  ) {
    const error = refusal(GOOD_HEADERS, `GET ${target} HTTP/1.1`);
    assert.equal(error.status, 400, target);
  }
});

Deno.test("4.2.1 point 2 a request without exactly one non-empty Host gets 400", () => {
  assert.match(refusal(withHeader("Host")).message, /no Host header/);
  assert.match(refusal(withHeader("Host", "a", "b")).message, /exactly one non-empty Host/);
  assert.equal(refusal(withHeader("Host", "")).status, 400);
  assert.equal(parse(withHeader("Host", "[::1]:8080")).host, "[::1]:8080");
});

Deno.test("4.2.1 point 3 Upgrade must hold the token websocket, in any case", () => {
  const missing = refusal(withHeader("Upgrade"));
  assert.equal(missing.status, 400);
  assert.match(missing.message, /no "Upgrade: websocket" header \(Upgrade: absent\)/);
  assert.match(refusal(withHeader("Upgrade", "h2c")).message, /\(Upgrade: "h2c"\)/);
  assert.equal(refusal(withHeader("Upgrade", "websockets")).status, 400);
  for (const value of ["WebSocket", "WEBSOCKET", "h2c, websocket"]) {
    assert.equal(parse(withHeader("Upgrade", value)).version, 13, value);
  }
});

Deno.test("4.2.1 point 4 Connection must list the token upgrade, in any case", () => {
  for (
    const values of [["Upgrade"], ["upgrade"], ["UPGRADE"], ["keep-alive, Upgrade"], [
      "keep-alive",
      "Upgrade",
    ]]
  ) {
    assert.equal(parse(withHeader("Connection", ...values)).version, 13, values.join(" + "));
  }
  for (const values of [[], ["keep-alive"], ["upgraded"], ["close"], [""]]) {
    const error = refusal(withHeader("Connection", ...values));
    assert.equal(error.status, 400, values.join(" + "));
    assert.match(error.message, /Connection header does not include "Upgrade"/);
  }
});

Deno.test("4.2.1 point 5 a missing or repeated Sec-WebSocket-Key gets 400", () => {
  assert.match(refusal(withHeader("Sec-WebSocket-Key")).message, /no Sec-WebSocket-Key/);
  assert.match(
    refusal(withHeader("Sec-WebSocket-Key", KEY, KEY)).message,
    /more than one Sec-WebSocket-Key/,
  );
});

Deno.test("4.2.1 point 5 a key that does not decode to 16 bytes gets 400", () => {
  for (
    const key of [
      "",
      "c2hvcnQ=",
      "AAAAAAAAAAAAAAAAAAAAAAA=",
      "dGhlIHNhbXBsZSBub25jZQ",
      "dGhlIHNhbXBsZSBub25jZ$==",
    ]
  ) {
    const error = refusal(withHeader("Sec-WebSocket-Key", key));
    assert.equal(error.status, 400, key);
    assert.match(error.message, /is not base64 of 16 bytes/);
  }
});

Deno.test("4.2.1 point 6 a missing Sec-WebSocket-Version gets 400", () => {
  const error = refusal(withHeader("Sec-WebSocket-Version"));
  assert.equal(error.status, 400);
  assert.deepEqual(error.headers, []);
  assert.match(error.message, /no Sec-WebSocket-Version/);
});

Deno.test("4.4 a version other than 13 gets 426 with Sec-WebSocket-Version: 13", () => {
  for (const values of [["8"], ["7, 8"], ["12"], ["13a"], [""], ["8", "7"]]) {
    const error = refusal(withHeader("Sec-WebSocket-Version", ...values));
    assert.equal(error.status, 426, values.join(" + "));
    assert.deepEqual(error.headers, [["Sec-WebSocket-Version", "13"]]);
    assert.match(error.message, /this server speaks version 13/);
  }
  // A list that includes 13 is served with 13.
  assert.equal(parse(withHeader("Sec-WebSocket-Version", "8, 13")).version, 13);
  assert.equal(parse(withHeader("Sec-WebSocket-Version", "8", "13")).version, 13);
});

Deno.test("4.2.1 checks run in order: method, target, Host, Upgrade, Connection, key, version", () => {
  // Each step fixes one more header of an entirely wrong request.
  const wrong: [string, string][] = [
    ["Upgrade", "h2c"],
    ["Connection", "close"],
    ["Sec-WebSocket-Key", "bad"],
    ["Sec-WebSocket-Version", "8"],
  ];
  assert.match(refusal(wrong, "POST * HTTP/1.1").message, /must be GET/);
  assert.match(refusal(wrong, "GET * HTTP/1.1").message, /request target "\*"/);
  assert.match(refusal(wrong).message, /no Host/);
  const host: [string, string] = ["Host", "h"];
  assert.match(refusal([host, ...wrong]).message, /Upgrade/);
  assert.match(refusal([host, ["Upgrade", "websocket"], ...wrong.slice(1)]).message, /Connection/);
  assert.match(
    refusal([host, ["Upgrade", "websocket"], ["Connection", "upgrade"], ...wrong.slice(2)]).message,
    /Sec-WebSocket-Key "bad"/,
  );
  assert.equal(
    refusal([
      host,
      ["Upgrade", "websocket"],
      ["Connection", "upgrade"],
      ["Sec-WebSocket-Key", KEY],
      wrong[3],
    ])
      .status,
    426,
  );
});

Deno.test("4.2.1 point 8 subprotocols come from every Sec-WebSocket-Protocol field, in order, as sent", () => {
  const request = parse([
    ...GOOD_HEADERS,
    ["Sec-WebSocket-Protocol", " chat ,\tSuperChat, ,"],
    ["sec-websocket-protocol", "chat"],
  ]);
  assert.deepEqual(request.protocols, ["chat", "SuperChat", "chat"]);
  assert.deepEqual(parse(GOOD_HEADERS).protocols, []);
  assert.deepEqual(parse([...GOOD_HEADERS, ["Sec-WebSocket-Protocol", ""]]).protocols, []);
});

Deno.test("4.2.1 point 8 a subprotocol that is not a token gets 400", () => {
  for (const value of ["chat room", "chat;v=1", "a/b", '"chat"']) {
    const error = refusal([...GOOD_HEADERS, ["Sec-WebSocket-Protocol", value]]);
    assert.equal(error.status, 400, value);
    assert.match(error.message, /is not a valid token/);
  }
});

Deno.test("4.2.1 point 9 extensions come back raw, joined across fields", () => {
  assert.equal(parse(GOOD_HEADERS).extensions, "");
  assert.equal(
    parse([
      ...GOOD_HEADERS,
      ["Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits"],
      ["Sec-WebSocket-Extensions", "x-test"],
    ]).extensions,
    "permessage-deflate; client_max_window_bits, x-test",
  );
});

Deno.test("4.2.1 point 7 the origin comes from Origin, else the legacy Sec-WebSocket-Origin", () => {
  assert.equal(parse(GOOD_HEADERS).origin, "");
  assert.equal(parse([...GOOD_HEADERS, ["Origin", "https://a"]]).origin, "https://a");
  assert.equal(parse([...GOOD_HEADERS, ["Sec-WebSocket-Origin", "https://b"]]).origin, "https://b");
  assert.equal(
    parse([...GOOD_HEADERS, ["Sec-WebSocket-Origin", "https://b"], ["Origin", "https://a"]]).origin,
    "https://a",
  );
});

Deno.test("4.2.2 the subprotocol chosen is the client's first offer the server supports", () => {
  assert.equal(chooseSubprotocol(["chat", "superchat"], ["superchat", "chat"]), "chat");
  assert.equal(chooseSubprotocol(["v3", "v2", "v1"], ["v1", "v2"]), "v2");
  assert.equal(chooseSubprotocol(["v3"], ["v1", "v2"]), "");
  assert.equal(chooseSubprotocol([], ["v1"]), "");
  assert.equal(chooseSubprotocol(["v1"], []), "");
  assert.equal(chooseSubprotocol(["Chat"], ["chat"]), "", "names are case-sensitive");
});

Deno.test("1.3 the sample 101 response is built byte for byte", async () => {
  const bytes = buildAcceptResponse({ accept: await computeAcceptKey(KEY), protocol: "chat" });
  assert.equal(
    latin1(bytes),
    "HTTP/1.1 101 Switching Protocols\r\n" +
      "Upgrade: websocket\r\n" +
      "Connection: Upgrade\r\n" +
      "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" +
      "Sec-WebSocket-Protocol: chat\r\n" +
      "\r\n",
  );
});

Deno.test("4.2.2 the 101 carries extensions and Server only when given, then extra headers", () => {
  assert.equal(
    latin1(buildAcceptResponse({ accept: ACCEPT, protocol: "", extensions: "", serverName: "" })),
    "HTTP/1.1 101 Switching Protocols\r\n" +
      "Upgrade: websocket\r\n" +
      "Connection: Upgrade\r\n" +
      `Sec-WebSocket-Accept: ${ACCEPT}\r\n` +
      "\r\n",
  );
  assert.equal(
    latin1(
      buildAcceptResponse({
        accept: ACCEPT,
        protocol: "v2",
        extensions: "permessage-deflate; server_no_context_takeover",
        serverName: "Echo Server",
        headers: [
          ["Set-Cookie", "id=1"],
          ["upgrade", "h2c"],
          ["CONNECTION", "close"],
          ["Sec-WebSocket-Accept", "x"],
          ["Sec-WebSocket-Protocol", "x"],
          ["Sec-WebSocket-Extensions", "x"],
          ["Content-Length", "5"],
          ["Transfer-Encoding", "chunked"],
          ["Server", "other"],
          ["X-Extra", "y"],
        ],
      }),
    ),
    "HTTP/1.1 101 Switching Protocols\r\n" +
      "Upgrade: websocket\r\n" +
      "Connection: Upgrade\r\n" +
      `Sec-WebSocket-Accept: ${ACCEPT}\r\n` +
      "Sec-WebSocket-Protocol: v2\r\n" +
      "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n" +
      "Server: Echo Server\r\n" +
      "Set-Cookie: id=1\r\n" +
      "X-Extra: y\r\n" +
      "\r\n",
  );
  // Without a server name, an extra Server header goes out.
  assert.ok(
    latin1(buildAcceptResponse({ accept: ACCEPT, headers: [["Server", "other"]] }))
      .endsWith("\r\nServer: other\r\n\r\n"),
  );
});

Deno.test("4.2.2 the Server name loses CR, LF and NUL instead of injecting headers", () => {
  const text = latin1(
    buildAcceptResponse({ accept: ACCEPT, serverName: "Evil\r\nSet-Cookie: x\0" }),
  );
  assert.ok(text.includes("\r\nServer: EvilSet-Cookie: x\r\n"));
  assert.ok(!text.includes("\r\nSet-Cookie"));
  // Characters with no ISO-8859-1 byte become "?"; Latin-1 ones stay one byte.
  const bytes = buildAcceptResponse({ accept: ACCEPT, serverName: "Caf\xe9 \u4e2d" });
  assert.ok(latin1(bytes).includes("\r\nServer: Caf\xe9 ?\r\n"));
  assert.equal(
    latin1(buildAcceptResponse({ accept: ACCEPT, serverName: "\r\n" })).includes("Server"),
    false,
  );
});

Deno.test("4.2.2 a bad accept value, subprotocol or header is refused with 500 before building", () => {
  const cases: [Parameters<typeof buildAcceptResponse>[0], RegExp][] = [
    [{ accept: "short" }, /is not a Sec-WebSocket-Accept value/],
    [{ accept: ACCEPT + "\r\nX: y" }, /is not a Sec-WebSocket-Accept value/],
    [{ accept: ACCEPT, protocol: "a b" }, /subprotocol "a b" is not a token/],
    [
      { accept: ACCEPT, extensions: "x\r\nSet-Cookie: y" },
      /Sec-WebSocket-Extensions value contains a line break/,
    ],
    [
      { accept: ACCEPT, headers: [["X-A", "1\n2"]] },
      /value of the header "X-A" contains a line break/,
    ],
    [{ accept: ACCEPT, headers: [["X A", "1"]] }, /header name "X A" is not a token/],
  ];
  for (const [options, message] of cases) {
    assert.throws(() => buildAcceptResponse(options), (error: unknown) => {
      assert.ok(error instanceof HandshakeError);
      assert.equal(error.status, 500);
      assert.match(error.message, message);
      return true;
    });
  }
});

Deno.test("4.2.2 refusals 400, 403, 431 and 503 are built byte for byte", () => {
  const expected: [number, string, string][] = [
    [400, "Bad Request", "This is not a valid WebSocket handshake request.\n"],
    [403, "Forbidden", "This origin is not allowed to open a WebSocket here.\n"],
    [431, "Request Header Fields Too Large", "The handshake request head is too large.\n"],
    [
      503,
      "Service Unavailable",
      "The server cannot accept more WebSocket connections now; try again later.\n",
    ],
    [404, "Not Found", "There is no WebSocket endpoint at this path.\n"],
    [405, "Method Not Allowed", "A WebSocket handshake must use the GET method.\n"],
    [500, "Internal Server Error", "The server failed while answering the handshake.\n"],
  ];
  for (const [status, reason, body] of expected) {
    assert.equal(
      latin1(buildRejectResponse(status)),
      `HTTP/1.1 ${status} ${reason}\r\n` +
        "Content-Type: text/plain; charset=utf-8\r\n" +
        `Content-Length: ${body.length}\r\n` +
        "Connection: close\r\n" +
        "\r\n" +
        body,
    );
  }
});

Deno.test("4.4 the 426 refusal carries Upgrade (RFC 9110 §15.5.22) and Sec-WebSocket-Version: 13, once", () => {
  const expected = "HTTP/1.1 426 Upgrade Required\r\n" +
    "Content-Type: text/plain; charset=utf-8\r\n" +
    "Content-Length: 46\r\n" +
    "Connection: close\r\n" +
    "Upgrade: websocket\r\n" +
    "Sec-WebSocket-Version: 13\r\n" +
    "\r\n" +
    "This server only speaks WebSocket version 13.\n";
  assert.equal(latin1(buildRejectResponse(426)), expected);
  // The headers of the HandshakeError that caused it do not repeat the field.
  const error = refusal(withHeader("Sec-WebSocket-Version", "8"));
  const text = latin1(buildRejectResponse(error.status, { headers: error.headers }));
  assert.equal(text.match(/Sec-WebSocket-Version/g)?.length, 1);
  assert.ok(text.includes("\r\nSec-WebSocket-Version: 13\r\n"));
});

Deno.test("4.2.2 a refusal takes extra headers, a UTF-8 body and a server name", () => {
  const error = refusal(GOOD_HEADERS, "POST /chat HTTP/1.1");
  const body = "Méthode refusée\n";
  const bytes = buildRejectResponse(error.status, {
    headers: error.headers,
    body,
    serverName: "Echo\r\n",
  });
  const bodyBytes = new TextEncoder().encode(body);
  const head = "HTTP/1.1 400 Bad Request\r\n" +
    "Server: Echo\r\n" +
    "Content-Type: text/plain; charset=utf-8\r\n" +
    `Content-Length: ${bodyBytes.length}\r\n` +
    "Connection: close\r\n" +
    "Allow: GET\r\n" +
    "\r\n";
  assert.equal(bodyBytes.length, 18);
  assert.deepEqual(
    bytes,
    new Uint8Array([...head].map((c) => c.charCodeAt(0)).concat(...bodyBytes)),
  );
});

Deno.test("4.2.2 a refusal's framing headers cannot be overridden; Content-Type can", () => {
  const text = latin1(
    buildRejectResponse(403, {
      body: "<p>no</p>",
      headers: [
        ["Content-Type", "text/html"],
        ["Content-Length", "999"],
        ["Transfer-Encoding", "chunked"],
        ["connection", "keep-alive"],
        ["Server", "x"],
      ],
      serverName: "S",
    }),
  );
  assert.equal(
    text,
    "HTTP/1.1 403 Forbidden\r\n" +
      "Server: S\r\n" +
      "Content-Length: 9\r\n" +
      "Connection: close\r\n" +
      "Content-Type: text/html\r\n" +
      "\r\n" +
      "<p>no</p>",
  );
});

Deno.test("4.2.2 a refusal with an unknown status has an empty reason; a non-status throws", () => {
  assert.equal(
    latin1(buildRejectResponse(599)),
    "HTTP/1.1 599 \r\n" +
      "Content-Type: text/plain; charset=utf-8\r\n" +
      "Content-Length: 4\r\n" +
      "Connection: close\r\n" +
      "\r\n" +
      "599\n",
  );
  assert.ok(latin1(buildRejectResponse(429)).endsWith("\r\n\r\n429 Too Many Requests\n"));
  for (const status of [99, 600, 400.5, Number.NaN]) {
    assert.throws(() => buildRejectResponse(status), RangeError);
  }
  assert.throws(() => buildRejectResponse(400, { headers: [["X", "a\r\nb"]] }), { status: 500 });
});

Deno.test("4.2.2 the 101 accepts what the client's 4.1 check recomputes", async () => {
  // The accept value is derived from the key the request carried, not a constant.
  const key = "AQIDBAUGBwgJCgsMDQ4PEA==";
  const request = parse(withHeader("Sec-WebSocket-Key", key));
  const text = latin1(buildAcceptResponse({ accept: await computeAcceptKey(request.key) }));
  assert.ok(text.includes("\r\nSec-WebSocket-Accept: C/0nmHhBztSRGR1CwL6Tf4ZjwpY=\r\n"));
});
