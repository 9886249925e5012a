/**
 * permessage-deflate with a real browser: headless Chromium (which offers
 * `permessage-deflate; client_max_window_bits` on every connection) against
 * QWebSocketServer with compression enabled, under three server settings.
 * Each connection goes through a counting TCP relay, so the test sees that
 * both directions were compressed on the wire, not just that messages
 * round-tripped.
 */

import assert from "node:assert/strict";
import {
  type PerMessageDeflateOptions,
  type PerMessageDeflateParameters,
  type QWebSocket,
  QWebSocketServer,
} from "../../mod.ts";
import { makeBinary, makeText, SIZES, TEXT_PATTERN } from "../interop/_payloads.ts";
import { findBinary, Peer, probe, requirePeer, within } from "../interop/_peer.ts";

const CHROMIUM = findBinary("chromium", "chromium-browser", "google-chrome");
const VERSION = CHROMIUM === null ? "" : (await probe(CHROMIUM, ["--version"])).stdout.trim();
const PAGE_BOUND = 90_000;

/** JSON-like text of about 16 KiB, as a chat or API message would be. */
const JSON_TEXT = JSON.stringify(
  Array.from({ length: 160 }, (_, i) => ({ id: i, user: `user-${i % 17}`, text: "hello there" })),
);
const JSON_COUNT = 10;
const GREETING_SIZE = 50_000;
const BIG_TEXT_SIZE = 1024 * 1024;

interface Setting {
  name: string;
  options: PerMessageDeflateOptions;
  /** What Chromium's offer must end in. */
  response: string;
  agreed: PerMessageDeflateParameters;
}

const SETTINGS: Setting[] = [
  {
    name: "context takeover both ways (the defaults)",
    options: {},
    response: "permessage-deflate",
    agreed: {
      serverNoContextTakeover: false,
      clientNoContextTakeover: false,
      serverMaxWindowBits: 15,
      clientMaxWindowBits: 15,
    },
  },
  {
    name: "no context takeover either way",
    options: { serverNoContextTakeover: true, clientNoContextTakeover: true },
    response: "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
    agreed: {
      serverNoContextTakeover: true,
      clientNoContextTakeover: true,
      serverMaxWindowBits: 15,
      clientMaxWindowBits: 15,
    },
  },
  {
    name: "the smallest windows (server 2^8, client 2^8)",
    options: { serverMaxWindowBits: 8, clientMaxWindowBits: 8 },
    response: "permessage-deflate; server_max_window_bits=8; client_max_window_bits=8",
    agreed: {
      serverNoContextTakeover: false,
      clientNoContextTakeover: false,
      serverMaxWindowBits: 8,
      clientMaxWindowBits: 8,
    },
  },
];

/** Bytes through one relayed connection. */
interface Flow {
  path: string;
  /** Browser to server. */
  up: number;
  /** Server to browser. */
  down: number;
}

/**
 * A TCP relay on 127.0.0.1 that forwards every connection to `port` and
 * counts the bytes each way, passing half-closes on.
 */
function countingRelay(port: number) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const flows: Flow[] = [];
  const tasks = new Set<Promise<void>>();
  const copy = async (
    from: Deno.TcpConn,
    to: Deno.TcpConn,
    count: (chunk: Uint8Array) => void,
  ): Promise<void> => {
    const buffer = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        const n = await from.read(buffer);
        if (n === null) break;
        count(buffer.subarray(0, n));
        let at = 0;
        while (at < n) at += await to.write(buffer.subarray(at, n));
      }
      await to.closeWrite();
    } catch {
      // One side is gone; the other copy ends too once both are closed.
    }
  };
  const relay = async (browser: Deno.TcpConn): Promise<void> => {
    const flow: Flow = { path: "", up: 0, down: 0 };
    flows.push(flow);
    let server: Deno.TcpConn;
    try {
      server = await Deno.connect({ hostname: "127.0.0.1", port });
    } catch {
      browser.close();
      return;
    }
    await Promise.all([
      copy(browser, server, (chunk) => {
        if (flow.up === 0) flow.path = new TextDecoder().decode(chunk).split(" ")[1] ?? "";
        flow.up += chunk.length;
      }),
      copy(server, browser, (chunk) => (flow.down += chunk.length)),
    ]);
    browser.close();
    server.close();
  };
  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        const task = relay(conn);
        tasks.add(task);
        task.finally(() => tasks.delete(task));
      }
    } catch {
      // Closed.
    }
  })();
  return {
    port: listener.addr.port,
    flows,
    async close(): Promise<void> {
      listener.close();
      await accepting;
      await within(Promise.all([...tasks]), "the relayed connections to end");
    },
  };
}

