/**
 * Upgrades a request that `Deno.serve` (or a hosted Deno runtime) handed to
 * the program into a platform `WebSocket`, with `Deno.upgradeWebSocket`: the
 * only call into Deno's HTTP server that the edge adapter makes.
 *
 * @module
 */

/** A request being upgraded: the platform socket and the 101 to return. */
export interface PlatformUpgrade {
  /** The platform's socket; it opens once `response` has been sent. */
  readonly socket: WebSocket;
  /** The `101 Switching Protocols` response the handler must return. */
  readonly response: Response;
}

/** What to answer with. */
export interface PlatformUpgradeOptions {
  /** The subprotocol the server chose (a token the client offered), or `""`. */
  readonly protocol: string;
  /** The `Server` header, already free of CR, LF and NUL; none when `""`. */
  readonly serverName: string;
}

/**
 * Upgrades `request` with `Deno.upgradeWebSocket`.
 *
 * Deno checks the chosen subprotocol against the client's offer split on
 * `", "` only, so an offer such as `chat,superchat` (legal: RFC 9110 §5.6.1
 * allows a list without spaces) makes it throw and the client gets a 500.
 * The caller parses the offer itself; here Deno is given the protocol only
 * when its own split finds it, and otherwise the header is set on the 101
 * response directly, which is what Deno would have done.
 *
 * @param request The request a `Deno.serve` handler received, not read yet.
 * @param options The subprotocol and server name.
 * @returns The platform socket and the response.
 * @throws {Error} What Deno throws when it cannot upgrade (a request not
 *   from `Deno.serve`, a body already read, a request upgraded twice).
 */
export function upgradeRequest(request: Request, options: PlatformUpgradeOptions): PlatformUpgrade {
  const { protocol, serverName } = options;
  const offer = request.headers.get("sec-websocket-protocol") ?? "";
  const denoSeesIt = protocol !== "" && offer.split(", ").includes(protocol);
  const { socket, response } = Deno.upgradeWebSocket(
    request,
    denoSeesIt ? { protocol } : {},
  );
  if (protocol !== "" && !denoSeesIt) response.headers.set("Sec-WebSocket-Protocol", protocol);
  if (serverName !== "") response.headers.set("Server", serverName);
  return { socket, response };
}
