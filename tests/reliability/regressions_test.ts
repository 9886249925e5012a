/**
 * Bugs the reliability fuzzers and hostile-peer tests found, each pinned as
 * its own case so it cannot come back unnoticed.
 *
 * @module
 */

import assert from "node:assert/strict";
import { HandshakeError, HeaderList, validateServerResponse } from "../../lib/protocol/mod.ts";
import { acceptFor } from "./_heads.ts";

const KEY = "dGhlIHNhbXBsZSBub25jZQ==";

// Found by fuzz_handshake_test (seed 33): only "HTTP/0.9" and "HTTP/1.0" were
// refused, so a 101 over "HTTP/0.1" passed as a WebSocket handshake.
Deno.test("4.1 client handshake: a 101 over any HTTP version before 1.1 (HTTP/0.1) is refused", async () => {
  const headers = new HeaderList([
    ["Upgrade", "websocket"],
    ["Connection", "Upgrade"],
    ["Sec-WebSocket-Accept", await acceptFor(KEY)],
  ]);
  for (const version of ["HTTP/0.1", "HTTP/0.0", "HTTP/1.0"]) {
    await assert.rejects(
      validateServerResponse({ startLine: `${version} 101 OK`, headers }, {
        key: KEY,
        protocols: [],
      }),
      (error) => error instanceof HandshakeError && error.status === 101,
      version,
    );
  }
  const ok = await validateServerResponse(
    { startLine: "HTTP/1.1 101 OK", headers },
    { key: KEY, protocols: [] },
  );
  assert.equal(ok.status, 101);
});
