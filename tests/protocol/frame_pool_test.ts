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
  // Beyond 64 KiB the pool declines; the encoder then allocates.
  assert.equal(pool.take(0, FramePool.MAX_SIZE + 1), null);
  const big = new FrameEncoder({ role: "server", pool }).encode(0x82, new Uint8Array(70000));
  pool.give(big);
  assert.equal(big.buffer.byteLength, 70000 + 10 + 2);
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
