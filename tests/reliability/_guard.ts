/**
 * A recorder of unhandled promise rejections and uncaught exceptions, for the
 * workload child process (`_workload.ts`). Under `deno test` and `deno run`
 * either one already ends the module or the process; here each is recorded
 * with the workload phase it happened in and then suppressed, so one run
 * reports every occurrence, with its stack, instead of dying at the first.
 *
 * Installing it anywhere else would hide failures from Deno's test runner,
 * which is the guard for the rest of the suite; `guard_test.ts` checks that
 * no other file installs such a handler.
 *
 * @module
 */

/** One rejection or exception nobody handled. */
export interface Escaped {
  kind: "unhandledrejection" | "error";
  phase: string;
  message: string;
}

/** Records what escapes; read {@linkcode Guard.escaped} at the end. */
export class Guard {
  readonly escaped: Escaped[] = [];
  phase = "start";

  constructor() {
    globalThis.addEventListener("unhandledrejection", (event) => {
      event.preventDefault();
      this.escaped.push({
        kind: "unhandledrejection",
        phase: this.phase,
        message: describe(event.reason),
      });
    });
    globalThis.addEventListener("error", (event) => {
      event.preventDefault();
      this.escaped.push({
        kind: "error",
        phase: this.phase,
        message: describe(event.error ?? event.message),
      });
    });
  }

  /** Runs `body` as the named phase; an exception of the workload itself is rethrown. */
  async run(phase: string, body: () => Promise<void>): Promise<void> {
    this.phase = phase;
    await body();
    // Let rejections of this phase surface before the next one starts.
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function describe(reason: unknown): string {
  if (reason instanceof Error) return `${reason.name}: ${reason.message}\n${reason.stack ?? ""}`;
  return String(reason);
}
