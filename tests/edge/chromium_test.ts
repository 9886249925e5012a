/**
 * A real browser against `handleRequest()` behind `Deno.serve`: Debian's
 * Chromium, headless, loads a page from the same `Deno.serve` handler that
 * answers its WebSocket upgrades (as on a hosted runtime, one origin for
 * both), and reports what it saw with a POST. Covered: the subprotocol,
 * text and binary at every length boundary both ways, a close from each
 * side with a code and reason, a close without a status code, an origin we
 * refuse (403) and a message over our limit (1009).
 */

import assert from "node:assert/strict";
import { type QWebSocket, QWebSocketProtocol, QWebSocketServer } from "../../mod.ts";
import { CLOSE_REASON, makeBinary, makeText, SIZES, TEXT_PATTERN } from "../interop/_payloads.ts";
import { findBinary, Peer, probe, requirePeer, within } from "../interop/_peer.ts";
import { Recorder } from "./_edge.ts";

const CHROMIUM = findBinary("chromium", "chromium-browser", "google-chrome");
const VERSION = CHROMIUM === null ? "" : (await probe(CHROMIUM, ["--version"])).stdout.trim();
const PAGE_BOUND = 60_000;
const LIMIT = 1000;

interface Close {
  code: number;
  reason: string;
  wasClean: boolean;
}

interface Report {
  fatal?: string;
  origin: string;
  protocol: string;
  echoes: { kind: string; size: number; ok: boolean }[];
  clientClose: Close;
  serverClose: Close & { messages: string[] };
  noStatusClose: Close;
  refused: Close & { errored: boolean };
  tooBig: Close;
}

function page(): string {
  return `<!doctype html>
<meta charset="utf-8">
<title>qtws edge interop</title>
<script>
"use strict";
const SIZES = ${JSON.stringify(SIZES)};
const TEXT_PATTERN = ${JSON.stringify(TEXT_PATTERN)};
const CLOSE_REASON = ${JSON.stringify(CLOSE_REASON)};
const LIMIT = ${LIMIT};
${makeText.toString()}
${makeBinary.toString()}
const base = "ws://" + location.host;
const report = { origin: location.origin };
let posted = false;
function post(body) {
  if (posted) return;
  posted = true;
  fetch("/result", { method: "POST", body: JSON.stringify(body) });
}
setTimeout(() => post({ ...report, fatal: "the page timed out" }), ${PAGE_BOUND - 10_000});
function sameBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
function closed(ws) {
  return new Promise((resolve) => ws.addEventListener("close", (e) => {
    resolve({ code: e.code, reason: e.reason, wasClean: e.wasClean });
  }, { once: true }));
}
function opened(ws) {
  return new Promise((resolve, reject) => {
    ws.addEventListener("open", resolve, { once: true });
    ws.addEventListener("error", () => reject(new Error("could not open " + ws.url)), { once: true });
  });
}
function inbox(ws) {
  const queue = [];
  let wake = null;
  ws.addEventListener("message", (e) => { queue.push(e.data); if (wake) wake(); });
  return async () => {
    while (queue.length === 0) await new Promise((resolve) => (wake = resolve));
    return queue.shift();
  };
}
async function run() {
  const ws = new WebSocket(base + "/echo", ["chat.v2", "chat.v1"]);
  ws.binaryType = "arraybuffer";
  const next = inbox(ws);
  const closing = closed(ws);
  await opened(ws);
  report.protocol = ws.protocol;
  report.echoes = [];
  for (const size of SIZES) {
    const text = makeText(size);
    ws.send(text);
    report.echoes.push({ kind: "text", size, ok: (await next()) === text });
    const bytes = makeBinary(size);
    ws.send(bytes);
    const echo = await next();
    report.echoes.push({
      kind: "binary",
      size,
      ok: echo instanceof ArrayBuffer && sameBytes(new Uint8Array(echo), bytes),
    });
  }
  ws.close(4000, CLOSE_REASON);
  report.clientClose = await closing;

  const ws2 = new WebSocket(base + "/server-closes");
  const messages = [];
  ws2.onmessage = (e) => messages.push(e.data);
  report.serverClose = { ...(await closed(ws2)), messages };

  const ws3 = new WebSocket(base + "/no-status");
  await opened(ws3);
  ws3.close();
  report.noStatusClose = await closed(ws3);

  const ws4 = new WebSocket(base + "/refused");
  let errored = false;
  ws4.onerror = () => (errored = true);
  report.refused = { ...(await closed(ws4)), errored };

  const ws5 = new WebSocket(base + "/too-big");
  await opened(ws5);
  ws5.send("x".repeat(LIMIT));
  ws5.send("x".repeat(LIMIT + 1));
  report.tooBig = await closed(ws5);
}
run().then(() => post(report), (e) => post({ ...report, fatal: String((e && e.stack) || e) }));
</script>
`;
}

