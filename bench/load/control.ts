/**
 * The control channel of a benchmark server process: it prints its port as
 * the first line on stdout, then answers each `mem` line on stdin with its
 * memory use (after two full collections when run with
 * `--v8-flags=--expose-gc`), each `snap <path>` line with a heap snapshot,
 * and exits at the end of stdin.
 *
 * @module
 */

/** A memory sample of a server process, in bytes. */
export interface MemorySample {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  /** Committed bytes per V8 heap space (new_space, old_space, ...). */
  spaces: Record<string, number>;
}

import { getHeapSpaceStatistics, writeHeapSnapshot } from "node:v8";

async function settle(): Promise<MemorySample> {
  const gc = (globalThis as { gc?: () => void }).gc;
  // Let pending callbacks run, then collect twice (weak references, finalizers).
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    gc?.();
  }
  const usage = Deno.memoryUsage();
  return {
    rss: usage.rss,
    heapTotal: usage.heapTotal,
    heapUsed: usage.heapUsed,
    external: usage.external,
    spaces: Object.fromEntries(
      getHeapSpaceStatistics().map((s) => [s.space_name, s.physical_space_size]),
    ),
  };
}

/** Announces `port` and serves control commands until stdin ends. */
export async function serveControl(
  port: number,
  onExit: () => Promise<void> | void,
): Promise<void> {
  console.log(JSON.stringify({ port, pid: Deno.pid }));
  const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream());
  let pending = "";
  for await (const text of lines) {
    pending += text;
    let nl: number;
    while ((nl = pending.indexOf("\n")) >= 0) {
      const command = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      if (command === "mem") console.log(JSON.stringify(await settle()));
      // `snap <path>`: a heap snapshot (needs --allow-write), for heap_census.ts.
      if (command.startsWith("snap ")) {
        await settle();
        console.log(JSON.stringify({ snapshot: writeHeapSnapshot(command.slice(5)) }));
      }
    }
  }
  await onExit();
  Deno.exit(0);
}
