import assert from "node:assert/strict";
import { encodeFrame, FrameEncoder, FramePool, QMaskGenerator } from "../../lib/protocol/mod.ts";
import { mulberry32, randomBytes } from "./_prng.ts";

Deno.test("5.2 frame pool: frames built in recycled memory are byte-identical to fresh ones", () => {
  const random = mulberry32(11);
  const pool = new FramePool();
  for (const role of ["server", "client"] as const) {
    const plain = new FrameEncoder({ role, maskGenerator: fixedMasks() });
    const pooled = new FrameEncoder({ role, maskGenerator: fixedMasks(), pool });
    for (const length of [0, 1, 60, 125, 126, 1000, 16384, 65521, 65535, 65536, 70000]) {
      const payload = randomBytes(random, length);
      const expected = plain.encode(0x82, payload);
      const frame = pooled.encode(0x82, payload);
      assert.deepEqual(frame, expected, `${role}, ${length} bytes`);
      // The next frame of this size reuses the memory, with this frame's bytes in it.
      pool.give(frame);
    }
  }
});

Deno.test("5.3 frame pool: a client's payload is masked in the frame, the caller's bytes untouched", () => {
  const pool = new FramePool();
  const encoder = new FrameEncoder({ role: "client", maskGenerator: fixedMasks(), pool });
  const payload = new Uint8Array(300).fill(0xaa);
  const first = encoder.encode(0x82, payload);
  pool.give(first);
  const second = encoder.encode(0x82, payload);
  assert.equal(second.buffer, first.buffer);
  assert.deepEqual(second, encodeFrame(0x82, payload, 0x01020304));
  assert.ok(payload.every((b) => b === 0xaa));
});

Deno.test("frame pool: given-back memory is reused; foreign and large buffers are never adopted", () => {
  const pool = new FramePool();
  const a = pool.take(2, 100)!;
  assert.equal(a.byteOffset, 2);
  assert.equal(a.length, 100);
  pool.give(a);
  assert.equal(pool.take(0, 128)!.buffer, a.buffer);
  // A buffer the pool did not make is ignored, even of a pooled size.
  const foreign = new Uint8Array(128);
  pool.give(foreign);
  assert.notEqual(pool.take(0, 128)!.buffer, foreign.buffer);
  // Beyond 2 MiB the pool declines; the encoder then allocates.
  assert.equal(pool.take(0, FramePool.MAX_SIZE + 1), null);
  const huge = new FrameEncoder({ role: "server", pool, frameSize: 0 })
    .encode(0x82, new Uint8Array(FramePool.MAX_SIZE));
  pool.give(huge);
  assert.equal(huge.buffer.byteLength, FramePool.MAX_SIZE + 10 + 2);
});

Deno.test("frame pool: large frames (Qt's 512 KiB default) reuse a few kept buffers, each at most twice the frame", () => {
  const pool = new FramePool();
  const encoder = new FrameEncoder({ role: "client", pool, maskGenerator: fixedMasks() });
  const payload = new Uint8Array(2 * 524288).fill(0x55);
  const frames = encoder.encodeMessage(0x2, payload);
  assert.equal(frames.length, 2);
  const buffers = frames.map((frame) => frame.buffer);
  for (const frame of frames) pool.give(frame);
  // The next message's frames reuse both buffers, bytes rewritten.
  const again = encoder.encodeMessage(0x2, payload);
  assert.deepEqual(new Set(again.map((frame) => frame.buffer)), new Set(buffers));
  assert.deepEqual(again[0], encodeFrame(0x02, payload.subarray(0, 524288), 0x01020304));
  for (const frame of again) pool.give(frame);
  // A 70,000-byte frame does not take a 576 KiB buffer (more than twice its size).
  const small = pool.take(2, 70000)!;
  assert.ok(!buffers.includes(small.buffer as ArrayBuffer));
  assert.ok(small.buffer.byteLength < 2 * 70002);
  // Four large buffers are kept for good (more only weakly, until a full
  // collection: whether those are still there is the garbage collector's call).
  const many = Array.from({ length: 6 }, () => pool.take(0, 300000)!);
  for (const frame of many) pool.give(frame);
  const kept = new Set(many.map((frame) => frame.buffer));
  const next = Array.from({ length: 6 }, () => pool.take(0, 300000)!.buffer);
  assert.ok(next.filter((buffer) => kept.has(buffer)).length >= 4);
  assert.equal(new Set(next).size, 6);
});

class FixedMask extends QMaskGenerator {
  override seed(): boolean {
    return true;
  }
  override nextMask(): number {
    return 0x01020304;
  }
}

function fixedMasks(): QMaskGenerator {
  return new FixedMask();
}
