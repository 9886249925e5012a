/**
 * Negotiating permessage-deflate (RFC 7692 §5, §7.1): the client's offer, the
 * server's choice among offers, and the client's check of the server's
 * answer. Pure functions over header values; the compression itself lives
 * outside the protocol core.
 *
 * @module
 */

import { HandshakeError } from "./errors.ts";
import {
  type ExtensionElement,
  formatExtensionHeader,
  parseExtensionHeader,
} from "./extension_header.ts";

/**
 * The extension's registered name (RFC 7692 §7).
 *
 * @example Does a client offer permessage-deflate?
 * ```ts
 * import { parseExtensionHeader, PERMESSAGE_DEFLATE } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * const header = "x-webkit-deflate-frame, permessage-deflate; client_max_window_bits";
 * const offers = parseExtensionHeader(header);
 * assert.equal(offers.some((offer) => offer.name === PERMESSAGE_DEFLATE), true);
 * ```
 */
export const PERMESSAGE_DEFLATE = "permessage-deflate";

/**
 * The smallest LZ77 window, as a base-2 logarithm (RFC 7692 §7.1.2).
 *
 * @example Ask the server for its smallest window (256 bytes)
 * ```ts
 * import { formatPerMessageDeflateOffer, MIN_WINDOW_BITS } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   formatPerMessageDeflateOffer({ serverMaxWindowBits: MIN_WINDOW_BITS }),
 *   "permessage-deflate; server_max_window_bits=8; client_max_window_bits",
 * );
 * ```
 */
export const MIN_WINDOW_BITS = 8;
/**
 * The largest LZ77 window (32 KiB), also the window when none was negotiated.
 *
 * @example The windows agreed when an offer names none
 * ```ts
 * import {
 *   checkPerMessageDeflateOptions,
 *   MAX_WINDOW_BITS,
 *   negotiatePerMessageDeflate,
 * } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * const accepted = negotiatePerMessageDeflate("permessage-deflate", {});
 * assert.equal(accepted?.parameters.serverMaxWindowBits, MAX_WINDOW_BITS);
 * assert.equal(accepted?.parameters.clientMaxWindowBits, MAX_WINDOW_BITS);
 * // A larger window cannot be asked for.
 * assert.throws(
 *   () => checkPerMessageDeflateOptions({ serverMaxWindowBits: MAX_WINDOW_BITS + 1 }),
 *   RangeError,
 * );
 * ```
 */
export const MAX_WINDOW_BITS = 15;
/**
 * Messages shorter than this are sent uncompressed when no context is kept (as `ws`).
 *
 * @example A server that compresses only messages of 4 KiB or more
 * ```ts
 * import { QWebSocketServer } from "@qtws/websockets";
 * import { DEFAULT_DEFLATE_THRESHOLD } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * const server = new QWebSocketServer("feed", QWebSocketServer.SslMode.NonSecureMode);
 * server.setPerMessageDeflateEnabled(true);
 * server.setPerMessageDeflateOptions({
 *   serverNoContextTakeover: true, // the threshold applies only without context takeover
 *   threshold: 4 * DEFAULT_DEFLATE_THRESHOLD,
 * });
 * assert.equal(server.perMessageDeflateOptions().threshold, 4096);
 * ```
 */
export const DEFAULT_DEFLATE_THRESHOLD = 1024;

/**
 * How an endpoint negotiates and runs permessage-deflate. Every field is
 * optional; the defaults keep the 32 KiB windows and context takeover in both
 * directions, as RFC 7692 does when nothing is negotiated.
 *
 * Read by role:
 * - a client offers `server_no_context_takeover` / `server_max_window_bits`
 *   (asking the server to send with less memory) and
 *   `client_no_context_takeover` / `client_max_window_bits` (what it will do
 *   itself; `client_max_window_bits` is always offered, without a value unless
 *   {@linkcode clientMaxWindowBits} is set);
 * - a server answers with `server_no_context_takeover` and
 *   `server_max_window_bits` for what it sends, and asks the client for
 *   `client_no_context_takeover` / `client_max_window_bits`. A server with
 *   `clientMaxWindowBits` set declines offers that do not let it limit the
 *   client's window (they lack `client_max_window_bits`).
 *
 * @example A server that keeps no compression context (least memory per connection)
 * ```ts
 * import type { PerMessageDeflateOptions } from "@qtws/websockets/protocol";
 *
 * const options: PerMessageDeflateOptions = {
 *   serverNoContextTakeover: true,
 *   clientNoContextTakeover: true,
 * };
 * ```
 */
