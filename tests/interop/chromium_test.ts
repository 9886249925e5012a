/**
 * Interop with a real browser: Debian's Chromium, headless, driven by its
 * command line only. The test serves a page on 127.0.0.1; the page's
 * WebSocket talks to our QWebSocketServer (text and binary at every length
 * boundary, a fragmented message from us, our ping, a close from each side,
 * a close without a status code, and an origin we refuse), then POSTs what
 * it saw back to the test.
 *
 * Chromium offers permessage-deflate; our server declines it by sending no
 * Sec-WebSocket-Extensions (RFC 6455 §9.1), which the browser must accept.
 */

import assert from "node:assert/strict";
import { type QWebSocket, QWebSocketProtocol, QWebSocketServer } from "../../mod.ts";
import { SocketProbe } from "./_exchange.ts";
import { CLOSE_REASON, makeBinary, makeText, sha256Hex, SIZES, TEXT_PATTERN } from "./_payloads.ts";
import { findBinary, Peer, probe, requirePeer, within } from "./_peer.ts";
import { TLS_FILES, tlsConfigurations } from "./_tls.ts";

const CHROMIUM = findBinary("chromium", "chromium-browser", "google-chrome");
const VERSION = CHROMIUM === null ? "" : (await probe(CHROMIUM, ["--version"])).stdout.trim();

/** The flags of issue 5, plus a fresh profile per run. */
function chromiumArgs(userDataDir: string, url: string): string[] {
  return [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    `--user-data-dir=${userDataDir}`,
    url,
  ];
}

/** What the page reports. */
interface PageReport {
  origin: string;
  userAgent: string;
  protocol: string;
  extensions: string;
  greetingOk: boolean;
  greetingEchoOk: boolean;
  echoes: { kind: string; size: number; ok: boolean }[];
  clientClose: { code: number; reason: string; wasClean: boolean };
  serverClose: { code: number; reason: string; wasClean: boolean; messages: string[] };
  noStatusClose: { code: number; reason: string; wasClean: boolean };
  refused: { code: number; wasClean: boolean; errored: boolean };
}

const GREETING_SIZE = 5000;
const PAGE_BOUND = 60_000;

/** The main page: plain browser JavaScript, with the payload makers of `_payloads.ts`. */
function page(config: Record<string, unknown>): string {
  return `${pageHead(config)}
async function run() {
  const ws = new WebSocket(CONFIG.echoUrl, ["chat.v2", "chat.v1"]);
  ws.binaryType = "arraybuffer";
  const next = inbox(ws);
  const closing = closed(ws);
  await new Promise((resolve, reject) => {
    ws.onopen = () => {
      // At once, so it may reach the server right behind the handshake.
      ws.send("greeting from the page");
      resolve();
    };
    ws.onerror = () => reject(new Error("the echo connection failed"));
  });
  report.protocol = ws.protocol;
  report.extensions = ws.extensions;
  report.greetingOk = (await next()) === makeText(CONFIG.greetingSize);
  report.greetingEchoOk = (await next()) === "greeting from the page";
  report.echoes = [];
  for (const size of CONFIG.sizes) {
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
  ws.close(4000, CONFIG.closeReason);
  report.clientClose = await closing;

  const ws2 = new WebSocket(CONFIG.serverClosesUrl);
  const messages = [];
  ws2.onmessage = (e) => messages.push(e.data);
  report.serverClose = { ...(await closed(ws2)), messages };

  const ws4 = new WebSocket(CONFIG.noStatusUrl);
  await new Promise((resolve) => (ws4.onopen = resolve));
  ws4.close();
  report.noStatusClose = await closed(ws4);

  const ws3 = new WebSocket(CONFIG.refusedUrl);
  let errored = false;
  ws3.onerror = () => (errored = true);
  report.refused = { ...(await closed(ws3)), errored };
}
run().then(() => post(report), (e) => post({ ...report, fatal: String((e && e.stack) || e) }));
</script>
`;
}

