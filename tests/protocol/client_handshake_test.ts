// The client's opening handshake (RFC 6455 §4.1): the request it sends and the
// checks the server's response must pass.

import assert from "node:assert/strict";
import {
  buildAcceptResponse,
  buildClientRequest,
  type ClientHandshakeOptions,
  computeAcceptKey,
  HandshakeError,
  HeaderList,
  type HttpHead,
  HttpHeadParser,
  parseClientRequest,
  validateServerResponse,
} from "../../lib/protocol/mod.ts";

const KEY = "dGhlIHNhbXBsZSBub25jZQ==";
const ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

function latin1(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes);
}

function requestText(options: Partial<ClientHandshakeOptions> & { url: URL }): string {
  return latin1(buildClientRequest({ key: KEY, ...options }).bytes);
}

/** The request's header lines (without the start line), as text. */
function headerLines(options: Partial<ClientHandshakeOptions> & { url: URL }): string[] {
  return requestText(options).split("\r\n").slice(1, -2);
}

function buildError(options: ClientHandshakeOptions): HandshakeError {
  try {
    buildClientRequest(options);
  } catch (error) {
    assert.ok(error instanceof HandshakeError, `expected a HandshakeError, got ${error}`);
    return error;
  }
  assert.fail("expected buildClientRequest to throw");
}

function response(startLine: string, headers: [string, string][]): HttpHead {
  return { startLine, headers: new HeaderList(headers) };
}

const GOOD_101: [string, string][] = [
  ["Upgrade", "websocket"],
  ["Connection", "Upgrade"],
  ["Sec-WebSocket-Accept", ACCEPT],
];

async function validationError(
  head: HttpHead,
  protocols: string[] = [],
  extensions?: string,
): Promise<HandshakeError> {
  try {
    await validateServerResponse(head, { key: KEY, protocols, extensions });
  } catch (error) {
    assert.ok(error instanceof HandshakeError, `expected a HandshakeError, got ${error}`);
    return error;
  }
  assert.fail("expected validateServerResponse to reject");
}

Deno.test("1.3 the sample client request is built byte for byte", () => {
  const request = buildClientRequest({
    url: new URL("ws://server.example.com/chat"),
    origin: "http://example.com",
    protocols: ["chat", "superchat"],
    key: KEY,
  });
  assert.equal(
    latin1(request.bytes),
    "GET /chat HTTP/1.1\r\n" +
      "Host: server.example.com\r\n" +
      "Upgrade: websocket\r\n" +
      "Connection: Upgrade\r\n" +
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
      "Sec-WebSocket-Version: 13\r\n" +
      "Origin: http://example.com\r\n" +
      "Sec-WebSocket-Protocol: chat, superchat\r\n" +
      "\r\n",
  );
  assert.equal(request.key, KEY);
  assert.deepEqual(request.protocols, ["chat", "superchat"]);
  assert.equal(request.extensions, "");
});

Deno.test("4.1 without a key option each request carries a fresh valid key", () => {
  const url = new URL("ws://localhost/");
  const a = buildClientRequest({ url });
  const b = buildClientRequest({ url });
  assert.notEqual(a.key, b.key);
  assert.equal(atob(a.key).length, 16);
  assert.ok(latin1(a.bytes).includes(`\r\nSec-WebSocket-Key: ${a.key}\r\n`));
});

Deno.test("4.1 a key option that is not base64 of 16 bytes is refused", () => {
  const error = buildError({ url: new URL("ws://h/"), key: "c2hvcnQ=" });
  assert.equal(error.status, 0);
  assert.match(error.message, /not base64 of 16 bytes/);
});

Deno.test("4.1 point 3 the request target is the path and query, '/' when empty, never the fragment", () => {
  assert.ok(requestText({ url: new URL("ws://h") }).startsWith("GET / HTTP/1.1\r\n"));
  assert.ok(requestText({ url: new URL("ws://h?x=1") }).startsWith("GET /?x=1 HTTP/1.1\r\n"));
  assert.ok(
    requestText({ url: new URL("ws://h/a/b?x=1&y=%20#frag") })
      .startsWith("GET /a/b?x=1&y=%20 HTTP/1.1\r\n"),
  );
  assert.ok(!requestText({ url: new URL("ws://h/#frag") }).includes("frag"));
});