/** The page: per setting, a compressible connection and one at every length boundary. */
function page(config: Record<string, unknown>): string {
  return `<!doctype html>
<meta charset="utf-8">
<title>qtws permessage-deflate</title>
<script>
"use strict";
const CONFIG = ${JSON.stringify(config)};
const TEXT_PATTERN = ${JSON.stringify(TEXT_PATTERN)};
${makeText.toString()}
${makeBinary.toString()}
function post(body) {
  fetch("/result", { method: "POST", body: JSON.stringify(body) });
}
function sameBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
function open(url) {
  const ws = new WebSocket(url);
  ws.binaryType = "arraybuffer";
  const queue = [];
  let wake = null;
  ws.onmessage = (e) => { queue.push(e.data); if (wake) wake(); };
  const next = async () => {
    while (queue.length === 0) await new Promise((resolve) => (wake = resolve));
    return queue.shift();
  };
  const closed = new Promise((resolve) => (ws.onclose = (e) => resolve({ code: e.code, wasClean: e.wasClean })));
  const opened = new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = () => reject(new Error("connection to " + url + " failed"));
  });
  return { ws, next, closed, opened };
}
async function compressible(base) {
  const c = open(base + "/compressible");
  await c.opened;
  const result = { extensions: c.ws.extensions, ok: [] };
  result.ok.push((await c.next()) === makeText(CONFIG.greetingSize));
  for (let i = 0; i < CONFIG.jsonCount; i++) {
    c.ws.send(CONFIG.json);
    result.ok.push((await c.next()) === CONFIG.json);
  }
  const big = makeText(CONFIG.bigTextSize);
  c.ws.send(big);
  result.ok.push((await c.next()) === big);
  c.ws.close(1000);
  result.close = await c.closed;
  return result;
}
async function sizes(base) {
  const c = open(base + "/sizes");
  await c.opened;
  const result = { ok: [] };
  for (const size of CONFIG.sizes) {
    const text = makeText(size);
    c.ws.send(text);
    result.ok.push((await c.next()) === text);
    const bytes = makeBinary(size);
    c.ws.send(bytes);
    const echo = await c.next();
    result.ok.push(echo instanceof ArrayBuffer && sameBytes(new Uint8Array(echo), bytes));
  }
  c.ws.close(1000);
  result.close = await c.closed;
  return result;
}
async function run() {
  const report = { userAgent: navigator.userAgent, settings: [] };
  for (const base of CONFIG.bases) {
    report.settings.push({ compressible: await compressible(base), sizes: await sizes(base) });
  }
  return report;
}
setTimeout(() => post({ fatal: "the page timed out" }), CONFIG.pageTimeout);
run().then(post, (e) => post({ fatal: String((e && e.stack) || e) }));
</script>
`;
}

interface ConnectionReport {
  extensions?: string;
  ok: boolean[];
  close: { code: number; wasClean: boolean };
}

interface PageReport {
  fatal?: string;
  userAgent?: string;
  settings: Array<{ compressible: ConnectionReport; sizes: ConnectionReport }>;
}