export interface PerMessageDeflateOptions {
  /** The server compresses each message on its own (`server_no_context_takeover`). */
  readonly serverNoContextTakeover?: boolean;
  /** The client compresses each message on its own (`client_no_context_takeover`). */
  readonly clientNoContextTakeover?: boolean;
  /** The largest window the server compresses with, 8–15 (`server_max_window_bits`). */
  readonly serverMaxWindowBits?: number;
  /** The largest window the client compresses with, 8–15 (`client_max_window_bits`). */
  readonly clientMaxWindowBits?: number;
  /**
   * Messages shorter than this many bytes go out uncompressed when this end
   * keeps no compression context (default 1024); with context takeover every
   * message is compressed, since even short ones gain from the shared history.
   */
  readonly threshold?: number;
  /** zlib compression level, 0–9 (default 6, zlib's default). */
  readonly level?: number;
  /** zlib memory level, 1–9 (default 8): the compressor's hash table is 2^(memLevel+9) bytes. */
  readonly memLevel?: number;
}

/**
 * The parameters both ends agreed on, as they apply: window sizes are the
 * effective ones (15 where none was negotiated).
 *
 * @example The defaults, as agreed when nothing was negotiated
 * ```ts
 * import type { PerMessageDeflateParameters } from "@qtws/websockets/protocol";
 *
 * const agreed: PerMessageDeflateParameters = {
 *   serverNoContextTakeover: false,
 *   clientNoContextTakeover: false,
 *   serverMaxWindowBits: 15,
 *   clientMaxWindowBits: 15,
 * };
 * ```
 */
export interface PerMessageDeflateParameters {
  /** The server resets its compression context after each message. */
  readonly serverNoContextTakeover: boolean;
  /** The client resets its compression context after each message. */
  readonly clientNoContextTakeover: boolean;
  /** The server's LZ77 window, as a base-2 logarithm (8–15). */
  readonly serverMaxWindowBits: number;
  /** The client's LZ77 window, as a base-2 logarithm (8–15). */
  readonly clientMaxWindowBits: number;
}

/**
 * A server's acceptance of one permessage-deflate offer.
 *
 * @example A server accepts Chromium's offer
 * ```ts
 * import { negotiatePerMessageDeflate, type PerMessageDeflateAcceptance } from "@qtws/websockets/protocol";
 *
 * const accepted: PerMessageDeflateAcceptance | null = negotiatePerMessageDeflate(
 *   "permessage-deflate; client_max_window_bits",
 *   {},
 * );
 * ```
 */
export interface PerMessageDeflateAcceptance {
  /** The `Sec-WebSocket-Extensions` value to answer with. */
  readonly response: string;
  /** What was agreed. */
  readonly parameters: PerMessageDeflateParameters;
}

// The parameters of one offer or response, once validated.
interface DeflateParams {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number | null;
  // true: offered without a value (only in offers).
  clientMaxWindowBits: number | true | null;
}

// RFC 7692 §7.1.2.1: "a decimal integer value without leading zeroes between 8 to 15".
const WINDOW_BITS_VALUE = /^(?:[89]|1[0-5])$/;

function windowBitsOrFalse(value: string): number | false {
  return WINDOW_BITS_VALUE.test(value) ? Number(value) : false;
}

/**
 * Validates one element's parameters; returns why they are invalid, or the
 * values. `isResponse`: client_max_window_bits then needs a value (§7.1.2.2).
 */
