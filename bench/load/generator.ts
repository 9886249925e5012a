/**
 * The load generator: one process that drives one echo server over raw
 * `Deno.connect` sockets, with pre-built masked frames written in batches and
 * a minimal parser that checks every echoed byte (wire.ts). Prints one JSON
 * result line on stdout.
 *
 *   deno run --allow-net=127.0.0.1 --allow-run=cat bench/load/generator.ts '<json config>'
 *
 * Modes:
 * - `echo`: `connections` sockets, each keeping `inflight` messages of `size`
 *   bytes outstanding (a closed loop: an echo frees a slot for the next
 *   message); messages and bytes per second over `duration` seconds after
 *   `warmup` seconds, latency p50/p99 (send to complete echo), and the CPU
 *   time of the server and of this process over the window.
 * - `handshake`: `connections` workers, each opening a WebSocket (upgrade,
 *   101 and accept checked), closing it (close frame both ways, then the
 *   server's end of stream), and starting over.
 * - `idle`: opens `connections` sockets, echoes one message on each, prints
 *   `{"ready":...}` and holds them until a line arrives on stdin, then closes
 *   them all cleanly.
 *
 * @module
 */

import {
  checkUpgradeResponse,
  CLOSE_FRAME,
  cpuSeconds,
  EchoVerifier,
  encodeFrame,
  Expected,
  FrameRing,
  payload,
  percentiles,
  readHead,
  upgradeRequest,
} from "./wire.ts";

/** What one generator run does. */
export interface GeneratorConfig {
  mode: "echo" | "handshake" | "idle";
  port: number;
  connections: number;
  inflight: number;
  size: number;
  text: boolean;
  warmup: number;
  duration: number;
  /** The server's pid, to read its CPU time. */
  serverPid: number;
}

/** One generator run's figures. */
export interface GeneratorResult {
  messages: number;
  seconds: number;
  perSecond: number;
  mbPerSecond: number;
  p50: number | null;
  p99: number | null;
  serverCpu: number | null;
  generatorCpu: number | null;
  errors: string[];
}

const HOST = "127.0.0.1";
const MAX_SAMPLES = 1 << 22;

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < data.length) offset += await conn.write(data.subarray(offset));
}

async function openSocket(port: number, request: Uint8Array): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: HOST, port });
  conn.setNoDelay(true);
  await writeAll(conn, request);
  const response = await readHead(conn, new Uint8Array(4096));
  if (response === null) throw new Error("the server closed during the handshake");
  const problem = checkUpgradeResponse(response.head);
  if (problem !== null) throw new Error(problem);
  if (response.rest.length > 0) throw new Error("unexpected bytes after the 101");
  return conn;
}

