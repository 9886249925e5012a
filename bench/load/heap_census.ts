/**
 * Where an idle connection's heap goes: starts a benchmark server, takes a
 * heap snapshot, opens `connections` idle connections (one echo each, as in
 * the memory cell), takes another, and prints the difference per connection
 * by object kind (constructor name, closure, array, string, ...).
 *
 *   deno run --allow-run --allow-read --allow-write=/tmp bench/load/heap_census.ts \
 *     [qtws|deno|<script>] [connections] [--by-owner]
 *
 * @module
 */

const HERE = new URL(".", import.meta.url).pathname;
const which = Deno.args[0] ?? "qtws";
const connections = Number(Deno.args[1] ?? "1000");
const script = which === "qtws" || which === "deno" ? `${HERE}server_${which}.ts` : which;

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

type Census = Map<string, { count: number; size: number }>;

// With --by-owner, each object is counted under the nearest object that
// retains it (first retainer, up to 6 steps) whose constructor is one of ours
// or Deno's, e.g. "StreamEngine > closure": where the memory hangs.
const OWNERS = new Set([
  "QWebSocket",
  "StreamEngine",
  "WebSocketConnection",
  "FrameParser",
  "MessageAssembler",
  "FrameEncoder",
  "ConnChannel",
  "TcpConn",
  "QNetworkRequest",
  "QSslConfiguration",
  "QNetworkProxy",
  "QWebSocketHandshakeOptions",
  "URL",
  "HeaderList",
]);
const byOwner = Deno.args.includes("--by-owner");

async function census(path: string): Promise<Census> {
  const snap = JSON.parse(await Deno.readTextFile(path)) as Snapshot & {
    snapshot: { meta: { edge_fields: string[] } };
    edges: number[];
  };
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf("type");
  const nameAt = fields.indexOf("name");
  const sizeAt = fields.indexOf("self_size");
  const edgeCountAt = fields.indexOf("edge_count");
  const nodeCount = snap.nodes.length / width;
  // First retainer of every node (edges point at node offsets).
  const retainer = new Int32Array(nodeCount).fill(-1);
  if (byOwner) {
    const edgeWidth = snap.snapshot.meta.edge_fields.length;
    const toAt = snap.snapshot.meta.edge_fields.indexOf("to_node");
    const edgeTypeAt = snap.snapshot.meta.edge_fields.indexOf("type");
    let edge = 0;
    for (let n = 0; n < nodeCount; n++) {
      const count = snap.nodes[n * width + edgeCountAt]!;
      for (let e = 0; e < count; e++, edge += edgeWidth) {
        // Skip weak edges (type 6 in V8's edge types).
        if (snap.edges[edge + edgeTypeAt] === 6) continue;
        const to = snap.edges[edge + toAt]! / width;
        if (retainer[to] === -1) retainer[to] = n;
      }
    }
  }
  const ownerOf = (n: number): string => {
    let at = retainer[n]!;
    for (let depth = 0; depth < 6 && at >= 0; depth++) {
      if (types[snap.nodes[at * width + typeAt]!] === "object") {
        const name = snap.strings[snap.nodes[at * width + nameAt]!]!;
        if (OWNERS.has(name)) return name + " > ";
      }
      at = retainer[at]!;
    }
    return "";
  };
  const result: Census = new Map();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt]!]!;
    let name = snap.strings[snap.nodes[i + nameAt]!]!;
    if (type === "string" || type === "concatenated string" || type === "sliced string") {
      name = "";
    } else if (type === "code" || type === "hidden") {
      name = name.slice(0, 40);
    }
    const key = (byOwner ? ownerOf(i / width) : "") + `${type} ${name}`.trim();
    const entry = result.get(key) ?? { count: 0, size: 0 };
    entry.count++;
    entry.size += snap.nodes[i + sizeAt]!;
    result.set(key, entry);
  }
  return result;
}

const server = new Deno.Command(Deno.execPath(), {
  args: ["run", "--allow-net=127.0.0.1", "--allow-write=/tmp", "--v8-flags=--expose-gc", script],
  stdin: "piped",
  stdout: "piped",
  stderr: "inherit",
}).spawn();
const reader = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
let pending = "";
async function line(): Promise<string> {
  for (;;) {
    const nl = pending.indexOf("\n");
    if (nl >= 0) {
      const text = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      return text;
    }
    const { value, done } = await reader.read();
    if (done) throw new Error("the server ended");
    pending += value;
  }
}
const stdin = server.stdin.getWriter();
const send = (text: string) => stdin.write(new TextEncoder().encode(text + "\n"));
const { port } = JSON.parse(await line());

async function idle(count: number, atReady: () => Promise<void>): Promise<void> {
  const generator = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net=127.0.0.1",
      `${HERE}generator.ts`,
      JSON.stringify({
        mode: "idle",
        port,
        connections: count,
        inflight: 1,
        size: 32,
        text: true,
        warmup: 0,
        duration: 0,
        serverPid: 0,
      }),
    ],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const out = generator.stdout.pipeThrough(new TextDecoderStream()).getReader();
  await out.read();
  await atReady();
  const w = generator.stdin.getWriter();
  await w.write(new TextEncoder().encode("go\n"));
  await w.close();
  while (!(await out.read()).done) { /* drain */ }
  await generator.status;
}

await idle(100, async () => {});
await send("snap /tmp/census_base.heapsnapshot");
await line();
await idle(connections, async () => {
  await send("snap /tmp/census_loaded.heapsnapshot");
  await line();
});
await stdin.close();
await server.status;

const before = await census("/tmp/census_base.heapsnapshot");
const after = await census("/tmp/census_loaded.heapsnapshot");
const rows = [...after].map(([key, a]) => {
  const b = before.get(key) ?? { count: 0, size: 0 };
  return { key, count: (a.count - b.count) / connections, size: (a.size - b.size) / connections };
}).filter((r) => Math.abs(r.size) >= 8).sort((x, y) => y.size - x.size);
let total = 0;
for (const r of rows) total += r.size;
console.log(`${script}: ${total.toFixed(0)} bytes of heap per idle connection`);
for (const r of rows) {
  console.log(`${r.size.toFixed(0).padStart(7)} B ${r.count.toFixed(2).padStart(7)} × ${r.key}`);
}
