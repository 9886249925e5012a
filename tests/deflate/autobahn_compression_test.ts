/**
 * Autobahn TestSuite categories 12 and 13 (permessage-deflate: five payload
 * sets, seven parameter pairs, eighteen message and fragment sizes each)
 * against qtws in both roles, through the conformance suite's fuzzing peer
 * (tests/conformance/) with its own DEFLATE codec
 * (tests/conformance/deflate_peer.ts). The default run sends 10 messages per
 * case instead of Autobahn's 1000; `deno task conformance:full` with
 * `--compression` sends them all.
 */

import assert from "node:assert/strict";
import type { CaseResult } from "../conformance/case.ts";
import { CATEGORIES } from "../conformance/cases/mod.ts";
import { byCategory, formatCompact, isAllowed, noteFor } from "../conformance/report.ts";
import { type Role, ROLE_TITLES, runRole } from "../conformance/suite.ts";

const SETTINGS = { full: false, compression: true };

function failures(results: readonly CaseResult[]): string {
  return results.filter((r) => !isAllowed(r)).map((r) => `${r.id} ${r.verdict}: ${noteFor(r)}`)
    .join("\n");
}

for (const role of ["server", "client"] as const satisfies readonly Role[]) {
  Deno.test(`RFC 7692 / Autobahn 12–13: ${ROLE_TITLES.qtws[role]} passes every case`, async (t) => {
    const run = await runRole("qtws", role, {
      settings: SETTINGS,
      cases: ["12", "13"],
      patience: 2,
    });
    console.log(formatCompact(run));
    assert.equal(run.results.length, 5 * 18 + 7 * 18, "every case of categories 12 and 13 ran");
    for (const [category, results] of byCategory(run.results)) {
      await t.step(`${category} ${CATEGORIES[category]}: ${results.length} cases`, () => {
        assert.equal(failures(results), "", "cases FAILED");
      });
    }
  });
}