// Runs `task(i)` for i in [0, count) with at most `limit` at a time.
async function pool<T>(
  count: number,
  limit: number,
  task: (i: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
  return results;
}

class Clock {
  measuring = false;
  running = true;
  messages = 0;
  bytes = 0;
  samples = new Float64Array(MAX_SAMPLES);
  sampleCount = 0;
}

class EchoConnection {
  readonly #conn: Deno.TcpConn;
  readonly #ring: FrameRing;
  readonly #verifier: EchoVerifier;
  readonly #inflight: number;
  readonly #size: number;
  readonly #clock: Clock;
  readonly #sendTimes: Float64Array;
  #next = 0;
  #toSend = 0;
  #outstanding = 0;
  #writing = false;
  #closing = false;
  #now = 0;
  error: string | null = null;

  constructor(
    conn: Deno.TcpConn,
    ring: FrameRing,
    expected: Expected[],
    cfg: GeneratorConfig,
    clock: Clock,
  ) {
    this.#conn = conn;
    this.#ring = ring;
    this.#inflight = cfg.inflight;
    this.#size = cfg.size;
    this.#clock = clock;
    this.#sendTimes = new Float64Array(cfg.inflight);
    this.#verifier = new EchoVerifier(expected, cfg.text ? 0x1 : 0x2);
    this.#verifier.onMessage = (index) => this.#echoed(index);
  }

  async run(readSize: number): Promise<void> {
    const buffer = new Uint8Array(readSize);
    this.#toSend = this.#inflight;
    this.#flush();
    try {
      for (;;) {
        const n = await this.#conn.read(buffer);
        if (n === null) {
          if (!this.#verifier.closed) this.error ??= "the server closed the connection";
          break;
        }
        this.#now = performance.now();
        if (!this.#verifier.push(buffer.subarray(0, n))) {
          this.error ??= this.#verifier.error;
          break;
        }
        if (this.#verifier.closed) {
          if (!this.#closing) this.error ??= "the server sent a close frame";
          // Wait for the server's end of stream (it closes TCP first, §7.1.1).
          continue;
        }
        if (this.#toSend > 0) this.#flush();
        this.#maybeClose();
      }
    } catch (error) {
      this.error ??= String(error);
    } finally {
      this.#conn.close();
    }
  }

  /** Stops sending; the connection closes once its echoes are in. */
  stop(): void {
    this.#toSend = 0;
    this.#maybeClose();
  }

  #echoed(index: number): void {
    const clock = this.#clock;
    this.#outstanding--;
    if (clock.measuring) {
      clock.messages++;
      clock.bytes += this.#size;
      if (clock.sampleCount < MAX_SAMPLES) {
        clock.samples[clock.sampleCount++] = this.#now - this.#sendTimes[index % this.#inflight]!;
      }
    }
    if (clock.running) this.#toSend++;
  }

  #maybeClose(): void {
    if (this.#clock.running || this.#closing || this.#outstanding > 0 || this.#writing) return;
    this.#closing = true;
    writeAll(this.#conn, CLOSE_FRAME).catch((e) => (this.error ??= String(e)));
  }

  #flush(): void {
    if (this.#writing) return;
    this.#writing = true;
    this.#writeLoop().catch((e) => (this.error ??= String(e)));
  }

  async #writeLoop(): Promise<void> {
    while (this.#toSend > 0 && this.#clock.running) {
      const n = Math.min(this.#toSend, this.#inflight);
      const first = this.#next;
      const data = this.#ring.slice(first, n);
      const now = performance.now();
      for (let i = 0; i < n; i++) this.#sendTimes[(first + i) % this.#inflight] = now;
      this.#next += n;
      this.#toSend -= n;
      this.#outstanding += n;
      await writeAll(this.#conn, data);
    }
    this.#writing = false;
    this.#maybeClose();
  }
}

async function echo(cfg: GeneratorConfig): Promise<GeneratorResult> {
  // Distinct messages, so an echo of the wrong message is caught; large ones
  // alternate between two.
  const distinct = cfg.size >= 65536 ? 2 : 64;
  const bodies = Array.from({ length: distinct }, (_, i) => payload(i, cfg.size, cfg.text));
  const expected = bodies.map((b) => new Expected(b));
  const frames = bodies.map((b, i) => encodeFrame(cfg.text ? 0x1 : 0x2, b, 0x9e3779b1 ^ i));
  const ring = new FrameRing(frames, cfg.inflight);
  const clock = new Clock();
  const request = upgradeRequest(HOST, cfg.port);
  const conns = await pool(cfg.connections, 64, async () => {
    return new EchoConnection(await openSocket(cfg.port, request), ring, expected, cfg, clock);
  });
  const readSize = cfg.size >= 65536 ? 1 << 20 : cfg.connections >= 500 ? 4096 : 65536;
  const runs = conns.map((c) => c.run(readSize));

  await sleep(cfg.warmup * 1000);
  const cpu0 = await cpuSeconds([cfg.serverPid, Deno.pid]);
  const t0 = performance.now();
  clock.measuring = true;
  await sleep(cfg.duration * 1000);
  clock.measuring = false;
  const t1 = performance.now();
  const cpu1 = await cpuSeconds([cfg.serverPid, Deno.pid]);
  clock.running = false;
  for (const c of conns) c.stop();
  const drained = await Promise.race([
    Promise.all(runs).then(() => true),
    sleep(30000).then(() => false),
  ]);
  const errors = conns.map((c) => c.error).filter((e): e is string => e !== null);
  if (!drained) errors.push("connections did not close within 30 s");
  const seconds = (t1 - t0) / 1000;
  const lat = percentiles(clock.samples, clock.sampleCount);
  return {
    messages: clock.messages,
    seconds,
    perSecond: clock.messages / seconds,
    mbPerSecond: clock.bytes / seconds / 1e6,
    p50: lat?.p50 ?? null,
    p99: lat?.p99 ?? null,
    serverCpu: cpuShare(cpu0[0]!, cpu1[0]!, seconds),
    generatorCpu: cpuShare(cpu0[1]!, cpu1[1]!, seconds),
    errors: unique(errors),
  };
}

// Opens a WebSocket, closes it (close frames both ways, then the server's end
// of stream), and returns an error or null.
async function openAndClose(
  port: number,
  request: Uint8Array,
  buffer: Uint8Array,
): Promise<string | null> {
  const conn = await openSocket(port, request);
  try {
    await writeAll(conn, CLOSE_FRAME);
    const verifier = new EchoVerifier([], 0x1);
    for (;;) {
      const n = await conn.read(buffer);
      if (n === null) break;
      if (!verifier.push(buffer.subarray(0, n))) return verifier.error;
    }
    return verifier.closed ? null : "no close frame from the server";
  } finally {
    conn.close();
  }
}

async function handshakes(cfg: GeneratorConfig): Promise<GeneratorResult> {
  const request = upgradeRequest(HOST, cfg.port);
  const errors: string[] = [];
  let measuring = false;
  let running = true;
  let count = 0;
  const worker = async () => {
    const buffer = new Uint8Array(4096);
    while (running) {
      try {
        const error = await openAndClose(cfg.port, request, buffer);
        if (error !== null) errors.push(error);
        else if (measuring) count++;
      } catch (error) {
        errors.push(String(error));
        if (errors.length > 100) return;
      }
    }
  };
  const workers = Array.from({ length: cfg.connections }, worker);
  await sleep(cfg.warmup * 1000);
  const cpu0 = await cpuSeconds([cfg.serverPid, Deno.pid]);
  const t0 = performance.now();
  measuring = true;
  await sleep(cfg.duration * 1000);
  measuring = false;
  const t1 = performance.now();
  const cpu1 = await cpuSeconds([cfg.serverPid, Deno.pid]);
  running = false;
  await Promise.all(workers);
  const seconds = (t1 - t0) / 1000;
  return {
    messages: count,
    seconds,
    perSecond: count / seconds,
    mbPerSecond: 0,
    p50: null,
    p99: null,
    serverCpu: cpuShare(cpu0[0]!, cpu1[0]!, seconds),
    generatorCpu: cpuShare(cpu0[1]!, cpu1[1]!, seconds),
    errors: unique(errors),
  };
}

async function idle(cfg: GeneratorConfig): Promise<GeneratorResult> {
  const request = upgradeRequest(HOST, cfg.port);
  const body = payload(1, cfg.size, true);
  const frame = encodeFrame(0x1, body, 0x5a5a1234);
  const expected = [new Expected(body)];
  const t0 = performance.now();
  const errors: string[] = [];
  const conns = await pool(cfg.connections, 100, async () => {
    const conn = await openSocket(cfg.port, request);
    await writeAll(conn, frame);
    const verifier = new EchoVerifier(expected, 0x1);
    const buffer = new Uint8Array(256);
    while (verifier.messages === 0) {
      const n = await conn.read(buffer);
      if (n === null || !verifier.push(buffer.subarray(0, n))) {
        errors.push(verifier.error ?? "closed before the echo");
        break;
      }
    }
    return conn;
  });
  const openSeconds = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ ready: conns.length, openSeconds }));
  // Hold every connection (no pending reads: a read op would hold a buffer
  // here, not in the server) until told to go on.
  const stdin = Deno.stdin.readable.getReader();
  await stdin.read();
  stdin.releaseLock();
  const t1 = performance.now();
  await pool(conns.length, 200, async (i) => {
    const conn = conns[i]!;
    try {
      await writeAll(conn, CLOSE_FRAME);
      const buffer = new Uint8Array(256);
      while ((await conn.read(buffer)) !== null) { /* until the server's end of stream */ }
    } catch (error) {
      errors.push(String(error));
    } finally {
      conn.close();
    }
  });
  const closeSeconds = (performance.now() - t1) / 1000;
  return {
    messages: conns.length,
    seconds: openSeconds + closeSeconds,
    perSecond: conns.length / openSeconds,
    mbPerSecond: 0,
    p50: null,
    p99: null,
    serverCpu: null,
    generatorCpu: null,
    errors: unique(errors),
  };
}

function cpuShare(before: number, after: number, seconds: number): number | null {
  const share = (after - before) / seconds;
  return Number.isFinite(share) ? share : null;
}

function unique(errors: string[]): string[] {
  const counts = new Map<string, number>();
  for (const e of errors) counts.set(e, (counts.get(e) ?? 0) + 1);
  return [...counts].map(([e, n]) => (n > 1 ? `${e} (×${n})` : e));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

if (import.meta.main) {
  const cfg = JSON.parse(Deno.args[0]!) as GeneratorConfig;
  const run = cfg.mode === "echo" ? echo : cfg.mode === "handshake" ? handshakes : idle;
  const result = await run(cfg);
  console.log(JSON.stringify(result));
  // Timers that lost a race (the drain bound) would keep the process alive.
  Deno.exit(0);
}
