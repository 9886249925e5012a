/**
 * `QSslPreSharedKeyAuthenticator`: TLS-PSK credentials.
 *
 * @module
 */

/**
 * PSK credentials, as Qt's `QSslPreSharedKeyAuthenticator`. Deno's TLS has no
 * PSK cipher suites, so the `preSharedKeyAuthenticationRequired` events that
 * carry it are never dispatched; the class exists so Qt code compiles.
 *
 * @example Fill in an identity
 * ```ts
 * import { QSslPreSharedKeyAuthenticator } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * const authenticator = new QSslPreSharedKeyAuthenticator();
 * authenticator.setIdentity("client-1");
 * assert.equal(authenticator.identity(), "client-1");
 * ```
 */
export class QSslPreSharedKeyAuthenticator {
  #identity = "";
  #key: Uint8Array = new Uint8Array();
  #hint = "";
  #maxIdentity = 128;
  #maxKey = 64;

  /** Returns the identity hint the server sent. */
  identityHint(): string {
    return this.#hint;
  }

  /** Returns the client's identity. */
  identity(): string {
    return this.#identity;
  }

  /**
   * Sets the client's identity.
   *
   * @param identity The client's identity.
   */
  setIdentity(identity: string): void {
    this.#identity = identity;
  }

  /** Returns the longest identity allowed. */
  maximumIdentityLength(): number {
    return this.#maxIdentity;
  }

  /** Returns the pre-shared key. */
  preSharedKey(): Uint8Array {
    return this.#key.slice();
  }

  /**
   * Sets the pre-shared key.
   *
   * @param key The pre-shared key.
   */
  setPreSharedKey(key: Uint8Array): void {
    this.#key = key.slice();
  }

  /** Returns the longest key allowed. */
  maximumPreSharedKeyLength(): number {
    return this.#maxKey;
  }
}
