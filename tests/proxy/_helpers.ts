/**
 * Helpers of the proxy tests: a real proxy (Debian's tinyproxy) started on
 * loopback with a generated configuration, a scripted fake CONNECT proxy that
 * counts what it is asked, and a WebSocket target (Deno's own server) that
 * records the address each connection came from.
 *
 * @module
 */

import { QSslCertificate, QWebSocket, type SocketErrorEvent } from "../../mod.ts";
import { within } from "../client/_helpers.ts";

export { within };

/** Generous bounds: several engineers' tests share two CPU cores. */
export const BOUND = 20_000;

/** How long a proxy may take to exit on SIGTERM before it is killed. */
const STOP_GRACE = 5_000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The TLS fixtures: `server.crt` is for localhost/127.0.0.1/::1, `wronghost.crt` for wrong.example. */
export const TLS = {
  ca: Deno.readTextFileSync(new URL("../fixtures/tls/ca.crt", import.meta.url)),
  serverCert: Deno.readTextFileSync(new URL("../fixtures/tls/server.crt", import.meta.url)),
  serverKey: Deno.readTextFileSync(new URL("../fixtures/tls/server.key", import.meta.url)),
  wrongCert: Deno.readTextFileSync(new URL("../fixtures/tls/wronghost.crt", import.meta.url)),
  wrongKey: Deno.readTextFileSync(new URL("../fixtures/tls/wronghost.key", import.meta.url)),
};

/** A port that was free a moment ago: bind port 0, read it, close. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Resolves after `ms`; the timer is never left behind. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// --- the WebSocket target --------------------------------------------------------

/** A Deno.serve echo server on 127.0.0.1 that records where connections came from. */
export interface Target {
  /** The port it listens on. */
  readonly port: number;
  /** The remote `host:port` of every upgrade request, in order. */
  readonly peers: Deno.NetAddr[];
  /** Shuts down, closing the WebSockets first. */
  close(): Promise<void>;
}

/**
 * Starts an echo server (Deno's built-in WebSocket, a peer none of us wrote).
 *
 * @param tls Certificate and key for wss:.
 */
export function startTarget(tls?: { cert: string; key: string }): Target {
  const peers: Deno.NetAddr[] = [];
  const sockets: WebSocket[] = [];
  const ac = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen: () => {}, ...(tls ?? {}) },
    (request, info) => {
      peers.push(info.remoteAddr);
      const { socket, response } = Deno.upgradeWebSocket(request, { idleTimeout: 0 });
      sockets.push(socket);
      socket.onmessage = (e) => {
        if (socket.readyState === WebSocket.OPEN) socket.send(e.data);
      };
      return response;
    },
  );
  return {
    port: server.addr.port,
    peers,
    async close() {
      const closing = sockets.filter((s) => s.readyState !== WebSocket.CLOSED).map((s) =>
        new Promise<void>((resolve) => {
          s.addEventListener("close", () => resolve(), { once: true });
          if (s.readyState === WebSocket.OPEN) s.close(1001);
        })
      );
      await within(Promise.all(closing), "the target's sockets to close", BOUND);
      ac.abort();
      await within(server.finished, "the target to shut down", BOUND);
    },
  };
}

// --- tinyproxy -------------------------------------------------------------------

/** A running tinyproxy. */
export interface Tinyproxy {
  /** The port it listens on (127.0.0.1). */
  readonly port: number;
  /** The process id. */
  readonly pid: number;
  /** Its log so far. */
  log(): string;
  /** Waits (bounded) until the log contains `text`, and returns the log. */
  waitForLog(text: string): Promise<string>;
  /** Stops it (SIGTERM to its pid) and removes its folder. */
  stop(): Promise<void>;
}

/** How to configure tinyproxy. */
export interface TinyproxyOptions {
  /** `BasicAuth user password`: every request must authenticate. */
  basicAuth?: { user: string; password: string };
  /** `ConnectPort` lines: the only ports CONNECT may reach (none: every port). */
  connectPorts?: number[];
}

let tinyproxyPath: string | null | undefined;

