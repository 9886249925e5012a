/**
 * `QSsl`: the TLS enumerations of Qt that the WebSocket API mentions.
 *
 * @module
 */

/**
 * Qt's `QSsl` namespace: alert levels and types (used by the `alertReceived`
 * and `alertSent` events), certificate and key encodings.
 *
 * @example Alert types and encodings have Qt's values
 * ```ts
 * import { QSsl } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * assert.equal(QSsl.AlertType.HandshakeFailure, 40);
 * assert.equal(QSsl.EncodingFormat.Pem, 0);
 * ```
 */
export const QSsl = {
  /** How serious a TLS alert is. */
  AlertLevel: { Warning: 0, Fatal: 1, Unknown: 2 },
  /** TLS alert descriptions (RFC 8446 §6), with Qt's names. */
  AlertType: {
    CloseNotify: 0,
    UnexpectedMessage: 10,
    BadRecordMac: 20,
    RecordOverflow: 22,
    DecompressionFailure: 30,
    HandshakeFailure: 40,
    NoCertificate: 41,
    BadCertificate: 42,
    UnsupportedCertificate: 43,
    CertificateRevoked: 44,
    CertificateExpired: 45,
    CertificateUnknown: 46,
    IllegalParameter: 47,
    UnknownCa: 48,
    AccessDenied: 49,
    DecodeError: 50,
    DecryptError: 51,
    ExportRestriction: 60,
    ProtocolVersion: 70,
    InsufficientSecurity: 71,
    InternalError: 80,
    InappropriateFallback: 86,
    UserCancelled: 90,
    NoRenegotiation: 100,
    MissingExtension: 109,
    UnsupportedExtension: 110,
    CertificateUnobtainable: 111,
    UnrecognizedName: 112,
    BadCertificateStatusResponse: 113,
    BadCertificateHashValue: 114,
    UnknownPskIdentity: 115,
    CertificateRequired: 116,
    NoApplicationProtocol: 120,
    UnknownAlertMessage: 255,
  },
  /** How a certificate or key is encoded; only PEM is supported on Deno. */
  EncodingFormat: { Pem: 0, Der: 1 },
  /** Key algorithms. */
  KeyAlgorithm: { Opaque: 0, Rsa: 1, Dsa: 2, Ec: 3, Dh: 4 },
  /** Whether a key is private or public. */
  KeyType: { PrivateKey: 0, PublicKey: 1 },
} as const;

/** The types of the values of each `QSsl` enumeration. */
export declare namespace QSsl {
  /** One of `QSsl.AlertLevel`. */
  export type AlertLevel = typeof QSsl.AlertLevel[keyof typeof QSsl.AlertLevel];
  /** One of `QSsl.AlertType`. */
  export type AlertType = typeof QSsl.AlertType[keyof typeof QSsl.AlertType];
  /** One of `QSsl.EncodingFormat`. */
  export type EncodingFormat = typeof QSsl.EncodingFormat[keyof typeof QSsl.EncodingFormat];
  /** One of `QSsl.KeyAlgorithm`. */
  export type KeyAlgorithm = typeof QSsl.KeyAlgorithm[keyof typeof QSsl.KeyAlgorithm];
  /** One of `QSsl.KeyType`. */
  export type KeyType = typeof QSsl.KeyType[keyof typeof QSsl.KeyType];
}