function readParams(element: ExtensionElement, isResponse: boolean): DeflateParams | string {
  const params: DeflateParams = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: null,
    clientMaxWindowBits: null,
  };
  const seen = new Set<string>();
  for (const [name, value] of element.params) {
    // RFC 7692 §7: a duplicate, unknown or badly valued parameter makes the element invalid.
    if (seen.has(name)) return `the parameter ${name} appears twice`;
    seen.add(name);
    switch (name) {
      case "server_no_context_takeover":
      case "client_no_context_takeover":
        if (value !== null) return `${name} takes no value (got "${value}")`;
        if (name === "server_no_context_takeover") params.serverNoContextTakeover = true;
        else params.clientNoContextTakeover = true;
        break;
      case "server_max_window_bits": {
        const bits = value === null ? false : windowBitsOrFalse(value);
        if (bits === false) {
          return `server_max_window_bits must be an integer from 8 to 15 (got ${
            value === null ? "no value" : `"${value}"`
          })`;
        }
        params.serverMaxWindowBits = bits;
        break;
      }
      case "client_max_window_bits": {
        if (value === null) {
          if (isResponse) return "client_max_window_bits needs a value in a response";
          params.clientMaxWindowBits = true;
          break;
        }
        const bits = windowBitsOrFalse(value);
        if (bits === false) {
          return `client_max_window_bits must be an integer from 8 to 15 (got "${value}")`;
        }
        params.clientMaxWindowBits = bits;
        break;
      }
      default:
        return `unknown parameter ${name}`;
    }
  }
  return params;
}

/**
 * Checks options given by the application; throws for a programmer error.
 *
 * @example A window of 16 bits is refused
 * ```ts
 * import { checkPerMessageDeflateOptions } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => checkPerMessageDeflateOptions({ serverMaxWindowBits: 16 }), RangeError);
 * ```
 *
 * @param options The options to check.
 * @param where The method name for the message, e.g. `"setPerMessageDeflateOptions"`.
 * @returns A frozen copy holding only the known fields.
 * @throws {TypeError} When `options` is not an object or a flag is not a boolean.
 * @throws {RangeError} When a number is out of range.
 */
export function checkPerMessageDeflateOptions(
  options: PerMessageDeflateOptions,
  where = "setPerMessageDeflateOptions",
): PerMessageDeflateOptions {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      `Cannot ${where}: pass an object such as { serverNoContextTakeover: true }`,
    );
  }
  const copy: {
    -readonly [K in keyof PerMessageDeflateOptions]: PerMessageDeflateOptions[K];
  } = {};
  for (const flag of ["serverNoContextTakeover", "clientNoContextTakeover"] as const) {
    const value = options[flag];
    if (value === undefined) continue;
    if (typeof value !== "boolean") {
      throw new TypeError(`Cannot ${where}: ${flag} must be a boolean, not ${typeof value}`);
    }
    copy[flag] = value;
  }
  const ranges = [
    ["serverMaxWindowBits", MIN_WINDOW_BITS, MAX_WINDOW_BITS],
    ["clientMaxWindowBits", MIN_WINDOW_BITS, MAX_WINDOW_BITS],
    ["threshold", 0, Number.MAX_SAFE_INTEGER],
    ["level", 0, 9],
    ["memLevel", 1, 9],
  ] as const;
  for (const [field, min, max] of ranges) {
    const value = options[field];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new RangeError(`Cannot ${where}: ${field} must be an integer from ${min} to ${max}`);
    }
    copy[field] = value;
  }
  return Object.freeze(copy);
}

/**
 * The client's offer (RFC 7692 §5.1): `permessage-deflate` with
 * `client_max_window_bits` (so the server may limit the client's window) and
 * whatever the options ask for.
 *
 * @example The default offer, as browsers send it
 * ```ts
 * import { formatPerMessageDeflateOffer } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatPerMessageDeflateOffer({}), "permessage-deflate; client_max_window_bits");
 * assert.equal(
 *   formatPerMessageDeflateOffer({ serverNoContextTakeover: true, serverMaxWindowBits: 10 }),
 *   "permessage-deflate; server_no_context_takeover; server_max_window_bits=10; client_max_window_bits",
 * );
 * ```
 *
 * @param options What to ask for.
 * @returns The `Sec-WebSocket-Extensions` value to send.
 */
export function formatPerMessageDeflateOffer(options: PerMessageDeflateOptions): string {
  return formatParams({
    serverNoContextTakeover: options.serverNoContextTakeover === true,
    clientNoContextTakeover: options.clientNoContextTakeover === true,
    serverMaxWindowBits: options.serverMaxWindowBits ?? null,
    clientMaxWindowBits: options.clientMaxWindowBits ?? true,
  });
}