/** The tinyproxy binary, or `null` when it is not installed. */
export async function findTinyproxy(): Promise<string | null> {
  if (tinyproxyPath !== undefined) return tinyproxyPath;
  tinyproxyPath = null;
  const dirs = (Deno.env.get("PATH") ?? "").split(":").concat(["/usr/bin", "/usr/sbin"]);
  for (const dir of dirs) {
    if (dir === "") continue;
    try {
      const path = `${dir}/tinyproxy`;
      if ((await Deno.stat(path)).isFile) {
        tinyproxyPath = path;
        break;
      }
    } catch {
      // Not in this folder.
    }
  }
  return tinyproxyPath;
}

/**
 * Whether the tinyproxy tests can run. Without tinyproxy they are skipped
 * with a visible message, except on CI (`CI=true`), where `.ci/run` installs
 * it from `.ci/debian-packages`, so its absence is a failure.
 */
export async function tinyproxyAvailable(): Promise<boolean> {
  if (await findTinyproxy() !== null) return true;
  if (Deno.env.get("CI") === "true") {
    throw new Error(
      "tinyproxy is not installed, but CI=true: .ci/run installs it from .ci/debian-packages",
    );
  }
  console.warn(
    "%cSKIPPED: tinyproxy is not installed (apt-get install -y tinyproxy); the real-proxy tests did not run",
    "color: yellow",
  );
  return false;
}

/**
 * Starts tinyproxy in the foreground with a configuration written to a
 * temporary folder: listening on 127.0.0.1 only, allowing 127.0.0.1 only,
 * logging CONNECT requests to the folder.
 *
 * @param options Authentication and allowed CONNECT ports.
 */
export async function startTinyproxy(options: TinyproxyOptions = {}): Promise<Tinyproxy> {
  const binary = await findTinyproxy();
  if (binary === null) throw new Error("tinyproxy is not installed");
  const dir = await Deno.makeTempDir({ prefix: "qtws_tinyproxy_" });
  const logPath = `${dir}/tinyproxy.log`;
  // Between closing a probe listener and tinyproxy binding the port another
  // process may take it: try a few ports.
  let lastError = "";
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = freePort();
    const lines = [
      `Listen 127.0.0.1`,
      `Port ${port}`,
      `Allow 127.0.0.1`,
      `Timeout 60`,
      `MaxClients 50`,
      `LogFile "${logPath}"`,
      `LogLevel Connect`,
      `PidFile "${dir}/tinyproxy.pid"`,
      ...(options.basicAuth !== undefined
        ? [`BasicAuth ${options.basicAuth.user} ${options.basicAuth.password}`]
        : []),
      ...(options.connectPorts ?? []).map((p) => `ConnectPort ${p}`),
    ];
    const config = `${dir}/tinyproxy.conf`;
    await Deno.writeTextFile(config, lines.join("\n") + "\n");
    // -d: stay in the foreground, so the child is the proxy and its pid ours to stop.
    const child = new Deno.Command(binary, {
      args: ["-d", "-c", config],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    let exited = false;
    const status = child.status.then((s) => {
      exited = true;
      return s;
    });
    const up = await waitForPort(port, () => exited);
    if (up) {
      const read = () => {
        try {
          return Deno.readTextFileSync(logPath);
        } catch {
          return "";
        }
      };
      return {
        port,
        pid: child.pid,
        log: read,
        async waitForLog(text: string): Promise<string> {
          const deadline = Date.now() + BOUND;
          for (;;) {
            const log = read();
            if (log.includes(text) || Date.now() > deadline) return log;
            await sleep(50);
          }
        },
        async stop() {
          if (!exited) {
            try {
              Deno.kill(child.pid, "SIGTERM");
            } catch {
              // Already gone.
            }
          }
          try {
            await within(status, "tinyproxy to exit", STOP_GRACE);
          } catch {
            // tinyproxy 1.11 waits for its worker threads on SIGTERM, and a
            // worker still in a read can hold it past any sensible bound on a
            // loaded machine: end the process we started outright.
            if (!exited) Deno.kill(child.pid, "SIGKILL");
            await within(status, "tinyproxy to exit after SIGKILL", BOUND);
          }
          await Deno.remove(dir, { recursive: true });
        },
      };
    }
    if (!exited) {
      try {
        Deno.kill(child.pid, "SIGTERM");
      } catch {
        // Already gone.
      }
    }
    const s = await within(status, "tinyproxy to exit", BOUND);
    lastError = `tinyproxy exited with code ${s.code} before listening on ${port}`;
  }
  await Deno.remove(dir, { recursive: true });
  throw new Error(lastError);
}

// Waits (bounded) until something accepts on the port; false if `gone()` first.
async function waitForPort(port: number, gone: () => boolean): Promise<boolean> {
  const deadline = Date.now() + BOUND;
  while (Date.now() < deadline) {
    if (gone()) return false;
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      return true;
    } catch {
      await sleep(50);
    }
  }
  return false;
}

