/**
 * The load benchmark: qtws against Deno's built-in WebSocket, side by side,
 * in one command.
 *
 *   ulimit -n 20000   # the idle-memory cell holds 10,000 connections
 *   deno task bench:load [--runs 5] [--duration 2] [--cells a,b] [--quick]
 *
 * Server cells: the same load generator (generator.ts: raw `Deno.connect`,
 * pre-built masked frames written in batches, every echoed byte checked)
 * drives `QWebSocketServer` (server_qtws.ts) and `Deno.serve` +
 * `Deno.upgradeWebSocket` (server_deno.ts), alternating A/B run by run.
 * Client cells: `QWebSocket` and `new WebSocket()` (client.ts) against the
 * same minimal echo server (raw_echo_server.ts). Every process is its own
 * `deno run`; with `taskset`, the side under test runs on one core and the
 * load on another. Writes bench/results/latest.md and latest.json.
 *
 * @module
 */

import type { GeneratorConfig, GeneratorResult } from "./generator.ts";
import type { ClientConfig } from "./client.ts";
import type { MemorySample } from "./control.ts";

type Side = "qtws" | "deno";
const SIDES: readonly Side[] = ["qtws", "deno"];

interface Cell {
  id: string;
  title: string;
  kind: "server" | "client" | "handshake" | "memory";
  unit: "msg/s" | "MB/s" | "handshakes/s" | "KiB/conn";
  connections: number;
  inflight: number;
  size: number;
  text: boolean;
  latency: boolean;
  duration?: number;
}

const KIB = 1024;
const MIB = 1024 * 1024;

const CELLS: Cell[] = [
  cell("server-32b-1x1", "32 B text, 1 connection, 1 in flight", "server", "msg/s", 1, 1, 32, true),
  cell(
    "server-32b-1x16",
    "32 B text, 1 connection, 16 in flight",
    "server",
    "msg/s",
    1,
    16,
    32,
    true,
  ),
  cell(
    "server-32b-100",
    "32 B text, 100 connections × 1 in flight",
    "server",
    "msg/s",
    100,
    1,
    32,
    true,
  ),
  cell(
    "server-32b-1000",
    "32 B text, 1,000 connections × 1 in flight",
    "server",
    "msg/s",
    1000,
    1,
    32,
    true,
  ),
  cell(
    "server-16k-10",
    "16 KiB binary, 10 connections × 1 in flight",
    "server",
    "msg/s",
    10,
    1,
    16 * KIB,
    false,
  ),
  cell("server-1m", "1 MiB binary, 1 connection, 2 in flight", "server", "MB/s", 1, 2, MIB, false),
  cell(
    "server-16m",
    "16 MiB binary, 1 connection, 2 in flight",
    "server",
    "MB/s",
    1,
    2,
    16 * MIB,
    false,
    3,
  ),
  cell(
    "handshake",
    "upgrade handshakes (open + close), 10 concurrent",
    "handshake",
    "handshakes/s",
    10,
    0,
    0,
    false,
  ),
  cell(
    "memory",
    "memory per idle connection, 10,000 connections (RSS)",
    "memory",
    "KiB/conn",
    10000,
    0,
    32,
    true,
  ),
  cell("client-32b-1x1", "client: 32 B text, 1 in flight", "client", "msg/s", 1, 1, 32, true),
  cell("client-32b-1x16", "client: 32 B text, 16 in flight", "client", "msg/s", 1, 16, 32, true),
  cell("client-1m", "client: 1 MiB binary, 2 in flight", "client", "MB/s", 1, 2, MIB, false),
];

function cell(
  id: string,
  title: string,
  kind: Cell["kind"],
  unit: Cell["unit"],
  connections: number,
  inflight: number,
  size: number,
  text: boolean,
  duration?: number,
): Cell {
  const latency = (kind === "server" || kind === "client") && size <= 32;
  return { id, title, kind, unit, connections, inflight, size, text, latency, duration };
}

