/**
 * `QWebSocketProtocol`: the protocol-level enumerations of Qt WebSockets, with
 * Qt's member names and numeric values, and the RFC 6455 rules that go with them.
 *
 * @module
 */

/**
 * The enumerations of Qt's `QWebSocketProtocol` namespace.
 *
 * Each member keeps Qt's name and numeric value, so code ported from Qt reads
 * the same: `QWebSocketProtocol.CloseCode.CloseCodeNormal === 1000`.
 *
 * @example Compare a close code
 * ```ts
 * import { QWebSocketProtocol } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * const code: QWebSocketProtocol.CloseCode = QWebSocketProtocol.CloseCode.CloseCodeGoingAway;
 * assert.equal(code, 1001);
 * assert.equal(QWebSocketProtocol.Version.VersionLatest, 13);
 * ```
 */
export const QWebSocketProtocol = {
  /** Close codes of RFC 6455 §7.4.1, under Qt's names. */
  CloseCode: {
    /** Normal closure. */
    CloseCodeNormal: 1000,
    /** The endpoint is going away (a server shutting down, a page closing). */
    CloseCodeGoingAway: 1001,
    /** The peer broke the protocol. */
    CloseCodeProtocolError: 1002,
    /** The peer sent a type of data this endpoint cannot accept. */
    CloseCodeDatatypeNotSupported: 1003,
    /** Reserved by RFC 6455; never sent. */
    CloseCodeReserved1004: 1004,
    /** No status code was present in the close frame; never sent. */
    CloseCodeMissingStatusCode: 1005,
    /** The connection dropped without a close frame; never sent. */
    CloseCodeAbnormalDisconnection: 1006,
    /** A text message was not valid UTF-8. */
    CloseCodeWrongDatatype: 1007,
    /** A message broke this endpoint's policy. */
    CloseCodePolicyViolated: 1008,
    /** A frame or message was larger than this endpoint accepts. */
    CloseCodeTooMuchData: 1009,
    /** The client needed an extension the server did not negotiate. */
    CloseCodeMissingExtension: 1010,
    /** The server met a condition that kept it from serving the request. */
    CloseCodeBadOperation: 1011,
    /** The TLS handshake failed; never sent. */
    CloseCodeTlsHandshakeFailed: 1015,
  },
  /** WebSocket protocol versions Qt knows; only version 13 is supported. */
  Version: {
    /** An unknown or unparsable version. */
    VersionUnknown: -1,
    /** hixie76 / hybi-00. */
    Version0: 0,
    /** hybi-04. */
    Version4: 4,
    /** hybi-05. */
    Version5: 5,
    /** hybi-06. */
    Version6: 6,
    /** hybi-07. */
    Version7: 7,
    /** hybi-08 to hybi-12. */
    Version8: 8,
    /** RFC 6455. */
    Version13: 13,
    /** The latest version this implementation speaks (13). */
    VersionLatest: 13,
  },
  /** Frame opcodes of RFC 6455 §5.2. */
  OpCode: {
    /** A continuation frame of a fragmented message. */
    OpCodeContinue: 0x0,
    /** The first frame of a text message. */
    OpCodeText: 0x1,
    /** The first frame of a binary message. */
    OpCodeBinary: 0x2,
    /** Reserved for future data frames. */
    OpCodeReserved3: 0x3,
    /** Reserved for future data frames. */
    OpCodeReserved4: 0x4,
    /** Reserved for future data frames. */
    OpCodeReserved5: 0x5,
    /** Reserved for future data frames. */
    OpCodeReserved6: 0x6,
    /** Reserved for future data frames. */
    OpCodeReserved7: 0x7,
    /** A close frame. */
    OpCodeClose: 0x8,
    /** A ping frame. */
    OpCodePing: 0x9,
    /** A pong frame. */
    OpCodePong: 0xa,
    /** Reserved for future control frames. */
    OpCodeReservedB: 0xb,
    /** Reserved for future control frames. */
    OpCodeReservedC: 0xc,
    /** Reserved for future control frames. */
    OpCodeReservedD: 0xd,
    /** Reserved for future control frames. */
    OpCodeReservedE: 0xe,
    /** Reserved for future control frames. */
    OpCodeReservedF: 0xf,
  },
} as const;

