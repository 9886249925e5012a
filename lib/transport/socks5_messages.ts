/**
 * The bytes of a SOCKS5 CONNECT (RFC 1928) with username/password
 * authentication (RFC 1929), without I/O: what the client sends, how many
 * bytes each answer takes, and what an answer means. The tunnel in
 * `socks5_tunnel.ts` does the reading and writing.
 *
 * @module
 */

import { parseAddress } from "./proxy_environment.ts";

/** RFC 1928 §3: the protocol version, first byte of every message. */
export const SOCKS_VERSION = 0x05;
/** RFC 1928 §3: no authentication required. */
export const METHOD_NONE = 0x00;
/** RFC 1928 §3 / RFC 1929: username/password. */
export const METHOD_USERNAME = 0x02;
/** RFC 1928 §3: none of the offered methods is acceptable. */
export const METHOD_NO_ACCEPTABLE = 0xff;
/** RFC 1929 §2: the sub-negotiation's version. */
export const USERNAME_VERSION = 0x01;

/** RFC 1928 §5 address types. */
export const AddressType = {
  /** Four bytes. */
  IPv4: 0x01,
  /** A length byte, then the name (the proxy resolves it). */
  DomainName: 0x03,
  /** Sixteen bytes. */
  IPv6: 0x04,
} as const;

/** RFC 1928 §6 reply codes (the `REP` field). */
export const ReplyCode = {
  /** The connection is open. */
  Succeeded: 0x00,
  /** General SOCKS server failure. */
  GeneralFailure: 0x01,
  /** Connection not allowed by ruleset. */
  NotAllowed: 0x02,
  /** Network unreachable. */
  NetworkUnreachable: 0x03,
  /** Host unreachable. */
  HostUnreachable: 0x04,
  /** Connection refused. */
  ConnectionRefused: 0x05,
  /** TTL expired. */
  TtlExpired: 0x06,
  /** Command not supported. */
  CommandNotSupported: 0x07,
  /** Address type not supported. */
  AddressTypeNotSupported: 0x08,
} as const;

const REPLY_TEXT: Record<number, string> = {
  0x01: "general SOCKS server failure",
  0x02: "connection not allowed by ruleset",
  0x03: "network unreachable",
  0x04: "host unreachable",
  0x05: "connection refused",
  0x06: "TTL expired",
  0x07: "command not supported",
  0x08: "address type not supported",
};

/**
 * What RFC 1928 §6 says a reply code means, for error messages.
 *
 * @param code The `REP` byte.
 * @returns E.g. `connection refused (0x05)`.
 */
export function replyText(code: number): string {
  const hex = `0x${code.toString(16).padStart(2, "0")}`;
  const text = REPLY_TEXT[code];
  return text === undefined ? `unassigned reply code ${hex}` : `${text} (${hex})`;
}

/**
 * RFC 1928 §3: the client's greeting, offering "no authentication" and,
 * when credentials are known, username/password.
 *
 * @param withCredentials Whether to offer username/password too.
 * @returns `05 01 00` or `05 02 00 02`.
 */
export function encodeGreeting(withCredentials: boolean): Uint8Array {
  return withCredentials
    ? Uint8Array.of(SOCKS_VERSION, 2, METHOD_NONE, METHOD_USERNAME)
    : Uint8Array.of(SOCKS_VERSION, 1, METHOD_NONE);
}

/** Why credentials cannot be encoded. */
export class CredentialsTooLongError extends Error {
  /**
   * @param field Which field is too long (`user name` or `password`).
   */
  constructor(field: string) {
    // Never the value: it is a secret (or names one).
    super(`the ${field} is longer than the 255 bytes RFC 1929 allows`);
    this.name = "CredentialsTooLongError";
  }
}

/**
 * RFC 1929 §2: `01 ULEN UNAME PLEN PASSWD`. RFC 1929 does not name an
 * encoding; UTF-8 is used, as for HTTP Basic (ASCII names are the same bytes
 * in every encoding).
 *
 * @param user The user name.
 * @param password The password.
 * @returns The sub-negotiation request.
 * @throws {CredentialsTooLongError} When either is over 255 bytes.
 */
export function encodeUsernameRequest(user: string, password: string): Uint8Array {
  const encoder = new TextEncoder();
  const name = encoder.encode(user);
  const secret = encoder.encode(password);
  if (name.length > 255) throw new CredentialsTooLongError("user name");
  if (secret.length > 255) throw new CredentialsTooLongError("password");
  const bytes = new Uint8Array(3 + name.length + secret.length);
  bytes[0] = USERNAME_VERSION;
  bytes[1] = name.length;
  bytes.set(name, 2);
  bytes[2 + name.length] = secret.length;
  bytes.set(secret, 3 + name.length);
  return bytes;
}

/** How a CONNECT request names its target. */
export type TargetAddress =
  | { type: typeof AddressType.IPv4; bytes: Uint8Array }
  | { type: typeof AddressType.IPv6; bytes: Uint8Array }
  | { type: typeof AddressType.DomainName; name: string };

