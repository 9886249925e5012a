// The HTTP/1.1 head parser under the opening handshake: RFC 9112 §2–§5 syntax,
// the limits that keep a peer from making the server buffer without bound,
// and independence from how the bytes are chopped.

import assert from "node:assert/strict";
import {
  DEFAULT_HTTP_HEAD_LIMITS,
  HandshakeError,
  HeaderList,
  type HttpHead,
  type HttpHeadLimits,
  HttpHeadParser,
  isToken,
  parseRequestLine,
  parseStatusLine,
  reasonPhrase,
} from "../../lib/protocol/mod.ts";

/** One byte per code unit, so "\x81" is the byte 0x81 (not UTF-8). */
function bytes(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

/** A small seeded PRNG (mulberry32), so random chunkings are reproducible. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomChunks(data: Uint8Array, seed: number, maxSize = 17): Uint8Array[] {
  const next = mulberry32(seed);
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < data.length;) {
    const size = 1 + Math.floor(next() * maxSize);
    chunks.push(data.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

function oneByteChunks(data: Uint8Array): Uint8Array[] {
  return Array.from(data, (_, i) => data.subarray(i, i + 1));
}

interface Outcome {
  startLine?: string;
  entries?: (readonly [string, string])[];
  // Everything after the head: leftover() plus the chunks not yet pushed.
  after?: number[];
  status?: number;
  message?: string;
}

/** Feeds chunks until the head completes or the parser refuses, and records what happened. */
function feed(chunks: Uint8Array[], limits?: Partial<HttpHeadLimits>): Outcome {
  const parser = new HttpHeadParser(limits);
  for (let i = 0; i < chunks.length; i++) {
    let head: HttpHead | null;
    try {
      head = parser.push(chunks[i]);
    } catch (error) {
      assert.ok(error instanceof HandshakeError, `unexpected ${error}`);
      return { status: error.status, message: error.message };
    }
    if (head !== null) {
      const after = [...parser.leftover()];
      for (const rest of chunks.slice(i + 1)) after.push(...rest);
      return { startLine: head.startLine, entries: [...head.headers.entries()], after };
    }
  }
  return {};
}

function parseOne(text: string, limits?: Partial<HttpHeadLimits>): HttpHead {
  const head = new HttpHeadParser(limits).push(bytes(text));
  assert.ok(head !== null, "the head should be complete");
  return head;
}

function refusal(text: string, limits?: Partial<HttpHeadLimits>): HandshakeError {
  try {
    new HttpHeadParser(limits).push(bytes(text));
  } catch (error) {
    assert.ok(error instanceof HandshakeError);
    return error;
  }
  assert.fail(`expected a refusal of ${JSON.stringify(text)}`);
}

const RFC6455_REQUEST = "GET /chat HTTP/1.1\r\n" +
  "Host: server.example.com\r\n" +
  "Upgrade: websocket\r\n" +
  "Connection: Upgrade\r\n" +
  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
  "Origin: http://example.com\r\n" +
  "Sec-WebSocket-Protocol: chat, superchat\r\n" +
  "Sec-WebSocket-Version: 13\r\n" +
  "\r\n";

Deno.test("9112 §2.1 the RFC 6455 §1.3 request parses into its start line and ordered headers", () => {
  const head = parseOne(RFC6455_REQUEST);
  assert.equal(head.startLine, "GET /chat HTTP/1.1");
  assert.deepEqual(head.headers.entries(), [
    ["Host", "server.example.com"],
    ["Upgrade", "websocket"],
    ["Connection", "Upgrade"],
    ["Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="],
    ["Origin", "http://example.com"],
    ["Sec-WebSocket-Protocol", "chat, superchat"],
    ["Sec-WebSocket-Version", "13"],
  ]);
  assert.equal(head.headers.size, 7);
});

Deno.test("9112 §2.1 a response head parses the same way", () => {
  const head = parseOne(
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
  );
  assert.equal(head.startLine, "HTTP/1.1 101 Switching Protocols");
  assert.equal(head.headers.get("connection"), "Upgrade");
});

// A frame (masked "Hi") right behind the head, as a client may send it in one packet.
const FRAME_AFTER_HEAD = [0x81, 0x82, 0x01, 0x02, 0x03, 0x04, 0x49, 0x6b];

const CHOPPING_INPUTS: ReadonlyArray<[string, Uint8Array]> = [
  ["RFC 6455 request", bytes(RFC6455_REQUEST)],
  ["request + frame", new Uint8Array([...bytes(RFC6455_REQUEST), ...FRAME_AFTER_HEAD])],
  ["bare-LF response", bytes("HTTP/1.1 101 Switching Protocols\nUpgrade: websocket\n\nrest")],
  ["leading empty lines", bytes("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n")],
  ["Latin-1 value", bytes("GET / HTTP/1.1\r\nX-Name: Jos\xe9\x80\r\n\r\n")],
];

Deno.test("9112 §2.2 one-byte chunks give the same head and trailing bytes as one chunk", () => {
  for (const [name, data] of CHOPPING_INPUTS) {
    const whole = feed([data]);
    assert.ok(whole.startLine !== undefined, name);
    assert.deepEqual(feed(oneByteChunks(data)), whole, name);
  }
});

Deno.test("9112 §2.2 seeded random chunkings give the same head and trailing bytes as one chunk", () => {
  for (const [name, data] of CHOPPING_INPUTS) {
    const whole = feed([data]);
    for (let seed = 1; seed <= 50; seed++) {
      assert.deepEqual(feed(randomChunks(data, seed)), whole, `${name}, seed ${seed}`);
    }
  }
});

Deno.test("9112 §2.2 a frame in the same packet as the head is left over, not lost", () => {
  const packet = new Uint8Array([...bytes(RFC6455_REQUEST), ...FRAME_AFTER_HEAD]);
  const parser = new HttpHeadParser();
  assert.deepEqual([...parser.leftover()], [], "nothing is left over before the head ends");
  const head = parser.push(packet);
  assert.equal(head?.startLine, "GET /chat HTTP/1.1");
  const leftover = parser.leftover();
  assert.deepEqual([...leftover], FRAME_AFTER_HEAD);
  // A view of the caller's chunk: the frame bytes are not copied.
  assert.equal(leftover.buffer, packet.buffer);
  assert.equal(leftover.byteOffset, packet.length - FRAME_AFTER_HEAD.length);
});

Deno.test("9112 §2.2 a head that ends with its chunk leaves nothing over", () => {
  const parser = new HttpHeadParser();
  assert.ok(parser.push(bytes(RFC6455_REQUEST)) !== null);
  assert.equal(parser.leftover().length, 0);
});

Deno.test("9112 §2.2 the head is not complete until the empty line arrives", () => {
  const parser = new HttpHeadParser();
  assert.equal(parser.push(bytes("GET / HTTP/1.1\r\nHost: a\r\n")), null);
  assert.equal(parser.push(bytes("\r")), null);
  assert.equal(parser.push(bytes("\n"))?.headers.get("host"), "a");
});

Deno.test("9112 §2.2 a lone LF ends a line, and CRLF and LF may be mixed", () => {
  const head = parseOne("GET /x HTTP/1.1\nHost: a\r\nUpgrade: websocket\n\r\n");
  assert.equal(head.startLine, "GET /x HTTP/1.1");
  assert.deepEqual(head.headers.entries(), [["Host", "a"], ["Upgrade", "websocket"]]);
});

Deno.test("9112 §2.2 empty lines before the start line are skipped", () => {
  assert.equal(parseOne("\r\n\nGET / HTTP/1.1\r\n\r\n").startLine, "GET / HTTP/1.1");
});

Deno.test("9112 §2.2 pushing after the head is a programmer error, not a HandshakeError", () => {
  const parser = new HttpHeadParser();
  parser.push(bytes(RFC6455_REQUEST));
  assert.throws(
    () => parser.push(bytes("x")),
    (error: unknown) =>
      error instanceof Error && !(error instanceof HandshakeError) &&
      error.message.includes("leftover()"),
  );
});

Deno.test("9112 §2.2 after a refusal every push throws the same error", () => {
  const parser = new HttpHeadParser();
  let first: unknown;
  try {
    parser.push(bytes("GET / HTTP/1.1\r\nBad Name: x\r\n"));
  } catch (error) {
    first = error;
  }
  assert.ok(first instanceof HandshakeError);
  assert.throws(() => parser.push(bytes("\r\n")), (error: unknown) => error === first);
});

Deno.test("9112 §2.2 a bare CR is refused with 400, in a header line and in the start line", () => {
  for (
    const text of [
      "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n",
      "GET /\r HTTP/1.1\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\r\n\r\n",
    ]
  ) {
    const error = refusal(text);
    assert.equal(error.status, 400, JSON.stringify(text));
    assert.match(error.message, /bare CR/);
  }
});

Deno.test("9110 §5.5 a NUL byte in a header value or name is refused with 400", () => {
  for (
    const text of ["GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n", "GET / HTTP/1.1\r\nHo\0st: a\r\n\r\n"]
  ) {
    const error = refusal(text);
    assert.equal(error.status, 400);
    assert.match(error.message, /NUL/);
  }
});

Deno.test("9112 §5.2 a folded (obs-fold) header line is refused with 400", () => {
  for (const fold of [" ", "\t"]) {
    const error = refusal(`GET / HTTP/1.1\r\nX-Long: a\r\n${fold}b\r\n\r\n`);
    assert.equal(error.status, 400);
    assert.match(error.message, /obs-fold/);
  }
});

Deno.test("9112 §2.2 whitespace between the start line and the first header is refused with 400", () => {
  assert.equal(refusal("GET / HTTP/1.1\r\n Host: a\r\n\r\n").status, 400);
});

Deno.test("9112 §5.1 whitespace between a header name and its colon is refused with 400", () => {
  for (
    const text of ["GET / HTTP/1.1\r\nHost : a\r\n\r\n", "GET / HTTP/1.1\r\nHost\t: a\r\n\r\n"]
  ) {
    const error = refusal(text);
    assert.equal(error.status, 400);
    assert.match(error.message, /whitespace between the header name "Host" and its colon/);
  }
});

Deno.test("9112 §5.1 a header line without a colon is refused with 400", () => {
  const error = refusal("GET / HTTP/1.1\r\nHost a\r\n\r\n");
  assert.equal(error.status, 400);
  assert.match(error.message, /without a colon/);
});

Deno.test("9110 §5.1 a header name that is not a token is refused with 400", () => {
  for (const name of ["", "X(y)", "X@Y", "Caf\xe9", "A B", "X\x01"]) {
    const error = refusal(`GET / HTTP/1.1\r\n${name}: v\r\n\r\n`);
    assert.equal(error.status, 400, JSON.stringify(name));
    assert.match(error.message, /not a token/, JSON.stringify(name));
  }
});

Deno.test("9110 §5.5 values lose surrounding spaces and tabs only, and keep inner ones", () => {
  const head = parseOne("GET / HTTP/1.1\r\nA: \t x  y \t\r\nB:\r\nC:\xa0z\xa0\r\nD:v\r\n\r\n");
  assert.deepEqual(head.headers.entries(), [
    ["A", "x  y"],
    ["B", ""],
    // U+00A0 is not OWS, so it stays (String#trim would remove it).
    ["C", "\xa0z\xa0"],
    ["D", "v"],
  ]);
});

Deno.test("9110 §5.5 bytes decode as ISO-8859-1, not UTF-8 or windows-1252", () => {
  const head = parseOne("GET / HTTP/1.1\r\nX: \x80\x9f\xc3\xa9\xff\r\n\r\n");
  const value = head.headers.get("x")!;
  assert.deepEqual([...value].map((c) => c.charCodeAt(0)), [0x80, 0x9f, 0xc3, 0xa9, 0xff]);
});

Deno.test("6585 §5 a head larger than maxHeadBytes is refused with 431; one at the limit is not", () => {
  const text = "GET / HTTP/1.1\r\nX: " + "a".repeat(40) + "\r\n\r\n";
  assert.ok(parseOne(text, { maxHeadBytes: text.length }) !== null);
  const error = refusal(text, { maxHeadBytes: text.length - 1 });
  assert.equal(error.status, 431);
  assert.equal(
    error.message,
    `The HTTP head is larger than ${text.length - 1} bytes (maxHeadBytes)`,
  );
});

Deno.test("6585 §5 the default head limit is 65536 bytes, counted across many lines", () => {
  const line = "X-Filler: " + "a".repeat(990) + "\r\n"; // 1002 bytes
  const error = refusal("GET / HTTP/1.1\r\n" + line.repeat(66) + "\r\n", { maxHeaderCount: 1000 });
  assert.equal(error.status, 431);
  assert.match(error.message, /65536 bytes \(maxHeadBytes\)/);
});

Deno.test("6585 §5 a line longer than maxLineBytes is refused with 431; one at the limit is not", () => {
  const value = "v".repeat(8192 - "X: ".length);
  assert.equal(parseOne(`GET / HTTP/1.1\r\nX: ${value}\r\n\r\n`).headers.get("x"), value);
  assert.equal(parseOne(`GET / HTTP/1.1\nX: ${value}\n\n`).headers.get("x"), value);
  const error = refusal(`GET / HTTP/1.1\r\nX: ${value}w\r\n\r\n`);
  assert.equal(error.status, 431);
  assert.equal(error.message, "An HTTP head line is longer than 8192 bytes (maxLineBytes)");
  assert.equal(refusal(`GET /${"p".repeat(9000)} HTTP/1.1\r\n\r\n`).status, 431);
});

Deno.test("6585 §5 more than maxHeaderCount headers are refused with 431; the limit itself is not", () => {
  const fields = (n: number) => Array.from({ length: n }, (_, i) => `X-${i}: ${i}\r\n`).join("");
  assert.equal(parseOne(`GET / HTTP/1.1\r\n${fields(100)}\r\n`).headers.size, 100);
  const error = refusal(`GET / HTTP/1.1\r\n${fields(101)}\r\n`);
  assert.equal(error.status, 431);
  assert.equal(error.message, "The HTTP head has more than 100 header fields (maxHeaderCount)");
  assert.equal(refusal(`GET / HTTP/1.1\r\n${fields(4)}\r\n`, { maxHeaderCount: 3 }).status, 431);
});

Deno.test("6585 §5 a line without an end is refused as soon as it is too long, not buffered", () => {
  const parser = new HttpHeadParser({ maxLineBytes: 16 });
  let pushed = 0;
  assert.throws(() => {
    for (;;) {
      parser.push(bytes("a"));
      pushed++;
    }
  }, { status: 431 });
  // 16 bytes of line and a possible CR are allowed; the 18th byte proves the line too long.
  assert.equal(pushed, 17);
  // One huge chunk without a line end fails the same way.
  const huge = new Uint8Array(1 << 20).fill(0x61);
  assert.throws(() => new HttpHeadParser().push(huge), {
    status: 431,
    message: "An HTTP head line is longer than 8192 bytes (maxLineBytes)",
  });
});

Deno.test("6585 §5 refusals do not depend on how the bytes are chopped", () => {
  const limits = { maxHeadBytes: 64, maxLineBytes: 16, maxHeaderCount: 3 };
  const cases = [
    "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", // count
    "GET / HTTP/1.1\r\nA: 0123456789abcd\r\n\r\n", // line: 17 bytes
    "GET / HTTP/1.1\r\nA: 0123456789abc\r\n\r\n", // exactly 16: fine
    "GET / HTTP/1.1\r\nA: 0123456789ab\r\r\n\r\n", // 15 bytes and a bare CR
    "GET / HTTP/1.1\r\nA: 0123456789abc\r\r\n\r\n", // 16 bytes and a bare CR: 17, too long
    "GET / HTTP/1.1\r\nA: 0123456789abcdefghijkl\0\r\n\r\n", // too long before the NUL matters
    // 16 + 18 + 18 + 18 bytes: the third field passes 64 bytes (total).
    "GET / HTTP/1.1\r\nA: 0123456789abc\r\nB: 0123456789abc\r\nC: 0123456789abc\r\n\r\n",
    // 47 bytes taken, then a long line: byte 64 breaks both limits; the total is reported.
    "GET / HTTP/1.1\r\nA: 0123456789ab\r\nB: 012345678\r\nC: 0123456789abcdefgh\r\n\r\n",
    // 46 bytes taken: the line limit breaks first.
    "GET / HTTP/1.1\r\nA: 0123456789ab\r\nB: 01234567\r\nC: 0123456789abcdefgh\r\n\r\n",
    "GET / HTTP/1.1\r\nA: 1\r\n b\r\n\r\n", // obs-fold
    "GET / HTTP/1.1\r\nA: x\0\r\n\r\n", // NUL
  ];
  for (const text of cases) {
    const data = bytes(text);
    const whole = feed([data], limits);
    assert.deepEqual(feed(oneByteChunks(data), limits), whole, JSON.stringify(text));
    for (let seed = 1; seed <= 30; seed++) {
      assert.deepEqual(
        feed(randomChunks(data, seed, 7), limits),
        whole,
        `${JSON.stringify(text)} seed ${seed}`,
      );
    }
  }
  assert.match(feed([bytes(cases[0])], limits).message!, /maxHeaderCount/);
  assert.match(feed([bytes(cases[1])], limits).message!, /maxLineBytes/);
  assert.equal(feed([bytes(cases[2])], limits).status, undefined);
  assert.equal(feed([bytes(cases[3])], limits).status, 400);
  assert.equal(feed([bytes(cases[4])], limits).status, 431);
  assert.equal(feed([bytes(cases[5])], limits).status, 431);
  assert.match(feed([bytes(cases[6])], limits).message!, /maxHeadBytes/);
  assert.match(feed([bytes(cases[7])], limits).message!, /maxHeadBytes/);
  assert.match(feed([bytes(cases[8])], limits).message!, /maxLineBytes/);
  assert.match(feed([bytes(cases[9])], limits).message!, /obs-fold/);
  assert.match(feed([bytes(cases[10])], limits).message!, /NUL/);
});

Deno.test("6585 §5 limits must be positive integers", () => {
  assert.throws(() => new HttpHeadParser({ maxHeadBytes: 0 }), RangeError);
  assert.throws(() => new HttpHeadParser({ maxLineBytes: 1.5 }), RangeError);
  assert.throws(() => new HttpHeadParser({ maxHeaderCount: -1 }), RangeError);
  assert.deepEqual({ ...DEFAULT_HTTP_HEAD_LIMITS }, {
    maxHeadBytes: 65536,
    maxLineBytes: 8192,
    maxHeaderCount: 100,
  });
  assert.ok(Object.isFrozen(DEFAULT_HTTP_HEAD_LIMITS));
});

Deno.test("9110 §5.3 HeaderList looks names up in any case and joins repeated fields with a comma", () => {
  const headers = new HeaderList([
    ["Sec-WebSocket-Protocol", "chat"],
    ["Host", "a"],
    ["sec-websocket-PROTOCOL", "superchat, v2"],
  ]);
  assert.equal(headers.get("SEC-WEBSOCKET-PROTOCOL"), "chat, superchat, v2");
  assert.deepEqual(headers.getAll("sec-websocket-protocol"), ["chat", "superchat, v2"]);
  assert.equal(headers.get("host"), "a");
  assert.ok(headers.has("HOST"));
  assert.ok(!headers.has("origin"));
  assert.equal(headers.get("origin"), null);
  assert.deepEqual(headers.getAll("origin"), []);
  assert.equal(headers.size, 3);
  // Names keep their case in entries() and iteration.
  assert.deepEqual([...headers].map(([name]) => name), [
    "Sec-WebSocket-Protocol",
    "Host",
    "sec-websocket-PROTOCOL",
  ]);
  // getAll returns a copy.
  headers.getAll("host").push("b");
  assert.deepEqual(headers.getAll("host"), ["a"]);
});

Deno.test("9110 §5.6.1 HeaderList.tokens splits lists across fields, trims, lower-cases and drops empties", () => {
  const headers = new HeaderList([
    ["Connection", "keep-alive,  Upgrade\t"],
    ["connection", ", ,UPGRADE,"],
  ]);
  assert.deepEqual(headers.tokens("Connection"), ["keep-alive", "upgrade", "upgrade"]);
  assert.deepEqual(headers.tokens("Upgrade"), []);
});

Deno.test("9110 §5.6.2 isToken accepts tchar and nothing else", () => {
  assert.ok(isToken("!#$%&'*+-.^_`|~09AZaz"));
  for (
    const text of ["", " ", "a b", "a,b", "a;b", "a/b", '"a"', "a\x7f", "caf\xe9", "a\tb", "(a)"]
  ) {
    assert.ok(!isToken(text), JSON.stringify(text));
  }
});

Deno.test("9112 §3 parseRequestLine splits exactly three parts and needs HTTP/1.1 or later", () => {
  assert.deepEqual(parseRequestLine("GET /chat?x=1 HTTP/1.1"), {
    method: "GET",
    target: "/chat?x=1",
    version: "HTTP/1.1",
  });
  assert.equal(parseRequestLine("GET / HTTP/2.0").version, "HTTP/2.0");
  assert.equal(parseRequestLine("GET / HTTP/1.9").version, "HTTP/1.9");
  for (
    const line of [
      "GET / HTTP/1.0",
      "GET / HTTP/0.9",
      "GET  / HTTP/1.1",
      "GET / HTTP/1.1 ",
      " GET / HTTP/1.1",
      "GET /",
      "GET / HTTP/1.1 extra",
      "GET / http/1.1",
      "GET / HTTP/11",
      "G(T / HTTP/1.1",
      "GET /\x7f HTTP/1.1",
      "GET /caf\xe9 HTTP/1.1",
      "GET\t/ HTTP/1.1",
      "",
    ]
  ) {
    assert.throws(
      () => parseRequestLine(line),
      { name: "HandshakeError", status: 400 },
      JSON.stringify(line),
    );
  }
  assert.throws(() => parseRequestLine("GET / HTTP/1.0"), {
    message: /needs HTTP\/1\.1 or later, not HTTP\/1\.0/,
  });
});

Deno.test("9112 §4 parseStatusLine reads version, status and reason, with or without a reason", () => {
  assert.deepEqual(parseStatusLine("HTTP/1.1 404 Not Found"), {
    version: "HTTP/1.1",
    status: 404,
    reason: "Not Found",
  });
  assert.deepEqual(parseStatusLine("HTTP/1.1 101"), {
    version: "HTTP/1.1",
    status: 101,
    reason: "",
  });
  assert.deepEqual(parseStatusLine("HTTP/1.0 200 "), {
    version: "HTTP/1.0",
    status: 200,
    reason: "",
  });
  assert.equal(parseStatusLine("HTTP/1.1 500 It  broke").reason, "It  broke");
  for (
    const line of [
      "HTTP/1.1 1010 x",
      "HTTP/1.1  101 x",
      "ICY 200 OK",
      "HTTP/1.1 10",
      "",
      "HTTP/1.1 abc x",
    ]
  ) {
    assert.throws(
      () => parseStatusLine(line),
      { name: "HandshakeError", status: 0 },
      JSON.stringify(line),
    );
  }
});

Deno.test("9110 §15 reasonPhrase gives the standard phrases and '' for unknown codes", () => {
  assert.equal(reasonPhrase(101), "Switching Protocols");
  assert.equal(reasonPhrase(400), "Bad Request");
  assert.equal(reasonPhrase(403), "Forbidden");
  assert.equal(reasonPhrase(426), "Upgrade Required");
  assert.equal(reasonPhrase(431), "Request Header Fields Too Large");
  assert.equal(reasonPhrase(503), "Service Unavailable");
  assert.equal(reasonPhrase(299), "");
});
