/**
 * The Autobahn TestSuite catalogue (categories 1–7, 9 capped, 10) against
 * qtws in both roles: `QWebSocketServer` as the echo server the fuzzing
 * client tests, and `QWebSocket` as the echo client the fuzzing server
 * drives. Every case must be OK, or NON-STRICT / INFORMATIONAL where the case
 * itself defines that outcome (Autobahn's 7.1.6 and 7.13.x, for example).
 *
 * Each test prints the table of case id → verdict and a summary line;
 * `deno task conformance:full` runs Autobahn's full category 9 sizes.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { CaseResult } from "./case.ts";
import { CATEGORIES } from "./cases/mod.ts";
import { byCategory, formatCompact, isAllowed, noteFor } from "./report.ts";
import { type Role, ROLE_TITLES, runRole } from "./suite.ts";

const SETTINGS = { full: false };
// Autobahn's timeouts (killAfter, closeAfter, the 1 s closing-handshake and
// server-drop timeouts) are stretched fourfold: a correct peer never waits for
// them, and a machine shared with other test runs must not turn a slow echo
// into a failure. The waits cases measure with (6.4.x, 5.19) are not scaled.
const PATIENCE = 4;

function describeFailures(results: readonly CaseResult[]): string {
  return results.filter((r) => !isAllowed(r)).map((r) => `${r.id} ${r.verdict}: ${noteFor(r)}`)
    .join("\n");
}

for (const role of ["server", "client"] as const satisfies readonly Role[]) {
  Deno.test(`RFC 6455 / Autobahn 1–10: ${ROLE_TITLES.qtws[role]} passes every case`, async (t) => {
    const run = await runRole("qtws", role, { settings: SETTINGS, patience: PATIENCE });
    console.log(formatCompact(run));
    assert.equal(run.results.length, 301, "every case of the catalogue ran");
    for (const [category, results] of byCategory(run.results)) {
      await t.step(`${category} ${CATEGORIES[category]}: ${results.length} cases`, () => {
        assert.equal(
          describeFailures(results),
          "",
          "cases FAILED or gave an outcome Autobahn does not allow",
        );
      });
    }
  });
}