function formatParams(params: DeflateParams): string {
  const list: Array<readonly [string, string | null]> = [];
  if (params.serverNoContextTakeover) list.push(["server_no_context_takeover", null]);
  if (params.clientNoContextTakeover) list.push(["client_no_context_takeover", null]);
  if (params.serverMaxWindowBits !== null) {
    list.push(["server_max_window_bits", String(params.serverMaxWindowBits)]);
  }
  if (params.clientMaxWindowBits === true) list.push(["client_max_window_bits", null]);
  else if (params.clientMaxWindowBits !== null) {
    list.push(["client_max_window_bits", String(params.clientMaxWindowBits)]);
  }
  return formatExtensionHeader([{ name: PERMESSAGE_DEFLATE, params: list }]);
}

/**
 * The server's side (RFC 7692 §5.1, §7.1): takes the client's
 * `Sec-WebSocket-Extensions` and accepts the first permessage-deflate offer
 * it can honour. Offers with a duplicate, unknown or badly valued parameter
 * are declined and the next one is tried; so is an offer that does not let
 * the server limit the client's window when `clientMaxWindowBits` is set. A
 * value that does not parse at all declines every offer. Other extensions are
 * ignored (declined).
 *
 * @example Chromium's offer
 * ```ts
 * import { negotiatePerMessageDeflate } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * const accepted = negotiatePerMessageDeflate(
 *   "permessage-deflate; client_max_window_bits",
 *   { serverNoContextTakeover: true },
 * );
 * assert.equal(accepted?.response, "permessage-deflate; server_no_context_takeover");
 * assert.equal(accepted?.parameters.clientMaxWindowBits, 15);
 * ```
 *
 * @param offers The request's `Sec-WebSocket-Extensions` value (`""` when absent).
 * @param options The server's settings.
 * @returns The acceptance, or `null` when no offer is acceptable.
 */
export function negotiatePerMessageDeflate(
  offers: string,
  options: PerMessageDeflateOptions,
): PerMessageDeflateAcceptance | null {
  if (offers === "") return null;
  let elements: ExtensionElement[];
  try {
    elements = parseExtensionHeader(offers);
  } catch {
    return null;
  }
  for (const element of elements) {
    if (element.name !== PERMESSAGE_DEFLATE) continue;
    const offer = readParams(element, false);
    if (typeof offer === "string") continue;
    // §7.1.2.2: without client_max_window_bits in the offer the answer cannot
    // carry it, so a server that must limit the client's window declines.
    if (options.clientMaxWindowBits !== undefined && offer.clientMaxWindowBits === null) continue;

    // §7.1.2.1: answer with the offered value or smaller; with none offered, the server may still set one.
    let serverBits: number | null = offer.serverMaxWindowBits;
    if (options.serverMaxWindowBits !== undefined) {
      serverBits = Math.min(serverBits ?? MAX_WINDOW_BITS, options.serverMaxWindowBits);
    }
    let clientBits: number | null = null;
    if (offer.clientMaxWindowBits !== null) {
      const offered = offer.clientMaxWindowBits === true ? null : offer.clientMaxWindowBits;
      const wanted = options.clientMaxWindowBits ?? null;
      clientBits = offered === null
        ? wanted
        : wanted === null
        ? offered
        : Math.min(offered, wanted);
    }
    const agreed: DeflateParams = {
      // §7.1.1.1: a server accepting an offer with server_no_context_takeover must answer with it.
      serverNoContextTakeover: offer.serverNoContextTakeover ||
        options.serverNoContextTakeover === true,
      // §7.1.1.2: the client's hint is echoed, so both ends agree on what happens.
      clientNoContextTakeover: offer.clientNoContextTakeover ||
        options.clientNoContextTakeover === true,
      serverMaxWindowBits: serverBits,
      clientMaxWindowBits: clientBits,
    };
    return { response: formatParams(agreed), parameters: effective(agreed) };
  }
  return null;
}

function effective(params: DeflateParams): PerMessageDeflateParameters {
  return Object.freeze({
    serverNoContextTakeover: params.serverNoContextTakeover,
    clientNoContextTakeover: params.clientNoContextTakeover,
    serverMaxWindowBits: params.serverMaxWindowBits ?? MAX_WINDOW_BITS,
    clientMaxWindowBits: typeof params.clientMaxWindowBits === "number"
      ? params.clientMaxWindowBits
      : MAX_WINDOW_BITS,
  });
}