interface Options {
  runs: number;
  memoryRuns: number;
  warmup: number;
  duration: number;
  cells: Set<string> | null;
  out: string;
  /** A qtws checkout that takes the built-in's place (A/B of a change), or null. */
  baseline: string | null;
}

function parseArgs(args: string[]): Options {
  const options: Options = {
    runs: 5,
    memoryRuns: 3,
    warmup: 0.5,
    duration: 2,
    cells: null,
    out: new URL("../results/", import.meta.url).pathname,
    baseline: null,
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = () => {
      const v = args[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === "--runs") options.runs = Number(value());
    else if (arg === "--memory-runs") options.memoryRuns = Number(value());
    else if (arg === "--duration") options.duration = Number(value());
    else if (arg === "--warmup") options.warmup = Number(value());
    else if (arg === "--cells") options.cells = new Set(value().split(","));
    else if (arg === "--out") options.out = value();
    else if (arg === "--baseline") options.baseline = value().replace(/\/?$/, "/");
    else if (arg === "--quick") {
      options.runs = 3;
      options.memoryRuns = 1;
      options.duration = 1;
    } else {
      throw new Error(
        `Unknown option ${arg}. Use --runs N, --memory-runs N, --duration S, --warmup S, ` +
          `--cells ${CELLS.map((c) => c.id).join(",")}, --out DIR, --quick, --baseline DIR`,
      );
    }
  }
  return options;
}

// --- processes ------------------------------------------------------------

const HERE = new URL(".", import.meta.url).pathname;
const NET = "--allow-net=127.0.0.1";

interface Pinning {
  /** The core of the side under test (a server, or a client), or null. */
  subject: number | null;
  /** The core of the load (generator, or the raw echo server), or null. */
  load: number | null;
  description: string;
}

async function sh(command: string, args: string[]): Promise<string | null> {
  try {
    const out = await new Deno.Command(command, { args, stdout: "piped", stderr: "null" }).output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : null;
  } catch {
    return null;
  }
}

async function choosePinning(): Promise<Pinning> {
  const cores = navigator.hardwareConcurrency;
  if (cores < 2) return { subject: null, load: null, description: "not pinned (one core)" };
  if ((await sh("taskset", ["-c", "0", "true"])) === null) {
    return { subject: null, load: null, description: "not pinned (no taskset)" };
  }
  return {
    subject: 0,
    load: 1,
    description: "pinned with taskset: side under test on core 0, load on core 1",
  };
}

function command(core: number | null, args: string[]): Deno.Command {
  const deno = Deno.execPath();
  const [cmd, argv] = core === null
    ? [deno, args]
    : ["taskset", ["-c", String(core), deno, ...args]];
  return new Deno.Command(cmd, { args: argv, stdin: "piped", stdout: "piped", stderr: "inherit" });
}

/** A long-running server process with its control channel (control.ts). */
class ServerProcess {
  readonly #child: Deno.ChildProcess;
  readonly #lines: AsyncIterator<string>;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  port = 0;
  pid = 0;

  constructor(script: string, core: number | null, gc: boolean) {
    const path = script.startsWith("/") ? script : HERE + script;
    const args = ["run", NET, ...(gc ? ["--v8-flags=--expose-gc"] : []), path];
    this.#child = command(core, args).spawn();
    this.#lines = lines(this.#child.stdout);
    this.#stdin = this.#child.stdin.getWriter();
  }

  async start(): Promise<this> {
    const { port, pid } = JSON.parse(await this.#next());
    this.port = port;
    this.pid = pid;
    return this;
  }

  async memory(): Promise<MemorySample> {
    await this.#stdin.write(new TextEncoder().encode("mem\n"));
    return JSON.parse(await this.#next());
  }

  async stop(): Promise<void> {
    await this.#stdin.close().catch(() => {});
    const timer = setTimeout(() => this.#child.kill("SIGKILL"), 10000);
    await this.#child.status;
    clearTimeout(timer);
  }

  async #next(): Promise<string> {
    const { value, done } = await this.#lines.next();
    if (done) throw new Error("a server process ended early");
    return value;
  }
}

async function* linesOf(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let pending = "";
  for await (const text of stream.pipeThrough(new TextDecoderStream())) {
    pending += text;
    let nl: number;
    while ((nl = pending.indexOf("\n")) >= 0) {
      yield pending.slice(0, nl);
      pending = pending.slice(nl + 1);
    }
  }
  if (pending !== "") yield pending;
}

function lines(stream: ReadableStream<Uint8Array>): AsyncIterator<string> {
  return linesOf(stream)[Symbol.asyncIterator]();
}

async function runOnce(
  core: number | null,
  script: string,
  config: unknown,
): Promise<GeneratorResult> {
  const child = command(core, [
    "run",
    NET,
    "--allow-run=cat",
    script.startsWith("/") ? script : HERE + script,
    JSON.stringify(config),
  ])
    .spawn();
  await child.stdin.close();
  const out = await new Response(child.stdout).text();
  const status = await child.status;
  const last = out.trim().split("\n").pop() ?? "";
  if (!status.success || !last.startsWith("{")) {
    return failed(`${script} exited with ${status.code}`);
  }
  return JSON.parse(last);
}

function failed(error: string): GeneratorResult {
  return {
    messages: 0,
    seconds: 0,
    perSecond: 0,
    mbPerSecond: 0,
    p50: null,
    p99: null,
    serverCpu: null,
    generatorCpu: null,
    errors: [error],
  };
}

// --- cells ----------------------------------------------------------------

interface SideResult {
  value: number;
  runs: number[];
  p50: number | null;
  p99: number | null;
  subjectCpu: number | null;
  loadCpu: number | null;
  extra?: Record<string, number>;
  errors: string[];
}

interface CellResult {
  cell: Cell;
  qtws: SideResult;
  deno: SideResult;
  ratio: number;
}

function median(values: number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

function summarize(cell: Cell, results: GeneratorResult[]): SideResult {
  const value = (r: GeneratorResult) => (cell.unit === "MB/s" ? r.mbPerSecond : r.perSecond);
  const nums = (f: (r: GeneratorResult) => number | null) =>
    median(results.map(f).filter((x): x is number => x !== null));
  const orNull = (x: number) => (Number.isFinite(x) ? x : null);
  return {
    value: median(results.map(value)),
    runs: results.map(value),
    p50: cell.latency ? orNull(nums((r) => r.p50)) : null,
    p99: cell.latency ? orNull(nums((r) => r.p99)) : null,
    // For client cells, the client is the subject and the echo server the load.
    subjectCpu: orNull(nums((r) => (cell.kind === "client" ? r.generatorCpu : r.serverCpu))),
    loadCpu: orNull(nums((r) => (cell.kind === "client" ? r.serverCpu : r.generatorCpu))),
    errors: [...new Set(results.flatMap((r) => r.errors))],
  };
}

function order(run: number): readonly Side[] {
  return run % 2 === 0 ? SIDES : [...SIDES].reverse();
}

async function serverCell(
  cell: Cell,
  servers: Record<Side, ServerProcess>,
  options: Options,
  pinning: Pinning,
): Promise<Record<Side, GeneratorResult[]>> {
  const results: Record<Side, GeneratorResult[]> = { qtws: [], deno: [] };
  for (let run = 0; run < options.runs; run++) {
    for (const side of order(run)) {
      const config: GeneratorConfig = {
        mode: cell.kind === "handshake" ? "handshake" : "echo",
        port: servers[side].port,
        connections: cell.connections,
        inflight: cell.inflight,
        size: cell.size,
        text: cell.text,
        warmup: cell.connections >= 1000 ? Math.max(1, options.warmup) : options.warmup,
        duration: cell.duration ?? options.duration,
        serverPid: servers[side].pid,
      };
      const result = await runOnce(pinning.load, "generator.ts", config);
      results[side].push(result);
      progress(cell, side, run, result);
    }
  }
  return results;
}

async function clientCell(
  cell: Cell,
  echo: ServerProcess,
  options: Options,
  pinning: Pinning,
): Promise<Record<Side, GeneratorResult[]>> {
  const results: Record<Side, GeneratorResult[]> = { qtws: [], deno: [] };
  for (let run = 0; run < options.runs; run++) {
    for (const side of order(run)) {
      const baseline = side === "deno" ? options.baseline : null;
      const config: ClientConfig = {
        impl: baseline === null ? side : "qtws",
        port: echo.port,
        inflight: cell.inflight,
        size: cell.size,
        text: cell.text,
        warmup: options.warmup,
        duration: cell.duration ?? options.duration,
        serverPid: echo.pid,
      };
      const script = baseline === null ? "client.ts" : baseline + "bench/load/client.ts";
      const result = await runOnce(pinning.subject, script, config);
      results[side].push(result);
      progress(cell, side, run, result);
    }
  }
  return results;
}

interface MemoryRun {
  connections: number;
  openSeconds: number;
  base: MemorySample;
  loaded: MemorySample;
  closed: MemorySample;
  errors: string[];
}

async function memoryRun(
  side: Side,
  connections: number,
  pinning: Pinning,
  baseline: string | null,
): Promise<MemoryRun> {
  const script = serverScript(side, baseline);
  const server = await new ServerProcess(script, pinning.subject, true).start();
  try {
    const idle = async (count: number, atReady: () => Promise<void>) => {
      const config: GeneratorConfig = {
        mode: "idle",
        port: server.port,
        connections: count,
        inflight: 1,
        size: 32,
        text: true,
        warmup: 0,
        duration: 0,
        serverPid: server.pid,
      };
      const child = command(pinning.load, [
        "run",
        NET,
        HERE + "generator.ts",
        JSON.stringify(config),
      ]).spawn();
      const out = lines(child.stdout);
      const first = await out.next();
      if (first.done) throw new Error("the idle generator ended early");
      const ready = JSON.parse(first.value) as { ready: number; openSeconds: number };
      await atReady();
      const stdin = child.stdin.getWriter();
      await stdin.write(new TextEncoder().encode("go\n"));
      await stdin.close();
      const last = await out.next();
      await child.status;
      const result = last.done ? failed("the idle generator ended early") : JSON.parse(last.value);
      return { ready, result: result as GeneratorResult };
    };
    // Warm up: the code paths, the lazily built parts of the runtime.
    await idle(200, async () => {});
    const base = await server.memory();
    let loaded = base;
    const { ready, result } = await idle(connections, async () => {
      loaded = await server.memory();
    });
    const closed = await server.memory();
    return {
      connections,
      openSeconds: ready.openSeconds,
      base,
      loaded,
      closed,
      errors: result.errors,
    };
  } finally {
    await server.stop();
  }
}

async function memoryCell(
  cell: Cell,
  options: Options,
  pinning: Pinning,
  connections: number,
): Promise<{ qtws: SideResult; deno: SideResult; runs: Record<Side, MemoryRun[]> }> {
  const runs: Record<Side, MemoryRun[]> = { qtws: [], deno: [] };
  for (let run = 0; run < options.memoryRuns; run++) {
    for (const side of order(run)) {
      let result: MemoryRun;
      try {
        result = await memoryRun(side, connections, pinning, options.baseline);
      } catch (error) {
        const zero = { rss: NaN, heapTotal: NaN, heapUsed: NaN, external: NaN, spaces: {} };
        result = {
          connections,
          openSeconds: NaN,
          base: zero,
          loaded: zero,
          closed: zero,
          errors: [String(error)],
        };
      }
      runs[side].push(result);
      const kib = (result.loaded.rss - result.base.rss) / result.connections / KIB;
      console.error(
        `  ${cell.id} ${side} run ${run + 1}: ${kib.toFixed(2)} KiB/conn RSS` +
          (result.errors.length > 0 ? `  ERRORS: ${result.errors.join("; ")}` : ""),
      );
    }
  }
  const side = (s: Side): SideResult => {
    const perConn = (r: MemoryRun, f: (m: MemorySample) => number) =>
      (f(r.loaded) - f(r.base)) / r.connections / KIB;
    const rss = runs[s].map((r) => perConn(r, (m) => m.rss));
    const heap = runs[s].map((r) => perConn(r, (m) => m.heapUsed + m.external));
    // V8 grows its young generation (to tens of MiB) while thousands of
    // connections' objects survive scavenges: a fixed cost that the RSS delta
    // spreads over the connections.
    const young = runs[s].map((r) => perConn(r, (m) => m.spaces.new_space ?? NaN));
    return {
      value: median(rss),
      runs: rss,
      p50: null,
      p99: null,
      subjectCpu: null,
      loadCpu: null,
      extra: {
        heapPerConnKiB: median(heap),
        youngGenPerConnKiB: median(young),
        rssWithoutYoungGenKiB: median(rss.map((x, i) => x - young[i]!)),
        rssAfterCloseKiB: median(runs[s].map((r) => (r.closed.rss - r.base.rss) / KIB)),
        openSeconds: median(runs[s].map((r) => r.openSeconds)),
      },
      errors: [...new Set(runs[s].flatMap((r) => r.errors))],
    };
  };
  return { qtws: side("qtws"), deno: side("deno"), runs };
}

function progress(cell: Cell, side: Side, run: number, r: GeneratorResult): void {
  const value = cell.unit === "MB/s" ? r.mbPerSecond : r.perSecond;
  const cpu = (x: number | null) => (x === null ? "?" : `${Math.round(x * 100)}%`);
  console.error(
    `  ${cell.id} ${side} run ${run + 1}: ${fmt(value)} ${cell.unit}` +
      (r.p50 !== null ? `  p50 ${r.p50.toFixed(3)} ms  p99 ${r.p99!.toFixed(3)} ms` : "") +
      `  cpu server ${cpu(r.serverCpu)} load/client ${cpu(r.generatorCpu)}` +
      // CPU per message of the side under test: steadier than throughput
      // on a shared machine.
      (perMessage(cell, r) === null ? "" : `  ${perMessage(cell, r)!.toFixed(2)} µs/msg`) +
      (r.errors.length > 0 ? `  ERRORS: ${r.errors.join("; ")}` : ""),
  );
}

function perMessage(cell: Cell, r: GeneratorResult): number | null {
  const cpu = cell.kind === "client" ? r.generatorCpu : r.serverCpu;
  return cpu === null || r.messages === 0 ? null : (cpu * r.seconds * 1e6) / r.messages;
}

// --- report ---------------------------------------------------------------

function fmt(x: number, digits = 0): string {
  if (!Number.isFinite(x)) return "—";
  return x.toLocaleString("en-US", {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  });
}

function ms(x: number | null): string {
  return x === null ? "—" : x.toFixed(3);
}

async function machine(): Promise<Record<string, string | number>> {
  const cpuinfo = (await sh("cat", ["/proc/cpuinfo"])) ?? "";
  const model = /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? "unknown CPU";
  let os = Deno.build.os as string;
  try {
    os = `${Deno.build.os} ${Deno.osRelease()}`;
  } catch { /* no --allow-sys */ }
  return {
    cpu: model,
    cores: navigator.hardwareConcurrency,
    os,
    arch: Deno.build.arch,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    load: (await sh("cat", ["/proc/loadavg"]))?.split(" ").slice(0, 3).join(" ") ?? "?",
  };
}

function markdown(
  results: CellResult[],
  info: Record<string, unknown>,
): string {
  const out: string[] = [];
  const m = info.machine as Record<string, string | number>;
  out.push(`# Load benchmark: qtws against Deno's built-in WebSocket`);
  out.push("");
  out.push(
    `${info.date} · ${m.cpu}, ${m.cores} cores · ${m.os} ${m.arch} · Deno ${m.deno} (V8 ${m.v8})`,
  );
  out.push("");
  out.push(`Command: \`${info.command}\``);
  out.push("");
  out.push(
    `${info.pinning}. Each cell: median of ${info.runs} runs (memory: ${info.memoryRuns}) of ` +
      `${info.duration} s after ${info.warmup} s of warm-up, qtws and built-in alternating. ` +
      `Load average at the start: ${m.load}.`,
  );
  out.push("");
  out.push(
    "| Cell | Unit | qtws | built-in | qtws / built-in | p50 ms qtws · built-in | p99 ms qtws · built-in |",
  );
  out.push("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
  for (const r of results) {
    const digits = r.cell.unit === "KiB/conn" ? 2 : 0;
    const bad = r.qtws.errors.length + r.deno.errors.length > 0 ? " ⚠" : "";
    out.push(
      `| ${r.cell.title}${bad} | ${r.cell.unit} | ${fmt(r.qtws.value, digits)} | ${
        fmt(r.deno.value, digits)
      } | ${fmt(r.ratio, 2)}× | ${
        r.cell.latency ? `${ms(r.qtws.p50)} · ${ms(r.deno.p50)}` : ""
      } | ${r.cell.latency ? `${ms(r.qtws.p99)} · ${ms(r.deno.p99)}` : ""} |`,
    );
  }
  out.push("");
  out.push(
    "Throughput: higher is better; memory (RSS growth per idle connection after one echo " +
      "each, after full GCs): lower is better. Every echoed byte is checked; ⚠ marks a cell " +
      "where a run reported an error (see latest.json).",
  );
  const memory = results.find((r) => r.cell.kind === "memory");
  if (memory !== undefined) {
    const e = (s: SideResult, k: string) => fmt(s.extra?.[k] ?? NaN, 2);
    out.push("");
    out.push(
      `Memory detail (${fmt(memory.cell.connections)} connections): JS heap + external per ` +
        `connection qtws ${e(memory.qtws, "heapPerConnKiB")} KiB, built-in ${
          e(memory.deno, "heapPerConnKiB")
        } KiB; RSS growth without the young generation's growth qtws ${
          e(memory.qtws, "rssWithoutYoungGenKiB")
        } KiB, built-in ${e(memory.deno, "rssWithoutYoungGenKiB")} KiB (young generation: ${
          e(memory.qtws, "youngGenPerConnKiB")
        } and ${e(memory.deno, "youngGenPerConnKiB")} KiB per connection); opening them took ${
          e(memory.qtws, "openSeconds")
        } s and ${e(memory.deno, "openSeconds")} s; RSS above the baseline after they closed: ${
          e(memory.qtws, "rssAfterCloseKiB")
        } KiB and ${e(memory.deno, "rssAfterCloseKiB")} KiB.`,
    );
  }
  const cpuRows = results.filter((r) => r.qtws.subjectCpu !== null);
  if (cpuRows.length > 0) {
    out.push("");
    out.push(
      "CPU use over the measured window (share of one core, median): the side under test, " +
        "then the load (generator or echo server). A load well under 100% is not the bottleneck.",
    );
    out.push("");
    out.push("| Cell | qtws: subject · load | built-in: subject · load |");
    out.push("| --- | ---: | ---: |");
    const pct = (x: number | null) => (x === null ? "?" : `${Math.round(x * 100)}%`);
    for (const r of cpuRows) {
      out.push(
        `| ${r.cell.title} | ${pct(r.qtws.subjectCpu)} · ${pct(r.qtws.loadCpu)} | ${
          pct(r.deno.subjectCpu)
        } · ${pct(r.deno.loadCpu)} |`,
      );
    }
  }
  out.push("");
  return out.join("\n");
}

// --- main -----------------------------------------------------------------

// With --baseline, qtws from another checkout takes the built-in's place:
// an A/B of a change, alternating run by run like the main comparison.
function serverScript(side: Side, baseline: string | null): string {
  if (side === "qtws") return "server_qtws.ts";
  return baseline === null ? "server_deno.ts" : baseline + "bench/load/server_qtws.ts";
}

async function main(): Promise<void> {
  const options = parseArgs(Deno.args);
  const pinning = await choosePinning();
  const started = new Date();
  console.error(`Load benchmark, ${pinning.description}.`);
  if (options.baseline !== null) {
    console.error(
      `A/B: "deno" below is qtws from ${options.baseline}; nothing is written to ${options.out}.`,
    );
  }
  const selected = CELLS.filter((c) => options.cells === null || options.cells.has(c.id));
  if (selected.length === 0) throw new Error("No cells selected");
  const results: CellResult[] = [];
  const memoryRuns: Record<string, unknown> = {};
  const raw: Record<string, Record<Side, GeneratorResult[]>> = {};

  const serverCells = selected.filter((c) => c.kind === "server" || c.kind === "handshake");
  if (serverCells.length > 0) {
    const servers = {
      qtws: await new ServerProcess("server_qtws.ts", pinning.subject, false).start(),
      deno: await new ServerProcess(serverScript("deno", options.baseline), pinning.subject, false)
        .start(),
    };
    try {
      for (const cell of serverCells) {
        console.error(`${cell.title}:`);
        raw[cell.id] = await serverCell(cell, servers, options, pinning);
        results.push(toCellResult(cell, raw[cell.id]!));
      }
    } finally {
      await Promise.all([servers.qtws.stop(), servers.deno.stop()]);
    }
  }

  const memory = selected.find((c) => c.kind === "memory");
  if (memory !== undefined) {
    const limit = Number(await sh("sh", ["-c", "ulimit -n"]));
    let connections = memory.connections;
    if (Number.isFinite(limit) && limit < connections + 200) {
      connections = Math.max(100, limit - 200);
      console.error(
        `ulimit -n is ${limit}: the memory cell uses ${connections} connections ` +
          `(run "ulimit -n 20000" first for ${memory.connections}).`,
      );
    }
    console.error(`${memory.title}:`);
    const m = await memoryCell(memory, options, pinning, connections);
    memoryRuns[memory.id] = m.runs;
    const c = { ...memory, connections };
    results.push({ cell: c, qtws: m.qtws, deno: m.deno, ratio: m.qtws.value / m.deno.value });
  }

  const clientCells = selected.filter((c) => c.kind === "client");
  if (clientCells.length > 0) {
    const echo = await new ServerProcess("raw_echo_server.ts", pinning.load, false).start();
    try {
      for (const cell of clientCells) {
        console.error(`${cell.title}:`);
        raw[cell.id] = await clientCell(cell, echo, options, pinning);
        results.push(toCellResult(cell, raw[cell.id]!));
      }
    } finally {
      await echo.stop();
    }
  }

  const info = {
    date: started.toISOString().slice(0, 16).replace("T", " ") + " UTC",
    machine: await machine(),
    command: ["deno task bench:load", ...Deno.args].join(" "),
    pinning: pinning.description,
    runs: options.runs,
    memoryRuns: options.memoryRuns,
    warmup: options.warmup,
    duration: options.duration,
  };
  const table = markdown(results, info);
  if (options.baseline !== null) {
    console.log(table);
    return;
  }
  await Deno.mkdir(options.out, { recursive: true });
  await Deno.writeTextFile(options.out + "latest.md", table);
  await Deno.writeTextFile(
    options.out + "latest.json",
    JSON.stringify({ ...info, results, raw, memoryRuns }, null, 2) + "\n",
  );
  console.log(table);
  const errors = results.some((r) => r.qtws.errors.length + r.deno.errors.length > 0);
  if (errors) {
    console.error("Some runs reported errors (see latest.json).");
    Deno.exitCode = 1;
  }
}

function toCellResult(cell: Cell, raw: Record<Side, GeneratorResult[]>): CellResult {
  const qtws = summarize(cell, raw.qtws);
  const deno = summarize(cell, raw.deno);
  return { cell, qtws, deno, ratio: qtws.value / deno.value };
}

if (import.meta.main) await main();
