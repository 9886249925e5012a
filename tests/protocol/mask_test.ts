import assert from "node:assert/strict";
import {
  applyMask,
  DefaultMaskGenerator,
  QMaskGenerator,
  readMaskKey,
} from "../../lib/protocol/mod.ts";
import { bytes, FixedMaskGenerator, maskByteLoop, RFC_KEY, utf8 } from "./_helpers.ts";
import { mulberry32, randomBytes, randomInt } from "./_prng.ts";

// Keys that catch sign and byte-order mistakes: high bit set, all ones,
// distinct bytes, a single low bit, and a key given as a negative int32.
const KEYS = [RFC_KEY, 0xffffffff, 0x80000001, 0x01020304, 0x00000001, 0xa5c35a3c, -0x12345679];

// Masks `length` bytes that start `offset` bytes into a buffer both word-wise
// and byte by byte, with guard bytes around, and compares whole buffers.
function compareWithByteLoop(length: number, offset: number, key: number, phase: number): void {
  const source = new Uint8Array(offset + length + 8);
  for (let i = 0; i < source.length; i++) source[i] = (i * 37 + 11) & 0xff;
  const fast = source.slice();
  const slow = source.slice();
  applyMask(fast.subarray(offset, offset + length), key, phase);
  maskByteLoop(slow.subarray(offset, offset + length), key >>> 0, phase);
  // Compare the whole buffer: bytes outside the view must be untouched too.
  if (fast.some((b, i) => b !== slow[i])) {
    assert.fail(
      `applyMask differs: length ${length}, offset ${offset}, key ${key}, phase ${phase}`,
    );
  }
}

Deno.test('5.7 masking: unmasking the masked "Hello" with key 37 fa 21 3d gives "Hello"', () => {
  const payload = bytes(0x7f, 0x9f, 0x4d, 0x51, 0x58);
  applyMask(payload, RFC_KEY);
  assert.deepEqual(payload, utf8("Hello"));
  // And masking "Hello" gives the RFC's bytes.
  const hello = utf8("Hello");
  applyMask(hello, RFC_KEY);
  assert.deepEqual(hello, bytes(0x7f, 0x9f, 0x4d, 0x51, 0x58));
});

Deno.test("5.3 masking: the word-wise applyMask equals a byte loop for lengths 0-300, every offset and phase", () => {
  for (const key of KEYS) {
    for (let length = 0; length <= 300; length++) {
      for (let offset = 0; offset < 4; offset++) {
        for (let phase = 0; phase < 4; phase++) compareWithByteLoop(length, offset, key, phase);
      }
    }
  }
});

Deno.test("5.3 masking: the word-wise applyMask equals a byte loop for large payloads", () => {
  const rng = mulberry32(0x5eed);
  for (const length of [4093, 4096, 65535, 65536, 65539, 1 << 20, (1 << 20) + 3]) {
    for (let offset = 0; offset < 4; offset++) {
      compareWithByteLoop(length, offset, KEYS[randomInt(rng, 0, KEYS.length - 1)]!, offset);
    }
  }
});

Deno.test("5.3 masking: applying the same key twice restores the data", () => {
  const rng = mulberry32(7);
  for (const length of [0, 1, 3, 23, 24, 25, 1000]) {
    const original = randomBytes(rng, length);
    const data = original.slice();
    applyMask(data, 0xdeadbeef, 1);
    if (length >= 4) assert.notDeepEqual(data, original);
    applyMask(data, 0xdeadbeef, 1);
    assert.deepEqual(data, original);
  }
});

Deno.test("5.3 masking: a payload unmasked in pieces, with the phase carried, equals one unmasked whole", () => {
  const rng = mulberry32(42);
  for (let round = 0; round < 200; round++) {
    const payload = randomBytes(rng, randomInt(rng, 0, 700));
    const whole = payload.slice();
    maskByteLoop(whole, RFC_KEY);
    const pieces = payload.slice();
    let at = 0;
    while (at < pieces.length) {
      const size = randomInt(rng, 1, 90);
      applyMask(pieces.subarray(at, at + size), RFC_KEY, at & 3);
      at += size;
    }
    assert.deepEqual(pieces, whole);
  }
});