async function removeProfile(dir: string): Promise<void> {
  // Chromium's helpers may still write there just after it exits.
  for (let attempt = 0;; attempt++) {
    try {
      await Deno.remove(dir, { recursive: true });
      return;
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return;
      if (attempt >= 20) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

Deno.test("RFC 6455 interop: Chromium's WebSocket ↔ QWebSocketServer.handleRequest behind Deno.serve", async () => {
  if (!requirePeer(CHROMIUM !== null, "Chromium", "apt-get install chromium")) return;
  const server = new QWebSocketServer("qtws-edge", QWebSocketServer.SslMode.NonSecureMode);
  server.setSupportedSubprotocols(["chat.v1"]);
  const origins: string[] = [];
  server.addEventListener("originAuthenticationRequired", (e) => {
    origins.push(e.authenticator.origin());
  });
  const refusing = new QWebSocketServer("qtws-refusing", QWebSocketServer.SslMode.NonSecureMode);
  const refusedErrors: number[] = [];
  refusing.addEventListener(
    "originAuthenticationRequired",
    (e) => e.authenticator.setAllowed(false),
  );
  refusing.addEventListener("serverError", (e) => refusedErrors.push(e.closeCode));
  const limited = new QWebSocketServer("qtws-limited", QWebSocketServer.SslMode.NonSecureMode);
  limited.setMaxAllowedIncomingMessageSize(LIMIT);

  const recorders: Recorder[] = [];
  const byPath = new Map<string, Recorder>();
  const arrived = new Map<string, () => void>();
  const connection = (path: string) => new Promise<void>((resolve) => arrived.set(path, resolve));
  const waits = ["/echo", "/server-closes", "/no-status", "/too-big"].map(connection);
  const take = (from: QWebSocketServer) => {
    let socket: QWebSocket | null;
    while ((socket = from.nextPendingConnection()) !== null) {
      const recorder = new Recorder(socket);
      recorders.push(recorder);
      byPath.set(socket.resourceName(), recorder);
      const peer = socket;
      if (peer.resourceName() === "/echo") {
        peer.addEventListener("textMessageReceived", (e) => peer.sendTextMessage(e.message));
        peer.addEventListener("binaryMessageReceived", (e) => peer.sendBinaryMessage(e.message));
      } else if (peer.resourceName() === "/server-closes") {
        peer.sendTextMessage("bye soon");
        peer.close(4001, CLOSE_REASON);
      }
      arrived.get(peer.resourceName())?.();
    }
  };
  server.addEventListener("newConnection", () => take(server));
  limited.addEventListener("newConnection", () => take(limited));

  let resolveReport: (report: Report) => void = () => {};
  const reported = new Promise<Report>((resolve) => (resolveReport = resolve));
  const html = page();
  const http = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req, info) => {
      const path = new URL(req.url).pathname;
      if (req.method === "POST" && path === "/result") {
        resolveReport(await req.json());
        return new Response(null, { status: 204 });
      }
      if (path === "/") {
        return new Response(html, { headers: { "content-type": "text/html; charset=utf-8" } });
      }
      if (path === "/refused") return refusing.handleRequest(req, info);
      if (path === "/too-big") return limited.handleRequest(req, info);
      return server.handleRequest(req, info);
    },
  );
  const origin = `http://127.0.0.1:${http.addr.port}`;
  const dir = await Deno.makeTempDir({ prefix: "qtws-edge-chromium-" });
  const home = `${dir}/home`;
  let browser: Peer | null = null;
  try {
    browser = await Peer.start({
      name: VERSION || "Chromium",
      command: CHROMIUM!,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        `--user-data-dir=${dir}/profile`,
        `${origin}/`,
      ],
      env: {
        HOME: home,
        XDG_CONFIG_HOME: `${home}/.config`,
        XDG_CACHE_HOME: `${home}/.cache`,
        XDG_DATA_HOME: `${home}/.local/share`,
      },
      jsonLines: false,
    });
    let report: Report;
    try {
      report = await within(reported, "the page's report", PAGE_BOUND);
    } catch (error) {
      throw new Error(`${error}\nChromium stderr:\n${browser.output().stderr}`);
    }
    assert.equal(report.fatal, undefined, `the page failed: ${report.fatal}`);
    await within(Promise.all(waits), "every connection");
    await within(Promise.all(recorders.map((r) => r.disconnected)), "every socket to end");

    // RFC 6455 §4.2.2, §10.2: one origin for the page and its WebSockets.
    assert.equal(report.origin, origin);
    assert.deepEqual(origins, [origin, origin, origin]);
    const echo = byPath.get("/echo")!;
    assert.equal(echo.socket.origin(), origin);
    assert.equal(report.protocol, "chat.v1");
    assert.equal(echo.socket.subprotocol(), "chat.v1");

    // RFC 6455 §5.6: every message both ways, one frame event per message.
    assert.equal(report.echoes.length, SIZES.length * 2);
    for (const e of report.echoes) assert.ok(e.ok, `the page got the echo of ${e.kind} ${e.size}`);
    SIZES.forEach((size, i) => {
      assert.ok(echo.messages[2 * i] === makeText(size), `we got the page's text of ${size}`);
      assert.deepEqual(echo.messages[2 * i + 1], makeBinary(size));
    });
    assert.ok(echo.frames.every((f) => f.isLastFrame));
    assert.equal(echo.frames.length, echo.messages.length);

    // RFC 6455 §7: closes from each side, with codes and UTF-8 reasons.
    assert.deepEqual(report.clientClose, { code: 4000, reason: CLOSE_REASON, wasClean: true });
    assert.equal(echo.socket.closeCode(), 4000);
    assert.equal(echo.socket.closeReason(), CLOSE_REASON);
    assert.deepEqual(report.serverClose, {
      code: 4001,
      reason: CLOSE_REASON,
      wasClean: true,
      messages: ["bye soon"],
    });
    assert.equal(byPath.get("/server-closes")!.socket.closeCode(), 4001);
    assert.deepEqual(report.noStatusClose, { code: 1005, reason: "", wasClean: true });
    assert.equal(byPath.get("/no-status")!.socket.closeCode(), 1005);
    for (const path of ["/echo", "/server-closes", "/no-status"]) {
      assert.deepEqual(byPath.get(path)!.errors, [], `no error on ${path}`);
    }

    // A refused origin: 403, which the browser reports as 1006.
    assert.deepEqual(report.refused, { code: 1006, reason: "", wasClean: false, errored: true });
    assert.deepEqual(refusedErrors, [QWebSocketProtocol.CloseCode.CloseCodePolicyViolated]);

    // RFC 6455 §7.4.1: over our message limit, 1009.
    assert.deepEqual(report.tooBig, { code: 1009, reason: "Message too big", wasClean: true });
    const tooBig = byPath.get("/too-big")!;
    assert.deepEqual(tooBig.messages, ["x".repeat(LIMIT)]);
    assert.equal(tooBig.socket.closeCode(), 1009);
  } finally {
    await browser?.stop();
    await removeProfile(dir);
    await Promise.all(recorders.map((r) => r.socket[Symbol.asyncDispose]()));
    for (const s of [server, refusing, limited]) await s[Symbol.asyncDispose]();
    await http.shutdown();
  }
});
