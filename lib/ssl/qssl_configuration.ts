/**
 * `QSslConfiguration`: the TLS settings of a secure socket or server.
 *
 * @module
 */

import { QSslCertificate } from "./qssl_certificate.ts";
import { QSslKey } from "./qssl_key.ts";

/**
 * How strictly the peer's certificate is checked (Qt's `QSslSocket::PeerVerifyMode`).
 *
 * @example A client for a test server whose certificate names another host
 * ```ts
 * import { PeerVerifyMode, QSslConfiguration, QWebSocket } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * const config = QSslConfiguration.defaultConfiguration();
 * assert.equal(config.peerVerifyMode(), PeerVerifyMode.AutoVerifyPeer);
 * // On Deno this skips only the host name check: the chain must still be trusted.
 * config.setPeerVerifyMode(PeerVerifyMode.VerifyNone);
 *
 * const socket = new QWebSocket();
 * socket.setSslConfiguration(config);
 * assert.equal(socket.sslConfiguration().peerVerifyMode(), PeerVerifyMode.VerifyNone);
 * ```
 */
export const PeerVerifyMode = {
  /** Do not check the peer's certificate (clients on Deno: skips the host name check only). */
  VerifyNone: 0,
  /** Ask for a certificate but do not require it to be valid. */
  QueryPeer: 1,
  /** Require a valid certificate. */
  VerifyPeer: 2,
  /** Clients: VerifyPeer; servers: QueryPeer. */
  AutoVerifyPeer: 3,
} as const;

/** One of {@linkcode PeerVerifyMode}. */
export type PeerVerifyMode = typeof PeerVerifyMode[keyof typeof PeerVerifyMode];

/**
 * TLS settings, as Qt's `QSslConfiguration`, mapped to Deno's TLS options:
 * `caCertificates` → `caCerts` (added to Deno's built-in roots),
 * `localCertificateChain` + `privateKey` → `cert` + `key` (a client
 * certificate, or a server's certificate), `allowedNextProtocols` →
 * `alpnProtocols`. A socket takes a copy: change a configuration, then set it
 * again.
 *
 * @example A client with a private CA, a client certificate and ALPN
 * ```ts ignore
 * import { QSslCertificate, QSslConfiguration, QSslKey, QWebSocket } from "@qtws/websockets";
 *
 * const config = QSslConfiguration.defaultConfiguration();
 * config.setCaCertificates(QSslCertificate.fromPath("ca.crt"));
 * config.setLocalCertificate(QSslCertificate.fromPath("client.crt")[0]!);
 * config.setPrivateKey(new QSslKey(Deno.readTextFileSync("client.key")));
 * config.setAllowedNextProtocols(["http/1.1"]);
 *
 * const socket = new QWebSocket();
 * socket.setSslConfiguration(config);
 * socket.addEventListener("connected", () => {
 *   console.log("ALPN:", socket.sslConfiguration().nextNegotiatedProtocol());
 * });
 * socket.open("wss://example.com/chat");
 * ```
 *
 * @example Settings are plain values
 * ```ts
 * import { QSslConfiguration } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * const config = QSslConfiguration.defaultConfiguration();
 * config.setAllowedNextProtocols(["http/1.1"]);
 * const copy = config.clone();
 * copy.setAllowedNextProtocols([]);
 * assert.deepEqual(config.allowedNextProtocols(), ["http/1.1"]);
 * assert.equal(config.localCertificate().isNull(), true);
 * assert.equal(config.hasCustomCaCertificates(), false);
 * ```
 */
export class QSslConfiguration {
  /** Qt's `QSslSocket::PeerVerifyMode` values. */
  static readonly PeerVerifyMode: typeof PeerVerifyMode = PeerVerifyMode;

  #caCertificates: QSslCertificate[] | null = null;
  #localChain: QSslCertificate[] = [];
  #privateKey: QSslKey = new QSslKey();
  #alpn: string[] = [];
  #negotiated = "";
  #verifyMode: PeerVerifyMode = PeerVerifyMode.AutoVerifyPeer;
  #interruptOnError = false;

  /**
   * A configuration with the system's trusted CAs and no local certificate.
   *
   * @returns A new configuration.
   */
  static defaultConfiguration(): QSslConfiguration {
    return new QSslConfiguration();
  }

  /**
   * A copy of this configuration.
   *
   * @returns The copy.
   */
  clone(): QSslConfiguration {
    const copy = new QSslConfiguration();
    copy.#caCertificates = this.#caCertificates === null ? null : [...this.#caCertificates];
    copy.#localChain = [...this.#localChain];
    copy.#privateKey = this.#privateKey;
    copy.#alpn = [...this.#alpn];
    copy.#negotiated = this.#negotiated;
    copy.#verifyMode = this.#verifyMode;
    copy.#interruptOnError = this.#interruptOnError;
    return copy;
  }

