/**
 * Memory that stays bounded, measured in a child process with
 * `--v8-flags=--expose-gc` so live objects are counted, not garbage that has
 * not been collected yet. The bounds are generous (other engineers' tests
 * share the machine); a real leak or a per-frame cost would exceed them by
 * far.
 *
 * @module
 */

import assert from "node:assert/strict";

async function probe(...args: string[]): Promise<Record<string, number>> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net=127.0.0.1",
      "--v8-flags=--expose-gc",
      new URL("./_memory_probe.ts", import.meta.url).pathname,
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(stderr);
  assert.equal(code, 0, err);
  return JSON.parse(new TextDecoder().decode(stdout));
}

const MiB = 1024 * 1024;

Deno.test("5.4 memory: a message in 100,000 one-byte frames holds memory in proportion to its bytes, not its frames", async () => {
  const m = await probe("continuations");
  // 100,000 bytes held. One object per frame would cost several MiB; the
  // accumulator copies small pieces into shared buffers instead.
  assert.ok(m.binaryTiny! < 1 * MiB, `binary, 1-byte frames: ${m.binaryTiny} bytes retained`);
  assert.ok(m.textTiny! < 1 * MiB, `text, 1-byte frames: ${m.textTiny} bytes retained`);
  // The same bytes in 100-byte frames cost about the same.
  assert.ok(m.binaryTiny! - m.binaryLarger! < 512 * 1024, JSON.stringify(m));
  assert.ok(m.textTiny! - m.textLarger! < 512 * 1024, JSON.stringify(m));
});

Deno.test("Qt QWebSocketServer memory: 1,000 connect/disconnect cycles after a warm-up leave the heap where it was", async () => {
  const m = await probe("cycles", "1000");
  // Measured: 0.2-0.4 MB either way at 1,000, 3,000 and 6,000 cycles (JIT
  // noise, not growth). A leak of 4 KB per connection would show 4 MB.
  assert.ok(m.heapGrowth! < 4 * MiB, `heap grew ${m.heapGrowth} bytes over 1,000 cycles`);
  // RSS includes the allocator's retained pages; only a gross leak shows here.
  assert.ok(m.rssGrowth! < 128 * MiB, `RSS grew ${m.rssGrowth} bytes over 1,000 cycles`);
});

Deno.test("Qt QWebSocket::bytesToWrite memory: 64 MiB queued for a peer that never reads is held once, and abort() frees it", async () => {
  const m = await probe("backpressure");
  assert.equal(m.queued, 64 * MiB);
  // Most of it waits in the queue (a few MiB fit in the kernel's buffers)...
  assert.ok(m.bytesToWrite! > 32 * MiB, JSON.stringify(m));
  // ...and it is held once: the frames, not copies of copies.
  assert.ok(m.held! < m.bytesToWrite! * 1.25 + 8 * MiB, JSON.stringify(m));
  assert.ok(m.held! > m.bytesToWrite! * 0.9, JSON.stringify(m));
  // abort() lets it all go.
  assert.equal(m.bytesToWriteAfterAbort, 0);
  assert.ok(m.afterAbort! < 4 * MiB, JSON.stringify(m));
});
