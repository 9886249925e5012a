/**
 * 1,000 connect/disconnect cycles against one `QWebSocketServer`: clean closes
 * and aborts from either side, vanishing raw peers, cancelled openings and
 * refused handshakes, mixed. Deno's resource and op sanitizers (on, as in
 * every test) fail this test if any socket, timer or pending read or write
 * is left behind; the memory side runs in `memory_test.ts`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { connectCycle, CYCLE_KINDS } from "./_cycles.ts";
import { goodClientRoundTrip, startEchoServer } from "./_live.ts";

Deno.test("Qt QWebSocketServer: 1,000 connect/disconnect cycles (closes and aborts from both sides mixed) leave no open resources or pending ops", async () => {
  const server = startEchoServer();
  const counts = new Map<string, number>();
  try {
    for (let i = 0; i < 1000; i++) {
      const kind = CYCLE_KINDS[i % CYCLE_KINDS.length]!;
      await connectCycle(server, kind);
      counts.set(kind, (counts.get(kind) ?? 0) + 1);
    }
    await goodClientRoundTrip(server.url, "a good client after 1,000 cycles");
    assert.ok(server.server.isListening());
    assert.equal(server.server.hasPendingConnections(), false);
  } finally {
    await server.dispose();
  }
  for (const kind of CYCLE_KINDS) assert.ok((counts.get(kind) ?? 0) >= 140, kind);
  // Every socket the server accepted has let go (dispose() waited for each).
  assert.ok(server.sockets.length >= 4 * 142 + 1);
  for (const record of server.sockets) assert.equal(record.socket.state(), 0);
});