// --- a scripted fake CONNECT proxy -----------------------------------------------

/** One request the fake proxy received. */
export interface ProxyRequest {
  /** The request line, e.g. `CONNECT localhost:443 HTTP/1.1`. */
  line: string;
  /** The header lines as received. */
  headers: string[];
  /** The raw head. */
  raw: string;
}

/** What the fake proxy does with one request. */
export type ProxyBehaviour = (conn: Deno.Conn, request: ProxyRequest) => Promise<void>;

/** A running fake proxy. */
export interface FakeProxy {
  readonly port: number;
  /** Every request received, in order. */
  readonly requests: ProxyRequest[];
  /** Stops listening, closes every connection and waits for the handlers. */
  close(): Promise<void>;
}

/** A loopback listener whose every connection a handler serves. */
export interface ScriptedListener {
  readonly port: number;
  /** Stops listening, closes every connection and waits for the handlers. */
  close(): Promise<void>;
}

/**
 * Listens on 127.0.0.1 port 0 and hands each connection to `handle`; the
 * connection is closed when `handle` ends or fails (the client went away, or
 * `close()` closed it).
 *
 * @param handle Serves one connection.
 * @param name What the listener is, for the bounded wait of `close()`.
 */
export function startScriptedListener(
  handle: (conn: Deno.Conn) => Promise<void>,
  name: string,
): ScriptedListener {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const tasks = new Set<Promise<void>>();
  const closeQuietly = (conn: Deno.Conn) => {
    try {
      conn.close();
    } catch {
      // Closed already.
    }
  };
  const serve = async (conn: Deno.Conn) => {
    conns.add(conn);
    try {
      await handle(conn);
    } catch {
      // The client went away, or close() closed the connection.
    } finally {
      conns.delete(conn);
      closeQuietly(conn);
    }
  };
  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        const task = serve(conn);
        tasks.add(task);
        task.finally(() => tasks.delete(task));
      }
    } catch {
      // The listener was closed.
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    async close() {
      listener.close();
      await accepting;
      for (const conn of conns) closeQuietly(conn);
      await within(Promise.all([...tasks]), `${name}'s connections to end`, BOUND);
    },
  };
}

/**
 * Starts a fake proxy on 127.0.0.1 port 0: it reads each request head and
 * hands the connection to `behaviour` (by default: a real tunnel, see {@linkcode tunnel}).
 */
export function startFakeProxy(behaviour: ProxyBehaviour = tunnel): FakeProxy {
  const requests: ProxyRequest[] = [];
  const listener = startScriptedListener(async (conn) => {
    const request = await readRequest(conn);
    if (request === null) return;
    requests.push(request);
    await behaviour(conn, request);
  }, "the fake proxy");
  return { port: listener.port, requests, close: () => listener.close() };
}

// Reads a request head byte by byte (so nothing after it is taken from the tunnel).
async function readRequest(conn: Deno.Conn): Promise<ProxyRequest | null> {
  const bytes: number[] = [];
  const one = new Uint8Array(1);
  while (bytes.length < 16384) {
    const n = await conn.read(one);
    if (n === null) return null;
    bytes.push(one[0]);
    const k = bytes.length;
    if (
      k >= 4 && bytes[k - 4] === 13 && bytes[k - 3] === 10 && bytes[k - 2] === 13 &&
      bytes[k - 1] === 10
    ) {
      const raw = decoder.decode(new Uint8Array(bytes));
      const [line, ...headers] = raw.slice(0, -4).split("\r\n");
      return { line, headers, raw };
    }
  }
  return null;
}

