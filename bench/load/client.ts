/**
 * The client cells: `QWebSocket` or Deno's built-in `WebSocket` as the
 * client of an echo server, keeping `inflight` messages outstanding and
 * checking every echo against the message sent. Prints one JSON result line
 * (the generator's result shape) on stdout.
 *
 *   deno run --allow-net=127.0.0.1 --allow-run=cat bench/load/client.ts '<json config>'
 *
 * @module
 */

import { QWebSocket } from "../../mod.ts";
import type { GeneratorResult } from "./generator.ts";
import { cpuSeconds, Expected, payload, percentiles } from "./wire.ts";

/** What one client run does. */
export interface ClientConfig {
  impl: "qtws" | "deno";
  port: number;
  inflight: number;
  size: number;
  text: boolean;
  warmup: number;
  duration: number;
  /** The echo server's pid, to read its CPU time. */
  serverPid: number;
}

/** The two clients behind one small interface. */
interface Client {
  send(message: string | Uint8Array): void;
  close(): void;
}

interface Events {
  open(): void;
  message(data: string | Uint8Array): void;
  closed(): void;
  error(message: string): void;
}

function qtwsClient(url: string, events: Events): Client {
  const socket = new QWebSocket();
  socket.addEventListener("connected", () => events.open());
  socket.addEventListener("textMessageReceived", (e) => events.message(e.message));
  socket.addEventListener("binaryMessageReceived", (e) => events.message(e.message));
  socket.addEventListener("error", () => events.error(socket.errorString()));
  socket.addEventListener("disconnected", () => events.closed());
  socket.open(url);
  return {
    send: (m) => typeof m === "string" ? socket.sendTextMessage(m) : socket.sendBinaryMessage(m),
    close: () => socket.close(),
  };
}

function denoClient(url: string, events: Events): Client {
  const socket = new WebSocket(url);
  socket.binaryType = "arraybuffer";
  socket.onopen = () => events.open();
  socket.onmessage = (e) =>
    events.message(typeof e.data === "string" ? e.data : new Uint8Array(e.data as ArrayBuffer));
  socket.onerror = (e) => events.error((e as ErrorEvent).message ?? "error");
  socket.onclose = () => events.closed();
  return { send: (m) => socket.send(m), close: () => socket.close() };
}

async function run(cfg: ClientConfig): Promise<GeneratorResult> {
  const distinct = cfg.size >= 65536 ? 2 : 64;
  const bodies = Array.from({ length: distinct }, (_, i) => payload(i, cfg.size, cfg.text));
  const messages: Array<string | Uint8Array> = cfg.text
    ? bodies.map((b) => new TextDecoder().decode(b))
    : bodies;
  const expected = bodies.map((b) => new Expected(b));
  const sendTimes = new Float64Array(cfg.inflight);
  const samples = new Float64Array(1 << 22);
  let sampleCount = 0;
  let sent = 0;
  let received = 0;
  let count = 0;
  let bytes = 0;
  let measuring = false;
  let running = true;
  let closeStarted = false;
  const errors: string[] = [];
  const opened = Promise.withResolvers<void>();
  const closed = Promise.withResolvers<void>();

  const send = () => {
    sendTimes[sent % cfg.inflight] = performance.now();
    client.send(messages[sent % distinct]!);
    sent++;
  };
  const check = (data: string | Uint8Array, index: number): boolean => {
    const want = index % distinct;
    if (typeof data === "string") return data === messages[want];
    return data.length === cfg.size && expected[want]!.matches(data, 0, data.length, 0);
  };
  const events: Events = {
    open: () => opened.resolve(),
    message: (data) => {
      const now = performance.now();
      const index = received++;
      if (!check(data, index)) {
        errors.push(`message ${index} differs from what was sent`);
        running = false;
      }
      if (measuring) {
        count++;
        bytes += cfg.size;
        if (sampleCount < samples.length) {
          samples[sampleCount++] = now - sendTimes[index % cfg.inflight]!;
        }
      }
      if (running) {
        send();
      } else if (received === sent && !closeStarted) {
        closeStarted = true;
        client.close();
      }
    },
    closed: () => {
      opened.resolve();
      closed.resolve();
    },
    error: (message) => errors.push(message),
  };
  const url = `ws://127.0.0.1:${cfg.port}/`;
  const client = cfg.impl === "qtws" ? qtwsClient(url, events) : denoClient(url, events);
  await opened.promise;
  for (let i = 0; i < cfg.inflight; i++) send();

  await sleep(cfg.warmup * 1000);
  const cpu0 = await cpuSeconds([cfg.serverPid, Deno.pid]);
  const t0 = performance.now();
  measuring = true;
  await sleep(cfg.duration * 1000);
  measuring = false;
  const t1 = performance.now();
  const cpu1 = await cpuSeconds([cfg.serverPid, Deno.pid]);
  running = false;
  if (received === sent && !closeStarted) {
    closeStarted = true;
    client.close();
  }
  const done = await Promise.race([
    closed.promise.then(() => true),
    sleep(30000).then(() => false),
  ]);
  if (!done) errors.push("the connection did not close within 30 s");
  const seconds = (t1 - t0) / 1000;
  const lat = percentiles(samples, sampleCount);
  const share = (a: number, b: number) => Number.isFinite(b - a) ? (b - a) / seconds : null;
  return {
    messages: count,
    seconds,
    perSecond: count / seconds,
    mbPerSecond: bytes / seconds / 1e6,
    p50: lat?.p50 ?? null,
    p99: lat?.p99 ?? null,
    // Here the "server" is the raw echo server and the "generator" the client under test.
    serverCpu: share(cpu0[0]!, cpu1[0]!),
    generatorCpu: share(cpu0[1]!, cpu1[1]!),
    errors: [...new Set(errors)],
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

if (import.meta.main) {
  const result = await run(JSON.parse(Deno.args[0]!) as ClientConfig);
  console.log(JSON.stringify(result));
  // The built-in WebSocket may keep the process alive briefly after close.
  Deno.exit(0);
}