Deno.test("4.1 point 4 Host carries the port only when it is not the scheme's default", () => {
  const host = (url: string) => headerLines({ url: new URL(url) })[0];
  assert.equal(host("ws://example.com:80/"), "Host: example.com");
  assert.equal(host("wss://example.com:443/"), "Host: example.com");
  assert.equal(host("http://example.com:80/"), "Host: example.com");
  assert.equal(host("https://example.com/"), "Host: example.com");
  assert.equal(host("ws://example.com:443/"), "Host: example.com:443");
  assert.equal(host("wss://example.com:80/"), "Host: example.com:80");
  assert.equal(host("ws://127.0.0.1:8080/"), "Host: 127.0.0.1:8080");
  assert.equal(host("ws://[::1]:9000/"), "Host: [::1]:9000");
  assert.equal(host("wss://[2001:db8::1]/"), "Host: [2001:db8::1]");
});

Deno.test("4.1 point 4 user information in the URL is never sent", () => {
  const text = requestText({ url: new URL("ws://user:secret@example.com/") });
  assert.ok(!text.includes("secret"));
  assert.ok(text.includes("\r\nHost: example.com\r\n"));
});

Deno.test("3 a scheme other than ws, wss, http or https is refused", () => {
  for (const url of ["ftp://example.com/", "file:///tmp/x", "data:text/plain,x"]) {
    const error = buildError({ url: new URL(url) });
    assert.equal(error.status, 0);
    assert.match(error.message, /Unsupported URL scheme/);
  }
});

Deno.test("4.1 Origin, protocols and extensions are sent only when given, in that order", () => {
  assert.deepEqual(headerLines({ url: new URL("ws://h/") }), [
    "Host: h",
    "Upgrade: websocket",
    "Connection: Upgrade",
    `Sec-WebSocket-Key: ${KEY}`,
    "Sec-WebSocket-Version: 13",
  ]);
  assert.deepEqual(
    headerLines({
      url: new URL("ws://h/"),
      origin: "",
      protocols: [],
      extensions: "",
    }).length,
    5,
  );
  assert.deepEqual(
    headerLines({
      url: new URL("ws://h/"),
      extensions: "permessage-deflate; client_max_window_bits",
      protocols: ["v1"],
      origin: "https://h",
    }).slice(5),
    [
      "Origin: https://h",
      "Sec-WebSocket-Protocol: v1",
      "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits",
    ],
  );
  assert.equal(
    buildClientRequest({ url: new URL("ws://h/"), extensions: "permessage-deflate" }).extensions,
    "permessage-deflate",
  );
});

Deno.test("4.1 extra headers follow the handshake headers; ones that would override it are dropped", () => {
  const lines = headerLines({
    url: new URL("ws://h/"),
    headers: [
      ["Authorization", "Bearer abc"],
      ["HOST", "evil.example"],
      ["upgrade", "h2c"],
      ["Connection", "close"],
      ["Sec-WebSocket-Key", "AAAAAAAAAAAAAAAAAAAAAA=="],
      ["sec-websocket-version", "8"],
      ["Sec-WebSocket-Accept", "x"],
      ["Sec-WebSocket-Extensions", "x-evil"],
      ["X-Trace", "1"],
      ["X-Trace", "2"],
    ],
  });
  assert.deepEqual(lines, [
    "Host: h",
    "Upgrade: websocket",
    "Connection: Upgrade",
    `Sec-WebSocket-Key: ${KEY}`,
    "Sec-WebSocket-Version: 13",
    "Authorization: Bearer abc",
    "X-Trace: 1",
    "X-Trace: 2",
  ]);
});

Deno.test("4.1 an extra Origin header is sent unless the origin option is set", () => {
  const url = new URL("ws://h/");
  assert.deepEqual(headerLines({ url, headers: [["Origin", "https://a"]] }).slice(5), [
    "Origin: https://a",
  ]);
  assert.deepEqual(
    headerLines({ url, origin: "https://b", headers: [["origin", "https://a"]] }).slice(5),
    ["Origin: https://b"],
  );
});

