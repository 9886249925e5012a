/**
 * `QWebSocketHandshakeOptions`: what a client asks for in its opening handshake.
 *
 * @module
 */

/**
 * Options for the opening handshake of a `QWebSocket`, as Qt 6.4's
 * `QWebSocketHandshakeOptions`: the subprotocols to offer, in order of
 * preference.
 *
 * @example Offer two subprotocols
 * ```ts
 * import { QWebSocketHandshakeOptions } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * const options = new QWebSocketHandshakeOptions();
 * options.setSubprotocols(["chat.v2", "chat.v1"]);
 * assert.deepEqual(options.subprotocols(), ["chat.v2", "chat.v1"]);
 * ```
 */
export class QWebSocketHandshakeOptions {
  #subprotocols: string[] = [];

  /**
   * Creates options, optionally copying another set.
   *
   * @param other Options to copy.
   */
  constructor(other?: QWebSocketHandshakeOptions) {
    if (other !== undefined) this.#subprotocols = other.subprotocols();
  }

  /**
   * The subprotocols to offer.
   *
   * @returns A copy of the list.
   */
  subprotocols(): string[] {
    return [...this.#subprotocols];
  }

  /**
   * Sets the subprotocols to offer, most preferred first. Each must be an
   * HTTP token (RFC 6455 §4.1); `open()` reports invalid ones.
   *
   * @param protocols The subprotocol names.
   */
  setSubprotocols(protocols: readonly string[]): void {
    if (!Array.isArray(protocols) || protocols.some((p) => typeof p !== "string")) {
      throw new TypeError("Cannot set subprotocols: pass an array of strings");
    }
    this.#subprotocols = [...protocols];
  }

  /**
   * Whether these options equal `other`, as Qt's `operator==`.
   *
   * @param other The options to compare with.
   * @returns `true` when both offer the same subprotocols in the same order.
   */
  equals(other: QWebSocketHandshakeOptions): boolean {
    const a = this.#subprotocols;
    const b = other.subprotocols();
    return a.length === b.length && a.every((p, i) => p === b[i]);
  }

  /**
   * Exchanges these options with `other`, as Qt's `swap()`.
   *
   * @param other The options to swap with.
   */
  swap(other: QWebSocketHandshakeOptions): void {
    const mine = this.#subprotocols;
    this.#subprotocols = other.subprotocols();
    other.setSubprotocols(mine);
  }
}
