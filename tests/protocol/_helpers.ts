/**
 * Shared helpers of the protocol tests: byte vectors, a deterministic mask
 * generator and a way to catch the typed protocol errors.
 *
 * @module
 */

import assert from "node:assert/strict";
import { QMaskGenerator, WebSocketProtocolError } from "../../lib/protocol/mod.ts";

/** The masking key of the RFC 6455 §5.7 examples. */
export const RFC_KEY = 0x37fa213d;

/** Bytes from numbers, for vectors written out as in the RFC. */
export function bytes(...values: number[]): Uint8Array {
  return new Uint8Array(values);
}

/** ASCII or UTF-8 text as bytes. */
export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** Joins byte arrays into one fresh array. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const joined = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    joined.set(part, at);
    at += part.length;
  }
  return joined;
}

/** A plain byte loop that masks `data` in place: the reference for {@linkcode applyMask}. */
export function maskByteLoop(data: Uint8Array, mask: number, phase = 0): void {
  const key = [mask >>> 24, (mask >>> 16) & 0xff, (mask >>> 8) & 0xff, mask & 0xff];
  for (let i = 0; i < data.length; i++) data[i] ^= key[(i + phase) & 3]!;
}

/**
 * A mask generator that hands out the given keys in order, then repeats the
 * last one, and counts how often it was asked: frames become byte-exact.
 */
export class FixedMaskGenerator extends QMaskGenerator {
  readonly #keys: number[];
  #next = 0;
  /** How many masks were handed out. */
  calls = 0;

  constructor(...keys: number[]) {
    super();
    this.#keys = keys.length === 0 ? [RFC_KEY] : keys;
  }

  seed(): boolean {
    this.#next = 0;
    return true;
  }

  nextMask(): number {
    this.calls++;
    const key = this.#keys[Math.min(this.#next, this.#keys.length - 1)]!;
    this.#next++;
    return key;
  }
}

/**
 * Runs `fn`, asserts that it throws a {@linkcode WebSocketProtocolError} with
 * `closeCode` (and `code` when given), and returns the error.
 */
export function expectProtocolError(
  fn: () => void,
  closeCode: number,
  code?: string,
): WebSocketProtocolError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught !== undefined, `expected a WebSocketProtocolError with close code ${closeCode}`);
  assert.ok(
    caught instanceof WebSocketProtocolError,
    `expected a WebSocketProtocolError, got ${String(caught)}`,
  );
  assert.equal(caught.closeCode, closeCode, caught.message);
  if (code !== undefined) assert.equal(caught.code, code, caught.message);
  return caught;
}
