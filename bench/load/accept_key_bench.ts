/**
 * The opening handshake's accept value: `crypto.subtle.digest` (an
 * asynchronous op) against the synchronous SHA-1 in TypeScript, for the
 * 60-byte input of every handshake.
 *
 *   deno bench bench/load/accept_key_bench.ts
 *
 * @module
 */

import { computeAcceptKey, computeAcceptKeySync } from "../../lib/protocol/accept_key.ts";

const KEY = "dGhlIHNhbXBsZSBub25jZQ==";

Deno.bench({
  name: "accept key, crypto.subtle.digest",
  group: "accept",
  baseline: true,
  async fn() {
    await computeAcceptKey(KEY);
  },
});

Deno.bench({
  name: "accept key, SHA-1 in TypeScript",
  group: "accept",
  fn() {
    computeAcceptKeySync(KEY);
  },
});
