import assert from "node:assert/strict";
import { applyMask } from "../../lib/protocol/mod.ts";
import { maskByteLoop, RFC_KEY } from "./_helpers.ts";

// applyMask works in 64-bit lanes from 256 bytes on, aligned to 8 bytes of the
// underlying buffer: every alignment (0-7), phase and tail length around the
// switch must give the byte loop's result, and leave bytes outside the view alone.
const KEYS = [RFC_KEY, 0xffffffff, 0x80000001, 0x01020304, -0x12345679];

function check(length: number, offset: number, key: number, phase: number): void {
  const source = new Uint8Array(offset + length + 16);
  for (let i = 0; i < source.length; i++) source[i] = (i * 53 + 7) & 0xff;
  const fast = source.slice();
  const slow = source.slice();
  applyMask(fast.subarray(offset, offset + length), key, phase);
  maskByteLoop(slow.subarray(offset, offset + length), key >>> 0, phase);
  if (fast.some((b, i) => b !== slow[i])) {
    assert.fail(
      `applyMask differs: length ${length}, offset ${offset}, key ${key}, phase ${phase}`,
    );
  }
}

Deno.test("5.3 masking: 64-bit lanes equal a byte loop at every 8-byte alignment, phase and tail", () => {
  for (const key of KEYS) {
    for (let length = 248; length <= 280; length++) {
      for (let offset = 0; offset < 8; offset++) {
        for (let phase = 0; phase < 4; phase++) check(length, offset, key, phase);
      }
    }
  }
});

Deno.test("5.3 masking: 64-bit lanes equal a byte loop for 16 KiB and 1 MiB payloads", () => {
  for (const length of [16384, 16387, 1 << 20]) {
    for (let offset = 0; offset < 8; offset++) {
      check(length, offset, KEYS[offset % KEYS.length]!, offset & 3);
    }
  }
});
