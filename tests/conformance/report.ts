/**
 * Reports: the console table (case id → verdict) with a summary line, and
 * docs/conformance.md, whose sections for qtws and for Deno's built-in
 * WebSocket are rewritten independently (each run replaces its own section
 * and keeps the other).
 *
 * @module
 */

import {
  type CaseResult,
  FAILED,
  INFORMATIONAL,
  NON_STRICT,
  OK,
  type RunSettings,
  type Verdict,
} from "./case.ts";
import { capNote, CATEGORIES } from "./cases/mod.ts";
import { INVALID_CLOSE_CODES, VALID_CLOSE_CODES } from "./cases/close.ts";
import { type Implementation, ROLE_TITLES, type RoleRun } from "./suite.ts";

const VERDICTS: Verdict[] = [OK, NON_STRICT, INFORMATIONAL, FAILED];

/** Counts of each verdict. */
export function countVerdicts(results: readonly CaseResult[]): Record<Verdict, number> {
  const counts: Record<Verdict, number> = { OK: 0, "NON-STRICT": 0, INFORMATIONAL: 0, FAILED: 0 };
  for (const result of results) counts[result.verdict]++;
  return counts;
}

/** The top-level category of a case id ("6.4.3" → "6"). */
export function categoryOf(id: string): string {
  return id.split(".")[0]!;
}

/** Results grouped by top-level category, in catalogue order. */
export function byCategory(results: readonly CaseResult[]): Map<string, CaseResult[]> {
  const groups = new Map<string, CaseResult[]>();
  for (const result of results) {
    const category = categoryOf(result.id);
    const list = groups.get(category) ?? [];
    list.push(result);
    groups.set(category, list);
  }
  return groups;
}

function countsText(counts: Record<Verdict, number>): string {
  return VERDICTS.map((v) => `${v} ${counts[v]}`).join(", ");
}

/** "301 cases — OK 298, NON-STRICT 0, INFORMATIONAL 3, FAILED 0 (17.5 s)". */
export function summaryCounts(run: RoleRun): string {
  return `${run.results.length} cases — ${countsText(countVerdicts(run.results))} (${
    (run.durationMs / 1000).toFixed(1)
  } s)`;
}

/** "qtws-server: 301 cases — OK 298, NON-STRICT 0, INFORMATIONAL 3, FAILED 0 (17.5 s)". */
export function summaryLine(run: RoleRun): string {
  return `${run.agent}: ${summaryCounts(run)}`;
}

/** Whether a non-OK verdict is one the case itself defines (Autobahn allows it). */
export function isAllowed(result: CaseResult): boolean {
  return result.verdict === OK || result.allowed.includes(result.verdict);
}

/**
 * The console table: one line per case (case id → verdict, close behaviour
 * and, when not OK, why), per-category counts, and the summary line.
 */
export function formatConsole(run: RoleRun, settings: RunSettings): string {
  const lines = [`── ${ROLE_TITLES[run.implementation][run.role]} (${modeName(settings)}) ──`];
  for (const [category, results] of byCategory(run.results)) {
    lines.push(`  ${category} ${CATEGORIES[category] ?? ""}`);
    for (const r of results) {
      const close = `${r.behaviorClose}${
        r.remoteCloseCode === null ? "" : ` ${r.remoteCloseCode}`
      }`;
      const time = r.reportTime ? ` ${r.durationMs} ms` : "";
      const why = r.verdict === OK ? "" : `  — ${noteFor(r)}`;
      lines.push(`    ${r.id.padEnd(9)} ${r.verdict.padEnd(13)} close: ${close}${time}${why}`);
    }
  }
  const counts = [...byCategory(run.results)].map(([category, results]) => {
    const c = countVerdicts(results);
    return `${category}: ${c.OK}/${results.length} OK` +
      (c.FAILED > 0 ? `, ${c.FAILED} FAILED` : "") +
      (c["NON-STRICT"] > 0 ? `, ${c["NON-STRICT"]} NON-STRICT` : "") +
      (c.INFORMATIONAL > 0 ? `, ${c.INFORMATIONAL} INFO` : "");
  });
  lines.push(`  by category: ${counts.join("; ")}`);
  lines.push(`  ${summaryLine(run)}`);
  return lines.join("\n");
}