  /**
   * Whether nothing was configured.
   *
   * @returns `true` for a configuration equal to the default one.
   */
  isNull(): boolean {
    return this.#caCertificates === null && this.#localChain.length === 0 &&
      this.#privateKey.isNull() && this.#alpn.length === 0;
  }

  /**
   * The CA certificates trusted to sign the peer's certificate, besides
   * Deno's built-in roots. Empty when never set (Qt lists the system's CAs
   * here; Deno does not expose its roots).
   *
   * @returns A copy of the list.
   */
  caCertificates(): QSslCertificate[] {
    return [...(this.#caCertificates ?? [])];
  }

  /**
   * Whether CA certificates were set (trusted in addition to Deno's roots).
   *
   * @returns `true` after `setCaCertificates()` or `addCaCertificate(s)()`.
   */
  hasCustomCaCertificates(): boolean {
    return this.#caCertificates !== null;
  }

  /**
   * Trusts these CA certificates. Unlike Qt, where this list replaces the
   * system's CAs, Deno trusts them in addition to its built-in roots (it has
   * no way to remove those).
   *
   * @param certificates The CA certificates.
   */
  setCaCertificates(certificates: readonly QSslCertificate[]): void {
    this.#caCertificates = certificates.filter((c) => !c.isNull());
  }

  /**
   * Adds one trusted CA certificate.
   *
   * @param certificate The CA certificate.
   */
  addCaCertificate(certificate: QSslCertificate): void {
    this.addCaCertificates([certificate]);
  }

  /**
   * Adds trusted CA certificates.
   *
   * @param certificates The CA certificates.
   */
  addCaCertificates(certificates: readonly QSslCertificate[]): void {
    this.#caCertificates = [
      ...(this.#caCertificates ?? []),
      ...certificates.filter((c) => !c.isNull()),
    ];
  }

  /** Returns this end's certificate (the first of the local chain), or a null one. */
  localCertificate(): QSslCertificate {
    return this.#localChain[0] ?? new QSslCertificate();
  }

  /**
   * Sets this end's certificate (client certificate, or server certificate).
   *
   * @param certificate This end's certificate (client certificate, or server certificate).
   */
  setLocalCertificate(certificate: QSslCertificate): void {
    this.#localChain = certificate.isNull() ? [] : [certificate];
  }

  /** Returns this end's certificate followed by its intermediates. */
  localCertificateChain(): QSslCertificate[] {
    return [...this.#localChain];
  }

  /**
   * Sets this end's certificate followed by its intermediates.
   *
   * @param chain This end's certificate followed by its intermediates.
   */
  setLocalCertificateChain(chain: readonly QSslCertificate[]): void {
    this.#localChain = chain.filter((c) => !c.isNull());
  }

  /** Returns the private key of the local certificate, or a null key. */
  privateKey(): QSslKey {
    return this.#privateKey;
  }

  /**
   * Sets the private key of the local certificate.
   *
   * @param key The private key of the local certificate.
   */
  setPrivateKey(key: QSslKey): void {
    this.#privateKey = key;
  }

  /** Returns the ALPN protocols offered, most preferred first. */
  allowedNextProtocols(): string[] {
    return [...this.#alpn];
  }

  /**
   * Sets the ALPN protocols to offer (for example `["http/1.1"]`).
   *
   * @param protocols The ALPN protocols to offer (for example `["http/1.1"]`).
   */
  setAllowedNextProtocols(protocols: readonly string[]): void {
    this.#alpn = [...protocols];
  }

  /** Returns the ALPN protocol the peer chose, once connected; `""` otherwise. */
  nextNegotiatedProtocol(): string {
    return this.#negotiated;
  }

  /**
   * Records the negotiated ALPN protocol (set by the socket after its TLS handshake).
   *
   * @param protocol The protocol, or `""`.
   */
  setNextNegotiatedProtocol(protocol: string): void {
    this.#negotiated = protocol;
  }

  /** Returns how strictly the peer is verified. */
  peerVerifyMode(): PeerVerifyMode {
    return this.#verifyMode;
  }

  /**
   * Sets how strictly the peer is verified. Deno always verifies a server's
   * certificate chain: `VerifyNone` on a client skips only the host name
   * check; an untrusted chain still fails, with an `errorString()` that says
   * how to trust it (or run Deno with `--unsafely-ignore-certificate-errors`).
   *
   * @param mode The mode.
   */
  setPeerVerifyMode(mode: PeerVerifyMode): void {
    this.#verifyMode = mode;
  }

  /** Returns whether the handshake should pause on verification errors (not supported on Deno). */
  handshakeMustInterruptOnError(): boolean {
    return this.#interruptOnError;
  }

  /**
   * Records whether the handshake should pause on errors. Deno's TLS cannot
   * pause a handshake: `handshakeInterruptedOnError` is never dispatched.
   *
   * @param interrupt The setting.
   */
  setHandshakeMustInterruptOnError(interrupt: boolean): void {
    this.#interruptOnError = interrupt;
  }
}
