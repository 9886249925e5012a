/**
 * Shared helpers of the interop tests: find a peer's binary, decide whether a
 * missing peer skips (locally) or fails (in CI), start a peer process with a
 * bounded wait for its "ready" line, read the JSON lines it prints, and stop
 * it by pid.
 *
 * Every peer is a process the test starts itself, on 127.0.0.1 only; `stop()`
 * kills it by its pid, awaits its exit status and closes its output streams,
 * so Deno's resource and op sanitizers see nothing left behind.
 *
 * @module
 */

import { within } from "../_within.ts";

export { within };

/** Generous bounds: several engineers' tests share two CPU cores. */
export const BOUND = 20_000;

/** How long a peer may take to start (Python, Qt or a browser on a busy machine). */
export const START_BOUND = 45_000;

/** Whether this run is CI, where a missing peer is a failure, not a skip. */
export const IN_CI: boolean = Deno.env.get("CI") === "true";

/**
 * Finds an executable: absolute paths are checked as they are, bare names
 * are looked up on `PATH`.
 *
 * @returns The first candidate that exists and is executable, or `null`.
 */
export function findBinary(...candidates: string[]): string | null {
  const dirs = (Deno.env.get("PATH") ?? "").split(":").filter((d) => d !== "");
  for (const candidate of candidates) {
    const paths = candidate.includes("/") ? [candidate] : dirs.map((d) => `${d}/${candidate}`);
    for (const path of paths) {
      try {
        const info = Deno.statSync(path);
        if (info.isFile && info.mode !== null && (info.mode & 0o111) !== 0) return path;
      } catch {
        // Not there: try the next one.
      }
    }
  }
  return null;
}

/**
 * Runs a short command to completion (bounded), e.g. to see whether a Python
 * module imports.
 *
 * @returns The exit code and standard output; code -1 when it could not start or timed out.
 */
export async function probe(
  command: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string }> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(command, { args, env, stdin: "null", stdout: "piped", stderr: "null" })
      .spawn();
  } catch {
    return { code: -1, stdout: "" };
  }
  const output = child.output();
  try {
    const result = await within(output, `${command} ${args.join(" ")}`);
    return { code: result.code, stdout: new TextDecoder().decode(result.stdout) };
  } catch {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    await output;
    return { code: -1, stdout: "" };
  }
}

/**
 * Decides what a test does when its peer is missing: in CI (`CI=true`) the
 * test fails, because every pair must run there; locally it prints a visible
 * warning and the caller returns early.
 *
 * @param available Whether the peer is there.
 * @param peer What is missing.
 * @param install How to get it.
 * @returns `true` when the test can run.
 */
export function requirePeer(available: boolean, peer: string, install: string): boolean {
  if (available) return true;
  const message = `${peer} is not installed (${install})`;
  if (IN_CI) throw new Error(`${message}: CI runs every interop pair, so this is a failure`);
  console.warn(`SKIPPED: ${message}; with CI=true this test fails`);
  return false;
}

/** A JSON object a peer printed on one line. */
export type PeerEvent = { event: string } & Record<string, unknown>;

/** How to start a peer. */
export interface PeerOptions {
  /** A name for messages. */
  name: string;
  /** The executable. */
  command: string;
  /** Its arguments. */
  args: string[];
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** The `event` of the line that says the peer is ready; none: do not wait. */
  readyEvent?: string;
  /** Whether stdout carries JSON lines (default true); otherwise it is only kept for messages. */
  jsonLines?: boolean;
}

/**
 * A running peer process. Its stdout is read as JSON lines (other lines are
 * kept for error messages); its stderr is kept (the last 16 KiB) for error
 * messages.
 */
export class Peer {
  readonly name: string;
  readonly #child: Deno.ChildProcess;
  readonly #status: Promise<Deno.CommandStatus>;
  readonly #readers: ReadableStreamDefaultReader<Uint8Array>[] = [];
  readonly #pumps: Promise<void>[] = [];
  readonly #events: PeerEvent[] = [];
  readonly #waiters = new Set<() => void>();
  readonly #jsonLines: boolean;
  #exited: Deno.CommandStatus | null = null;
  #stdoutText = "";
  #stderrText = "";
  #stopped = false;

