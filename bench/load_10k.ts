/**
 * Load benchmark: 10,000 concurrent WebSocket connections to one server,
 * one echo on each, then a clean close of all of them — against qtws's
 * `QWebSocketServer` and, in the same run, Deno's built-in server
 * (`Deno.serve` + `Deno.upgradeWebSocket`). Each server runs in its own
 * process (`load_server.ts`); this process is the load generator, with lean
 * hand-written clients so that the server's cost dominates.
 *
 * Reports, per server: time to open all connections (TCP + opening
 * handshake), time for every connection to send one message and get its echo,
 * time to close all cleanly, and the server's memory per connection (RSS
 * and live JS heap + external, after a full GC, divided by the connections).
 *
 * Every process holds one socket per connection, so the open-files limit must
 * exceed the connection count (10,000 + a little). Raise it in the shell first:
 *
 * ```sh
 * ulimit -n 20000
 * deno run --allow-net=127.0.0.1 --allow-run --allow-read bench/load_10k.ts
 * # options: --connections 10000 --concurrency 200 --size 32 --servers qtws,deno --runs 3
 * ```
 *
 * @module
 */

const args = parseArgs(Deno.args);
const CONNECTIONS = args.connections;
const KEY = "dGhlIHNhbXBsZSBub25jZQ==";

function parseArgs(argv: string[]) {
  const get = (name: string, fallback: string) => {
    const at = argv.indexOf(`--${name}`);
    return at === -1 ? fallback : argv[at + 1]!;
  };
  return {
    connections: Number(get("connections", "10000")),
    concurrency: Number(get("concurrency", "200")),
    size: Number(get("size", "32")),
    servers: get("servers", "qtws,deno").split(","),
    runs: Number(get("runs", "3")),
  };
}

async function openFilesLimit(): Promise<number> {
  const { stdout } = await new Deno.Command("sh", { args: ["-c", "ulimit -n"], stdout: "piped" })
    .output();
  const text = new TextDecoder().decode(stdout).trim();
  return text === "unlimited" ? Infinity : Number(text);
}

// --- a lean client --------------------------------------------------------------

class Client {
  readonly conn: Deno.TcpConn;
  #buffer = new Uint8Array(256);
  #length = 0;
  #chunk = new Uint8Array(1024);

  constructor(conn: Deno.TcpConn) {
    this.conn = conn;
  }

  async write(bytes: Uint8Array): Promise<void> {
    for (let at = 0; at < bytes.length;) at += await this.conn.write(bytes.subarray(at));
  }

