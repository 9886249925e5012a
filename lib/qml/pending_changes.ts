/**
 * Property changes of the declarative types, applied together.
 *
 * @module
 */

/**
 * Batches property changes as QML does: a script sets any number of
 * properties, and `apply` runs once for all of them, in a microtask, or at
 * once when something needs their effect first (`flush()`). A flush while
 * `apply` runs is a no-op, so a listener that reads a property mid-change
 * sees the state so far.
 */
export class PendingChanges {
  readonly #apply: () => void;
  #scheduled = false;
  #applying = false;

  /** @param apply Applies every pending change. */
  constructor(apply: () => void) {
    this.#apply = apply;
  }

  /** Notes that a property changed; `apply` runs in a microtask unless flushed first. */
  schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => this.flush());
  }

  /** Applies pending changes now. */
  flush(): void {
    if (!this.#scheduled || this.#applying) return;
    this.#scheduled = false;
    this.#applying = true;
    try {
      this.#apply();
    } finally {
      this.#applying = false;
    }
  }
}
