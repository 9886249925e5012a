/**
 * The fuzzing server (Autobahn's `fuzzingserver` mode). A client agent
 * drives it over WebSocket, as with Autobahn:
 *
 * - `/getCaseCount`: the server sends the number of cases as a text message
 *   and closes;
 * - `/runCase?case=N&agent=A`: the server runs case N (1-based) while the
 *   agent echoes every message until the server closes;
 * - `/updateReports?agent=A`: the server closes at once; the agent is done.
 *
 * @module
 */

import { Case, type CaseDefinition, type CaseResult, type RunSettings } from "./case.ts";
import {
  FuzzingConnection,
  type FuzzingHandler,
  type MessageExtension,
} from "./fuzzing_connection.ts";
import { acceptKey, hasToken, headEnd, parseHead, utf8, writeAll } from "./wire.ts";

/** Options of a {@linkcode FuzzingServer}. */
export interface FuzzingServerOptions {
  cases: readonly CaseDefinition[];
  settings: RunSettings;
  /** Multiplies Autobahn's timeouts (see `FuzzingOptions.patience`). */
  patience: number;
  /** Called after each case. */
  onResult?: (result: CaseResult) => void;
}

// Autobahn's openHandshakeTimeout.
const OPEN_HANDSHAKE_TIMEOUT_MS = 5000;

/** A fuzzing server on 127.0.0.1, on a port of the system's choosing. */
export class FuzzingServer {
  readonly #options: FuzzingServerOptions;
  readonly #listener: Deno.TcpListener;
  readonly #tasks = new Set<Promise<void>>();
  readonly #results = new Map<string, CaseResult[]>();
  readonly #updated = new Map<string, () => void>();
  readonly #updatedAgents = new Set<string>();
  readonly #acceptLoop: Promise<void>;
  #closed = false;

  constructor(options: FuzzingServerOptions) {
    this.#options = options;
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.#acceptLoop = this.#accept();
  }

  /** The port the server listens on. */
  get port(): number {
    return this.#listener.addr.port;
  }