/** The value of a header in a fake proxy's request, or `null`. */
export function headerOf(request: ProxyRequest, name: string): string | null {
  for (const line of request.headers) {
    const colon = line.indexOf(":");
    if (line.slice(0, colon).trim().toLowerCase() === name.toLowerCase()) {
      return line.slice(colon + 1).trim();
    }
  }
  return null;
}

/** Writes all of `text` (or bytes). */
export async function writeAll(conn: Deno.Conn, data: string | Uint8Array): Promise<void> {
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  let at = 0;
  while (at < bytes.length) at += await conn.write(bytes.subarray(at));
}

/**
 * A real tunnel: connects to 127.0.0.1 at the requested port, whatever host
 * name was asked for (so a test can ask for `wrong.example` without DNS),
 * answers 200 and copies bytes both ways until either side ends.
 */
export const tunnel: ProxyBehaviour = async (conn, request) => {
  const match = /^CONNECT (?:\[[^\]]+\]|[^:\s]+):(\d+) HTTP\/1\.1$/.exec(request.line);
  if (match === null) {
    await writeAll(conn, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    return;
  }
  const upstream = await Deno.connect({ hostname: "127.0.0.1", port: Number(match[1]) });
  try {
    await writeAll(conn, "HTTP/1.1 200 Connection established\r\n\r\n");
    const copy = async (from: Deno.Conn, to: Deno.Conn) => {
      const buffer = new Uint8Array(16384);
      try {
        for (;;) {
          const n = await from.read(buffer);
          if (n === null) break;
          await writeAll(to, buffer.subarray(0, n));
        }
      } catch {
        // Either side closed.
      }
      try {
        await to.closeWrite();
      } catch {
        // Closed already.
      }
    };
    await Promise.all([copy(conn, upstream), copy(upstream, conn)]);
  } finally {
    upstream.close();
  }
};

/** A behaviour that writes `response` and then closes (or, with `hold`, waits for the client to close). */
export function respond(response: string | Uint8Array, hold = false): ProxyBehaviour {
  return async (conn) => {
    await writeAll(conn, response);
    if (hold) await drain(conn);
  };
}

/** Reads until the client closes. */
export async function drain(conn: Deno.Conn): Promise<void> {
  const buffer = new Uint8Array(1024);
  while (await conn.read(buffer) !== null) {
    // Discard.
  }
}

// --- QWebSocket ------------------------------------------------------------------

/** How an `open()` ended. */
export type Outcome =
  | { connected: true }
  | { connected: false; error: number; errorString: string };

/** Opens `socket` and waits (bounded) for `connected` or `error`. */
export function openSocket(socket: QWebSocket, url: string): Promise<Outcome> {
  const outcome = new Promise<Outcome>((resolve) => {
    const onConnected = () => {
      socket.removeEventListener("error", onError);
      resolve({ connected: true });
    };
    const onError = (e: SocketErrorEvent) => {
      socket.removeEventListener("connected", onConnected);
      resolve({ connected: false, error: e.error, errorString: socket.errorString() });
    };
    socket.addEventListener("connected", onConnected, { once: true });
    socket.addEventListener("error", onError, { once: true });
  });
  socket.open(url);
  return within(outcome, `${url} to connect or fail`, BOUND);
}

/** Sends `text` and waits (bounded) for the echo. */
export async function echo(socket: QWebSocket, text: string): Promise<string> {
  const received = new Promise<string>((resolve) => {
    socket.addEventListener("textMessageReceived", (e) => resolve(e.message), { once: true });
  });
  socket.sendTextMessage(text);
  return await within(received, "the echo", BOUND);
}

/** Closes (if connected) and releases the socket. */
export async function dispose(socket: QWebSocket): Promise<void> {
  await within(socket[Symbol.asyncDispose](), "the socket to close", BOUND);
}

/** A socket that trusts the test CA (for wss: to the fixtures' certificates). */
export function trustingSocket(): QWebSocket {
  const socket = new QWebSocket();
  const config = socket.sslConfiguration();
  config.setCaCertificates(QSslCertificate.fromData(TLS.ca));
  socket.setSslConfiguration(config);
  return socket;
}
