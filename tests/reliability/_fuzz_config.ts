/**
 * The fuzzers' seed and iteration count. In CI they are fixed (each test
 * names its own seed); `deno task fuzz` sets `QTWS_FUZZ_SEED` (a random seed it
 * prints, or `--seed N` to replay) and `QTWS_FUZZ_SCALE` (how many times the CI
 * iteration count to run).
 *
 * @module
 */

import { deriveSeed } from "./_prng.ts";

function readEnv(name: string): string | undefined {
  // Runs without --allow-env keep the fixed CI values.
  if (Deno.permissions.querySync({ name: "env", variable: name }).state !== "granted") {
    return undefined;
  }
  return Deno.env.get(name);
}

function readInteger(name: string): number | undefined {
  const raw = readEnv(name);
  if (raw === undefined || raw === "") return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** The seed set by `deno task fuzz`, or `undefined` in CI. */
export const RUN_SEED: number | undefined = readInteger("QTWS_FUZZ_SEED");

/** How many times the CI iteration count a fuzz run does (1 in CI). */
export const SCALE: number = readInteger("QTWS_FUZZ_SCALE") ?? 1;

/**
 * The seed and iteration count of one fuzz target.
 *
 * @param target A name unique to the target.
 * @param ciSeed The fixed seed CI uses.
 * @param ciIterations The iterations CI runs.
 */
export function fuzzPlan(
  target: string,
  ciSeed: number,
  ciIterations: number,
): { seed: number; iterations: number; label: string } {
  const seed = RUN_SEED === undefined ? ciSeed : deriveSeed(RUN_SEED, target);
  const iterations = ciIterations * SCALE;
  const label = RUN_SEED === undefined
    ? `${target}: CI seed ${ciSeed}, ${iterations} iterations`
    : `${target}: run seed ${RUN_SEED} (target seed ${seed}), ${iterations} iterations`;
  return { seed, iterations, label };
}
