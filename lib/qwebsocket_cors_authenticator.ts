/**
 * `QWebSocketCorsAuthenticator`: the origin check of an incoming handshake.
 *
 * @module
 */

/**
 * Passed with the `originAuthenticationRequired` event of a
 * `QWebSocketServer`: the listener reads `origin()` and calls
 * `setAllowed(false)` to refuse the connection (answered with 403 Forbidden).
 * Origins are allowed unless a listener says otherwise.
 *
 * @example Allow only one origin
 * ```ts
 * import { QWebSocketCorsAuthenticator } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * const authenticator = new QWebSocketCorsAuthenticator("https://evil.example");
 * authenticator.setAllowed(authenticator.origin() === "https://app.example");
 * assert.equal(authenticator.allowed(), false);
 * ```
 */
export class QWebSocketCorsAuthenticator {
  #origin: string;
  #allowed = true;

  /**
   * Creates an authenticator for `origin`, allowed by default.
   *
   * @param origin The `Origin` the client sent (empty when it sent none),
   *   or an authenticator to copy (Qt's copy constructor).
   */
  constructor(origin: string | QWebSocketCorsAuthenticator) {
    if (origin instanceof QWebSocketCorsAuthenticator) {
      this.#origin = origin.origin();
      this.#allowed = origin.allowed();
    } else if (typeof origin === "string") {
      this.#origin = origin;
    } else {
      throw new TypeError(
        'Cannot create QWebSocketCorsAuthenticator: pass the origin as a string ("" for none) ' +
          "or another QWebSocketCorsAuthenticator to copy",
      );
    }
  }

  /**
   * The origin of the connecting client.
   *
   * @returns The origin, or `""` when the client sent none.
   */
  origin(): string {
    return this.#origin;
  }

  /**
   * Whether the origin is allowed.
   *
   * @returns `true` unless `setAllowed(false)` was called.
   */
  allowed(): boolean {
    return this.#allowed;
  }

  /**
   * Allows or refuses the origin.
   *
   * @param allowed `false` refuses the connection.
   */
  setAllowed(allowed: boolean): void {
    this.#allowed = Boolean(allowed);
  }

  /**
   * Exchanges state with `other`, as Qt's `swap()`.
   *
   * @param other The authenticator to swap with.
   */
  swap(other: QWebSocketCorsAuthenticator): void {
    const [origin, allowed] = [this.#origin, this.#allowed];
    this.#origin = other.origin();
    this.#allowed = other.allowed();
    other.#origin = origin;
    other.#allowed = allowed;
  }
}
