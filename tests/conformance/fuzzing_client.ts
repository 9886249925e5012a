/**
 * The fuzzing client (Autobahn's `fuzzingclient` mode): for each case it
 * opens a fresh connection to the server under test, runs the case, and
 * records the verdict once the TCP connection is gone.
 *
 * @module
 */

import { Case, type CaseDefinition, type CaseResult, FAILED, type RunSettings } from "./case.ts";
import { FuzzingConnection, type MessageExtension } from "./fuzzing_connection.ts";
import { acceptKey, hasToken, headEnd, newKey, parseHead, utf8, writeAll } from "./wire.ts";

/** Options of {@linkcode runFuzzingClient}. */
export interface FuzzingClientOptions {
  /** The server's address. */
  hostname: string;
  port: number;
  /** The request target (default "/"). */
  path?: string;
  /** The name the results are filed under. */
  agent: string;
  /** The cases to run, in order. */
  cases: readonly CaseDefinition[];
  settings: RunSettings;
  /** Multiplies Autobahn's timeouts (see `FuzzingOptions.patience`). */
  patience: number;
  /** Called after each case. */
  onResult?: (result: CaseResult) => void;
}

// Autobahn's openHandshakeTimeout is 5 s; scaled like the other timeouts.
const OPEN_HANDSHAKE_TIMEOUT_MS = 5000;

/** Runs every case against a server; resolves with the results in case order. */
export async function runFuzzingClient(options: FuzzingClientOptions): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const definition of options.cases) {
    const result = await runOneCase(options, definition);
    results.push(result);
    options.onResult?.(result);
  }
  return results;
}

async function runOneCase(
  options: FuzzingClientOptions,
  definition: CaseDefinition,
): Promise<CaseResult> {
  const started = performance.now();
  let conn: Deno.TcpConn;
  try {
    conn = await Deno.connect({ hostname: options.hostname, port: options.port });
  } catch (error) {
    return handshakeFailure(options, definition, started, `connect failed: ${error}`);
  }
  let leftover: Uint8Array;
  let extension: MessageExtension | null;
  try {
    ({ leftover, extension } = await clientHandshake(
      conn,
      options,
      OPEN_HANDSHAKE_TIMEOUT_MS * options.patience,
      definition,
    ));
  } catch (error) {
    try {
      conn.close();
    } catch {
      // Already closed by the timeout.
    }
    return handshakeFailure(options, definition, started, `${error}`);
  }
  const connection = new FuzzingConnection(conn, {
    isServer: false,
    patience: options.patience,
    failByDrop: false,
    leftover,
    watchdogMs: (definition.budgetSeconds ?? 20) * 1000 * options.patience,
    extension,
  });
  const running = new Case(definition, connection, options.settings);
  const opened = performance.now();
  await connection.run(running);
  return running.report(options.agent, Math.round(performance.now() - opened));
}

/**
 * Sends the upgrade request (with the case's extension offer, if any) and
 * checks the 101 response (RFC 6455 §4.1).
 *
 * @returns Bytes that followed the response head, and the extension agreed.
 */
async function clientHandshake(
  conn: Deno.TcpConn,
  options: FuzzingClientOptions,
  timeoutMs: number,
  definition: CaseDefinition,
): Promise<{ leftover: Uint8Array; extension: MessageExtension | null }> {
  const key = newKey();
  const host = options.hostname.includes(":") ? `[${options.hostname}]` : options.hostname;
  const request = [
    `GET ${options.path ?? "/"} HTTP/1.1`,
    `Host: ${host}:${options.port}`,
    "Upgrade: websocket",
    "Connection: Upgrade",
    `Sec-WebSocket-Key: ${key}`,
    "Sec-WebSocket-Version: 13",
    "User-Agent: qtws-conformance-fuzzer",
    ...(definition.extension === undefined
      ? []
      : [`Sec-WebSocket-Extensions: ${definition.extension.offer()}`]),
    "",
    "",
  ].join("\r\n");
  const timer = setTimeout(() => {
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  }, timeoutMs);
  try {
    await writeAll(conn, utf8(request));
    let data = new Uint8Array(0);
    const chunk = new Uint8Array(16 * 1024);
    let end = -1;
    while (end < 0) {
      const n = await conn.read(chunk);
      if (n === null) throw new Error("connection closed during the opening handshake");
      const next = new Uint8Array(data.length + n);
      next.set(data);
      next.set(chunk.subarray(0, n), data.length);
      data = next;
      end = headEnd(data);
      if (end < 0 && data.length > 64 * 1024) throw new Error("response head too large");
    }
    const head = parseHead(data.subarray(0, end));
    if (!/^HTTP\/1\.1 101\b/.test(head.startLine)) {
      throw new Error(`server refused the upgrade: ${head.startLine}`);
    }
    if (head.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      throw new Error("response lacks Upgrade: websocket");
    }
    if (!hasToken(head.headers.get("connection"), "upgrade")) {
      throw new Error("response lacks Connection: Upgrade");
    }
    if (head.headers.get("sec-websocket-accept") !== await acceptKey(key)) {
      throw new Error("wrong Sec-WebSocket-Accept");
    }
    const answer = head.headers.get("sec-websocket-extensions") ?? "";
    let extension: MessageExtension | null = null;
    if (definition.extension !== undefined) {
      const agreed = definition.extension.accept(answer);
      if (typeof agreed === "string") throw new Error(`invalid extension answer: ${agreed}`);
      extension = agreed;
    } else if (answer !== "") {
      throw new Error(`an extension that was not offered: ${answer}`);
    }
    return { leftover: data.slice(end), extension };
  } finally {
    clearTimeout(timer);
  }
}

function handshakeFailure(
  options: FuzzingClientOptions,
  definition: CaseDefinition,
  started: number,
  reason: string,
): CaseResult {
  return {
    id: definition.id,
    description: definition.description,
    expectation: definition.expectation,
    agent: options.agent,
    behavior: FAILED,
    behaviorClose: FAILED,
    verdict: FAILED,
    allowed: [],
    result: "The WebSocket opening handshake was never completed!",
    resultClose: reason,
    durationMs: Math.round(performance.now() - started),
    reportTime: definition.reportTime ?? false,
    expected: {},
    received: "[]",
    closedByMe: false,
    failedByMe: false,
    droppedByMe: false,
    wasClean: false,
    wasNotCleanReason: reason,
    localCloseCode: null,
    remoteCloseCode: null,
    notes: [reason],
  };
}
