/**
 * `QAuthenticator`: credentials asked for by a server (401) or a proxy (407).
 *
 * @module
 */

/**
 * Credentials to fill in from an `authenticationRequired` or
 * `proxyAuthenticationRequired` listener, as Qt's `QAuthenticator`. Only HTTP
 * Basic authentication is supported.
 *
 * @example Fill in credentials
 * ```ts
 * import { QAuthenticator } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * const authenticator = new QAuthenticator("proxy");
 * authenticator.setUser("alice");
 * authenticator.setPassword("secret");
 * assert.equal(authenticator.realm(), "proxy");
 * assert.equal(authenticator.isNull(), false);
 * ```
 */
export class QAuthenticator {
  #user = "";
  #password = "";
  #realm: string;
  #options: Map<string, string> = new Map();

  /**
   * Creates an authenticator.
   *
   * @param realm The realm the server or proxy named.
   */
  constructor(realm = "") {
    this.#realm = realm;
  }

  /** Returns the user name. */
  user(): string {
    return this.#user;
  }

  /**
   * Sets the user name.
   *
   * @param user The user name.
   */
  setUser(user: string): void {
    this.#user = String(user);
  }

  /** Returns the password. */
  password(): string {
    return this.#password;
  }

  /**
   * Sets the password.
   *
   * @param password The password.
   */
  setPassword(password: string): void {
    this.#password = String(password);
  }

  /** Returns the realm the server or proxy named, or `""`. */
  realm(): string {
    return this.#realm;
  }

  /**
   * Sets the realm.
   *
   * @param realm The realm.
   */
  setRealm(realm: string): void {
    this.#realm = String(realm);
  }

  /**
   * Whether no credentials were filled in.
   *
   * @returns `true` when both user and password are empty.
   */
  isNull(): boolean {
    return this.#user === "" && this.#password === "";
  }

  /**
   * An option the challenge carried (for example `"charset"`).
   *
   * @param option The option name.
   * @returns Its value, or `undefined`.
   */
  option(option: string): string | undefined {
    return this.#options.get(option.toLowerCase());
  }

  /**
   * All options the challenge carried.
   *
   * @returns A copy of the options.
   */
  options(): Record<string, string> {
    return Object.fromEntries(this.#options);
  }

  /**
   * Sets an option.
   *
   * @param option The option name.
   * @param value The value.
   */
  setOption(option: string, value: string): void {
    this.#options.set(option.toLowerCase(), value);
  }
}