/**
 * Removes the browser's profile. Chromium's helper processes end just after
 * the browser and may still write there: try again for a few seconds.
 */
async function removeProfile(dir: string): Promise<void> {
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

/** The script shared by the pages: CONFIG, payload makers, and `post()` for the report. */
function pageHead(config: Record<string, unknown>): string {
  return `<!doctype html>
<meta charset="utf-8">
<title>qtws interop</title>
<script>
"use strict";
const CONFIG = ${JSON.stringify({ ...config, pageTimeout: PAGE_BOUND - 10_000 })};
const TEXT_PATTERN = ${JSON.stringify(TEXT_PATTERN)};
${makeText.toString()}
${makeBinary.toString()}
const report = { origin: location.origin, userAgent: navigator.userAgent };
let posted = false;
function post(body) {
  if (posted) return;
  posted = true;
  fetch("/result", { method: "POST", body: JSON.stringify(body) });
}
setTimeout(() => post({ ...report, fatal: "the page timed out" }), CONFIG.pageTimeout);
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
function inbox(ws) {
  const queue = [];
  let wake = null;
  ws.addEventListener("message", (e) => { queue.push(e.data); if (wake) wake(); });
  return async () => {
    while (queue.length === 0) await new Promise((resolve) => (wake = resolve));
    return queue.shift();
  };
}
`;
}

/**
 * Serves `html` on 127.0.0.1, opens it in headless Chromium (with
 * `extraArgs` after the flags) and resolves with what the page
 * POSTed to /result, and the page's origin. The browser is stopped by pid,
 * its profile removed and the HTTP server shut down before this returns.
 */
async function runPage<R>(
  html: string,
  extraArgs: string[] = [],
): Promise<{ report: R & { fatal?: string }; origin: string }> {
  type Report = R & { fatal?: string };
  let resolveReport: (report: Report) => void = () => {};
  const reported = new Promise<Report>((resolve) => (resolveReport = resolve));
  const http = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    if (req.method === "POST" && url.pathname === "/result") {
      resolveReport(await req.json());
      return new Response(null, { status: 204 });
    }
    if (req.method === "GET" && url.pathname === "/") {
      return new Response(html, { headers: { "content-type": "text/html; charset=utf-8" } });
    }
    return new Response("not found", { status: 404 });
  });
  const origin = `http://127.0.0.1:${http.addr.port}`;
  // The profile and a home of its own (Chromium also writes its NSS database,
  // dconf and crash files under $HOME) in one temporary directory.
  const dir = await Deno.makeTempDir({ prefix: "qtws-chromium-" });
  const home = `${dir}/home`;
  let browser: Peer | null = null;
  try {
    const args = chromiumArgs(`${dir}/profile`, `${origin}/`);
    args.splice(args.length - 1, 0, ...extraArgs);
    browser = await Peer.start({
      name: VERSION || "Chromium",
      command: CHROMIUM!,
      args,
      env: {
        HOME: home,
        XDG_CONFIG_HOME: `${home}/.config`,
        XDG_CACHE_HOME: `${home}/.cache`,
        XDG_DATA_HOME: `${home}/.local/share`,
      },
      jsonLines: false,
    });
    try {
      const report = await within(reported, "the page's report", PAGE_BOUND);
      return { report, origin };
    } catch (error) {
      throw new Error(`${error}\nChromium stderr:\n${browser.output().stderr}`);
    }
  } finally {
    await browser?.stop();
    await removeProfile(dir);
    await http.shutdown();
  }
}

/** What the wss: page reports. */
interface SecurePageReport {
  origin: string;
  protocol: string;
  echoes: { kind: string; size: number; ok: boolean }[];
  close: { code: number; reason: string; wasClean: boolean };
}

