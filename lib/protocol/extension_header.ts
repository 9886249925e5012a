/**
 * The `Sec-WebSocket-Extensions` header (RFC 6455 §9.1): a list of
 * extensions, each a token with `;`-separated parameters, a parameter being a
 * token with an optional token or quoted-string value.
 *
 * @module
 */

import { isToken } from "./http_head.ts";

/**
 * One element of a `Sec-WebSocket-Extensions` list: an extension name and its
 * parameters in the order they were written (duplicates kept, so a consumer
 * can refuse them).
 *
 * @example An offer as parsed
 * ```ts
 * import type { ExtensionElement } from "@qtws/websockets/protocol";
 *
 * const offer: ExtensionElement = {
 *   name: "permessage-deflate",
 *   params: [["client_max_window_bits", null]],
 * };
 * ```
 */
export interface ExtensionElement {
  /** The extension token, as written (extension names are compared exactly). */
  readonly name: string;
  /** `[name, value]` pairs; `value` is `null` for a parameter without `=`. */
  readonly params: ReadonlyArray<readonly [string, string | null]>;
}

const OWS = /[ \t]*/y;
const TOKEN_RUN = /[!#$%&'*+.^_`|~0-9A-Za-z-]+/y;
// A quoted-string (RFC 9110 §5.6.4): qdtext or a backslash-escaped character.
const QUOTED = /"((?:[\t !\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t \x21-\x7e\x80-\xff])*)"/y;

class Scanner {
  readonly text: string;
  at = 0;

  constructor(text: string) {
    this.text = text;
  }

  skipSpace(): void {
    OWS.lastIndex = this.at;
    OWS.exec(this.text);
    this.at = OWS.lastIndex;
  }

  token(): string | null {
    TOKEN_RUN.lastIndex = this.at;
    const match = TOKEN_RUN.exec(this.text);
    if (match === null) return null;
    this.at = TOKEN_RUN.lastIndex;
    return match[0];
  }

  quoted(): string | null {
    QUOTED.lastIndex = this.at;
    const match = QUOTED.exec(this.text);
    if (match === null) return null;
    this.at = QUOTED.lastIndex;
    return match[1]!.replace(/\\(.)/g, "$1");
  }

  peek(): string {
    return this.text[this.at] ?? "";
  }

  done(): boolean {
    return this.at >= this.text.length;
  }
}

function malformed(text: string, at: number, what: string): SyntaxError {
  return new SyntaxError(
    `Malformed Sec-WebSocket-Extensions "${text}": ${what} at character ${at + 1}`,
  );
}

/**
 * Parses a `Sec-WebSocket-Extensions` value (several header fields joined
 * with `, `) into its elements, strictly: every name and parameter name must
 * be a token, and a quoted parameter value must be a token once unquoted
 * (RFC 6455 §9.1). Empty list elements are skipped (RFC 9110 §5.6.1).
 *
 * @example Parse Chromium's offer
 * ```ts
 * import { parseExtensionHeader } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseExtensionHeader("permessage-deflate; client_max_window_bits"), [
 *   { name: "permessage-deflate", params: [["client_max_window_bits", null]] },
 * ]);
 * assert.throws(() => parseExtensionHeader("permessage-deflate; x=\"a b\""), SyntaxError);
 * ```
 *
 * @param value The header value.
 * @returns The elements in order; empty for an empty value.
 * @throws {SyntaxError} When the value does not follow the grammar, naming where.
 */
export function parseExtensionHeader(value: string): ExtensionElement[] {
  const scan = new Scanner(value);
  const elements: ExtensionElement[] = [];
  for (;;) {
    scan.skipSpace();
    if (scan.done()) break;
    if (scan.peek() === ",") {
      scan.at++;
      continue;
    }
    const name = scan.token();
    if (name === null) throw malformed(value, scan.at, "expected an extension name");
    const params: Array<readonly [string, string | null]> = [];
    scan.skipSpace();
    while (scan.peek() === ";") {
      scan.at++;
      scan.skipSpace();
      const param = scan.token();
      if (param === null) throw malformed(value, scan.at, "expected a parameter name");
      scan.skipSpace();
      let paramValue: string | null = null;
      if (scan.peek() === "=") {
        scan.at++;
        scan.skipSpace();
        const start = scan.at;
        paramValue = scan.peek() === '"' ? scan.quoted() : scan.token();
        // RFC 6455 §9.1: a quoted value must still be a token once unquoted.
        if (paramValue === null || !isToken(paramValue)) {
          throw malformed(value, start, `expected a token value for "${param}"`);
        }
        scan.skipSpace();
      }
      params.push([param, paramValue]);
    }
    elements.push({ name, params });
    if (scan.done()) break;
    if (scan.peek() !== ",") throw malformed(value, scan.at, 'expected ";" or ","');
    scan.at++;
  }
  return elements;
}

/**
 * Formats extension elements as a `Sec-WebSocket-Extensions` value.
 *
 * @example Format an answer
 * ```ts
 * import { formatExtensionHeader } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   formatExtensionHeader([{
 *     name: "permessage-deflate",
 *     params: [["server_no_context_takeover", null], ["client_max_window_bits", "10"]],
 *   }]),
 *   "permessage-deflate; server_no_context_takeover; client_max_window_bits=10",
 * );
 * ```
 *
 * @param elements The extensions, most preferred first.
 * @returns The header value.
 * @throws {SyntaxError} When a name or value is not a token.
 */
export function formatExtensionHeader(elements: readonly ExtensionElement[]): string {
  return elements.map((element) => {
    if (!isToken(element.name)) {
      throw new SyntaxError(`The extension name "${element.name}" is not a token`);
    }
    let text = element.name;
    for (const [name, value] of element.params) {
      if (!isToken(name) || (value !== null && !isToken(value))) {
        throw new SyntaxError(`The extension parameter "${name}=${value}" is not made of tokens`);
      }
      text += value === null ? `; ${name}` : `; ${name}=${value}`;
    }
    return text;
  }).join(", ");
}