Deno.test("4.1 point 10 an extra Sec-WebSocket-Protocol header is merged into the offer, without duplicates", () => {
  const request = buildClientRequest({
    url: new URL("ws://h/"),
    key: KEY,
    protocols: ["chat", "v2"],
    headers: [["Sec-WebSocket-Protocol", "v2, superchat,  ,v3"], [
      "sec-websocket-protocol",
      "chat",
    ]],
  });
  assert.deepEqual(request.protocols, ["chat", "v2", "superchat", "v3"]);
  const lines = latin1(request.bytes).split("\r\n");
  assert.deepEqual(lines.filter((l) => /^sec-websocket-protocol:/i.test(l)), [
    "Sec-WebSocket-Protocol: chat, v2, superchat, v3",
  ]);
  assert.deepEqual(
    buildClientRequest({ url: new URL("ws://h/"), protocols: ["a", "a"] }).protocols,
    ["a"],
  );
});

Deno.test("4.1 point 10 a subprotocol that is not a token is refused", () => {
  for (const protocol of ["", "chat room", "a,b", "a;b", "caf\xe9", "a/b", '"q"']) {
    const error = buildError({ url: new URL("ws://h/"), protocols: [protocol] });
    assert.equal(error.status, 0, JSON.stringify(protocol));
    assert.match(error.message, /not a valid token/, JSON.stringify(protocol));
  }
  const fromHeader = buildError({
    url: new URL("ws://h/"),
    headers: [["Sec-WebSocket-Protocol", "ok, not ok"]],
  });
  assert.match(fromHeader.message, /"not ok" is not a valid token/);
});

Deno.test("4.1 header injection: CR, LF or NUL in any field is refused and names the field", () => {
  const url = new URL("ws://h/");
  const cases: [ClientHandshakeOptions, RegExp][] = [
    [{ url, origin: "http://a\r\nX-Evil: 1" }, /^The Origin contains a line break/],
    [{ url, origin: "http://a\0" }, /^The Origin contains a NUL character/],
    [
      { url, protocols: ["chat\r\nX-Evil: 1"] },
      /^The subprotocol "chat\r\nX-Evil: 1" contains a line break/,
    ],
    [
      { url, extensions: "permessage-deflate\n" },
      /^The Sec-WebSocket-Extensions offer contains a line break/,
    ],
    [
      { url, headers: [["X-A", "1\r\nX-Evil: 1"]] },
      /^The value of the header "X-A" contains a line break/,
    ],
    [
      { url, headers: [["X-A\r\nX-Evil", "1"]] },
      /^The name of the header "X-A\r\nX-Evil" contains a line break/,
    ],
    [
      { url, headers: [["Sec-WebSocket-Key", "x\r\n"]] },
      /^The value of the header "Sec-WebSocket-Key" contains a line break/,
    ],
  ];
  for (const [options, message] of cases) {
    const error = buildError(options);
    assert.equal(error.status, 0);
    assert.match(error.message, message);
    assert.match(error.message, /possible header injection/);
  }
});

Deno.test("4.1 header injection: a URL-like object whose path or host holds CR LF is refused", () => {
  // WHATWG URL strips CR and LF, so only a forged URL can carry them; refuse it anyway.
  const forged = (pathname: string, host: string) =>
    ({ protocol: "ws:", pathname, search: "", host, href: "ws://forged/" }) as unknown as URL;
  assert.match(
    buildError({ url: forged("/a\r\nX-Evil: 1", "h") }).message,
    /^The request target \(URL path and query\) contains a line break.*possible header injection/,
  );
  assert.match(
    buildError({ url: forged("/", "h\r\nX-Evil: 1") }).message,
    /^The Host \(URL host\) contains a line break.*possible header injection/,
  );
});