  private constructor(options: PeerOptions) {
    this.name = options.name;
    this.#jsonLines = options.jsonLines ?? true;
    this.#child = new Deno.Command(options.command, {
      args: options.args,
      env: options.env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#status = this.#child.status.then((status) => {
      this.#exited = status;
      this.#wake();
      return status;
    });
    this.#pumps.push(this.#pump(this.#child.stdout, (text) => this.#onStdout(text)));
    this.#pumps.push(this.#pump(this.#child.stderr, (text) => {
      this.#stderrText = (this.#stderrText + text).slice(-16384);
    }));
  }

  /**
   * Starts a peer and, when `readyEvent` is given, waits (bounded) for it.
   * On failure the process is stopped before the error is thrown.
   */
  static async start(options: PeerOptions): Promise<Peer> {
    const peer = new Peer(options);
    if (options.readyEvent === undefined) return peer;
    try {
      await peer.expect(options.readyEvent, START_BOUND);
    } catch (error) {
      await peer.stop();
      throw error;
    }
    return peer;
  }

  /** The process id. */
  get pid(): number {
    return this.#child.pid;
  }

  /** Every JSON line seen so far, consumed or not. */
  readonly seen: PeerEvent[] = [];

  /**
   * Takes the first JSON line with `event` not taken yet, waiting (bounded)
   * for it. Lines of other events stay for later calls.
   */
  async expect(event: string, ms = BOUND): Promise<PeerEvent> {
    const found = (): PeerEvent | null => {
      const at = this.#events.findIndex((e) => e.event === event);
      return at < 0 ? null : this.#events.splice(at, 1)[0]!;
    };
    let wake: (() => void) | null = null;
    const arrived = new Promise<PeerEvent>((resolve, reject) => {
      const check = () => {
        const hit = found();
        if (hit !== null) {
          this.#waiters.delete(check);
          resolve(hit);
        } else if (this.#exited !== null) {
          this.#waiters.delete(check);
          reject(
            new Error(
              `${this.name} exited (code ${this.#exited.code}) before printing "${event}"${this.#diagnostics()}`,
            ),
          );
        }
      };
      wake = check;
      this.#waiters.add(check);
      check();
    });
    try {
      return await within(arrived, `${this.name} to print "${event}"`, ms);
    } catch (error) {
      if (wake !== null) this.#waiters.delete(wake);
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(
        message.includes("exited") ? message : `${message}${this.#diagnostics()}`,
      );
    }
  }

  /** Waits (bounded) for the process to exit on its own. */
  async exited(ms = BOUND): Promise<Deno.CommandStatus> {
    return await within(this.#status, `${this.name} to exit`, ms);
  }

  /** The peer's stdout so far when it does not print JSON lines, and its stderr. */
  output(): { stdout: string; stderr: string } {
    return { stdout: this.#stdoutText, stderr: this.#stderrText };
  }

  /**
   * Stops the peer: SIGTERM by pid (SIGKILL if it has not exited after 5 s),
   * awaits its exit status, then closes its output streams. Safe to call twice.
   */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#exited === null) {
      this.#signal("SIGTERM");
      try {
        await within(this.#status, `${this.name} to exit after SIGTERM`, 5000);
      } catch {
        this.#signal("SIGKILL");
      }
    }
    await this.#status;
    // A process's children (a browser's renderers) may still hold the pipes:
    // stop reading instead of waiting for their end.
    await Promise.all(this.#readers.map((reader) => reader.cancel().catch(() => {})));
    await Promise.all(this.#pumps);
  }

  /** Stops the peer (see `stop()`). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  #signal(signal: Deno.Signal): void {
    try {
      this.#child.kill(signal);
    } catch {
      // It exited in between.
    }
  }

  async #pump(stream: ReadableStream<Uint8Array>, sink: (text: string) => void): Promise<void> {
    const reader = stream.getReader();
    this.#readers.push(reader);
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        sink(decoder.decode(value, { stream: true }));
      }
    } catch {
      // Cancelled by stop().
    } finally {
      reader.releaseLock();
    }
  }

  #pendingLine = "";

  #onStdout(text: string): void {
    this.#stdoutText = (this.#stdoutText + text).slice(-16384);
    if (!this.#jsonLines) return;
    const lines = (this.#pendingLine + text).split("\n");
    this.#pendingLine = lines.pop()!;
    for (const line of lines) {
      const trimmed = line.trim();
      if (!trimmed.startsWith("{")) continue;
      try {
        const parsed = JSON.parse(trimmed);
        if (typeof parsed?.event === "string") {
          this.#events.push(parsed);
          this.seen.push(parsed);
        }
      } catch {
        // Not one of ours: it stays in the text for messages.
      }
    }
    this.#wake();
  }

  #wake(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }

  #diagnostics(): string {
    const lines = this.seen.map((e) => JSON.stringify(e)).join("\n  ");
    return `\n${this.name} printed:\n  ${lines || "(nothing)"}\n${this.name} stderr:\n${
      this.#stderrText || "(nothing)"
    }`;
  }
}
