/**
 * Runs the catalogue in both roles against one implementation: the fuzzing
 * client against its echo server, then the fuzzing server against its echo
 * client.
 *
 * @module
 */

import type { CaseDefinition, CaseResult, RunSettings } from "./case.ts";
import { catalogue, selectCases } from "./cases/mod.ts";
import { runFuzzingClient } from "./fuzzing_client.ts";
import { FuzzingServer } from "./fuzzing_server.ts";
import {
  type ClientDriver,
  denoClientDriver,
  type EchoServer,
  qtwsClientDriver,
  startDenoEchoServer,
  startQtwsEchoServer,
} from "./agents.ts";

/** The implementations the suite knows how to drive. */
export type Implementation = "qtws" | "deno";

/** The two roles. */
export type Role = "server" | "client";

/** What is under test in each role, for reports. */
export const ROLE_TITLES: Record<Implementation, Record<Role, string>> = {
  qtws: {
    server: "QWebSocketServer (echo server) tested by the fuzzing client",
    client: "QWebSocket (echo client) tested by the fuzzing server",
  },
  deno: {
    server: "Deno.serve + Deno.upgradeWebSocket (echo server) tested by the fuzzing client",
    client: "Deno's WebSocket (echo client) tested by the fuzzing server",
  },
};

/** Results of one implementation in one role. */
export interface RoleRun {
  implementation: Implementation;
  role: Role;
  agent: string;
  results: CaseResult[];
  durationMs: number;
}

/** Options of {@linkcode runRole}. */
export interface SuiteOptions {
  settings: RunSettings;
  /** Case id prefixes to run (all when empty). */
  cases?: readonly string[];
  /** Multiplies Autobahn's timeouts. */
  patience: number;
  /** Called after every case. */
  onResult?: (result: CaseResult, role: Role) => void;
}

const SERVERS: Record<Implementation, () => EchoServer> = {
  qtws: startQtwsEchoServer,
  deno: startDenoEchoServer,
};

const DRIVERS: Record<Implementation, ClientDriver> = {
  qtws: qtwsClientDriver,
  deno: denoClientDriver,
};

/** The cases a run covers. */
export function casesFor(options: SuiteOptions): CaseDefinition[] {
  return selectCases(catalogue(options.settings), options.cases);
}

/** Runs the catalogue against `implementation` in `role`. */
export async function runRole(
  implementation: Implementation,
  role: Role,
  options: SuiteOptions,
): Promise<RoleRun> {
  const cases = casesFor(options);
  const started = performance.now();
  const agent = `${implementation}-${role}`;
  const onResult = (result: CaseResult) => options.onResult?.(result, role);
  let results: CaseResult[];
  if (role === "server") {
    const server = SERVERS[implementation]();
    try {
      results = await runFuzzingClient({
        hostname: "127.0.0.1",
        port: server.port,
        agent,
        cases,
        settings: options.settings,
        patience: options.patience,
        onResult,
      });
    } finally {
      await server.close();
    }
  } else {
    const fuzzer = new FuzzingServer({
      cases,
      settings: options.settings,
      patience: options.patience,
      onResult,
    });
    try {
      await DRIVERS[implementation](fuzzer.url, agent);
      await fuzzer.reportsUpdated(agent);
      results = fuzzer.results(agent);
    } finally {
      await fuzzer.close();
    }
  }
  return {
    implementation,
    role,
    agent,
    results,
    durationMs: Math.round(performance.now() - started),
  };
}