/**
 * A compact table for test output: case id → verdict, six to a line, each
 * non-OK case explained below, then the summary line.
 */
export function formatCompact(run: RoleRun): string {
  const lines = [`── ${ROLE_TITLES[run.implementation][run.role]} ──`];
  const short: Record<Verdict, string> = {
    OK: "OK",
    "NON-STRICT": "NON-STRICT",
    INFORMATIONAL: "INFO",
    FAILED: "FAILED",
  };
  for (let i = 0; i < run.results.length; i += 6) {
    lines.push(
      "  " +
        run.results.slice(i, i + 6).map((r) => `${r.id.padEnd(7)} ${short[r.verdict].padEnd(6)}`)
          .join("  "),
    );
  }
  for (const r of run.results) {
    if (r.verdict !== OK) lines.push(`  ${r.id}: ${r.verdict} — ${noteFor(r)}`);
  }
  lines.push(`  ${summaryLine(run)}`);
  return lines.join("\n");
}

/** Why a case is not OK (or what its informational result was). */
export function noteFor(r: CaseResult): string {
  if (r.verdict === OK) return "";
  const parts: string[] = [];
  if (r.verdict === INFORMATIONAL && r.allowed.includes(INFORMATIONAL)) {
    parts.push(
      `Autobahn reports this case as INFORMATIONAL whatever happens ("${r.expectation}"). Observed: received ${r.received}, peer close code ${
        r.remoteCloseCode ?? "none"
      }`,
    );
  } else if (r.verdict === NON_STRICT && r.allowed.includes(NON_STRICT)) {
    const meaning = r.id.startsWith("6.4.")
      ? "the peer rejected the invalid UTF-8 only once the frame or message was complete, not at the invalid octet (Autobahn counts failing fast as desirable, not required). "
      : "the peer failed the connection without echoing the valid message sent before the bad frame. ";
    parts.push(
      `Autobahn's own NON-STRICT outcome: ${meaning}Received ${r.received}; OK expects ${
        r.expected[OK] ?? "?"
      }`,
    );
  } else {
    if (r.behavior !== OK && r.behavior !== NON_STRICT && r.behavior !== INFORMATIONAL) {
      parts.push(`${r.result} Received ${r.received}; expected ${JSON.stringify(r.expected)}`);
    }
    if (r.behaviorClose !== OK && r.behaviorClose !== INFORMATIONAL) {
      parts.push(
        `close: ${r.behaviorClose} — ${r.resultClose} (closedByMe ${r.closedByMe}, wasClean ${r.wasClean}, peer code ${
          r.remoteCloseCode ?? "none"
        }${r.wasNotCleanReason ? `, ${r.wasNotCleanReason}` : ""})`,
      );
    }
  }
  if (r.notes.length > 0) parts.push(`fuzzer notes: ${r.notes.join("; ")}`);
  return parts.join(". ");
}

function modeName(settings: RunSettings): string {
  return settings.full ? "full Autobahn sizes" : "category 9 capped";
}

// --- docs/conformance.md -------------------------------------------------------

/** One implementation's runs, with the context of the run. */
export interface ImplementationReport {
  implementation: Implementation;
  settings: RunSettings;
  runs: RoleRun[];
  /** ISO date of the run. */
  date: string;
  denoVersion: string;
}

function cell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}