/** The wss: page: 1 MiB of text and of binary echoed, then a normal close. */
function securePage(config: Record<string, unknown>): string {
  return `${pageHead(config)}
async function run() {
  const ws = new WebSocket(CONFIG.url, ["chat.v1"]);
  ws.binaryType = "arraybuffer";
  const next = inbox(ws);
  const closing = closed(ws);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = () => reject(new Error("the wss: connection failed"));
  });
  report.protocol = ws.protocol;
  report.echoes = [];
  const text = makeText(CONFIG.size);
  ws.send(text);
  report.echoes.push({ kind: "text", size: CONFIG.size, ok: (await next()) === text });
  const bytes = makeBinary(CONFIG.size);
  ws.send(bytes);
  const echo = await next();
  const ok = echo instanceof ArrayBuffer && sameBytes(new Uint8Array(echo), bytes);
  report.echoes.push({ kind: "binary", size: CONFIG.size, ok });
  ws.close(1000);
  report.close = await closing;
}
run().then(() => post(report), (e) => post({ ...report, fatal: String((e && e.stack) || e) }));
</script>
`;
}

/**
 * The flag that makes Chromium trust the test server certificate, and only
 * it: the base64 SHA-256 of its public key (SPKI), derived from the key.
 */
async function trustTestCertificate(): Promise<string> {
  const pem = await Deno.readTextFile(TLS_FILES.key);
  const der = Uint8Array.from(atob(pem.replace(/-----[^-]+-----|\s/g, "")), (c) => c.charCodeAt(0));
  const algorithm = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  const key = await crypto.subtle.importKey("pkcs8", der, algorithm, true, ["sign"]);
  const { kty, n, e } = await crypto.subtle.exportKey("jwk", key);
  const publicKey = await crypto.subtle.importKey("jwk", { kty, n, e }, algorithm, true, [
    "verify",
  ]);
  const spki = await crypto.subtle.exportKey("spki", publicKey);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", spki));
  return `--ignore-certificate-errors-spki-list=${btoa(String.fromCharCode(...digest))}`;
}

/** Resolves with the first connection a server hands out. */
function nextConnection(server: QWebSocketServer): Promise<QWebSocket> {
  return new Promise((resolve) => {
    server.addEventListener("newConnection", () => resolve(server.nextPendingConnection()!), {
      once: true,
    });
  });
}

