/**
 * Interop with Deno's built-in WebSocket, in both roles: Deno's server
 * (`Deno.serve` + `Deno.upgradeWebSocket`) echoes while our QWebSocket talks
 * to it, and Deno's client (`new WebSocket`) echoes while our
 * QWebSocketServer talks to it. Both peers run in this process and follow the
 * echo protocol of `_exchange.ts`, except pings on command: Deno's WebSocket
 * has no ping API (it answers ours).
 */

import assert from "node:assert/strict";
import {
  type EchoPeer,
  type EchoPeerServer,
  ourClientAgainstPeerServer,
  peerClientAgainstOurServer,
  SUBPROTOCOLS,
} from "./_echo_pair.ts";
import { ReportLog } from "./_exchange.ts";
import { sha256Hex } from "./_payloads.ts";
import { BOUND, within } from "./_peer.ts";

/** Echoes on a Deno WebSocket and reports to `log`, as the echo peers do. */
function echo(socket: WebSocket, log: ReportLog): Promise<void> {
  socket.binaryType = "arraybuffer";
  // At once, so it may reach the other end right behind the handshake.
  socket.addEventListener("open", () => socket.send("greeting from Deno"));
  // Digests finish in any order: chain the reports to keep message order.
  let reports = Promise.resolve();
  const report = (event: string, bytes: Uint8Array) => {
    reports = reports.then(async () => {
      log.report({ event, size: bytes.length, sha256: await sha256Hex(bytes) });
    });
  };
  socket.addEventListener("message", (e) => {
    if (typeof e.data === "string") {
      if (e.data.startsWith('{"cmd"')) {
        const cmd = JSON.parse(e.data);
        if (cmd.cmd === "close") socket.close(cmd.code, cmd.reason);
        if (cmd.cmd === "send") {
          socket.send(cmd.kind === "text" ? "x".repeat(cmd.size) : new Uint8Array(cmd.size));
        }
        return;
      }
      socket.send(e.data);
      report("text", new TextEncoder().encode(e.data));
    } else {
      const bytes = new Uint8Array(e.data as ArrayBuffer);
      socket.send(bytes);
      report("binary", bytes);
    }
  });
  return new Promise((resolve) => {
    socket.addEventListener("close", (e) => {
      reports = reports.then(() => {
        log.report({ event: "disconnected", closeCode: e.code, closeReason: e.reason });
        resolve();
      });
    }, { once: true });
  });
}

/** Deno's built-in server as an echo peer on 127.0.0.1. */
function denoServer(supported: string[]): Promise<EchoPeerServer> {
  const log = new ReportLog();
  const closed: Promise<void>[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    const offered = (request.headers.get("sec-websocket-protocol") ?? "")
      .split(",").map((p) => p.trim()).filter((p) => p !== "");
    const protocol = offered.find((p) => supported.includes(p));
    // The request is gone once the upgrade completes: read it now.
    const url = new URL(request.url);
    const seen = {
      origin: request.headers.get("origin") ?? "",
      path: url.pathname + url.search,
      offeredExtensions: request.headers.get("sec-websocket-extensions") ?? "",
    };
    const { socket, response } = Deno.upgradeWebSocket(
      request,
      protocol === undefined ? {} : { protocol },
    );
    socket.addEventListener("open", () => {
      // Deno 2.9's server-side socket.protocol stays "" (docs/interop.md):
      // report what the upgrade answered instead.
      log.report({ event: "connected", subprotocol: protocol ?? "", ...seen });
    });
    closed.push(echo(socket, log));
    return response;
  });
  return Promise.resolve({
    url: `ws://127.0.0.1:${server.addr.port}`,
    expect: (event, ms) => log.expect(event, ms),
    stop: async () => {
      await within(Promise.all(closed), "Deno's server sockets to close");
      await within(server.shutdown(), "Deno.serve to shut down");
    },
  });
}

/** Deno's built-in client as an echo peer. */
function denoClient(url: string, offered: string[], origin: string): Promise<EchoPeer> {
  const log = new ReportLog();
  const socket = new WebSocket(url, { protocols: offered, headers: { origin } });
  socket.addEventListener("open", () => {
    log.report({ event: "connected", subprotocol: socket.protocol, extensions: socket.extensions });
  });
  const closed = echo(socket, log);
  return Promise.resolve({
    expect: (event, ms) => log.expect(event, ms),
    stop: async () => {
      if (socket.readyState === WebSocket.CONNECTING || socket.readyState === WebSocket.OPEN) {
        socket.close();
      }
      await within(closed, "Deno's WebSocket to close", BOUND);
    },
  });
}

Deno.test("RFC 6455 interop: our QWebSocket ↔ Deno.upgradeWebSocket server", async (t) => {
  await ourClientAgainstPeerServer(t, denoServer, {
    ...SUBPROTOCOLS,
    peerPings: false,
    // permessage-deflate is offered by default (RFC 7692); Deno's server declines it.
    handshake: (seen) =>
      assert.equal(
        seen.offeredExtensions,
        "permessage-deflate; client_max_window_bits",
        "our offer",
      ),
  });
});

Deno.test("RFC 6455 interop: Deno's WebSocket client ↔ our QWebSocketServer", async (t) => {
  await peerClientAgainstOurServer(t, denoClient, {
    ...SUBPROTOCOLS,
    peerPings: false,
    handshake: (seen) => assert.equal(seen.extensions, "", "no extension in use"),
  });
});
