import assert from "node:assert/strict";
import {
  formatExtensionHeader,
  parseExtensionHeader,
} from "../../lib/protocol/extension_header.ts";

Deno.test("RFC 6455 §9.1 Sec-WebSocket-Extensions: names, parameters and values parse in order", () => {
  assert.deepEqual(
    parseExtensionHeader(
      'permessage-deflate; client_max_window_bits; server_max_window_bits=10, x-foo;a="b" ,bar',
    ),
    [
      {
        name: "permessage-deflate",
        params: [["client_max_window_bits", null], ["server_max_window_bits", "10"]],
      },
      { name: "x-foo", params: [["a", "b"]] },
      { name: "bar", params: [] },
    ],
  );
});

Deno.test("RFC 6455 §9.1: optional whitespace around ; , = is allowed; empty list elements are skipped", () => {
  assert.deepEqual(parseExtensionHeader(" , permessage-deflate ;\tx = 1 ,, "), [
    { name: "permessage-deflate", params: [["x", "1"]] },
  ]);
  assert.deepEqual(parseExtensionHeader(""), []);
  assert.deepEqual(parseExtensionHeader(" , "), []);
});

Deno.test("RFC 6455 §9.1: a quoted value is unescaped and must be a token", () => {
  assert.deepEqual(parseExtensionHeader('e; a="1\\0"'), [{ name: "e", params: [["a", "10"]] }]);
  for (const bad of ['e; a="1 0"', 'e; a=""', 'e; a="x,y"', 'e; a="unterminated']) {
    assert.throws(() => parseExtensionHeader(bad), SyntaxError, bad);
  }
});

Deno.test("RFC 6455 §9.1: a value that breaks the grammar is refused, naming where", () => {
  for (
    const bad of [
      "permessage-deflate;",
      "permessage-deflate; =1",
      "permessage-deflate; a=",
      "permessage-deflate a",
      "permessage-deflate; a=1 2",
      "; a",
      "(x)",
      "permessage-deflate; a=b=c",
    ]
  ) {
    assert.throws(
      () => parseExtensionHeader(bad),
      /Malformed Sec-WebSocket-Extensions .* at character \d+/,
      bad,
    );
  }
});

Deno.test("RFC 6455 §9.1: duplicate parameters are kept so that the extension can refuse them", () => {
  assert.deepEqual(parseExtensionHeader("e; a; a=1"), [
    { name: "e", params: [["a", null], ["a", "1"]] },
  ]);
});

Deno.test("RFC 6455 §9.1: formatting writes name; param; param=value, elements joined with , ", () => {
  const elements = [
    { name: "permessage-deflate", params: [["server_no_context_takeover", null]] as const },
    { name: "x", params: [["a", "1"]] as const },
  ];
  const text = formatExtensionHeader(elements);
  assert.equal(text, "permessage-deflate; server_no_context_takeover, x; a=1");
  assert.deepEqual(parseExtensionHeader(text), elements);
  assert.throws(() => formatExtensionHeader([{ name: "a b", params: [] }]), SyntaxError);
  assert.throws(() => formatExtensionHeader([{ name: "a", params: [["b", "c d"]] }]), SyntaxError);
});
