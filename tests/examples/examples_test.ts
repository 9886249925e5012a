/**
 * Every example runs under exactly the flags its deno.json task and the
 * README give (from the one table, examples/commands.json), with free ports
 * in place of 1234 and 8080; and with a permission missing, each exits with
 * a sentence naming the flag to add, not a stack trace.
 */

import assert from "node:assert/strict";
import table from "../../examples/commands.json" with { type: "json" };
import denoJson from "../../deno.json" with { type: "json" };
import { QWebSocket } from "../../mod.ts";

const ROOT = new URL("../../", import.meta.url);
/** Generous: a subprocess compiles the example on two shared cores. */
const WAIT_MS = 60000;

interface ExampleEntry {
  task: string;
  command: string;
  what: string;
}

const examples: ExampleEntry[] = table.examples;

function entry(task: string): ExampleEntry {
  const found = examples.find((e) => e.task === task);
  if (found === undefined) throw new Error(`examples/commands.json has no ${task}`);
  return found;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** The documented command with the test's ports in place of the defaults. */
function withPorts(command: string, ports: { ws: number; http?: number }): string {
  let result = command.replaceAll("1234", String(ports.ws));
  if (ports.http !== undefined) result = result.replaceAll("8080", String(ports.http));
  return result;
}

/** A running example: its output so far, a bounded wait for a line, and a stop by pid. */
class Example {
  readonly child: Deno.ChildProcess;
  stdout = "";
  stderr = "";
  readonly #done: Promise<Deno.CommandStatus>;
  #changed: () => void = () => {};

  constructor(command: string, extraArgs: string[] = []) {
    const [program, ...args] = command.split(" ");
    assert.equal(program, "deno", `${command} does not start with deno`);
    this.child = new Deno.Command(Deno.execPath(), {
      args: [...args, ...extraArgs],
      cwd: ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    const collect = async (stream: ReadableStream<Uint8Array>, into: "stdout" | "stderr") => {
      for await (const text of stream.pipeThrough(new TextDecoderStream())) {
        this[into] += text;
        this.#changed();
      }
    };
    const readers = Promise.all([
      collect(this.child.stdout, "stdout"),
      collect(this.child.stderr, "stderr"),
    ]);
    this.#done = Promise.all([this.child.status, readers]).then(([status]) => status);
  }

  /** Waits until stdout matches `pattern`; fails with the output after `ms`. */
  async waitFor(pattern: RegExp, ms = WAIT_MS): Promise<RegExpMatchArray> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      return await new Promise<RegExpMatchArray>((resolve, reject) => {
        const check = () => {
          const match = this.stdout.match(pattern);
          if (match !== null) resolve(match);
        };
        this.#changed = check;
        this.#done.then(() => {
          check();
          reject(new Error(`The example exited before printing ${pattern}:\n${this.output()}`));
        });
        timer = setTimeout(
          () => reject(new Error(`No ${pattern} after ${ms} ms:\n${this.output()}`)),
          ms,
        );
        check();
      });
    } finally {
      clearTimeout(timer);
      this.#changed = () => {};
    }
  }

  /** Waits for the example to exit on its own; kills it (by pid) after `ms`. */
  async exit(ms = WAIT_MS): Promise<Deno.CommandStatus> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms)));
    const status = await Promise.race([this.#done, timeout]);
    clearTimeout(timer);
    if (status === null) {
      await this.stop();
      throw new Error(`The example did not exit within ${ms} ms:\n${this.output()}`);
    }
    return status;
  }

  /** Stops the example with SIGTERM (SIGKILL if it lingers) and waits for it. */
  async stop(): Promise<Deno.CommandStatus> {
    try {
      this.child.kill("SIGTERM");
    } catch {
      // Exited already.
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<null>((
      resolve,
    ) => (timer = setTimeout(() => resolve(null), 10000)));
    const status = await Promise.race([this.#done, timeout]);
    clearTimeout(timer);
    if (status !== null) return status;
    try {
      this.child.kill("SIGKILL");
    } catch {
      // Exited meanwhile.
    }
    return await this.#done;
  }

  output(): string {
    return `--- stdout ---\n${this.stdout}--- stderr ---\n${this.stderr}`;
  }
}

/** Runs `body` with the example started; always stops it. */
async function running(
  command: string,
  body: (example: Example) => Promise<void>,
  extraArgs: string[] = [],
): Promise<void> {
  const example = new Example(command, extraArgs);
  try {
    await body(example);
  } finally {
    await example.stop();
  }
}

Deno.test("examples: commands.json, the deno.json tasks and the README give the same commands", async () => {
  const readme = await Deno.readTextFile(new URL("README.md", ROOT));
  const tasks = denoJson.tasks as Record<string, string>;
  assert.ok(examples.length >= 7);
  for (const { task, command } of examples) {
    assert.equal(tasks[task], command, `deno.json task ${task}`);
    assert.ok(readme.includes(command), `README.md shows ${command}`);
    assert.doesNotMatch(command, /(^| )(-A|--allow-all)( |$)/);
    assert.doesNotMatch(command, /--allow-[a-z]+( |$)/, `${task}: every --allow-* flag is scoped`);
  }
});

Deno.test("examples: echoserver (with --debug) and echoclient echo Hello, world! under their documented flags", async () => {
  const port = freePort();
  await running(withPorts(entry("echoserver").command, { ws: port }), async (server) => {
    await server.waitFor(new RegExp(`Echo server listening on ws://127\\.0\\.0\\.1:${port}/`));
    const client = new Example(withPorts(entry("echoclient").command, { ws: port }));
    const status = await client.exit();
    assert.equal(status.code, 0, client.output());
    assert.match(client.stdout, /^Message received: Hello, world!$/m);
    await server.waitFor(/Client connected: 127\.0\.0\.1:\d+/);
    await server.waitFor(/Message received: Hello, world!/);
    await server.waitFor(/Client disconnected: .*close code 1000/);
  }, ["--debug"]);
});

Deno.test("examples: echoserver --compress agrees permessage-deflate with a client that offers it (RFC 7692)", async () => {
  const port = freePort();
  await running(withPorts(entry("echoserver").command, { ws: port }), async (server) => {
    await server.waitFor(new RegExp(`Echo server listening on ws://127\\.0\\.0\\.1:${port}/`));
    await using socket = new QWebSocket(); // offers permessage-deflate by default
    const message = "compressible ".repeat(1000);
    const echo = new Promise<string>((resolve, reject) => {
      socket.addEventListener("textMessageReceived", (e) => resolve(e.message));
      socket.addEventListener("error", () => reject(new Error(socket.errorString())));
    });
    socket.addEventListener("connected", () => socket.sendTextMessage(message));
    socket.open(`ws://127.0.0.1:${port}`);
    assert.equal(await echo, message);
    assert.notEqual(socket.perMessageDeflate(), null, "the server accepted the offer");
    await server.waitFor(/Client connected: 127\.0\.0\.1:\d+ \(permessage-deflate\)/);
  }, ["--debug", "--compress"]);
});

Deno.test("examples: sslechoserver and sslechoclient echo over wss:// with the example certificate", async () => {
  const port = freePort();
  await running(withPorts(entry("sslechoserver").command, { ws: port }), async (server) => {
    await server.waitFor(new RegExp(`SSL echo server listening on wss://127\\.0\\.0\\.1:${port}/`));
    const client = new Example(withPorts(entry("sslechoclient").command, { ws: port }), [
      "--debug",
    ]);
    const status = await client.exit();
    assert.equal(status.code, 0, client.output());
    assert.match(
      client.stdout,
      new RegExp(`WebSocket connected to wss://127\\.0\\.0\\.1:${port}/`),
    );
    assert.match(client.stdout, /^Message received: Hello, world!$/m);
    assert.match(client.stdout, /close code 1000/);
  });
});

Deno.test("examples: declarative_client talks to the echo server through the QML-style WebSocket", async () => {
  const port = freePort();
  await running(withPorts(entry("echoserver").command, { ws: port }), async (server) => {
    await server.waitFor(/Echo server listening/);
    const client = new Example(withPorts(entry("declarative_client").command, { ws: port }), [
      "--debug",
    ]);
    const status = await client.exit();
    assert.equal(status.code, 0, client.output());
    assert.match(
      client.stdout,
      /Status: Connecting\nStatus: Open\nMessage received: Hello, world!\nStatus: Closing\nStatus: Closed\n/,
    );
  });
});

Deno.test("examples: declarative_server answers its own client, and any other client, with Hello Client!", async () => {
  const port = freePort();
  await running(withPorts(entry("declarative_server").command, { ws: port }), async (server) => {
    await server.waitFor(
      new RegExp(`Declarative server listening on ws://127\\.0\\.0\\.1:${port}/`),
    );
    await server.waitFor(/Server received message: Hello Server!/);
    await server.waitFor(/Client received message: Hello Client!/);

    await using socket = new QWebSocket();
    const reply = new Promise<string>((resolve) => {
      socket.addEventListener("textMessageReceived", (e) => resolve(e.message));
    });
    socket.addEventListener("connected", () => socket.sendTextMessage("Hi from the test"));
    socket.open(`ws://127.0.0.1:${port}`);
    assert.equal(await reply, "Hello Client!");
    await server.waitFor(/Server received message: Hi from the test/);
  });
});

Deno.test("examples: simplechat relays each message to every other client and serves chat.html", async () => {
  const ws = freePort();
  const http = freePort();
  await running(withPorts(entry("chatserver").command, { ws, http }), async (server) => {
    await server.waitFor(new RegExp(`Open http://127\\.0\\.0\\.1:${http}/ in a browser`));

    const response = await fetch(`http://127.0.0.1:${http}/`);
    const page = await response.text();
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /text\/html/);
    assert.match(page, /new WebSocket\(/);
    assert.ok(page.includes(`ws://127.0.0.1:${ws}/`), "the page names this chat server");
    const missing = await fetch(`http://127.0.0.1:${http}/nothing`);
    await missing.body?.cancel();
    assert.equal(missing.status, 404);

    const sockets = [new QWebSocket(), new QWebSocket(), new QWebSocket()];
    try {
      const received: string[][] = sockets.map(() => []);
      await Promise.all(sockets.map((socket, i) =>
        new Promise<void>((resolve, reject) => {
          socket.addEventListener("textMessageReceived", (e) => received[i]!.push(e.message));
          socket.addEventListener("connected", () => resolve());
          socket.addEventListener("error", () => reject(new Error(socket.errorString())));
          socket.open(`ws://127.0.0.1:${ws}`);
        })
      ));
      const delivered = Promise.all(
        [1, 2].map((i) =>
          new Promise<void>((resolve) => {
            sockets[i]!.addEventListener("textMessageReceived", () => resolve(), { once: true });
          })
        ),
      );
      sockets[0]!.sendTextMessage("Alice: hello");
      await delivered;
      assert.deepEqual(received, [[], ["Alice: hello"], ["Alice: hello"]]);
    } finally {
      await Promise.all(sockets.map((socket) => socket[Symbol.asyncDispose]()));
    }
  });
});

// Each example, once per --allow-* flag with that flag left out.
for (const { task, command } of examples) {
  const flags = command.split(" ").filter((part) => part.startsWith("--allow-"));
  for (const flag of flags) {
    Deno.test(`examples: ${task} without ${flag.split("=")[0]} says which flag to add, without a stack trace`, async () => {
      const ports = { ws: freePort(), http: freePort() };
      const full = withPorts(command, ports);
      const expected = withPorts(flag, ports);
      const example = new Example(full.replace(` ${expected}`, ""));
      const status = await example.exit();
      assert.equal(status.code, 1, example.output());
      assert.match(
        example.stderr,
        new RegExp(`Permission denied: run again with ${escapeRegExp(expected)}\\n`),
        example.output(),
      );
      assert.doesNotMatch(example.stderr, /^\s+at /m, "no stack trace");
      assert.doesNotMatch(example.stderr, /Uncaught|error:/i);
    });
  }
}