function categoryTable(runs: readonly RoleRun[]): string[] {
  const categories = [...new Set(runs.flatMap((r) => r.results.map((x) => categoryOf(x.id))))];
  const header = [
    "Category",
    ...runs.map((r) => r.role === "server" ? "server role" : "client role"),
  ];
  const lines = [
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
  ];
  for (const category of categories) {
    const row = [`${category} ${CATEGORIES[category] ?? ""}`];
    for (const run of runs) {
      const results = run.results.filter((r) => categoryOf(r.id) === category);
      const c = countVerdicts(results);
      row.push(
        `${c.OK}/${results.length} OK` +
          (c["NON-STRICT"] ? `, ${c["NON-STRICT"]} non-strict` : "") +
          (c.INFORMATIONAL ? `, ${c.INFORMATIONAL} informational` : "") +
          (c.FAILED ? `, **${c.FAILED} failed**` : ""),
      );
    }
    lines.push(`| ${row.join(" | ")} |`);
  }
  const totals = ["**All**"];
  for (const run of runs) {
    const c = countVerdicts(run.results);
    totals.push(
      `**${c.OK}/${run.results.length} OK**, ${
        c["NON-STRICT"]
      } non-strict, ${c.INFORMATIONAL} informational, ${c.FAILED} failed`,
    );
  }
  lines.push(`| ${totals.join(" | ")} |`);
  return lines;
}

function caseTable(run: RoleRun, settings: RunSettings): string[] {
  const lines = [
    "| Case | Description | Verdict | Close | Note |",
    "| --- | --- | --- | --- | --- |",
  ];
  for (const r of run.results) {
    const close = `${r.behaviorClose}${
      r.remoteCloseCode === null ? "" : ` (${r.remoteCloseCode})`
    }`;
    const notes = [
      r.reportTime ? `${r.durationMs} ms` : "",
      capNote(r.id, settings),
      noteFor(r),
    ].filter((n) => n !== "").join("; ");
    lines.push(
      `| ${r.id} | ${cell(r.description)} | ${r.verdict} | ${cell(close)} | ${cell(notes)} |`,
    );
  }
  return lines;
}

/** The qtws section: summaries and every case of both roles. */
export function qtwsSection(report: ImplementationReport): string {
  const lines = [
    "## qtws",
    "",
    `Run on ${report.date} with Deno ${report.denoVersion}, ${modeName(report.settings)} (${
      report.settings.full ? "`deno task conformance:full`" : "`deno task conformance`"
    }).`,
    "",
    ...report.runs.map((run) => `- ${ROLE_TITLES.qtws[run.role]}: ${summaryCounts(run)}`),
    "",
    ...categoryTable(report.runs),
    "",
  ];
  for (const run of report.runs) {
    lines.push(`### ${ROLE_TITLES.qtws[run.role]}`, "", ...caseTable(run, report.settings), "");
  }
  return lines.join("\n");
}

/** The Deno section: summaries and every case that is not OK. */
export function denoSection(report: ImplementationReport): string {
  const lines = [
    "## Deno's built-in WebSocket (validating the suite)",
    "",
    "The same catalogue run against an independent implementation, so that a qtws failure cannot " +
    "be blamed on the suite: where Deno's own WebSocket passes a case, the fuzzer's bytes and " +
    "verdict logic are sound for that case.",
    "",
    `Run on ${report.date} with Deno ${report.denoVersion}, ${
      modeName(report.settings)
    } (\`deno task conformance:deno\`).`,
    "",
    ...report.runs.map((run) => `- ${ROLE_TITLES.deno[run.role]}: ${summaryCounts(run)}`),
    "",
    ...categoryTable(report.runs),
    "",
  ];
  const timed = report.runs[0]?.results.filter((r) => r.reportTime) ?? [];
  if (timed.length > 0) {
    lines.push(
      "Category 9 durations (compare with the qtws tables above):",
      "",
      `| Case | ${report.runs.map((r) => `${r.role} role`).join(" | ")} |`,
      `| --- | ${report.runs.map(() => "---").join(" | ")} |`,
    );
    for (const { id } of timed) {
      const cells = report.runs.map((run) => {
        const r = run.results.find((x) => x.id === id);
        return r === undefined ? "" : `${r.durationMs} ms`;
      });
      lines.push(`| ${id} | ${cells.join(" | ")} |`);
    }
    lines.push("");
  }
  for (const run of report.runs) {
    const notOk = run.results.filter((r) => r.verdict !== OK);
    lines.push(`### ${ROLE_TITLES.deno[run.role]}: cases that are not OK`, "");
    if (notOk.length === 0) {
      lines.push("None: every case is OK.", "");
      continue;
    }
    lines.push(...caseTable({ ...run, results: notOk }, report.settings), "");
  }
  return lines.join("\n");
}

