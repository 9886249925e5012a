/**
 * Shared helpers of the declarative-type tests: bounded waits for events, and
 * an echo server built on QWebSocketServer that records what it saw.
 *
 * @module
 */

import { QHostAddress, type QWebSocket, QWebSocketServer } from "../../mod.ts";

/** Generous: two cores are shared with other test runs. */
export const WAIT_MS = 15000;

/**
 * Resolves with the first `type` event that satisfies `predicate`; rejects
 * after `ms` milliseconds.
 */
export function nextEvent<E extends Event = Event>(
  target: EventTarget,
  type: string,
  predicate: (event: E) => boolean = () => true,
  ms = WAIT_MS,
): Promise<E> {
  return new Promise((resolve, reject) => {
    const listener = (event: Event) => {
      if (!predicate(event as E)) return;
      clearTimeout(timer);
      target.removeEventListener(type, listener);
      resolve(event as E);
    };
    const timer = setTimeout(() => {
      target.removeEventListener(type, listener);
      reject(new Error(`Timed out after ${ms} ms waiting for a ${type} event`));
    }, ms);
    target.addEventListener(type, listener);
  });
}

/** Records the value of `field` of every `type` event, in order. */
export function record<T>(target: EventTarget, type: string, field: string): T[] {
  const seen: T[] = [];
  target.addEventListener(type, (event) => {
    seen.push((event as unknown as Record<string, T>)[field]!);
  });
  return seen;
}

/** Resolves after `ms` milliseconds (used only to give an unwanted event the chance to happen). */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** What an {@linkcode EchoServer} saw. */
export interface EchoServer extends AsyncDisposable {
  /** The listening server. */
  server: QWebSocketServer;
  /** `ws://127.0.0.1:port`. */
  url: URL;
  /** Every accepted socket, in order. */
  connections: QWebSocket[];
  /** The close code of every accepted socket that disconnected, in order. */
  closeCodes: number[];
  /** Every text message received, by any connection. */
  texts: string[];
}

/**
 * Starts a QWebSocketServer on 127.0.0.1, port 0, that echoes every message.
 *
 * @param subprotocols Subprotocols the server supports.
 */
export function startEchoServer(subprotocols: string[] = []): EchoServer {
  const server = new QWebSocketServer("", QWebSocketServer.SslMode.NonSecureMode);
  server.setSupportedSubprotocols(subprotocols);
  const connections: QWebSocket[] = [];
  const closeCodes: number[] = [];
  const texts: string[] = [];
  server.addEventListener("newConnection", () => {
    const socket = server.nextPendingConnection();
    if (socket === null) return;
    connections.push(socket);
    socket.addEventListener("textMessageReceived", (e) => {
      texts.push(e.message);
      socket.sendTextMessage(e.message);
    });
    socket.addEventListener("binaryMessageReceived", (e) => socket.sendBinaryMessage(e.message));
    socket.addEventListener("disconnected", () => closeCodes.push(socket.closeCode()));
  });
  if (!server.listen(QHostAddress.LocalHost, 0)) {
    throw new Error(`The echo server cannot listen: ${server.errorString()}`);
  }
  return {
    server,
    url: server.serverUrl()!,
    connections,
    closeCodes,
    texts,
    async [Symbol.asyncDispose]() {
      await server[Symbol.asyncDispose]();
      await Promise.all(connections.map((socket) => socket[Symbol.asyncDispose]()));
    },
  };
}

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
export function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}
