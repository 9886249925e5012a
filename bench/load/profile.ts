/**
 * Profiles one side of one load cell: runs the echo server (or, for
 * `client`, the client) under `--cpu-prof`, drives it as the benchmark does,
 * and prints where its CPU time went (self time by function, then by file).
 *
 *   deno run --allow-run --allow-read --allow-write=/tmp bench/load/profile.ts \
 *     qtws|deno [--connections 100] [--inflight 1] [--size 32] [--binary] [--duration 3]
 *     [--client | --handshake]
 *
 * The raw .cpuprofile stays in /tmp/qtws-prof/ for Chrome DevTools.
 *
 * @module
 */

const HERE = new URL(".", import.meta.url).pathname;
const args = Deno.args;
const side = args[0] === "deno" ? "deno" : "qtws";
const option = (name: string, fallback: string) => {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? fallback : args[at + 1]!;
};
const connections = Number(option("connections", "100"));
const inflight = Number(option("inflight", "1"));
const size = Number(option("size", "32"));
const duration = Number(option("duration", "3"));
const text = !args.includes("--binary");
const client = args.includes("--client");
const handshake = args.includes("--handshake");
const dir = `/tmp/qtws-prof/${side}-${client ? "client" : "server"}-${Date.now()}`;

function spawn(script: string, extra: string[], config?: unknown): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net=127.0.0.1",
      "--allow-run=cat",
      ...extra,
      HERE + script,
      ...(config === undefined ? [] : [JSON.stringify(config)]),
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
}

async function firstLine(child: Deno.ChildProcess): Promise<string> {
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  reader.releaseLock();
  return text.split("\n")[0]!;
}

const prof = ["--cpu-prof", `--cpu-prof-dir=${dir}`];
let result: string;
if (client) {
  const echo = spawn("raw_echo_server.ts", []);
  const { port, pid } = JSON.parse(await firstLine(echo));
  const child = spawn("client.ts", prof, {
    impl: side,
    port,
    inflight,
    size,
    text,
    warmup: 0.5,
    duration,
    serverPid: pid,
  });
  await child.stdin.close();
  result = await new Response(child.stdout).text();
  await child.status;
  await echo.stdin.close();
  await echo.status;
} else {
  const server = spawn(`server_${side}.ts`, prof);
  const { port, pid } = JSON.parse(await firstLine(server));
  const generator = spawn("generator.ts", [], {
    mode: handshake ? "handshake" : "echo",
    port,
    connections,
    inflight,
    size,
    text,
    warmup: 0.5,
    duration,
    serverPid: pid,
  });
  await generator.stdin.close();
  result = await new Response(generator.stdout).text();
  await generator.status;
  await server.stdin.close();
  await server.status;
}
console.log(result.trim());

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
const file = [...Deno.readDirSync(dir)].find((e) => e.name.endsWith(".cpuprofile"))!.name;
const profile = JSON.parse(await Deno.readTextFile(`${dir}/${file}`)) as {
  nodes: ProfileNode[];
  samples: number[];
};
const hits = new Map<number, number>();
for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
const byFunction = new Map<string, number>();
const byFile = new Map<string, number>();
// Idle is the event loop waiting (and Deno's Rust side at work): left out,
// so the shares below are of the time spent in JavaScript, GC and op calls.
let total = 0;
let idle = 0;
for (const node of profile.nodes) {
  const n = hits.get(node.id) ?? 0;
  if (n === 0) continue;
  if (node.callFrame.functionName === "(idle)") {
    idle += n;
    continue;
  }
  total += n;
  const { functionName, url, lineNumber } = node.callFrame;
  const short = url.replace(/^.*\/(lib|bench|ext)\//, "$1/");
  const key = `${functionName || "(anonymous)"} ${short}:${lineNumber + 1}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + n);
  const f = short === "" ? `(${functionName})` : short;
  byFile.set(f, (byFile.get(f) ?? 0) + n);
}
const show = (map: Map<string, number>, limit: number) => {
  for (const [key, n] of [...map].sort((a, b) => b[1] - a[1]).slice(0, limit)) {
    console.log(`${(100 * n / total).toFixed(1).padStart(5)}%  ${key}`);
  }
};
console.log(
  `\n${dir}/${file}: ${total} busy samples (${
    (100 * total / (total + idle)).toFixed(1)
  }% of the profile; the rest is idle)\n\nSelf time by function (share of busy samples):`,
);
show(byFunction, 40);
console.log("\nSelf time by file:");
show(byFile, 20);
