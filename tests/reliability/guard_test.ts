/**
 * The guard against unhandled promise rejections and uncaught exceptions.
 *
 * Design: Deno's test runner is the guard of the whole suite. An unhandled
 * rejection or an uncaught exception, in any test file, at any time while
 * that module runs (in a test, a timer, a listener, between tests), fails the
 * module and makes `deno test` exit non-zero. Nothing needs importing, so
 * every test file of every engineer is covered. Three tests keep that true:
 *
 * 1. Deno's runner really fails a module that lets one escape (checked
 *    against this Deno version with two fixture modules).
 * 2. No file in the project installs a global `unhandledrejection` or
 *    `error` handler that could swallow one, except `_guard.ts`, which only
 *    the workload child process uses.
 * 3. A representative workload of the whole library (`_workload.ts`) runs in
 *    a child process under `_guard.ts`, which records every escape with the
 *    phase it came from (instead of stopping at the first); it must record
 *    none, and it must record the two it is given on purpose.
 *
 * @module
 */

import assert from "node:assert/strict";

const here = new URL(".", import.meta.url);
const root = new URL("../../", import.meta.url);

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  return {
    code,
    stdout: new TextDecoder().decode(stdout),
    stderr: new TextDecoder().decode(stderr),
  };
}

interface WorkloadReport {
  escaped: Array<{ kind: string; phase: string; message: string }>;
  phases: number;
  failed?: string;
}

async function workload(...extra: string[]): Promise<WorkloadReport> {
  const result = await run([
    "run",
    "--allow-net=127.0.0.1",
    new URL("_workload.ts", here).pathname,
    ...extra,
  ]);
  const line = result.stdout.trim().split("\n").at(-1) ?? "";
  assert.ok(
    line.startsWith("{"),
    `no report from the workload:\n${result.stdout}\n${result.stderr}`,
  );
  const report: WorkloadReport = JSON.parse(line);
  assert.equal(
    report.failed,
    undefined,
    `the workload itself failed: ${report.failed}\n${result.stderr}`,
  );
  assert.equal(result.code, 0, result.stderr);
  return report;
}

Deno.test("guard: no unhandled rejection or uncaught exception escapes the library in a workload of every role and failure", async () => {
  const report = await workload();
  assert.ok(report.phases >= 10);
  assert.deepEqual(
    report.escaped,
    [],
    report.escaped.map((e) => `${e.kind} in "${e.phase}": ${e.message}`).join("\n\n"),
  );
});

Deno.test("guard: the workload's recorder sees a rejection and a listener exception made on purpose", async () => {
  const report = await workload("--self-check");
  assert.deepEqual(
    report.escaped.map((e) => [e.kind, e.phase]).sort(),
    [["error", "self-check"], ["unhandledrejection", "self-check"]],
  );
  assert.match(
    report.escaped.find((e) => e.kind === "unhandledrejection")!.message,
    /deliberately unhandled/,
  );
});

Deno.test("guard: Deno's test runner fails a module that lets a rejection or an exception escape", async () => {
  for (
    const [fixture, pattern] of [
      ["escaping_rejection.ts", /escaped on purpose/],
      ["escaping_exception.ts", /thrown on purpose/],
    ] as const
  ) {
    const result = await run(["test", "--no-check", new URL(`fixtures/${fixture}`, here).pathname]);
    assert.notEqual(result.code, 0, `${fixture} passed: the runner did not catch the escape`);
    assert.match(result.stdout + result.stderr, /uncaught error/i, fixture);
    assert.match(result.stdout + result.stderr, pattern, fixture);
  }
});

// Matches code that installs a process-wide handler able to swallow an escape.
const GLOBAL_HANDLER = new RegExp(
  [
    String
      .raw`(?:globalThis|self|window)\s*\.\s*addEventListener\s*\(\s*["'](?:unhandledrejection|error|rejectionhandled)["']`,
    String.raw`(?:globalThis|self|window)\s*\.\s*on(?:unhandledrejection|error)\s*=`,
    String.raw`(?:^|[^.\w])addEventListener\s*\(\s*["'](?:unhandledrejection|rejectionhandled)["']`,
    String.raw`process\s*\.\s*on\s*\(\s*["'](?:unhandledRejection|uncaughtException)["']`,
  ].join("|"),
  "m",
);

async function* sources(dir: URL): AsyncGenerator<URL> {
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
    if (entry.isDirectory) yield* sources(url);
    else if (/\.(?:ts|js|mjs|tsx)$/.test(entry.name)) yield url;
  }
}

Deno.test("guard: no file but tests/reliability/_guard.ts installs a global handler that could swallow an escape", async () => {
  const offenders: string[] = [];
  let scanned = 0;
  for (const dir of ["lib/", "tests/", "examples/", "bench/"]) {
    const url = new URL(dir, root);
    try {
      await Deno.stat(url);
    } catch {
      continue;
    }
    for await (const file of sources(url)) {
      scanned++;
      if (file.href === new URL("_guard.ts", here).href) continue;
      if (GLOBAL_HANDLER.test(await Deno.readTextFile(file))) offenders.push(file.pathname);
    }
  }
  if (GLOBAL_HANDLER.test(await Deno.readTextFile(new URL("mod.ts", root)))) {
    offenders.push("mod.ts");
  }
  assert.ok(scanned > 50, `only ${scanned} files scanned`);
  assert.deepEqual(offenders, []);
  // The pattern itself works: it finds the handler in _guard.ts.
  assert.ok(GLOBAL_HANDLER.test(await Deno.readTextFile(new URL("_guard.ts", here))));
});