  /** Reads until `need(buffer)` returns the length of what it wants, then drops that many bytes. */
  async readUntil(need: (bytes: Uint8Array) => number): Promise<Uint8Array | null> {
    while (true) {
      const view = this.#buffer.subarray(0, this.#length);
      const size = need(view);
      if (size > 0) {
        const taken = view.slice(0, size);
        this.#buffer.copyWithin(0, size, this.#length);
        this.#length -= size;
        return taken;
      }
      const n = await this.conn.read(this.#chunk);
      if (n === null) return null;
      if (this.#length + n > this.#buffer.length) {
        const grown = new Uint8Array(Math.max(this.#buffer.length * 2, this.#length + n));
        grown.set(this.#buffer.subarray(0, this.#length));
        this.#buffer = grown;
      }
      this.#buffer.set(this.#chunk.subarray(0, n), this.#length);
      this.#length += n;
    }
  }

  close(): void {
    try {
      this.conn.close();
    } catch {
      // Closed already.
    }
  }
}

const REQUEST = (port: number) =>
  new TextEncoder().encode(
    `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );

function headLength(bytes: Uint8Array): number {
  for (let i = 3; i < bytes.length; i++) {
    if (bytes[i] === 10 && bytes[i - 1] === 13 && bytes[i - 2] === 10 && bytes[i - 3] === 13) {
      return i + 1;
    }
  }
  return 0;
}

// One whole unmasked server frame at the start of `bytes` (payloads < 64 KiB).
function frameLength(bytes: Uint8Array): number {
  if (bytes.length < 2) return 0;
  const code = bytes[1]! & 0x7f;
  const header = code === 126 ? 4 : 2;
  if (bytes.length < header) return 0;
  const length = code === 126 ? (bytes[2]! << 8) | bytes[3]! : code;
  return bytes.length >= header + length ? header + length : 0;
}

function maskedFrame(firstByte: number, payload: Uint8Array): Uint8Array {
  const header = payload.length < 126 ? 2 : 4;
  const frame = new Uint8Array(header + 4 + payload.length);
  frame[0] = firstByte;
  if (header === 2) frame[1] = 0x80 | payload.length;
  else {
    frame[1] = 0x80 | 126;
    frame[2] = payload.length >> 8;
    frame[3] = payload.length & 0xff;
  }
  const mask = crypto.getRandomValues(new Uint8Array(4));
  frame.set(mask, header);
  for (let i = 0; i < payload.length; i++) frame[header + 4 + i] = payload[i]! ^ mask[i & 3]!;
  return frame;
}

async function withConcurrency<T>(
  count: number,
  limit: number,
  task: (i: number) => Promise<T>,
): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, count) }, async () => {
    while (next < count) {
      const i = next++;
      results[i] = await task(i);
    }
  });
  await Promise.all(workers);
  return results;
}

// --- one server under load ----------------------------------------------------------

interface Memory {
  rss: number;
  heapUsed: number;
  external: number;
  open: number;
}

interface Result {
  server: string;
  connectMs: number;
  echoMs: number;
  closeMs: number;
  rssPerConnection: number;
  heapPerConnection: number;
  serverRssMiB: number;
  closedByServer: number;
  errors: number;
}

async function measure(impl: string): Promise<Result> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net=127.0.0.1",
      "--v8-flags=--expose-gc",
      new URL("./load_server.ts", import.meta.url).pathname,
      impl,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const input = child.stdin.getWriter();
  const output = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let pending = "";
  const line = async (): Promise<string> => {
    while (!pending.includes("\n")) {
      const { value, done } = await output.read();
      if (done) throw new Error(`the ${impl} server exited`);
      pending += value;
    }
    const at = pending.indexOf("\n");
    const text = pending.slice(0, at);
    pending = pending.slice(at + 1);
    return text;
  };
  const memory = async (): Promise<Memory> => {
    await input.write(new TextEncoder().encode("mem\n"));
    return JSON.parse(await line());
  };

  const { port } = JSON.parse(await line()) as { port: number };
  const request = REQUEST(port);
  const payload = new TextEncoder().encode("x".repeat(args.size));
  const closePayload = new Uint8Array([0x03, 0xe8]);
  let errors = 0;
  const base = await memory();

  // Open every connection, at most `concurrency` handshakes at a time.
  let start = performance.now();
  const clients = await withConcurrency(CONNECTIONS, args.concurrency, async () => {
    const client = new Client(await Deno.connect({ hostname: "127.0.0.1", port }));
    await client.write(request);
    const head = await client.readUntil(headLength);
    if (
      head === null || !new TextDecoder().decode(head.subarray(0, 13)).startsWith("HTTP/1.1 101")
    ) {
      throw new Error(
        `${impl}: the handshake failed: ${head === null ? "EOF" : new TextDecoder().decode(head)}`,
      );
    }
    return client;
  });
  const connectMs = performance.now() - start;
  const held = await memory();
  if (held.open !== CONNECTIONS) throw new Error(`${impl}: ${held.open} of ${CONNECTIONS} open`);

  // One message on every connection at once, and every echo back.
  start = performance.now();
  await Promise.all(clients.map(async (client) => {
    await client.write(maskedFrame(0x81, payload));
    const echo = await client.readUntil(frameLength);
    if (echo === null || echo[0] !== 0x81 || echo.length !== payload.length + 2) errors++;
  }));
  const echoMs = performance.now() - start;

  // Close every connection cleanly: close frame both ways, then the server's FIN.
  start = performance.now();
  let closedByServer = 0;
  await Promise.all(clients.map(async (client) => {
    await client.write(maskedFrame(0x88, closePayload));
    const close = await client.readUntil(frameLength);
    if (close === null || close[0] !== 0x88) errors++;
    // RFC 6455 §7.1.1: the server closes TCP first; wait for it (bounded).
    let timer: ReturnType<typeof setTimeout> | undefined;
    const eof = await Promise.race([
      client.readUntil(() => 0).then(() => true, () => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 5000))),
    ]);
    clearTimeout(timer);
    if (eof) closedByServer++;
    client.close();
  }));
  const closeMs = performance.now() - start;
  let after = await memory();
  for (let i = 0; i < 50 && after.open > 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    after = await memory();
  }
  if (after.open !== 0) errors += after.open;

  await input.write(new TextEncoder().encode("exit\n"));
  await input.close();
  await child.status;
  return {
    server: impl,
    connectMs,
    echoMs,
    closeMs,
    rssPerConnection: (held.rss - base.rss) / CONNECTIONS,
    heapPerConnection: (held.heapUsed + held.external - base.heapUsed - base.external) /
      CONNECTIONS,
    serverRssMiB: held.rss / 1048576,
    closedByServer,
    errors,
  };
}

// --- main -------------------------------------------------------------------------

const limit = await openFilesLimit();
if (limit < CONNECTIONS + 100) {
  console.error(
    `The open-files limit is ${limit}; ${CONNECTIONS} connections need at least ${
      CONNECTIONS + 100
    }.\n` +
      `Raise it in this shell first: ulimit -n ${Math.max(20000, CONNECTIONS * 2)}`,
  );
  Deno.exit(1);
}

console.log(
  `load: ${CONNECTIONS} connections, ${args.concurrency} handshakes in flight, ${args.size}-byte messages, ` +
    `Deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} CPUs, ulimit -n ${limit}`,
);
// The servers alternate run by run, so drifting load on a shared machine
// hits both alike; each figure below is the median of the runs.
const runs = new Map<string, Result[]>(args.servers.map((impl) => [impl, []]));
for (let run = 0; run < args.runs; run++) {
  for (const impl of args.servers) {
    const result = await measure(impl);
    runs.get(impl)!.push(result);
    console.log(JSON.stringify({ run, ...result }));
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
console.log(
  `\nMedians of ${args.runs} runs.\n\n` +
    "| Server | Connect all | Echo on all | Close all | RSS / connection | JS heap / connection | Server RSS | Errors |",
);
console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const [impl, results] of runs) {
  const m = (pick: (r: Result) => number) => median(results.map(pick));
  const name = impl === "qtws" ? "qtws `QWebSocketServer`" : "`Deno.serve` + `upgradeWebSocket`";
  const errors = results.reduce((sum, r) => sum + r.errors + (CONNECTIONS - r.closedByServer), 0);
  console.log(
    `| ${name} | ${fmt(m((r) => r.connectMs))} ms | ${fmt(m((r) => r.echoMs))} ms | ` +
      `${fmt(m((r) => r.closeMs))} ms | ${fmt(m((r) => r.rssPerConnection) / 1024, 1)} KiB | ` +
      `${fmt(m((r) => r.heapPerConnection) / 1024, 1)} KiB | ${
        fmt(m((r) => r.serverRssMiB))
      } MiB | ${errors} |`,
  );
}