  /** The base URL agents connect to. */
  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  /** The results filed for `agent`, in the order the cases ran. */
  results(agent: string): CaseResult[] {
    return [...(this.#results.get(agent) ?? [])];
  }

  /**
   * Resolves once `agent` asked for `/updateReports` and every case
   * connection has finished.
   */
  async reportsUpdated(agent: string): Promise<void> {
    if (!this.#updatedAgents.has(agent)) {
      await new Promise<void>((resolve) => this.#updated.set(agent, resolve));
    }
    while (this.#tasks.size > 0) await Promise.allSettled([...this.#tasks]);
  }

  /** Stops listening and waits for every connection to end. */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#listener.close();
    }
    await this.#acceptLoop;
    while (this.#tasks.size > 0) await Promise.allSettled([...this.#tasks]);
  }

  async #accept(): Promise<void> {
    try {
      for await (const conn of this.#listener) {
        const task = this.#serve(conn).catch(() => {
          // A connection that failed its handshake affects no other.
        });
        this.#tasks.add(task);
        task.finally(() => this.#tasks.delete(task));
      }
    } catch {
      // The listener was closed.
    }
  }

  async #serve(conn: Deno.Conn): Promise<void> {
    let target: URL;
    let leftover: Uint8Array;
    let extension: MessageExtension | null;
    let response: Uint8Array;
    try {
      ({ target, leftover, extension, response } = await this.#handshake(conn));
    } catch {
      try {
        conn.close();
      } catch {
        // Already closed.
      }
      return;
    }
    const options = this.#options;
    const agent = target.searchParams.get("agent") ?? "";
    const connection = (watchdogSeconds: number) =>
      new FuzzingConnection(conn, {
        isServer: true,
        patience: options.patience,
        failByDrop: false,
        leftover,
        preamble: response,
        watchdogMs: watchdogSeconds * 1000 * options.patience,
        extension,
      });
    if (target.pathname === "/getCaseCount") {
      const p = connection(20);
      await p.run(command(() => {
        p.sendMessage(utf8(JSON.stringify(options.cases.length)));
        p.sendClose();
      }));
    } else if (target.pathname === "/updateReports") {
      const p = connection(20);
      await p.run(command(() => p.sendClose()));
      this.#updatedAgents.add(agent);
      this.#updated.get(agent)?.();
      this.#updated.delete(agent);
    } else if (target.pathname === "/runCase") {
      const index = Number(target.searchParams.get("case"));
      const definition = options.cases[index - 1];
      if (definition === undefined || agent === "") {
        const p = connection(20);
        await p.run(command(() => p.sendClose(1000, "no such case, or no agent")));
        return;
      }
      const p = connection(definition.budgetSeconds ?? 20);
      const running = new Case(definition, p, options.settings);
      const opened = performance.now();
      await p.run(running);
      const result = running.report(agent, Math.round(performance.now() - opened));
      const list = this.#results.get(agent) ?? [];
      list.push(result);
      this.#results.set(agent, list);
      options.onResult?.(result);
    } else {
      const p = connection(20);
      await p.run(command(() => p.sendClose(1000, "unknown path")));
    }
  }

  /**
   * Reads and checks the upgrade request (RFC 6455 §4.2.1). A bad request
   * gets 400 and the connection is closed; a good one gets the 101 response
   * back, for the connection to send with the case's first frames.
   */
  async #handshake(
    conn: Deno.Conn,
  ): Promise<{
    target: URL;
    leftover: Uint8Array;
    extension: MessageExtension | null;
    response: Uint8Array;
  }> {
    const timer = setTimeout(() => {
      try {
        conn.close();
      } catch {
        // Already closed.
      }
    }, OPEN_HANDSHAKE_TIMEOUT_MS * this.#options.patience);
    try {
      let data = new Uint8Array(0);
      const chunk = new Uint8Array(16 * 1024);
      let end = -1;
      while (end < 0) {
        const n = await conn.read(chunk);
        if (n === null) throw new Error("closed during the opening handshake");
        const next = new Uint8Array(data.length + n);
        next.set(data);
        next.set(chunk.subarray(0, n), data.length);
        data = next;
        end = headEnd(data);
        if (end < 0 && data.length > 64 * 1024) throw new Error("request head too large");
      }
      const head = parseHead(data.subarray(0, end));
      const [method, path, version] = head.startLine.split(" ");
      const key = head.headers.get("sec-websocket-key");
      const problem = method !== "GET" || version !== "HTTP/1.1"
        ? "not a GET HTTP/1.1 request"
        : head.headers.get("upgrade")?.toLowerCase() !== "websocket"
        ? "no Upgrade: websocket"
        : !hasToken(head.headers.get("connection"), "upgrade")
        ? "no Connection: Upgrade"
        : head.headers.get("sec-websocket-version") !== "13"
        ? "Sec-WebSocket-Version is not 13"
        : key === undefined || atobLength(key) !== 16
        ? "bad Sec-WebSocket-Key"
        : null;
      if (problem !== null) {
        await writeAll(conn, utf8(`HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n`));
        throw new Error(problem);
      }
      const target = new URL(path ?? "/", "ws://127.0.0.1");
      // Categories 12 and 13: the case decides how to answer the client's extension offers.
      const definition = target.pathname === "/runCase"
        ? this.#options.cases[Number(target.searchParams.get("case")) - 1]
        : undefined;
      const answer = definition?.extension?.answer(
        head.headers.get("sec-websocket-extensions") ?? "",
      ) ?? null;
      // Sent by the connection together with the case's first frames, in
      // one write, as Autobahn (Twisted) sends them: the client must parse
      // frames that arrive in the same read as the 101 response.
      const response = utf8(
        [
          "HTTP/1.1 101 Switching Protocols",
          "Server: qtws-conformance-fuzzer",
          "Upgrade: websocket",
          "Connection: Upgrade",
          `Sec-WebSocket-Accept: ${await acceptKey(key!)}`,
          ...(answer === null ? [] : [`Sec-WebSocket-Extensions: ${answer.response}`]),
          "",
          "",
        ].join("\r\n"),
      );
      return {
        target,
        leftover: data.slice(end),
        extension: answer?.extension ?? null,
        response,
      };
    } finally {
      clearTimeout(timer);
    }
  }
}

function atobLength(key: string): number {
  try {
    return atob(key).length;
  } catch {
    return -1;
  }
}

// A connection that runs one command, then lets the agent close.
function command(onOpen: () => void): FuzzingHandler {
  return {
    onOpen,
    onMessage() {},
    onPong() {},
    onConnectionLost() {},
  };
}
