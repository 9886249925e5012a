/**
 * `QSslError`: one problem found while verifying a peer's certificate.
 *
 * @module
 */

import { QSslCertificate } from "./qssl_certificate.ts";

const DESCRIPTIONS: Record<number, string> = {
  0: "No error",
  1: "The issuer certificate could not be found",
  4: "The certificate signature is invalid",
  5: "The certificate is not yet valid",
  6: "The certificate has expired",
  9: "The certificate is self-signed, and untrusted",
  10: "The root certificate of the certificate chain is self-signed, and untrusted",
  11: "The issuer certificate of a locally looked up certificate could not be found",
  12: "No certificates could be verified",
  13: "The certificate has been revoked",
  14: "One of the CA certificates is invalid",
  16: "The supplied certificate is unsuitable for this purpose",
  17: "The root CA certificate is not trusted for this purpose",
  18: "The root CA certificate is marked to reject the specified purpose",
  21: "The peer did not present any certificate",
  22: "The host name did not match any of the valid hosts for this certificate",
  23: "No TLS support",
  25: "The certificate status is unknown",
  [-1]: "An unknown error occurred",
};

/**
 * A certificate verification problem, as Qt's `QSslError`: what went wrong
 * (`error()`, one of `QSslError.SslError`) and, where known, the certificate.
 *
 * Deno reports verification failures without the peer's certificate, so
 * errors raised by qtws carry a null certificate unless the certificate was
 * given by the application.
 *
 * @example The error list for a self-signed server, from Qt's documentation
 * ```ts
 * import { QSslCertificate, QSslError } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * const error = new QSslError(QSslError.SslError.SelfSignedCertificate, new QSslCertificate());
 * assert.equal(error.error(), 9);
 * assert.equal(error.errorString(), "The certificate is self-signed, and untrusted");
 * ```
 */
export class QSslError {
  /** Qt's `QSslError::SslError` values. */
  static readonly SslError = {
    NoError: 0,
    UnableToGetIssuerCertificate: 1,
    UnableToDecryptCertificateSignature: 2,
    UnableToDecodeIssuerPublicKey: 3,
    CertificateSignatureFailed: 4,
    CertificateNotYetValid: 5,
    CertificateExpired: 6,
    InvalidNotBeforeField: 7,
    InvalidNotAfterField: 8,
    SelfSignedCertificate: 9,
    SelfSignedCertificateInChain: 10,
    UnableToGetLocalIssuerCertificate: 11,
    UnableToVerifyFirstCertificate: 12,
    CertificateRevoked: 13,
    InvalidCaCertificate: 14,
    PathLengthExceeded: 15,
    InvalidPurpose: 16,
    CertificateUntrusted: 17,
    CertificateRejected: 18,
    SubjectIssuerMismatch: 19,
    AuthorityIssuerSerialNumberMismatch: 20,
    NoPeerCertificate: 21,
    HostNameMismatch: 22,
    NoSslSupport: 23,
    CertificateBlacklisted: 24,
    CertificateStatusUnknown: 25,
    OcspNoResponseFound: 26,
    OcspMalformedRequest: 27,
    OcspMalformedResponse: 28,
    OcspInternalError: 29,
    OcspTryLater: 30,
    OcspSigRequred: 31,
    OcspUnauthorized: 32,
    OcspResponseCannotBeTrusted: 33,
    OcspResponseCertIdUnknown: 34,
    OcspResponseExpired: 35,
    OcspStatusUnknown: 36,
    UnspecifiedError: -1,
  } as const;

  readonly #error: QSslError.SslError;
  readonly #certificate: QSslCertificate;

  /**
   * Creates an error.
   *
   * @param error The kind of problem (default `NoError`).
   * @param certificate The certificate it concerns, if known.
   */
  constructor(
    error: QSslError.SslError = QSslError.SslError.NoError,
    certificate: QSslCertificate = new QSslCertificate(),
  ) {
    this.#error = error;
    this.#certificate = certificate;
  }

  /** Returns the kind of problem. */
  error(): QSslError.SslError {
    return this.#error;
  }

  /** Returns a sentence that describes the problem. */
  errorString(): string {
    return DESCRIPTIONS[this.#error] ?? "The certificate could not be verified";
  }

  /** Returns the certificate concerned, or a null certificate when unknown. */
  certificate(): QSslCertificate {
    return this.#certificate;
  }

  /**
   * Whether `other` is the same problem about the same certificate.
   *
   * @param other The error to compare with.
   * @returns `true` when kind and certificate match.
   */
  equals(other: QSslError): boolean {
    return this.#error === other.error() && this.#certificate.equals(other.certificate());
  }
}

/** The type of `QSslError.SslError` values. */
export declare namespace QSslError {
  /** One of `QSslError.SslError`. */
  export type SslError = typeof QSslError.SslError[keyof typeof QSslError.SslError];
}
