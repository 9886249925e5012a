/**
 * `deno task fuzz`: the reliability fuzzers with a fresh random seed and many
 * more iterations than CI runs. The seed is printed first and last; replay a
 * failure with `deno task fuzz --seed N` (same `--scale` as the failing run).
 *
 * ```sh
 * deno task fuzz                 # random seed, 20 times the CI iterations
 * deno task fuzz --seed 12345    # replay
 * deno task fuzz --scale 100     # longer
 * ```
 *
 * @module
 */

function option(name: string): string | undefined {
  const at = Deno.args.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (at === -1) return undefined;
  const arg = Deno.args[at]!;
  return arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : Deno.args[at + 1];
}

function integer(name: string, fallback: number): number {
  const raw = option(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0 || value > 0xffffffff) {
    console.error(`${name} needs an integer from 0 to 4294967295, got ${JSON.stringify(raw)}`);
    Deno.exit(2);
  }
  return value;
}

const seed = integer("--seed", crypto.getRandomValues(new Uint32Array(1))[0]!);
const scale = integer("--scale", 20);
const banner =
  `fuzz seed ${seed}, scale ${scale} (replay: deno task fuzz --seed ${seed} --scale ${scale})`;
console.log(banner);

const here = new URL(".", import.meta.url);
const files = [...Deno.readDirSync(here)]
  .filter((e) => e.isFile && /^fuzz_.*_test\.ts$/.test(e.name))
  .map((e) => new URL(e.name, here).pathname)
  .sort();

const started = performance.now();
const { code } = await new Deno.Command(Deno.execPath(), {
  args: ["test", "--allow-net=127.0.0.1", "--allow-env=QTWS_FUZZ_SEED,QTWS_FUZZ_SCALE", ...files],
  env: { QTWS_FUZZ_SEED: String(seed), QTWS_FUZZ_SCALE: String(scale) },
  stdout: "inherit",
  stderr: "inherit",
}).output();
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(`${code === 0 ? "passed" : "FAILED"} in ${seconds} s: ${banner}`);
Deno.exit(code);