function refuse(response: string, why: string): HandshakeError {
  // RFC 6455 §9.1 and RFC 7692 §5: the client must fail the connection.
  return new HandshakeError(
    101,
    `The server's Sec-WebSocket-Extensions "${response}" cannot be accepted: ${why}`,
  );
}

/**
 * The client's side (RFC 7692 §5, §7.1): checks the server's
 * `Sec-WebSocket-Extensions` against the offer that
 * {@linkcode formatPerMessageDeflateOffer} built from the same options. An
 * empty value means the server declined compression. Anything else must be
 * exactly one valid permessage-deflate element that answers the offer; if not,
 * the client must fail the connection, so this throws.
 *
 * @example Accept, decline, refuse
 * ```ts
 * import { acceptPerMessageDeflateResponse } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * const agreed = acceptPerMessageDeflateResponse(
 *   "permessage-deflate; server_no_context_takeover; client_max_window_bits=10",
 *   {},
 * );
 * assert.equal(agreed?.clientMaxWindowBits, 10);
 * assert.equal(acceptPerMessageDeflateResponse("", {}), null);
 * assert.throws(
 *   () => acceptPerMessageDeflateResponse("permessage-deflate; server_max_window_bits=16", {}),
 *   { status: 101 },
 * );
 * ```
 *
 * @param response The response's `Sec-WebSocket-Extensions` value (`""` when absent).
 * @param options The options the offer was built from.
 * @returns What was agreed, or `null` when the server declined.
 * @throws {HandshakeError} With status 101 when the answer is invalid or does not match the offer.
 */
export function acceptPerMessageDeflateResponse(
  response: string,
  options: PerMessageDeflateOptions,
): PerMessageDeflateParameters | null {
  let elements: ExtensionElement[];
  try {
    elements = parseExtensionHeader(response);
  } catch (error) {
    throw refuse(response, (error as Error).message);
  }
  if (elements.length === 0) return null;
  const element = elements[0]!;
  if (element.name !== PERMESSAGE_DEFLATE) {
    throw refuse(response, `the extension ${element.name} was not offered`);
  }
  if (elements.length > 1) {
    const other = elements[1]!.name;
    throw refuse(
      response,
      other === PERMESSAGE_DEFLATE
        ? "it accepts permessage-deflate more than once"
        : `the extension ${other} was not offered`,
    );
  }
  const answer = readParams(element, true);
  if (typeof answer === "string") throw refuse(response, answer);
  if (options.serverNoContextTakeover === true && !answer.serverNoContextTakeover) {
    // §7.1.1.1: accepting server_no_context_takeover means answering with it.
    throw refuse(response, "server_no_context_takeover was asked for and is missing");
  }
  const askedServerBits = options.serverMaxWindowBits;
  if (askedServerBits !== undefined) {
    // §7.1.2.1: the server accepts server_max_window_bits with the same or a smaller value.
    if (answer.serverMaxWindowBits === null) {
      throw refuse(
        response,
        `server_max_window_bits=${askedServerBits} was asked for and is missing`,
      );
    }
    if (answer.serverMaxWindowBits > askedServerBits) {
      throw refuse(
        response,
        `server_max_window_bits=${answer.serverMaxWindowBits} is larger than the ${askedServerBits} asked for`,
      );
    }
  }
  const clientBits = answer.clientMaxWindowBits as number | null;
  const offeredClientBits = options.clientMaxWindowBits;
  if (clientBits !== null && offeredClientBits !== undefined && clientBits > offeredClientBits) {
    // §7.1.2.2: the answer's value is equal to or smaller than the offered one.
    throw refuse(
      response,
      `client_max_window_bits=${clientBits} is larger than the ${offeredClientBits} offered`,
    );
  }
  return effective({
    serverNoContextTakeover: answer.serverNoContextTakeover,
    // §7.1.1.2: a client that offered client_no_context_takeover keeps to it.
    clientNoContextTakeover: answer.clientNoContextTakeover ||
      options.clientNoContextTakeover === true,
    serverMaxWindowBits: answer.serverMaxWindowBits,
    clientMaxWindowBits: clientBits ?? offeredClientBits ?? null,
  });
}
