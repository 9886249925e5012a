/**
 * `QNetworkRequest`: the URL and extra headers of an opening handshake.
 *
 * @module
 */

// Lets requestUrlText() read the private URL text.
let urlTextOf: (request: QNetworkRequest) => string;

/**
 * The request a `QWebSocket` opens: a URL plus raw headers that go into the
 * HTTP upgrade request, as Qt's `QNetworkRequest` (only the members that apply
 * to WebSockets). Header names match case-insensitively, as in HTTP.
 *
 * @example Open with an extra header
 * ```ts
 * import { QNetworkRequest } from "@qtws/websockets";
 * import assert from "node:assert/strict";
 *
 * const request = new QNetworkRequest("ws://127.0.0.1:1234/chat?room=1");
 * request.setRawHeader("Authorization", "Bearer abc");
 * assert.equal(request.url().pathname, "/chat");
 * assert.equal(request.rawHeader("authorization"), "Bearer abc");
 * assert.deepEqual(request.rawHeaderList(), ["Authorization"]);
 * ```
 */
export class QNetworkRequest {
  static {
    urlTextOf = (request) => request.#text;
  }

  #url: URL | null;
  // The URL as given: WHATWG parsing drops line breaks, which open() must see.
  #text = "";
  #headers: Array<[string, string]> = [];

  /**
   * Creates a request, or copies one (Qt's copy constructor).
   *
   * @param url The URL to open (`ws:`, `wss:`, `http:` or `https:`), or a
   *   request to copy; none gives an empty request.
   */
  constructor(url?: URL | string | QNetworkRequest) {
    if (url instanceof QNetworkRequest) {
      this.#url = url.#url === null ? null : new URL(url.#url.href);
      this.#text = url.#text;
      this.#headers = url.rawHeaders();
      return;
    }
    this.#url = url === undefined ? null : toUrl(url);
    this.#text = this.#url === null ? "" : String(url);
  }

  /**
   * The request's URL; an empty request gives `about:blank`.
   *
   * @returns A copy of the URL.
   */
  url(): URL {
    return new URL(this.#url?.href ?? "about:blank");
  }

  /**
   * Sets the URL.
   *
   * @param url The URL to open.
   */
  setUrl(url: URL | string): void {
    this.#url = toUrl(url);
    this.#text = String(url);
  }

  /**
   * The value of header `name`, or `""` when it is not set (as Qt returns an
   * empty `QByteArray`).
   *
   * @param name A header name, in any case.
   * @returns The value.
   */
  rawHeader(name: string): string {
    const key = name.toLowerCase();
    return this.#headers.find(([n]) => n.toLowerCase() === key)?.[1] ?? "";
  }

  /**
   * Sets header `name` to `value`, replacing an earlier value; an empty
   * `value` removes the header, as in Qt.
   *
   * @param name A header name.
   * @param value The value.
   */
  setRawHeader(name: string, value: string): void {
    if (typeof name !== "string" || typeof value !== "string") {
      throw new TypeError("Cannot set raw header: name and value must be strings");
    }
    const key = name.toLowerCase();
    const index = this.#headers.findIndex(([n]) => n.toLowerCase() === key);
    if (value === "") {
      if (index >= 0) this.#headers.splice(index, 1);
    } else if (index >= 0) {
      this.#headers[index] = [this.#headers[index]![0], value];
    } else {
      this.#headers.push([name, value]);
    }
  }

  /**
   * Whether header `name` is set.
   *
   * @param name A header name, in any case.
   * @returns `true` when the header is set.
   */
  hasRawHeader(name: string): boolean {
    const key = name.toLowerCase();
    return this.#headers.some(([n]) => n.toLowerCase() === key);
  }

  /**
   * The names of the headers set, in the order they were first set.
   *
   * @returns The names.
   */
  rawHeaderList(): string[] {
    return this.#headers.map(([name]) => name);
  }

  /**
   * The headers as name and value pairs, in order.
   *
   * @returns A copy of the headers.
   */
  rawHeaders(): Array<[string, string]> {
    return this.#headers.map(([name, value]) => [name, value]);
  }
}

/**
 * The URL of `request` as the application gave it (before WHATWG parsing
 * removed any line breaks), for `QWebSocket.open()` to check.
 *
 * @param request The request.
 * @returns The URL text, or the URL's `href` for an empty request.
 * @internal
 */
export function requestUrlText(request: QNetworkRequest): string {
  return urlTextOf(request) || request.url().href;
}

function toUrl(url: URL | string): URL {
  if (url instanceof URL) return new URL(url.href);
  if (typeof url !== "string") {
    throw new TypeError(`Cannot use ${typeof url} as a URL: pass a string or a URL`);
  }
  return new URL(url);
}