Deno.test("4.1 header values go out as ISO-8859-1; characters beyond it are refused", () => {
  const request = buildClientRequest({ url: new URL("ws://h/"), headers: [["X-Name", "Jos\xe9"]] });
  const at = latin1(request.bytes).indexOf("Jos");
  assert.deepEqual([...request.bytes.subarray(at, at + 4)], [0x4a, 0x6f, 0x73, 0xe9]);
  const error = buildError({ url: new URL("ws://h/"), headers: [["X-Name", "\u20ac"]] });
  assert.match(error.message, /U\+20AC, which has no ISO-8859-1 byte form/);
});

Deno.test("4.1 an extra header whose name is not a token is refused", () => {
  assert.match(
    buildError({ url: new URL("ws://h/"), headers: [["X Y", "1"]] }).message,
    /header name "X Y" is not a token/,
  );
});

Deno.test("1.3 the sample server response validates and yields the chosen subprotocol", async () => {
  const head = new HttpHeadParser().push(
    new TextEncoder().encode(
      "HTTP/1.1 101 Switching Protocols\r\n" +
        "Upgrade: websocket\r\n" +
        "Connection: Upgrade\r\n" +
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" +
        "Sec-WebSocket-Protocol: chat\r\n" +
        "\r\n",
    ),
  )!;
  const result = await validateServerResponse(head, { key: KEY, protocols: ["chat", "superchat"] });
  assert.equal(result.status, 101);
  assert.equal(result.protocol, "chat");
  assert.equal(result.extensions, "");
  assert.equal(result.headers, head.headers);
});

Deno.test("4.1 a response without a subprotocol gives protocol ''", async () => {
  const result = await validateServerResponse(
    response("HTTP/1.1 101 Switching Protocols", GOOD_101),
    {
      key: KEY,
      protocols: ["chat"],
    },
  );
  assert.equal(result.protocol, "");
});

Deno.test("4.1 a status other than 101 fails with that status and its reason phrase", async () => {
  const notFound = await validationError(response("HTTP/1.1 404 Not Found", []));
  assert.equal(notFound.status, 404);
  assert.equal(
    notFound.message,
    "Server answered 404 Not Found instead of 101 Switching Protocols",
  );
  const custom = await validationError(response("HTTP/1.1 403 Go Away", GOOD_101));
  assert.equal(custom.status, 403);
  assert.equal(custom.message, "Server answered 403 Go Away instead of 101 Switching Protocols");
  // No reason phrase on the wire: the standard one is named.
  const bare = await validationError(response("HTTP/1.1 200", GOOD_101));
  assert.equal(bare.status, 200);
  assert.equal(bare.message, "Server answered 200 OK instead of 101 Switching Protocols");
  const unknown = await validationError(response("HTTP/1.1 299", []));
  assert.equal(unknown.message, "Server answered 299 instead of 101 Switching Protocols");
});

Deno.test("4.1 a malformed status line fails with status 0", async () => {
  const error = await validationError(response("HTTP/1.1 1O1 Switching Protocols", GOOD_101));
  assert.equal(error.status, 0);
  assert.match(error.message, /Malformed status line/);
});

Deno.test("4.1 a 101 over HTTP/1.0 fails with status 101", async () => {
  const error = await validationError(response("HTTP/1.0 101 Switching Protocols", GOOD_101));
  assert.equal(error.status, 101);
  assert.match(error.message, /HTTP\/1\.0.*HTTP\/1\.1 or later/);
  const newer = await validateServerResponse(
    response("HTTP/1.2 101 Switching Protocols", GOOD_101),
    {
      key: KEY,
      protocols: [],
    },
  );
  assert.equal(newer.status, 101);
});

Deno.test("4.1 point 2 a 101 without Upgrade: websocket fails; the token's case does not matter", async () => {
  const without = GOOD_101.filter(([name]) => name !== "Upgrade");
  const missing = await validationError(response("HTTP/1.1 101 Switching Protocols", without));
  assert.equal(missing.status, 101);
  assert.match(missing.message, /no "Upgrade: websocket" header \(Upgrade: absent\)/);
  const wrong = await validationError(
    response("HTTP/1.1 101 Switching Protocols", [...without, ["Upgrade", "h2c"]]),
  );
  assert.match(wrong.message, /\(Upgrade: "h2c"\)/);
  const upper = await validateServerResponse(
    response("HTTP/1.1 101 Switching Protocols", [...without, ["Upgrade", "WebSocket"]]),
    { key: KEY, protocols: [] },
  );
  assert.equal(upper.status, 101);
});

