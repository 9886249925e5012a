/**
 * `QSslCertificate`: an X.509 certificate in PEM form.
 *
 * @module
 */

import { readTextFileSync } from "../transport/files.ts";

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/**
 * An X.509 certificate, held as PEM text, as Qt's `QSslCertificate`. Use it
 * for CA certificates, a client's own certificate, and the expected
 * certificate of a self-signed server given to `ignoreSslErrors()`.
 *
 * @example Load certificates from PEM text
 * ```ts
 * import { QSslCertificate } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new QSslCertificate("").isNull(), true);
 * assert.deepEqual(QSslCertificate.fromData("no certificate here"), []);
 * ```
 */
export class QSslCertificate {
  readonly #pem: string;

  /**
   * Creates a certificate from PEM text (one `BEGIN CERTIFICATE` block).
   *
   * @param pem The PEM text; empty gives a null certificate.
   */
  constructor(pem = "") {
    const match = String(pem).match(PEM_BLOCK);
    this.#pem = match === null ? "" : match[0] + "\n";
  }

  /**
   * Reads every certificate in a PEM file, as Qt's `QSslCertificate::fromPath()`.
   * Needs `--allow-read` for the file.
   *
   * @param path The file's path.
   * @returns The certificates, in file order; empty when the file has none.
   */
  static fromPath(path: string | URL): QSslCertificate[] {
    return QSslCertificate.fromData(readTextFileSync(path));
  }

  /**
   * Parses every certificate in PEM text.
   *
   * @param pem PEM text with any number of certificates.
   * @returns The certificates, in order.
   */
  static fromData(pem: string): QSslCertificate[] {
    return (String(pem).match(PEM_BLOCK) ?? []).map((block) => new QSslCertificate(block));
  }

  /**
   * Whether this certificate is empty.
   *
   * @returns `true` for a certificate made from no PEM block.
   */
  isNull(): boolean {
    return this.#pem === "";
  }

  /**
   * The certificate as PEM text.
   *
   * @returns The PEM block, or `""` for a null certificate.
   */
  toPem(): string {
    return this.#pem;
  }

  /**
   * The certificate as DER bytes.
   *
   * @returns The DER encoding, or an empty array for a null certificate.
   */
  toDer(): Uint8Array {
    const body = this.#pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, "").replace(/\s+/g, "");
    return Uint8Array.from(atob(body), (c) => c.charCodeAt(0));
  }

  /**
   * Whether `other` is the same certificate.
   *
   * @param other The certificate to compare with.
   * @returns `true` when both have the same DER encoding.
   */
  equals(other: QSslCertificate): boolean {
    const a = this.toDer();
    const b = other.toDer();
    return a.length === b.length && a.every((byte, i) => byte === b[i]);
  }
}