/**
 * Chooses the address type for a target: IPv4 and IPv6 literals as
 * addresses (ATYP 1 and 4), anything else as a name the proxy resolves
 * (ATYP 3), as Qt does for a `Socks5Proxy` (its default capabilities include
 * `HostNameLookupCapability`, so the name is never looked up locally).
 *
 * @param hostname The host from the URL (IPv6 without brackets; names are
 *   already lower-case ASCII, IDNs in punycode, as `URL` gives them).
 * @returns The address, or `null` when the name cannot be sent (empty, over
 *   255 bytes, or holding bytes outside printable ASCII).
 */
export function targetAddress(hostname: string): TargetAddress | null {
  const bytes = parseAddress(hostname);
  if (bytes !== null && bytes.length === 4) return { type: AddressType.IPv4, bytes };
  if (bytes !== null) return { type: AddressType.IPv6, bytes };
  if (hostname === "" || hostname.length > 255 || !/^[\x21-\x7e]+$/.test(hostname)) return null;
  return { type: AddressType.DomainName, name: hostname };
}

/**
 * RFC 1928 §4: `05 01 00 ATYP DST.ADDR DST.PORT` (CONNECT).
 *
 * @param address The target's address.
 * @param port The target's port.
 * @returns The request.
 */
export function encodeConnectRequest(address: TargetAddress, port: number): Uint8Array {
  const addressBytes = address.type === AddressType.DomainName
    ? Uint8Array.of(address.name.length, ...new TextEncoder().encode(address.name))
    : address.bytes;
  const bytes = new Uint8Array(4 + addressBytes.length + 2);
  bytes.set([SOCKS_VERSION, 0x01, 0x00, address.type]);
  bytes.set(addressBytes, 4);
  bytes[4 + addressBytes.length] = port >> 8;
  bytes[5 + addressBytes.length] = port & 0xff;
  return bytes;
}

/** The first four bytes of a CONNECT reply. */
export interface ReplyHead {
  /** The `REP` byte: {@linkcode ReplyCode}. */
  reply: number;
  /** The `ATYP` of the bound address. */
  addressType: number;
}

/** Why an answer is not SOCKS5. */
export class Socks5ProtocolError extends Error {
  /**
   * @param message What was wrong.
   */
  constructor(message: string) {
    super(message);
    this.name = "Socks5ProtocolError";
  }
}

/**
 * RFC 1928 §3: the method selection `05 METHOD`.
 *
 * @param bytes The two bytes.
 * @returns The selected method.
 * @throws {Socks5ProtocolError} When the version is not 5.
 */
export function decodeMethodSelection(bytes: Uint8Array): number {
  if (bytes[0] !== SOCKS_VERSION) {
    throw new Socks5ProtocolError(
      `it answered the SOCKS5 greeting with version ${bytes[0]}, not 5: it is not a SOCKS5 proxy`,
    );
  }
  return bytes[1];
}

/**
 * RFC 1929 §2: the sub-negotiation status `01 STATUS`; a status of 0 is
 * success. A version byte of 5 is accepted too: some servers echo the SOCKS
 * version there, and the status alone says whether the credentials passed.
 *
 * @param bytes The two bytes.
 * @returns Whether the credentials were accepted.
 * @throws {Socks5ProtocolError} For another version byte.
 */
export function decodeUsernameReply(bytes: Uint8Array): boolean {
  if (bytes[0] !== USERNAME_VERSION && bytes[0] !== SOCKS_VERSION) {
    throw new Socks5ProtocolError(
      `it answered the username/password request with version ${bytes[0]}, not 1`,
    );
  }
  return bytes[1] === 0x00;
}

/**
 * RFC 1928 §6: the first four bytes of the reply, `05 REP 00 ATYP`.
 *
 * @param bytes The four bytes.
 * @returns The reply code and bound address type.
 * @throws {Socks5ProtocolError} For a version other than 5 or a reserved
 *   byte other than 0 (Qt's `SocksError`).
 */
export function decodeReplyHead(bytes: Uint8Array): ReplyHead {
  if (bytes[0] !== SOCKS_VERSION) {
    throw new Socks5ProtocolError(
      `it answered the CONNECT request with version ${bytes[0]}, not 5`,
    );
  }
  if (bytes[2] !== 0x00) {
    throw new Socks5ProtocolError(
      `its answer to the CONNECT request has ${bytes[2]} in the reserved byte, not 0`,
    );
  }
  return { reply: bytes[1], addressType: bytes[3] };
}

/**
 * How many bytes of the bound address (BND.ADDR and BND.PORT) follow the
 * reply head: known from the address type, except for a domain name, whose
 * length is its first byte.
 *
 * @param addressType The reply's `ATYP`.
 * @returns 6 (IPv4), 18 (IPv6), or `"name"`: read one length byte `n`,
 *   then `n + 2` bytes.
 * @throws {Socks5ProtocolError} For an unassigned address type.
 */
export function boundAddressLength(addressType: number): number | "name" {
  switch (addressType) {
    case AddressType.IPv4:
      return 4 + 2;
    case AddressType.IPv6:
      return 16 + 2;
    case AddressType.DomainName:
      return "name";
    default:
      throw new Socks5ProtocolError(
        `its answer to the CONNECT request has the unknown address type ${addressType}`,
      );
  }
}
