/**
 * `QSslKey`: a private key in PEM form.
 *
 * @module
 */

import { QSsl } from "./qssl.ts";

const PEM_KEY = /-----BEGIN ((?:RSA |EC |ENCRYPTED )?PRIVATE KEY)-----[\s\S]*?-----END \1-----/;

/**
 * A private key, held as PEM text, as Qt's `QSslKey`: the key of a client
 * certificate or of a secure server. Encrypted keys are not supported by
 * Deno's TLS: decrypt them first.
 *
 * @example An empty key is null
 * ```ts
 * import { QSslKey } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new QSslKey("").isNull(), true);
 * ```
 */
export class QSslKey {
  readonly #pem: string;
  readonly #algorithm: QSsl.KeyAlgorithm;

  /**
   * Creates a key from PEM text.
   *
   * @param pem The PEM text (`PRIVATE KEY`, `RSA PRIVATE KEY` or `EC PRIVATE KEY`).
   * @param algorithm The algorithm, as Qt's constructor takes it (default RSA; informational).
   */
  constructor(pem = "", algorithm: QSsl.KeyAlgorithm = QSsl.KeyAlgorithm.Rsa) {
    const match = String(pem).match(PEM_KEY);
    this.#pem = match === null ? "" : match[0] + "\n";
    this.#algorithm = match?.[1] === "EC PRIVATE KEY" ? QSsl.KeyAlgorithm.Ec : algorithm;
  }

  /** Returns `true` for a key made from no PEM block. */
  isNull(): boolean {
    return this.#pem === "";
  }

  /** Returns the key as PEM text, or `""`. */
  toPem(): string {
    return this.#pem;
  }

  /** Returns the key algorithm. */
  algorithm(): QSsl.KeyAlgorithm {
    return this.#algorithm;
  }

  /** Returns always `QSsl.KeyType.PrivateKey`. */
  type(): QSsl.KeyType {
    return QSsl.KeyType.PrivateKey;
  }
}
