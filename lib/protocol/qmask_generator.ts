/**
 * `QMaskGenerator`: where a client gets the masking keys of its frames.
 *
 * @module
 */

/**
 * The source of the 32-bit masking keys a client puts on every frame it sends
 * (RFC 6455 §5.3). Subclass it to control masks, for example to make frames
 * reproducible in tests; set it with `QWebSocket.setMaskGenerator()`.
 *
 * Masks must be unpredictable to the application sending data: only replace
 * the default generator for testing.
 *
 * @example A deterministic generator for tests
 * ```ts
 * import { QMaskGenerator } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * class CountingMaskGenerator extends QMaskGenerator {
 *   #next = 0;
 *   seed(): boolean {
 *     this.#next = 1;
 *     return true;
 *   }
 *   nextMask(): number {
 *     return this.#next++;
 *   }
 * }
 * const generator = new CountingMaskGenerator();
 * assert.equal(generator.seed(), true);
 * assert.equal(generator.nextMask(), 1);
 * ```
 */
export abstract class QMaskGenerator {
  /**
   * Creates a generator. Qt's `parent` argument is accepted and ignored: object
   * lifetimes are managed by the garbage collector.
   *
   * @param _parent Ignored.
   */
  constructor(_parent?: unknown) {}

  /**
   * Initialises the generator; `QWebSocket` calls it when the generator is set.
   *
   * @returns `true` when the generator was seeded.
   */
  abstract seed(): boolean;

  /**
   * Returns the next masking key.
   *
   * @returns An unsigned 32-bit integer; its most significant byte goes first on the wire.
   */
  abstract nextMask(): number;
}

// 8 KiB of random bytes per crypto call: one call serves 2,048 frames.
const POOL_WORDS = 2048;

/**
 * The default mask source: a cryptographically secure generator that draws
 * from `crypto.getRandomValues` in batches and never returns 0.
 *
 * @example Masks are never 0
 * ```ts
 * import { DefaultMaskGenerator } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * const generator = new DefaultMaskGenerator();
 * assert.notEqual(generator.nextMask(), 0);
 * ```
 */
export class DefaultMaskGenerator extends QMaskGenerator {
  #pool: Uint32Array = new Uint32Array(POOL_WORDS);
  #index = POOL_WORDS;

  /**
   * Discards the buffered random values so the next masks are fresh.
   *
   * @returns Always `true`.
   */
  seed(): boolean {
    this.#index = POOL_WORDS;
    return true;
  }

  /**
   * Returns the next non-zero random masking key.
   *
   * @returns An unsigned 32-bit integer other than 0.
   */
  nextMask(): number {
    for (;;) {
      if (this.#index === POOL_WORDS) {
        crypto.getRandomValues(this.#pool);
        this.#index = 0;
      }
      const mask = this.#pool[this.#index++]!;
      // A zero key would leave the payload in clear text on the wire.
      if (mask !== 0) return mask;
    }
  }
}