/** The types of the values of each `QWebSocketProtocol` enumeration. */
export declare namespace QWebSocketProtocol {
  /** A close code, one of the values of `QWebSocketProtocol.CloseCode`. */
  export type CloseCode = typeof QWebSocketProtocol.CloseCode[
    keyof typeof QWebSocketProtocol.CloseCode
  ];
  /** A protocol version, one of the values of `QWebSocketProtocol.Version`. */
  export type Version = typeof QWebSocketProtocol.Version[
    keyof typeof QWebSocketProtocol.Version
  ];
  /** A frame opcode, one of the values of `QWebSocketProtocol.OpCode`. */
  export type OpCode = typeof QWebSocketProtocol.OpCode[
    keyof typeof QWebSocketProtocol.OpCode
  ];
}

/**
 * Whether `code` may appear in a close frame on the wire (RFC 6455 §7.4).
 *
 * Accepted: 1000–1003, 1007–1014 (1012–1014 are registered with IANA since
 * RFC 6455 was published) and 3000–4999 (registered and private use). Refused:
 * 0–999, 1004, 1005, 1006, 1015, the unassigned 1016–2999, and 5000 and above.
 *
 * @example Validate codes
 * ```ts
 * import { isValidCloseCode } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isValidCloseCode(1000), true);
 * assert.equal(isValidCloseCode(1005), false);
 * assert.equal(isValidCloseCode(4999), true);
 * ```
 *
 * @param code The close code to check.
 * @returns `true` when an endpoint may send `code`.
 */
export function isValidCloseCode(code: number): boolean {
  if (!Number.isInteger(code)) return false;
  if (code >= 3000 && code <= 4999) return true;
  if (code < 1000 || code > 1014) return false;
  return code !== 1004 && code !== 1005 && code !== 1006;
}

/**
 * Whether `opcode` is a control opcode (close, ping, pong or a reserved
 * control opcode): RFC 6455 §5.5 says those have the high bit of the opcode set.
 *
 * @example Ping is a control frame, text is not
 * ```ts
 * import { isControlOpCode, QWebSocketProtocol } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isControlOpCode(QWebSocketProtocol.OpCode.OpCodePing), true);
 * assert.equal(isControlOpCode(QWebSocketProtocol.OpCode.OpCodeText), false);
 * ```
 *
 * @param opcode A 4-bit opcode.
 * @returns `true` for opcodes 0x8 to 0xF.
 */
export function isControlOpCode(opcode: number): boolean {
  return (opcode & 0x8) !== 0;
}

/**
 * Whether `opcode` is reserved by RFC 6455 (0x3–0x7 and 0xB–0xF).
 *
 * @example Opcode 0x3 is reserved
 * ```ts
 * import { isReservedOpCode } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isReservedOpCode(0x3), true);
 * assert.equal(isReservedOpCode(0x9), false);
 * ```
 *
 * @param opcode A 4-bit opcode.
 * @returns `true` when no frame may carry this opcode.
 */
export function isReservedOpCode(opcode: number): boolean {
  return (opcode >= 0x3 && opcode <= 0x7) || opcode >= 0xb;
}

/**
 * Parses a `Sec-WebSocket-Version` value to a `QWebSocketProtocol.Version`,
 * as Qt's `versionFromString` does.
 *
 * @example Read a Sec-WebSocket-Version value
 * ```ts
 * import { versionFromString } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * assert.equal(versionFromString("13"), 13);
 * assert.equal(versionFromString("12"), -1);
 * ```
 *
 * @param value The header value, e.g. `"13"`.
 * @returns The version, or `VersionUnknown` (-1).
 */
export function versionFromString(value: string): QWebSocketProtocol.Version {
  switch (value.trim()) {
    case "0":
      return 0;
    case "4":
      return 4;
    case "5":
      return 5;
    case "6":
      return 6;
    case "7":
      return 7;
    case "8":
      return 8;
    case "13":
      return 13;
    default:
      return -1;
  }
}
