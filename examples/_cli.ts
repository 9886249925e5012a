/**
 * What the examples share: command-line options, a clean exit on Ctrl+C or
 * SIGTERM, and failures that say what to do instead of printing a stack
 * trace — above all, which `--allow-*` flag a missing permission needs.
 *
 * @module
 */

/** One option an example accepts. */
export interface OptionSpec {
  /** A one-letter alias, e.g. `"p"` for `-p`. */
  short?: string;
  /** Whether the option takes a value (`--port 1234`) or is a switch (`--debug`). */
  takesValue: boolean;
}

/**
 * Parses `args` against `spec`; prints `usage` and exits with status 2 on an
 * unknown option or a missing value.
 *
 * @returns The value of each option given (`true` for switches).
 */
export function parseOptions(
  args: readonly string[],
  spec: Record<string, OptionSpec>,
  usage: string,
): Map<string, string | true> {
  const byShort = new Map(
    Object.entries(spec).filter(([, s]) => s.short !== undefined).map(([n, s]) => [s.short!, n]),
  );
  const options = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    let name: string | undefined;
    let inline: string | undefined;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      if (eq !== -1) inline = arg.slice(eq + 1);
    } else if (/^-[A-Za-z]$/.test(arg)) {
      name = byShort.get(arg.slice(1));
    }
    const option = name === undefined ? undefined : spec[name];
    if (name === undefined || option === undefined) fail(`Unknown option ${arg}\n${usage}`, 2);
    if (!option.takesValue) {
      if (inline !== undefined) fail(`--${name} takes no value\n${usage}`, 2);
      options.set(name, true);
      continue;
    }
    const value = inline ?? args[++i];
    if (value === undefined) fail(`--${name} needs a value\n${usage}`, 2);
    options.set(name, value);
  }
  return options;
}

/**
 * Reads a port option.
 *
 * @returns The port, or `fallback` when the option was not given.
 */
export function portOption(
  options: Map<string, string | true>,
  name: string,
  fallback: number,
): number {
  const raw = options.get(name);
  if (raw === undefined) return fallback;
  const port = Number(raw);
  if (typeof raw !== "string" || !/^\d+$/.test(raw) || port > 65535) {
    fail(`--${name} must be a port number from 0 to 65535, not ${JSON.stringify(raw)}`, 2);
  }
  return port;
}

/**
 * Reads a `ws://` or `wss://` URL option.
 *
 * @returns The URL, or `fallback` when the option was not given.
 */
export function urlOption(
  options: Map<string, string | true>,
  name: string,
  fallback: string,
): URL {
  const raw = options.get(name) ?? fallback;
  let url: URL | null = null;
  try {
    url = new URL(String(raw));
  } catch {
    // Reported below.
  }
  if (url === null || (url.protocol !== "ws:" && url.protocol !== "wss:")) {
    fail(`--${name} must be a ws:// or wss:// URL, not ${JSON.stringify(raw)}`, 2);
  }
  return url;
}

/** Prints `message` to stderr and exits with `code` (1 by default). */
export function fail(message: string, code = 1): never {
  console.error(message);
  Deno.exit(code);
}

/** The sentence every example prints when a permission is missing. */
export function permissionDenied(flag: string): never {
  fail(`Permission denied: run again with ${flag}`);
}

/** `host:port` of a ws:// or wss:// URL, as `--allow-net` spells it. */
export function netTarget(url: URL): string {
  return `${url.hostname}:${url.port || (url.protocol === "wss:" ? "443" : "80")}`;
}

/** `host:port` for listening, as `--allow-net` spells it. */
export function listenTarget(host: string, port: number): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/** Whether the program may use the network to reach (or listen on) `target`. */
export function mayUseNet(target: string): boolean {
  return Deno.permissions.querySync({ name: "net", host: target }).state === "granted";
}

/**
 * Runs `read` (which reads files); a missing `--allow-read` permission, or a
 * missing file, ends the program with a sentence that says what to do.
 *
 * @param read Reads the files.
 * @param readFlag The flag that grants reading them, for the message.
 * @returns What `read` returned.
 */
export function reading<T>(read: () => T, readFlag: string): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) permissionDenied(readFlag);
    if (error instanceof Deno.errors.NotFound) {
      fail(`Cannot read a file the example needs: ${error.message}`);
    }
    throw error;
  }
}

/**
 * Runs `cleanup` then exits with status 0 on Ctrl+C, and on SIGTERM where
 * the platform has it.
 */
export function exitOnSignal(cleanup: () => void | Promise<void>): void {
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  for (const signal of signals) {
    Deno.addSignalListener(signal, async () => {
      await cleanup();
      Deno.exit(0);
    });
  }
}
