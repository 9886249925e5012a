/**
 * The implementations under test, as Autobahn's agents: echo servers for the
 * fuzzing client, and echo client drivers for the fuzzing server. Each echoes
 * messages (not frames), as Autobahn's echo agents do.
 *
 * - qtws: `QWebSocketServer` echoing through `textMessageReceived` /
 *   `binaryMessageReceived`; `QWebSocket` driven the way Autobahn's client
 *   drivers are written (open, echo, wait for `disconnected`, next case).
 * - Deno's built-in WebSocket: `Deno.serve` + `Deno.upgradeWebSocket`, and
 *   `new WebSocket()` — to check the suite against an independent
 *   implementation.
 *
 * @module
 */

import { QWebSocket } from "../../lib/qwebsocket.ts";
import { QWebSocketServer } from "../../lib/qwebsocket_server.ts";

/** An echo server under test. */
export interface EchoServer {
  readonly port: number;
  /** Stops the server and waits until every connection has ended. */
  close(): Promise<void>;
}

/** Category 9 sends 16 MiB messages; the limits leave room above that. */
export const ECHO_LIMIT = 64 * 1024 * 1024;

// How long a client driver waits for one case's connection to end before
// giving up on it (the fuzzing server bounds every case well below this).
const CASE_BOUND_MS = 600_000;

/** `QWebSocketServer` on 127.0.0.1 echoing every message. */
export function startQtwsEchoServer(): EchoServer {
  const server = new QWebSocketServer("qtws echo", QWebSocketServer.SslMode.NonSecureMode);
  // Categories 12 and 13 offer permessage-deflate; the other cases offer nothing.
  server.setPerMessageDeflateEnabled(true);
  server.setMaxAllowedIncomingFrameSize(ECHO_LIMIT);
  server.setMaxAllowedIncomingMessageSize(ECHO_LIMIT);
  const open = new Set<Promise<void>>();
  server.addEventListener("newConnection", () => {
    let socket: QWebSocket | null;
    while ((socket = server.nextPendingConnection()) !== null) {
      const echo = socket;
      echo.addEventListener("textMessageReceived", (e) => echo.sendTextMessage(e.message));
      echo.addEventListener("binaryMessageReceived", (e) => echo.sendBinaryMessage(e.message));
      const done = new Promise<void>((resolve) =>
        echo.addEventListener("disconnected", () => resolve())
      );
      open.add(done);
      done.then(() => open.delete(done));
    }
  });
  if (!server.listen("127.0.0.1", 0)) {
    throw new Error(`QWebSocketServer.listen failed: ${server.errorString()}`);
  }
  return {
    port: server.serverPort(),
    async close() {
      await server[Symbol.asyncDispose]();
      await Promise.allSettled([...open]);
    },
  };
}

/** `Deno.serve` + `Deno.upgradeWebSocket` on 127.0.0.1 echoing every message. */
export function startDenoEchoServer(): EchoServer {
  const open = new Set<Promise<void>>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    // No idle pings: they would add pongs to what a case receives.
    const { socket, response } = Deno.upgradeWebSocket(request, { idleTimeout: 0 });
    socket.binaryType = "arraybuffer";
    socket.onmessage = (e) => socket.send(e.data);
    const done = new Promise<void>((resolve) => socket.addEventListener("close", () => resolve()));
    open.add(done);
    done.then(() => open.delete(done));
    return response;
  });
  return {
    port: server.addr.port,
    async close() {
      await server.shutdown();
      await Promise.allSettled([...open]);
    },
  };
}

/** A client agent driven against a fuzzing server. */
export type ClientDriver = (baseUrl: string, agent: string) => Promise<void>;

/**
 * Drives `QWebSocket` through the fuzzing server's flow: get the case count,
 * then one connection per case echoing every message until the server
 * closes, then `/updateReports`.
 */
export const qtwsClientDriver: ClientDriver = async (baseUrl, agent) => {
  const count = Number(await qtwsSession(`${baseUrl}/getCaseCount`, false));
  for (let i = 1; i <= count; i++) {
    await qtwsSession(`${baseUrl}/runCase?case=${i}&agent=${encodeURIComponent(agent)}`, true);
  }
  await qtwsSession(`${baseUrl}/updateReports?agent=${encodeURIComponent(agent)}`, false);
};

// One connection: echo (or record the first text message) until disconnected.
function qtwsSession(url: string, echo: boolean): Promise<string> {
  return new Promise((resolve) => {
    const socket = new QWebSocket();
    socket.setMaxAllowedIncomingFrameSize(ECHO_LIMIT);
    socket.setMaxAllowedIncomingMessageSize(ECHO_LIMIT);
    let first = "";
    socket.addEventListener("textMessageReceived", (e) => {
      if (echo) socket.sendTextMessage(e.message);
      else if (first === "") first = e.message;
    });
    socket.addEventListener("binaryMessageReceived", (e) => {
      if (echo) socket.sendBinaryMessage(e.message);
    });
    const bound = setTimeout(() => socket.abort(), CASE_BOUND_MS);
    socket.addEventListener("disconnected", () => {
      clearTimeout(bound);
      resolve(first);
    });
    socket.open(url);
  });
}

/** Drives Deno's built-in `WebSocket` client through the same flow. */
export const denoClientDriver: ClientDriver = async (baseUrl, agent) => {
  const count = Number(await denoSession(`${baseUrl}/getCaseCount`, false));
  for (let i = 1; i <= count; i++) {
    await denoSession(`${baseUrl}/runCase?case=${i}&agent=${encodeURIComponent(agent)}`, true);
  }
  await denoSession(`${baseUrl}/updateReports?agent=${encodeURIComponent(agent)}`, false);
};

function denoSession(url: string, echo: boolean): Promise<string> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url);
    socket.binaryType = "arraybuffer";
    let first = "";
    socket.onmessage = (e) => {
      if (echo) socket.send(e.data);
      else if (first === "" && typeof e.data === "string") first = e.data;
    };
    socket.onerror = () => {};
    const bound = setTimeout(() => socket.close(), CASE_BOUND_MS);
    socket.onclose = () => {
      clearTimeout(bound);
      resolve(first);
    };
  });
}
