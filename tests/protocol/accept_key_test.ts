// Sec-WebSocket-Key and Sec-WebSocket-Accept (RFC 6455 §1.3, §4.1, §4.2.1, §4.2.2).

import assert from "node:assert/strict";
import {
  computeAcceptKey,
  generateKey,
  isValidKey,
  WEBSOCKET_GUID,
} from "../../lib/protocol/mod.ts";

Deno.test("1.3 the GUID is the one RFC 6455 fixes", () => {
  assert.equal(WEBSOCKET_GUID, "258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
});

Deno.test("1.3 the sample nonce gives the RFC's accept value", async () => {
  assert.equal(await computeAcceptKey("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
});

Deno.test("4.2.2 accept values are SHA-1 of key + GUID, for other keys too", async () => {
  // Computed independently (Python hashlib) for these keys.
  assert.equal(await computeAcceptKey("x3JJHMbDL1EzLkh9GBhXDw=="), "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
  assert.equal(await computeAcceptKey("AQIDBAUGBwgJCgsMDQ4PEA=="), "C/0nmHhBztSRGR1CwL6Tf4ZjwpY=");
});

Deno.test("4.1 a generated key is base64 of 16 fresh random bytes", () => {
  const keys = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const key = generateKey();
    assert.match(key, /^[A-Za-z0-9+/]{22}==$/);
    assert.equal(atob(key).length, 16);
    assert.ok(isValidKey(key));
    keys.add(key);
  }
  assert.equal(keys.size, 200, "every key is a new nonce");
});

Deno.test("4.2.1 a key is valid only when it decodes to exactly 16 bytes", () => {
  assert.ok(isValidKey("dGhlIHNhbXBsZSBub25jZQ=="));
  assert.ok(isValidKey("AAAAAAAAAAAAAAAAAAAAAA=="));
  assert.ok(isValidKey("++++////++++////++++//=="));
  // Non-zero unused bits still decode to 16 bytes (ws and python-websockets accept them too).
  assert.ok(isValidKey("dGhlIHNhbXBsZSBub25jZR=="));
  for (
    const key of [
      "",
      "dGhlIHNhbXBsZSBub25jZQ", // no padding
      "dGhlIHNhbXBsZSBub25jZQ=", // short padding
      "AAAAAAAAAAAAAAAAAAAA", // 15 bytes
      "AAAAAAAAAAAAAAAAAAAAAAA=", // 17 bytes
      "AAAAAAAAAAAAAAAAAAAAAAAA", // 18 bytes
      "dGhlIHNhbXBsZSBub25jZQ==\r\n",
      " dGhlIHNhbXBsZSBub25jZQ==",
      "dGhlIHNhbXBsZSBub25jZQ== ",
      "dGhlIHNhbXBsZSBub25jZ-==", // base64url alphabet
      "dGhlIHNhbXBs ZSBub25jZQ=",
    ]
  ) {
    assert.ok(!isValidKey(key), JSON.stringify(key));
  }
});