Deno.test("4.1 point 3 Connection is a token list holding 'upgrade' in any case", async () => {
  const without = GOOD_101.filter(([name]) => name !== "Connection");
  for (const value of ["Upgrade", "upgrade", "UPGRADE", "keep-alive, Upgrade", "Upgrade, close"]) {
    const result = await validateServerResponse(
      response("HTTP/1.1 101 Switching Protocols", [...without, ["Connection", value]]),
      { key: KEY, protocols: [] },
    );
    assert.equal(result.status, 101, value);
  }
  // Two Connection fields form one list.
  await validateServerResponse(
    response("HTTP/1.1 101 Switching Protocols", [
      ...without,
      ["Connection", "keep-alive"],
      ["Connection", "upgrade"],
    ]),
    { key: KEY, protocols: [] },
  );
  for (const value of ["keep-alive", "upgraded", "close", ""]) {
    const error = await validationError(
      response("HTTP/1.1 101 Switching Protocols", [...without, ["Connection", value]]),
    );
    assert.equal(error.status, 101, value);
    assert.match(error.message, /no "Connection: Upgrade" header/, value);
  }
  assert.match(
    (await validationError(response("HTTP/1.1 101 Switching Protocols", without))).message,
    /\(Connection: absent\)/,
  );
});

Deno.test("4.1 point 4 a missing or wrong Sec-WebSocket-Accept fails", async () => {
  const without = GOOD_101.filter(([name]) => name !== "Sec-WebSocket-Accept");
  const missing = await validationError(response("HTTP/1.1 101 Switching Protocols", without));
  assert.equal(missing.status, 101);
  assert.match(missing.message, /no Sec-WebSocket-Accept/);
  for (
    const accept of [
      await computeAcceptKey("AAAAAAAAAAAAAAAAAAAAAA=="),
      ACCEPT.toLowerCase(),
      ACCEPT + "=",
    ]
  ) {
    const error = await validationError(
      response("HTTP/1.1 101 Switching Protocols", [...without, ["Sec-WebSocket-Accept", accept]]),
    );
    assert.equal(error.status, 101);
    assert.match(error.message, /does not match the key that was sent/);
  }
  // Two accept fields combine into a list, which is not the accept value.
  const doubled = await validationError(
    response("HTTP/1.1 101 Switching Protocols", [...GOOD_101, ["Sec-WebSocket-Accept", ACCEPT]]),
  );
  assert.match(doubled.message, /does not match/);
});

Deno.test("4.1 point 6 a subprotocol that was not offered fails", async () => {
  const head = (protocol: string) =>
    response("HTTP/1.1 101 Switching Protocols", [...GOOD_101, [
      "Sec-WebSocket-Protocol",
      protocol,
    ]]);
  const none = await validationError(head("chat"));
  assert.equal(none.status, 101);
  assert.equal(none.message, 'The server chose the subprotocol "chat" but none was offered');
  const other = await validationError(head("superchat"), ["chat", "v2"]);
  assert.equal(
    other.message,
    'The server chose the subprotocol "superchat", which was not offered (offered: chat, v2)',
  );
  // Subprotocol names are compared exactly.
  assert.match((await validationError(head("Chat"), ["chat"])).message, /not offered/);
  const two = await validationError(head("chat, v2"), ["chat", "v2"]);
  assert.match(two.message, /is not a single subprotocol/);
  const twoFields = await validationError(
    response("HTTP/1.1 101 Switching Protocols", [
      ...GOOD_101,
      ["Sec-WebSocket-Protocol", "chat"],
      ["Sec-WebSocket-Protocol", "v2"],
    ]),
    ["chat", "v2"],
  );
  assert.match(twoFields.message, /is not a single subprotocol/);
  // An empty value chooses nothing.
  const empty = await validateServerResponse(head(""), { key: KEY, protocols: ["chat"] });
  assert.equal(empty.protocol, "");
  assert.equal(
    (await validateServerResponse(head("v2"), { key: KEY, protocols: ["chat", "v2"] })).protocol,
    "v2",
  );
});

