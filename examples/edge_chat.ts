/**
 * Edge chat: the chat relay of `simplechat/` as a `deno serve` module, for
 * hosts that hand the program HTTP requests and never a listening socket
 * (`deno serve`, `Deno.serve`, hosted Deno runtimes such as Deno Deploy).
 * `GET /` serves the chat page; `/ws` is the WebSocket endpoint, answered by
 * `QWebSocketServer.handleRequest()`. Every text message is relayed to every
 * other client: directly to the clients of this instance, and through a
 * `BroadcastChannel` to those of the other instances (other isolates on a
 * hosted runtime, other workers of `deno serve --parallel` here).
 *
 *   deno serve --host 127.0.0.1 --port 8000 examples/edge_chat.ts
 *
 * No `--allow-*` flag: `deno serve` grants the network permission for the
 * address it serves on, and the page is imported as text, not read from
 * disk. Then open http://127.0.0.1:8000/ in two browser windows.
 *
 * @module
 */

import { type QWebSocket, QWebSocketProtocol, QWebSocketServer } from "../mod.ts";
import page from "./edge_chat.html" with { type: "text" };

/** The `BroadcastChannel` the instances relay through. */
export const CHANNEL_NAME = "qtws-edge-chat";

/** The longest chat message accepted (larger ones close the client with 1009). */
export const MAX_MESSAGE_BYTES = 64 * 1024;

/** One instance of the chat: a `deno serve` handler, and a way to stop it. */
export interface EdgeChat {
  /** Answers a request: the page on `GET /`, WebSocket upgrades on `/ws`, 404 otherwise. */
  fetch(request: Request, info: Deno.ServeHandlerInfo): Response;
  /** Closes every client (1001) and the relay channel. */
  close(): Promise<void>;
}

/**
 * Creates a chat instance.
 *
 * @param channelName The `BroadcastChannel` shared with the other instances.
 * @returns The instance.
 */
export function createEdgeChat(channelName: string = CHANNEL_NAME): EdgeChat {
  const server = new QWebSocketServer("Edge Chat", QWebSocketServer.SslMode.NonSecureMode);
  server.setMaxAllowedIncomingMessageSize(MAX_MESSAGE_BYTES);
  const clients = new Set<QWebSocket>();
  // Opened with the first client and closed with the last, so an idle
  // instance holds nothing open.
  let channel: BroadcastChannel | null = null;

  // Browsers send the page's origin; refuse pages of other sites (cross-site
  // WebSocket hijacking). The check runs synchronously inside
  // handleRequest(), so it can compare with the request being handled.
  let requestOrigin = "";
  server.addEventListener("originAuthenticationRequired", (e) => {
    const origin = e.authenticator.origin();
    e.authenticator.setAllowed(origin === "" || origin === requestOrigin);
  });

  const sendToClients = (message: string, except: QWebSocket | null) => {
    for (const client of clients) if (client !== except) client.sendTextMessage(message);
  };

  server.addEventListener("newConnection", () => {
    const socket = server.nextPendingConnection();
    if (socket === null) return;
    clients.add(socket);
    if (channel === null) {
      channel = new BroadcastChannel(channelName);
      channel.onmessage = (e) => {
        if (typeof e.data === "string") sendToClients(e.data, null);
      };
    }
    // Sent once this instance relays for the client: from here on it hears
    // the clients of every instance.
    socket.sendTextMessage(
      `Welcome to the edge chat (${clients.size} ${
        clients.size === 1 ? "person" : "people"
      } on this instance)`,
    );
    socket.addEventListener("textMessageReceived", (e) => {
      sendToClients(e.message, socket);
      channel?.postMessage(e.message);
    });
    socket.addEventListener("disconnected", () => {
      clients.delete(socket);
      if (clients.size === 0) {
        channel?.close();
        channel = null;
      }
    });
  });

  return {
    fetch(request, info) {
      const url = new URL(request.url);
      if (url.pathname === "/ws") {
        requestOrigin = url.origin;
        return server.handleRequest(request, info);
      }
      if (url.pathname === "/" && (request.method === "GET" || request.method === "HEAD")) {
        return new Response(page, { headers: { "content-type": "text/html; charset=utf-8" } });
      }
      return new Response("Not found: the chat is at /\n", { status: 404 });
    },
    async close() {
      const closing = [...clients].map((client) => {
        client.close(QWebSocketProtocol.CloseCode.CloseCodeGoingAway, "Server shutting down");
        return client[Symbol.asyncDispose]();
      });
      await server[Symbol.asyncDispose]();
      await Promise.all(closing);
      channel?.close();
      channel = null;
    },
  };
}

/** The instance `deno serve` runs. */
export default createEdgeChat() satisfies Deno.ServeDefaultExport;