/** Serves `html`, opens it in headless Chromium, resolves with what it POSTs. */
async function runPage(html: string): Promise<PageReport> {
  let resolveReport: (report: PageReport) => void = () => {};
  const reported = new Promise<PageReport>((resolve) => (resolveReport = resolve));
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
  const dir = await Deno.makeTempDir({ prefix: "qtws-deflate-chromium-" });
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
        `http://127.0.0.1:${http.addr.port}/`,
      ],
      env: {
        HOME: home,
        XDG_CONFIG_HOME: `${home}/.config`,
        XDG_CACHE_HOME: `${home}/.cache`,
        XDG_DATA_HOME: `${home}/.local/share`,
      },
      jsonLines: false,
    });
    try {
      return await within(reported, "the page's report", PAGE_BOUND);
    } catch (error) {
      throw new Error(`${error}\nChromium stderr:\n${browser.output().stderr}`);
    }
  } finally {
    await browser?.stop();
    // Chromium's helpers may still write for a moment after the browser ends.
    for (let attempt = 0;; attempt++) {
      try {
        await Deno.remove(dir, { recursive: true });
        break;
      } catch (error) {
        if (error instanceof Deno.errors.NotFound || attempt >= 20) break;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
    await http.shutdown();
  }
}

/** A server with `options` that greets /compressible with a fragmented text and echoes everything. */
function deflateServer(options: PerMessageDeflateOptions) {
  const server = new QWebSocketServer("qtws-deflate", QWebSocketServer.SslMode.NonSecureMode);
  server.setPerMessageDeflateEnabled(true);
  server.setPerMessageDeflateOptions(options);
  server.setMaxAllowedIncomingMessageSize(4 * 1024 * 1024);
  const sockets: QWebSocket[] = [];
  const ended: Promise<void>[] = [];
  server.addEventListener("newConnection", () => {
    let socket: QWebSocket | null;
    while ((socket = server.nextPendingConnection()) !== null) {
      const peer = socket;
      sockets.push(peer);
      ended.push(new Promise((resolve) => peer.addEventListener("disconnected", () => resolve())));
      peer.addEventListener("textMessageReceived", (e) => peer.sendTextMessage(e.message));
      peer.addEventListener("binaryMessageReceived", (e) => peer.sendBinaryMessage(e.message));
      if (peer.resourceName() === "/compressible") {
        // RFC 7692 §6.1: one compressed message in 1000-byte frames, RSV1 on the first.
        const frameSize = peer.outgoingFrameSize();
        peer.setOutgoingFrameSize(1000);
        peer.sendTextMessage(makeText(GREETING_SIZE));
        peer.setOutgoingFrameSize(frameSize);
      }
    }
  });
  assert.ok(server.listen("127.0.0.1", 0), server.errorString());
  return { server, sockets, ended };
}

Deno.test("RFC 7692 interop: Chromium ↔ QWebSocketServer with permessage-deflate, three settings, compressed both ways", async () => {
  if (!requirePeer(CHROMIUM !== null, "Chromium", "apt-get install chromium")) return;
  const servers = SETTINGS.map((setting) => deflateServer(setting.options));
  const relays = servers.map(({ server }) => countingRelay(server.serverPort()));
  try {
    const report = await runPage(page({
      bases: relays.map((relay) => `ws://127.0.0.1:${relay.port}`),
      json: JSON_TEXT,
      jsonCount: JSON_COUNT,
      greetingSize: GREETING_SIZE,
      bigTextSize: BIG_TEXT_SIZE,
      sizes: SIZES,
      pageTimeout: PAGE_BOUND - 10_000,
    }));
    assert.equal(report.fatal, undefined, `the page failed: ${report.fatal}`);
    for (const [i, setting] of SETTINGS.entries()) {
      const { sockets, ended } = servers[i]!;
      const seen = report.settings[i]!;
      await within(Promise.all(ended), `the connections of "${setting.name}" to end`);
      // RFC 7692 §5: Chromium offered, we answered, and both ends agree.
      assert.equal(seen.compressible.extensions, setting.response, setting.name);
      assert.equal(sockets.length, 2);
      for (const socket of sockets) {
        assert.match(
          socket.request().rawHeader("Sec-WebSocket-Extensions"),
          /^permessage-deflate; client_max_window_bits$/,
          "Chromium's offer",
        );
        assert.deepEqual(socket.perMessageDeflate(), setting.agreed, setting.name);
        assert.equal(socket.closeCode(), 1000);
      }
      // Every message arrived intact both ways.
      assert.deepEqual(seen.compressible.ok, Array(JSON_COUNT + 2).fill(true), setting.name);
      assert.deepEqual(seen.sizes.ok, Array(SIZES.length * 2).fill(true), setting.name);
      assert.deepEqual(seen.compressible.close, { code: 1000, wasClean: true });
      assert.deepEqual(seen.sizes.close, { code: 1000, wasClean: true });
      // And it was compressed on the wire, in both directions.
      const flow = relays[i]!.flows.find((f) => f.path === "/compressible");
      assert.ok(flow !== undefined, "the relay saw the compressible connection");
      const sentByPage = JSON_COUNT * JSON_TEXT.length + BIG_TEXT_SIZE;
      const sentByUs = GREETING_SIZE + sentByPage;
      assert.ok(
        flow.up < sentByPage / 4,
        `${setting.name}: Chromium sent ${flow.up} bytes for ${sentByPage} of messages`,
      );
      assert.ok(
        flow.down < sentByUs / 4,
        `${setting.name}: we sent ${flow.down} bytes for ${sentByUs} of messages`,
      );
    }
  } finally {
    for (const { server } of servers) await server[Symbol.asyncDispose]();
    for (const relay of relays) await relay.close();
  }
});