Deno.test("4.1 point 5 an extension that was not offered fails; offered ones come back raw", async () => {
  const withExtensions = (...values: string[]) =>
    response("HTTP/1.1 101 Switching Protocols", [
      ...GOOD_101,
      ...values.map((v) => ["Sec-WebSocket-Extensions", v] as [string, string]),
    ]);
  for (const offer of [undefined, ""]) {
    const error = await validationError(withExtensions("permessage-deflate"), [], offer);
    assert.equal(error.status, 101);
    assert.equal(
      error.message,
      "The server's 101 response names an extension not offered: Sec-WebSocket-Extensions: permessage-deflate",
    );
  }
  const result = await validateServerResponse(
    withExtensions("permessage-deflate; server_no_context_takeover", "x-other"),
    { key: KEY, protocols: [], extensions: "permessage-deflate" },
  );
  assert.equal(result.extensions, "permessage-deflate; server_no_context_takeover, x-other");
  // An empty header names no extension.
  const empty = await validateServerResponse(withExtensions(""), { key: KEY, protocols: [] });
  assert.equal(empty.extensions, "");
});

Deno.test("4.1 checks run in order: status, Upgrade, Connection, accept, protocol, extensions", async () => {
  const everythingWrong: [string, string][] = [
    ["Upgrade", "h2c"],
    ["Connection", "close"],
    ["Sec-WebSocket-Accept", "wrong"],
    ["Sec-WebSocket-Protocol", "x"],
    ["Sec-WebSocket-Extensions", "x"],
  ];
  // Empty Sec-WebSocket-Protocol and -Extensions values are read as absent.
  const good = new Map([["Upgrade", "websocket"], ["Connection", "Upgrade"], [
    "Sec-WebSocket-Accept",
    ACCEPT,
  ]]);
  const messages: string[] = [];
  for (let fixed = 0; fixed <= everythingWrong.length; fixed++) {
    // The first `fixed` headers are made right; the rest stay wrong.
    const headers = everythingWrong.map(([name, value], i): [string, string] => [
      name,
      i < fixed ? good.get(name) ?? "" : value,
    ]);
    try {
      await validateServerResponse(response("HTTP/1.1 101 Switching Protocols", headers), {
        key: KEY,
        protocols: [],
      });
      messages.push("ok");
    } catch (error) {
      messages.push((error as Error).message);
    }
  }
  assert.match(messages[0], /Upgrade/);
  assert.match(messages[1], /Connection/);
  assert.match(messages[2], /Sec-WebSocket-Accept "wrong"/);
  assert.match(messages[3], /chose the subprotocol/);
  assert.match(messages[4], /extension not offered/);
  assert.equal(messages[5], "ok");
  const status = await validationError(response("HTTP/1.1 400 Bad Request", everythingWrong));
  assert.equal(status.status, 400);
});

Deno.test("4.1 + 4.2.2 a request built here passes the server side, and its 101 validates", async () => {
  const request = buildClientRequest({
    url: new URL("wss://example.com:8443/chat?room=1"),
    origin: "https://example.com",
    protocols: ["v2.chat", "v1.chat"],
  });
  const requestHead = new HttpHeadParser().push(request.bytes)!;
  const parsed = parseClientRequest(requestHead);
  assert.equal(parsed.target, "/chat?room=1");
  assert.equal(parsed.host, "example.com:8443");
  assert.equal(parsed.key, request.key);
  assert.deepEqual(parsed.protocols, ["v2.chat", "v1.chat"]);
  assert.equal(parsed.origin, "https://example.com");
  const answer = buildAcceptResponse({
    accept: await computeAcceptKey(parsed.key),
    protocol: "v1.chat",
  });
  const result = await validateServerResponse(new HttpHeadParser().push(answer)!, request);
  assert.equal(result.protocol, "v1.chat");
});