Deno.test("5.3 masking: the phase counts modulo 4", () => {
  for (const length of [5, 40]) {
    const a = utf8("x".repeat(length));
    const b = a.slice();
    applyMask(a, RFC_KEY, 1);
    applyMask(b, RFC_KEY, 5);
    assert.deepEqual(a, b);
  }
});

Deno.test("5.3 masking: a zero key leaves the data unchanged", () => {
  const data = utf8("unchanged by a zero key, long enough for words");
  const copy = data.slice();
  applyMask(data, 0);
  assert.deepEqual(data, copy);
});

Deno.test("5.2 masking key: readMaskKey reads the key most significant byte first, unsigned", () => {
  assert.equal(readMaskKey(bytes(0x37, 0xfa, 0x21, 0x3d), 0), RFC_KEY);
  assert.equal(readMaskKey(bytes(0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d), 2), RFC_KEY);
  assert.equal(readMaskKey(bytes(0xff, 0xff, 0xff, 0xff), 0), 0xffffffff);
  assert.equal(readMaskKey(bytes(0x80, 0, 0, 0), 0), 0x80000000);
});

Deno.test("Qt QMaskGenerator: a subclass supplies seed() and nextMask()", () => {
  const generator = new FixedMaskGenerator(1, 2, 3);
  assert.ok(generator instanceof QMaskGenerator);
  assert.deepEqual([generator.nextMask(), generator.nextMask(), generator.nextMask()], [1, 2, 3]);
  assert.equal(generator.seed(), true);
  assert.equal(generator.nextMask(), 1);
});

Deno.test("5.3 DefaultMaskGenerator: unsigned 32-bit keys, never 0, not all the same", () => {
  const generator = new DefaultMaskGenerator();
  const seen = new Set<number>();
  for (let i = 0; i < 5000; i++) {
    const mask = generator.nextMask();
    assert.ok(Number.isInteger(mask) && mask > 0 && mask <= 0xffffffff, `${mask}`);
    seen.add(mask);
  }
  assert.ok(seen.size > 4900, `only ${seen.size} distinct masks out of 5000`);
});

// Replaces crypto.getRandomValues for the length of `fn`, so the generator's
// use of it can be observed.
function withRandomSource(fill: (target: Uint32Array) => void, fn: () => void): number {
  const original = crypto.getRandomValues;
  let calls = 0;
  crypto.getRandomValues = (<T extends ArrayBufferView | null>(target: T): T => {
    calls++;
    fill(target as unknown as Uint32Array);
    return target;
  }) as typeof crypto.getRandomValues;
  try {
    fn();
  } finally {
    crypto.getRandomValues = original;
  }
  return calls;
}

Deno.test("5.3 DefaultMaskGenerator: a zero from the random source is skipped (a zero key would send clear text)", () => {
  let batch = 0;
  const masks: number[] = [];
  withRandomSource((target) => {
    batch++;
    // First batch: all zeros but the last word; second batch: counting up.
    for (let i = 0; i < target.length; i++) {
      target[i] = batch === 1 ? (i === target.length - 1 ? 0xabcdef01 : 0) : i + 1;
    }
  }, () => {
    const generator = new DefaultMaskGenerator();
    masks.push(generator.nextMask(), generator.nextMask());
  });
  assert.deepEqual(masks, [0xabcdef01, 1]);
});

Deno.test("5.3 DefaultMaskGenerator: draws random values in batches of 2048 keys; seed() starts a fresh batch", () => {
  let counter = 0;
  const fillCounting = (target: Uint32Array) => {
    for (let i = 0; i < target.length; i++) target[i] = ++counter;
  };
  const generator = new DefaultMaskGenerator();
  let calls = withRandomSource(fillCounting, () => {
    for (let i = 0; i < 2048; i++) generator.nextMask();
  });
  assert.equal(calls, 1);
  calls = withRandomSource(fillCounting, () => generator.nextMask());
  assert.equal(calls, 1);
  calls = withRandomSource(fillCounting, () => {
    assert.equal(generator.seed(), true);
    generator.nextMask();
  });
  assert.equal(calls, 1);
});