Deno.test("RFC 6455 interop: Chromium's WebSocket ↔ our QWebSocketServer", async () => {
  if (!requirePeer(CHROMIUM !== null, "Chromium", "apt-get install chromium")) return;

  // Our servers: one that echoes (and closes on /server-closes), one that refuses every origin.
  const server = new QWebSocketServer("qtws-chromium", QWebSocketServer.SslMode.NonSecureMode);
  server.setSupportedSubprotocols(["chat.v1"]);
  const origins: string[] = [];
  server.addEventListener("originAuthenticationRequired", (e) => {
    origins.push(e.authenticator.origin());
  });
  const refusing = new QWebSocketServer("qtws-refusing", QWebSocketServer.SslMode.NonSecureMode);
  const refusedOrigins: string[] = [];
  const refusingErrors: number[] = [];
  refusing.addEventListener("originAuthenticationRequired", (e) => {
    refusedOrigins.push(e.authenticator.origin());
    e.authenticator.setAllowed(false);
  });
  refusing.addEventListener("serverError", (e) => refusingErrors.push(e.closeCode));
  assert.ok(server.listen("127.0.0.1", 0), server.errorString());
  assert.ok(refusing.listen("127.0.0.1", 0), refusing.errorString());

  const pingPayload = makeBinary(125);
  const echoSide = nextConnection(server).then((socket) => {
    const received = new SocketProbe(socket);
    socket.addEventListener("textMessageReceived", (e) => socket.sendTextMessage(e.message));
    socket.addEventListener("binaryMessageReceived", (e) => socket.sendBinaryMessage(e.message));
    socket.ping(pingPayload);
    // RFC 6455 §5.4: a message in 1000-byte frames, text cut between characters.
    const frameSize = socket.outgoingFrameSize();
    socket.setOutgoingFrameSize(1000);
    socket.sendTextMessage(makeText(GREETING_SIZE));
    socket.setOutgoingFrameSize(frameSize);
    return received;
  });
  const closingSide = echoSide.then(() => nextConnection(server)).then((socket) => {
    const received = new SocketProbe(socket);
    socket.sendTextMessage("bye soon");
    socket.close(4001, CLOSE_REASON);
    return received;
  });
  const noStatusSide = closingSide.then(() => nextConnection(server))
    .then((socket) => new SocketProbe(socket));

  const sockets: QWebSocket[] = [];
  try {
    const { report, origin: pageOrigin } = await runPage<PageReport>(page({
      echoUrl: `ws://127.0.0.1:${server.serverPort()}/echo`,
      serverClosesUrl: `ws://127.0.0.1:${server.serverPort()}/server-closes`,
      noStatusUrl: `ws://127.0.0.1:${server.serverPort()}/no-status`,
      refusedUrl: `ws://127.0.0.1:${refusing.serverPort()}/refused`,
      sizes: SIZES,
      greetingSize: GREETING_SIZE,
      closeReason: CLOSE_REASON,
    }));
    assert.equal(report.fatal, undefined, `the page failed: ${report.fatal}`);
    const echoed = await within(echoSide, "the echo connection");
    sockets.push(echoed.socket);
    const closing = await within(closingSide, "the server-closes connection");
    sockets.push(closing.socket);
    const noStatus = await within(noStatusSide, "the no-status connection");
    sockets.push(noStatus.socket);

    // RFC 6455 §4.2.2, §10.2: the Origin the browser sent, through both Qt APIs.
    assert.equal(report.origin, pageOrigin);
    assert.deepEqual(
      origins,
      [pageOrigin, pageOrigin, pageOrigin],
      "originAuthenticationRequired origins",
    );
    assert.equal(echoed.socket.origin(), pageOrigin, "origin() of the accepted socket");
    assert.equal(echoed.socket.resourceName(), "/echo");

    // RFC 6455 §4.2.2 and §9.1: subprotocol chosen, permessage-deflate declined.
    assert.equal(report.protocol, "chat.v1", "the page's ws.protocol");
    assert.equal(echoed.socket.subprotocol(), "chat.v1", "our subprotocol()");
    assert.match(
      echoed.socket.request().rawHeader("Sec-WebSocket-Extensions"),
      /permessage-deflate/,
      "Chromium offered permessage-deflate",
    );
    assert.equal(report.extensions, "", "the page's ws.extensions: none in use");

    // RFC 6455 §5.4, §5.6: our fragmented greeting, and every echo, arrived intact.
    assert.equal(report.greetingOk, true, "the page got our 1000-byte-frame greeting intact");
    assert.equal(report.greetingEchoOk, true, "the page got the echo of its greeting");
    assert.equal(report.echoes.length, SIZES.length * 2);
    for (const echo of report.echoes) {
      assert.ok(echo.ok, `the page got our echo of its ${echo.kind} message of ${echo.size} bytes`);
    }
    assert.equal(await echoed.nextMessage(), "greeting from the page", "the page's first message");
    for (const size of SIZES) {
      const text = await echoed.nextMessage();
      assert.ok(text === makeText(size), `we received the page's text of ${size} bytes intact`);
      const bytes = await echoed.nextMessage();
      assert.ok(bytes instanceof Uint8Array, `binary of ${size} bytes arrived as binary`);
      assert.equal(
        await sha256Hex(bytes),
        await sha256Hex(makeBinary(size)),
        `we received the page's binary of ${size} bytes intact`,
      );
    }

    // RFC 6455 §5.5.2–5.5.3: Chromium answered our ping with the same payload.
    assert.deepEqual(await echoed.nextPong(), pingPayload, "the pong's payload");

    // RFC 6455 §7: the page closed with 4000 and a UTF-8 reason; we echoed the code.
    await echoed.disconnected();
    assert.equal(echoed.socket.closeCode(), 4000, "the code the page closed with");
    assert.equal(echoed.socket.closeReason(), CLOSE_REASON, "the reason the page closed with");
    assert.deepEqual(report.clientClose, { code: 4000, reason: CLOSE_REASON, wasClean: true });
    assert.deepEqual(echoed.errors, []);

    // RFC 6455 §7: we closed with 4001 and a UTF-8 reason after a message.
    await closing.disconnected();
    assert.deepEqual(report.serverClose, {
      code: 4001,
      reason: CLOSE_REASON,
      wasClean: true,
      messages: ["bye soon"],
    });
    assert.equal(closing.socket.closeCode(), 4001, "Chromium echoed our close code");
    assert.deepEqual(closing.errors, []);

    // RFC 6455 §7.1.5, §7.4.1: the page's close() without a code sends a close
    // frame with no status: we report 1005 and echo an empty close frame.
    await noStatus.disconnected();
    assert.equal(noStatus.socket.resourceName(), "/no-status");
    assert.equal(noStatus.socket.closeCode(), 1005, "no status code received");
    assert.equal(noStatus.socket.closeReason(), "");
    assert.deepEqual(report.noStatusClose, { code: 1005, reason: "", wasClean: true });
    assert.deepEqual(noStatus.errors, []);

    // RFC 6455 §4.2.2 / §10.2: a refused Origin gets 403; the browser reports 1006.
    assert.deepEqual(refusedOrigins, [pageOrigin]);
    assert.deepEqual(refusingErrors, [QWebSocketProtocol.CloseCode.CloseCodePolicyViolated]);
    assert.deepEqual(report.refused, { code: 1006, reason: "", wasClean: false, errored: true });
  } finally {
    for (const socket of sockets) await socket[Symbol.asyncDispose]();
    await server[Symbol.asyncDispose]();
    await refusing[Symbol.asyncDispose]();
  }
});

