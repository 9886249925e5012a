/**
 * `QWebSocketHandshakeOptions`: what a client asks for in its opening handshake.
 *
 * @module
 */

import {
  checkPerMessageDeflateOptions,
  type PerMessageDeflateOptions,
} from "./protocol/permessage_deflate_params.ts";

/**
 * Options for the opening handshake of a `QWebSocket`, as Qt 6.4's
 * `QWebSocketHandshakeOptions`: the subprotocols to offer, in order of
 * preference.
 *
 * Beyond Qt: the permessage-deflate compression offer (RFC 7692), which is on
 * by default as in browsers and Node's `ws`; see
 * {@linkcode QWebSocketHandshakeOptions.setPerMessageDeflateEnabled}.
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
  #deflateEnabled = true;
  #deflateOptions: PerMessageDeflateOptions = Object.freeze({});

  /**
   * Creates options, optionally copying another set.
   *
   * @param other Options to copy.
   */
  constructor(other?: QWebSocketHandshakeOptions) {
    if (other !== undefined) {
      this.#subprotocols = other.subprotocols();
      this.#deflateEnabled = other.perMessageDeflateEnabled();
      this.#deflateOptions = other.perMessageDeflateOptions();
    }
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
   * Whether the client offers permessage-deflate compression (RFC 7692).
   * Not in Qt, whose WebSockets have no extensions.
   *
   * @returns `true` (the default) when the offer is made.
   */
  perMessageDeflateEnabled(): boolean {
    return this.#deflateEnabled;
  }

  /**
   * Offers permessage-deflate compression (RFC 7692), or not. On by default,
   * as in browsers and Node's `ws`: a server that declines (Qt's, Deno's)
   * simply answers without it and messages go uncompressed. What the server
   * agreed to is `QWebSocket.perMessageDeflate()` once connected. Not in Qt.
   *
   * @example Turn compression off for one connection
   * ```ts
   * import { QWebSocketHandshakeOptions } from "@qtws/websockets";
   * import assert from "node:assert/strict";
   *
   * const options = new QWebSocketHandshakeOptions();
   * assert.equal(options.perMessageDeflateEnabled(), true);
   * options.setPerMessageDeflateEnabled(false);
   * assert.equal(options.perMessageDeflateEnabled(), false);
   * ```
   *
   * @param enabled Whether to offer it.
   */
  setPerMessageDeflateEnabled(enabled: boolean): void {
    if (typeof enabled !== "boolean") {
      throw new TypeError("Cannot setPerMessageDeflateEnabled: pass true or false");
    }
    this.#deflateEnabled = enabled;
  }

  /**
   * The permessage-deflate settings the offer is made with. Not in Qt.
   *
   * @returns A frozen copy; `{}` (RFC 7692's defaults) unless set.
   */
  perMessageDeflateOptions(): PerMessageDeflateOptions {
    return this.#deflateOptions;
  }

  /**
   * Sets what the permessage-deflate offer asks for and how this client
   * compresses: `serverNoContextTakeover` / `serverMaxWindowBits` ask the
   * server to use less memory for what it sends (a server that will not is
   * refused: the connection fails); `clientNoContextTakeover` /
   * `clientMaxWindowBits` limit what this client keeps; `threshold`, `level`
   * and `memLevel` tune its compressor. Not in Qt.
   *
   * @example Ask the server for small windows and no shared context
   * ```ts
   * import { QWebSocketHandshakeOptions } from "@qtws/websockets";
   * import assert from "node:assert/strict";
   *
   * const options = new QWebSocketHandshakeOptions();
   * options.setPerMessageDeflateOptions({ serverNoContextTakeover: true, serverMaxWindowBits: 10 });
   * assert.equal(options.perMessageDeflateOptions().serverMaxWindowBits, 10);
   * ```
   *
   * @param options The settings; window bits 8–15, level 0–9, memLevel 1–9.
   * @throws {TypeError} When `options` is not an object or a flag is not a boolean.
   * @throws {RangeError} When a number is out of range.
   */
  setPerMessageDeflateOptions(options: PerMessageDeflateOptions): void {
    this.#deflateOptions = checkPerMessageDeflateOptions(options);
  }

  /**
   * Whether these options equal `other`, as Qt's `operator==`.
   *
   * @param other The options to compare with.
   * @returns `true` when both offer the same subprotocols in the same order
   *   and the same compression.
   */
  equals(other: QWebSocketHandshakeOptions): boolean {
    const a = this.#subprotocols;
    const b = other.subprotocols();
    return a.length === b.length && a.every((p, i) => p === b[i]) &&
      this.#deflateEnabled === other.perMessageDeflateEnabled() &&
      sameOptions(this.#deflateOptions, other.perMessageDeflateOptions());
  }

  /**
   * Exchanges these options with `other`, as Qt's `swap()`.
   *
   * @param other The options to swap with.
   */
  swap(other: QWebSocketHandshakeOptions): void {
    const mine = new QWebSocketHandshakeOptions(this);
    this.#subprotocols = other.subprotocols();
    this.#deflateEnabled = other.perMessageDeflateEnabled();
    this.#deflateOptions = other.perMessageDeflateOptions();
    other.setSubprotocols(mine.subprotocols());
    other.setPerMessageDeflateEnabled(mine.perMessageDeflateEnabled());
    other.setPerMessageDeflateOptions(mine.perMessageDeflateOptions());
  }
}

function sameOptions(a: PerMessageDeflateOptions, b: PerMessageDeflateOptions): boolean {
  const keys = [...Object.keys(a), ...Object.keys(b)] as Array<keyof PerMessageDeflateOptions>;
  for (const key of keys) if (a[key] !== b[key]) return false;
  return true;
}
