/**
 * The opening handshake of a request that arrives as a Fetch API `Request`
 * (from `Deno.serve` or a hosted Deno runtime): the same RFC 6455 §4.2.1
 * checks the TCP path runs on a request head, and refusals as `Response`s.
 *
 * @module
 */

import { HandshakeError } from "./protocol/errors.ts";
import { HeaderList } from "./protocol/http_head.ts";
import { type ClientRequest, parseClientRequest } from "./protocol/server_handshake.ts";
import { QNetworkRequest } from "./qnetwork_request.ts";
import type { EngineEndpoint } from "./socket_engine.ts";
import { allowNetValue } from "./transport/listen.ts";

/**
 * Reads and checks an upgrade request. A request without `Upgrade: websocket`
 * is refused with 426 and `Upgrade: websocket` (RFC 9110 §15.5.22: the
 * handler was asked to serve a WebSocket endpoint to a client that did not
 * ask for one); anything else goes through the checks of the TCP path.
 *
 * @param request The request.
 * @returns The request's parts.
 * @throws {HandshakeError} 400 or 426, with the headers the refusal must carry.
 */
export function readUpgradeRequest(request: Request): ClientRequest {
  const url = new URL(request.url);
  const headers = new HeaderList(request.headers);
  if (!headers.tokens("upgrade").includes("websocket")) {
    throw new HandshakeError(
      426,
      `${request.method} ${url.pathname} is a WebSocket endpoint: connect with a WebSocket ` +
        "client (a GET with Upgrade: websocket), not a plain HTTP request",
      [["Upgrade", "websocket"]],
    );
  }
  // Deno has parsed the request line already; only its parts are left.
  return parseClientRequest({
    startLine: `${request.method} ${url.pathname}${url.search} HTTP/1.1`,
    headers,
  });
}

/**
 * The answer to a refused handshake: the status, the error's headers, and
 * its message as a plain-text body.
 *
 * @param error Why.
 * @param serverName The `Server` header; none when empty.
 * @returns The response.
 */
export function refusalResponse(error: HandshakeError, serverName: string): Response {
  const headers = new Headers({ "Content-Type": "text/plain; charset=utf-8" });
  for (const [name, value] of error.headers) headers.set(name, value);
  // RFC 6455 §4.4: a 426 names the versions this server speaks.
  if (error.status === 426) headers.set("Sec-WebSocket-Version", "13");
  const name = headerText(serverName);
  if (name !== "") headers.set("Server", name);
  return new Response(`${error.message}\n`, { status: error.status, headers });
}

/**
 * The request a server's socket reports in `request()`: the URL with `ws:`
 * or `wss:` (`https:` when TLS ended in front of the program) and every
 * header, as the Fetch API gives them (names in lower case, repeated
 * fields joined).
 *
 * @param request The request.
 * @returns The `QNetworkRequest`.
 */
export function socketRequest(request: Request): QNetworkRequest {
  const url = new URL(request.url);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  const networkRequest = new QNetworkRequest(url);
  for (const [name, value] of request.headers) networkRequest.setRawHeader(name, value);
  return networkRequest;
}

/**
 * The peer's address from `Deno.ServeHandlerInfo.remoteAddr`.
 *
 * @param info The handler's info, when the caller passed it.
 * @returns The endpoint; `""` and 0 for anything but TCP or UDP.
 */
export function endpointOf(info: Deno.ServeHandlerInfo | undefined): EngineEndpoint {
  let addr: Deno.Addr | undefined;
  try {
    addr = info?.remoteAddr;
  } catch {
    // Deno throws "Request closed" once the request was upgraded or answered.
  }
  if (addr === undefined || (addr.transport !== "tcp" && addr.transport !== "udp")) {
    return { address: "", port: 0 };
  }
  return { address: addr.hostname, port: addr.port };
}

/**
 * Names a peer for messages.
 *
 * @param endpoint The peer.
 * @returns `127.0.0.1:1234`, `[::1]:1234`, or `an unknown peer`.
 */
export function describeEndpoint(endpoint: EngineEndpoint): string {
  return endpoint.address === ""
    ? "an unknown peer"
    : allowNetValue(endpoint.address, endpoint.port);
}

/**
 * Makes text fit for a header value, as the TCP path does with the server
 * name: CR, LF and NUL dropped, characters beyond Latin-1 replaced.
 *
 * @param text The text.
 * @returns The value; `""` when nothing is left.
 */
export function headerText(text: string): string {
  return text.replace(/[\r\n\0]/g, "").replace(/[^\0-\xff]/g, "?").trim();
}