Deno.test("RFC 6455 §4.1 interop over TLS: Chromium's WebSocket ↔ our wss: server", async () => {
  if (!requirePeer(CHROMIUM !== null, "Chromium", "apt-get install chromium")) return;
  const server = new QWebSocketServer("qtws-chromium-tls", QWebSocketServer.SslMode.SecureMode);
  server.setSslConfiguration(tlsConfigurations().server);
  server.setSupportedSubprotocols(["chat.v1"]);
  assert.ok(server.listen("127.0.0.1", 0), server.errorString());
  const size = 1024 * 1024;
  const echoSide = nextConnection(server).then((socket) => {
    const received = new SocketProbe(socket);
    socket.addEventListener("textMessageReceived", (e) => socket.sendTextMessage(e.message));
    socket.addEventListener("binaryMessageReceived", (e) => socket.sendBinaryMessage(e.message));
    return received;
  });
  let echoed: SocketProbe | null = null;
  try {
    const { report, origin } = await runPage<SecurePageReport>(
      securePage({ url: `wss://127.0.0.1:${server.serverPort()}/secure`, size }),
      [await trustTestCertificate()],
    );
    assert.equal(report.fatal, undefined, `the page failed: ${report.fatal}`);
    echoed = await within(echoSide, "the wss: connection");
    assert.equal(echoed.socket.origin(), origin, "origin() over TLS");
    assert.equal(report.protocol, "chat.v1");
    assert.deepEqual(report.echoes, [
      { kind: "text", size, ok: true },
      { kind: "binary", size, ok: true },
    ]);
    assert.ok((await echoed.nextMessage()) === makeText(size), "the page's text over TLS");
    assert.deepEqual(await echoed.nextMessage(), makeBinary(size), "the page's binary over TLS");
    await echoed.disconnected();
    assert.equal(echoed.socket.closeCode(), 1000, "the page closed normally");
    assert.deepEqual(report.close, { code: 1000, reason: "", wasClean: true });
    assert.deepEqual(echoed.errors, []);
  } finally {
    await echoed?.socket[Symbol.asyncDispose]();
    await server[Symbol.asyncDispose]();
  }
});