const HEADER = `# Conformance: the Autobahn TestSuite catalogue, in both roles

qtws is checked against a fuzzing peer that reproduces the case catalogue of the
[Autobahn TestSuite](https://github.com/crossbario/autobahn-testsuite) for categories 1 (framing),
2 (pings/pongs), 3 (reserved bits), 4 (opcodes), 5 (fragmentation), 6 (UTF-8, including the
fail-fast cases 6.4.x), 7 (close handling), 9 (limits/performance) and 10 (auto-fragmentation),
with Autobahn's case ids and descriptions. The peer is written in TypeScript over raw
\`Deno.connect\` / \`Deno.listen\`, with its own framing code (it shares nothing with
\`lib/protocol/\`), so it controls every byte on the wire: RSV bits, reserved opcodes,
unmasked or oversized control frames, invalid UTF-8 cut at any octet, writes chopped to single
octets. Sources: \`tests/conformance/\`.

Both roles are tested, as with Autobahn:

- **Server role** — the fuzzing client opens one connection per case to a \`QWebSocketServer\`
  that echoes every text and binary message (\`textMessageReceived\` → \`sendTextMessage\`,
  \`binaryMessageReceived\` → \`sendBinaryMessage\`).
- **Client role** — the fuzzing server drives a \`QWebSocket\` echo client through Autobahn's
  flow: \`/getCaseCount\`, then \`/runCase?case=N&agent=A\` for each case (the client echoes
  until the server closes, waits for \`disconnected\`, opens the next case), then
  \`/updateReports?agent=A\`.

## Running it

| Command | What it runs |
| --- | --- |
| \`deno task test\` | both roles against qtws, category 9 capped (message sizes ÷16, 100 round trips instead of 1000); fails on any FAILED case, or any NON-STRICT / INFORMATIONAL case that Autobahn does not define for that case |
| \`deno task conformance\` | the same, printing the table without writing this file |
| \`deno task conformance:full\` | both roles against qtws at Autobahn's full sizes; rewrites the qtws section below |
| \`deno task conformance:deno\` | both roles against Deno's built-in WebSocket at full sizes; rewrites the Deno section below |

\`tests/conformance/run.ts\` also takes \`--cases=6.4,7.9\` (case id prefixes), \`--role=server|client\`,
\`--patience=N\` (see below) and \`--compression\`, which adds Autobahn's categories 12 and 13
(permessage-deflate, run by \`tests/deflate/autobahn_compression_test.ts\`).

## How verdicts are decided

As in Autobahn's \`Case\` class:

- **Behaviour**: what the fuzzer received (messages, pongs, and the case's own timeouts, e.g.
  6.4.x's "timeout A/B") is compared exactly with each list the case expects. The first list that
  matches names the outcome — \`OK\`, or the \`NON-STRICT\` alternative a case defines (3.2–3.4,
  4.1.3–4.2.5 and 5.15 allow the echo of the valid message before the failure to be missing; the
  fail-fast cases 6.4.x allow a peer that fails only at the end of the message). No match: \`FAILED\`.
- **Closing behaviour**: failed by the wrong endpoint → \`FAILED\`; a case that requires a clean
  close (close frames both ways, the server drops TCP first) without one → \`UNCLEAN\`; a close code
  outside the expected ones → \`WRONG CODE\`; the fuzzer, as client, had to drop TCP because the server
  did not → \`FAILED BY CLIENT\`; otherwise \`OK\`.
- Cases adjust these as Autobahn's do: 7.x turn a wrong close code into a failed case; in 6.3.2,
  6.4.1–6.4.3 and 6.5–6.23 a close by the wrong endpoint fails the case (the peer never saw the invalid
  UTF-8); 7.1.6 and 7.13.x are always \`INFORMATIONAL\`; 10.1.1 also checks the fuzzer's own frame counts.
- The **Verdict** column folds the two: the behaviour, made \`FAILED\` by an unclean or failed close,
  and at best \`NON-STRICT\` after a wrong close code or a client-dropped connection (Autobahn colours
  those two as non-strict).

The fuzzer behaves like Autobahn's protocol with \`failByDrop: false\` (the setting Autobahn's docs
use): it fails a connection with a close frame, answers a peer's close with 1000, drops TCP at once as
a server and waits (bounded) for the server to drop as a client. Autobahn's timeouts (\`killAfter\`,
\`closeAfter\`, the 1 s closing-handshake and server-drop timeouts) are multiplied by \`--patience\`
(default 2; 4 in \`deno task test\`) so a loaded machine cannot fail a slow but correct peer; a
correct peer never waits for them. Waits that are part of a case (6.4.x's 1 s pauses, 5.19's) are not scaled. Chopped writes
yield one event-loop turn per chop, as Autobahn's do (a reactor turn each): the durations of 9.5.x
and 9.6.x (16,384 chops of 64 octets at full size) measure that pacing more than the peer.

Close codes: 7.7.x sends Autobahn's valid codes (${VALID_CLOSE_CODES.join(", ")}),
7.9.x its invalid ones (${INVALID_CLOSE_CODES.join(", ")}): Autobahn's current
list, which no longer contains 1012–1015 (crossbario/autobahn-testsuite#52, #88, #89: 1012–1014 are
registered with IANA). qtws accepts 1000–1003, 1007–1014 and 3000–4999 and fails the connection with
1002 on any other code; \`tests/protocol/close_payload_test.ts\` covers the codes the catalogue does
not send (1012–1015, 5000 and above).
`;

