// The synchronous accept value (RFC 6455 §4.2.2) that QWebSocketServer uses,
// cross-checked against crypto.subtle, which computeAcceptKey still uses.

import assert from "node:assert/strict";
import { computeAcceptKey, computeAcceptKeySync } from "../../lib/protocol/mod.ts";
import { sha1 } from "../../lib/protocol/sha1.ts";
import { mulberry32 } from "./_prng.ts";

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("1.3 the sample nonce gives the RFC's accept value, synchronously", () => {
  assert.equal(computeAcceptKeySync("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
});

Deno.test("4.2.2 the synchronous accept value equals crypto.subtle's for 1,000 random keys", async () => {
  const rng = mulberry32(0x5eed);
  for (let i = 0; i < 1000; i++) {
    const nonce = Uint8Array.from({ length: 16 }, () => Math.floor(rng() * 256));
    const key = btoa(String.fromCharCode(...nonce));
    assert.equal(computeAcceptKeySync(key), await computeAcceptKey(key), key);
  }
});

Deno.test("4.2.2 SHA-1 matches crypto.subtle at every padding boundary (0 to 200 bytes)", async () => {
  const rng = mulberry32(17);
  for (let length = 0; length <= 200; length++) {
    const data = Uint8Array.from({ length }, () => Math.floor(rng() * 256));
    const expected = new Uint8Array(await crypto.subtle.digest("SHA-1", data));
    assert.equal(hex(sha1(data)), hex(expected), `length ${length}`);
  }
});

Deno.test("4.2.2 SHA-1 gives the FIPS 180 test vectors", () => {
  const utf8 = new TextEncoder();
  assert.equal(hex(sha1(utf8.encode("abc"))), "a9993e364706816aba3e25717850c26c9cd0d89d");
  assert.equal(hex(sha1(new Uint8Array(0))), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  assert.equal(
    hex(sha1(utf8.encode("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
    "84983e441c3bd26ebaae4aa1f95129e5e54670f1",
  );
});
