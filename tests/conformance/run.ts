/**
 * Runs the conformance suite from the command line, prints the table of case
 * id → verdict for each role with a summary line, and (with `--write-docs`)
 * rewrites the implementation's section of docs/conformance.md.
 *
 *     deno run --allow-net=127.0.0.1 --allow-read=docs --allow-write=docs \
 *       tests/conformance/run.ts [--full] [--compression] [--implementation=qtws|deno|all|none]
 *       [--role=server|client|both] [--cases=6.4,7.9] [--patience=2] [--write-docs]
 *
 * Exits with status 1 when a case is FAILED, or (for qtws) NON-STRICT or
 * INFORMATIONAL where the case does not define that outcome.
 *
 * @module
 */

import type { RunSettings } from "./case.ts";
import {
  formatConsole,
  type ImplementationReport,
  isAllowed,
  renderDocument,
  summaryLine,
} from "./report.ts";
import { type Implementation, type Role, type RoleRun, runRole } from "./suite.ts";

const DOC_PATH = new URL("../../docs/conformance.md", import.meta.url);

function option(name: string): string | undefined {
  const prefix = `--${name}=`;
  return Deno.args.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

function flag(name: string): boolean {
  return Deno.args.includes(`--${name}`);
}

// --compression adds categories 12 and 13 (permessage-deflate).
const settings: RunSettings = { full: flag("full"), compression: flag("compression") };
const which = option("implementation") ?? "qtws";
// "none" runs nothing: with --write-docs it only refreshes the document's
// fixed text and keeps both result sections as they are.
const implementations: Implementation[] = which === "all"
  ? ["qtws", "deno"]
  : which === "none"
  ? []
  : [which as Implementation];
if (!implementations.every((i) => i === "qtws" || i === "deno")) {
  console.error(`--implementation must be qtws, deno, all or none, not ${which}`);
  Deno.exit(2);
}
const roleOption = option("role") ?? "both";
const roles: Role[] = roleOption === "both" ? ["server", "client"] : [roleOption as Role];
const cases = option("cases")?.split(",").filter((c) => c !== "");
const patience = Number(option("patience") ?? "2");
if (!(patience > 0)) {
  console.error("--patience must be a positive number");
  Deno.exit(2);
}

const reports: Partial<Record<Implementation, ImplementationReport>> = {};
const allRuns: RoleRun[] = [];
let bad = 0;
for (const implementation of implementations) {
  const runs: RoleRun[] = [];
  for (const role of roles) {
    let done = 0;
    const run = await runRole(implementation, role, {
      settings,
      cases,
      patience,
      onResult(result) {
        done++;
        if (!flag("quiet") && Deno.stdout.isTerminal()) {
          const line =
            `${implementation} ${role}: ${done} cases, last ${result.id} ${result.verdict}`;
          Deno.stdout.writeSync(new TextEncoder().encode(`\r${line.padEnd(72)}`));
        }
      },
    });
    if (Deno.stdout.isTerminal()) {
      Deno.stdout.writeSync(new TextEncoder().encode("\r".padEnd(74) + "\r"));
    }
    console.log(formatConsole(run, settings));
    console.log();
    runs.push(run);
    allRuns.push(run);
    if (implementation === "qtws") bad += run.results.filter((r) => !isAllowed(r)).length;
  }
  reports[implementation] = {
    implementation,
    settings,
    runs,
    date: new Date().toISOString().slice(0, 10),
    denoVersion: Deno.version.deno,
  };
}

console.log("Summary:");
for (const run of allRuns) console.log(`  ${summaryLine(run)}`);

if (flag("write-docs")) {
  if (cases !== undefined || roles.length !== 2) {
    console.error(
      "Not writing docs/conformance.md: it records complete runs (no --cases, both roles).",
    );
  } else {
    let existing = "";
    try {
      existing = await Deno.readTextFile(DOC_PATH);
    } catch {
      // First run: no file yet.
    }
    await Deno.writeTextFile(DOC_PATH, renderDocument(existing, reports));
    console.log("Wrote docs/conformance.md");
  }
}

if (bad > 0) {
  console.error(`${bad} qtws case(s) FAILED or gave an outcome Autobahn does not allow for them`);
  Deno.exit(1);
}