const MARKERS: Record<Implementation, [string, string]> = {
  qtws: [
    "<!-- BEGIN qtws results (generated by tests/conformance/run.ts) -->",
    "<!-- END qtws results -->",
  ],
  deno: [
    "<!-- BEGIN deno results (generated by tests/conformance/run.ts) -->",
    "<!-- END deno results -->",
  ],
};

function keptSection(existing: string, implementation: Implementation): string | null {
  const [begin, end] = MARKERS[implementation];
  const from = existing.indexOf(begin);
  const to = existing.indexOf(end);
  if (from < 0 || to < from) return null;
  return existing.slice(from, to + end.length);
}

/**
 * The whole of docs/conformance.md: the fixed header, then the qtws and Deno
 * sections, each taken from `reports` when given and otherwise kept from
 * `existing`.
 */
export function renderDocument(
  existing: string,
  reports: Partial<Record<Implementation, ImplementationReport>>,
): string {
  const sections: string[] = [];
  for (const implementation of ["qtws", "deno"] as const) {
    const report = reports[implementation];
    const [begin, end] = MARKERS[implementation];
    if (report !== undefined) {
      const body = implementation === "qtws" ? qtwsSection(report) : denoSection(report);
      sections.push(`${begin}\n\n${body}\n${end}`);
    } else {
      sections.push(
        keptSection(existing, implementation) ??
          `${begin}\n\n_Not run yet: see the commands above._\n\n${end}`,
      );
    }
  }
  return `${HEADER}\n${sections.join("\n\n")}\n`;
}
