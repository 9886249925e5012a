/**
 * examples/edge_chat.ts: run as its deno.json task documents (`deno serve`,
 * no `--allow-*` flag) it serves its page, relays messages between clients,
 * refuses other sites' pages and oversized messages; and two instances (two
 * Workers, as `deno serve --parallel` or a hosted runtime runs them) relay
 * each other's messages through a BroadcastChannel.
 */

import assert from "node:assert/strict";
import denoJson from "../../deno.json" with { type: "json" };
import { QWebSocket } from "../../mod.ts";
import { DenoClient, within } from "./_edge.ts";

const ROOT = new URL("../../", import.meta.url);
const COMMAND: string = (denoJson.tasks as Record<string, string>).edge_chat;
/** Generous: the subprocess compiles the example on two shared cores. */
const START_MS = 60_000;

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** The example under its documented command, with a free port for 8000. */
class ServedExample {
  readonly child: Deno.ChildProcess;
  output = "";
  readonly #done: Promise<unknown>;
  #changed: () => void = () => {};

  constructor(port: number) {
    const [program, ...args] = COMMAND.replace("--port 8000", `--port ${port}`).split(" ");
    assert.equal(program, "deno");
    this.child = new Deno.Command(Deno.execPath(), {
      args,
      cwd: ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    const collect = async (stream: ReadableStream<Uint8Array>) => {
      for await (const text of stream.pipeThrough(new TextDecoderStream())) {
        this.output += text;
        this.#changed();
      }
    };
    this.#done = Promise.all([
      this.child.status,
      collect(this.child.stdout),
      collect(this.child.stderr),
    ]);
  }

  /** Waits (bounded) until the output matches `pattern`. */
  async waitFor(pattern: RegExp): Promise<void> {
    const seen = new Promise<void>((resolve, reject) => {
      const check = () => pattern.test(this.output) && resolve();
      this.#changed = check;
      this.#done.then(() => reject(new Error(`deno serve exited:\n${this.output}`)));
      check();
    });
    try {
      await within(seen, `${pattern} from deno serve:\n${this.output}`, START_MS);
    } finally {
      this.#changed = () => {};
    }
  }

  /** Stops it by pid (SIGTERM) and waits for its exit and output. */
  async stop(): Promise<void> {
    try {
      this.child.kill("SIGTERM");
    } catch {
      // Exited already.
    }
    await within(this.#done, "deno serve to exit");
  }
}

async function opened(url: string, headers?: Record<string, string>): Promise<DenoClient> {
  const client = new DenoClient(url, undefined, headers);
  await within(client.opened, `open ${url}`);
  // The welcome says this instance now relays for the client.
  await client.messageCount(1);
  assert.match(String(client.messages.shift()), /^Welcome to the edge chat/);
  return client;
}

Deno.test("examples: edge_chat under its deno.json task (deno serve, no --allow-* flag) serves its page and relays messages", async () => {
  assert.doesNotMatch(COMMAND, /--allow-|-A\b/, "deno serve grants only the address it serves on");
  assert.match(COMMAND, /^deno serve --host 127\.0\.0\.1 --port 8000 examples\/edge_chat\.ts$/);
  const port = freePort();
  const example = new ServedExample(port);
  const clients: DenoClient[] = [];
  try {
    await example.waitFor(new RegExp(`Listening on http://127\\.0\\.0\\.1:${port}/`));
    const base = `http://127.0.0.1:${port}`;
    const pageResponse = await fetch(`${base}/`);
    assert.equal(pageResponse.status, 200);
    assert.match(pageResponse.headers.get("content-type") ?? "", /^text\/html/);
    assert.match(await pageResponse.text(), /<title>qtws edge chat<\/title>/);
    const missing = await fetch(`${base}/nope`);
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
    const plain = await fetch(`${base}/ws`);
    assert.equal(plain.status, 426);
    assert.match(await plain.text(), /WebSocket endpoint/);

    // Relay: what one client says, the others hear (not the sender).
    const ws = `ws://127.0.0.1:${port}/ws`;
    const ann = await opened(ws);
    const bob = await opened(ws, { origin: base });
    clients.push(ann, bob);
    ann.ws.send("ann: hello");
    await bob.messageCount(1);
    assert.deepEqual(bob.messages, ["ann: hello"]);
    bob.ws.send("bob: hi ann");
    await ann.messageCount(1);
    assert.deepEqual(ann.messages, ["bob: hi ann"]);

    // Our own client joins the same chat.
    const qt = new QWebSocket();
    const heard: string[] = [];
    const welcome = new Promise<void>((resolve) => {
      qt.addEventListener("textMessageReceived", (e) => {
        heard.push(e.message);
        resolve();
      });
    });
    qt.open(ws);
    await within(welcome, "the welcome");
    qt.sendTextMessage("qt: hello all");
    await ann.messageCount(2);
    await bob.messageCount(2);
    assert.equal(ann.messages[1], "qt: hello all");
    await within(qt[Symbol.asyncDispose](), "our client to close");
    assert.equal(qt.closeCode(), 1000);
    assert.match(heard[0]!, /^Welcome/);

    // Another site's page is refused (403); a message over 64 KiB closes with 1009.
    const evil = new DenoClient(ws, undefined, { origin: "https://evil.example" });
    await assert.rejects(within(evil.opened, "the refused open"), /403/);
    await evil.end();
    bob.ws.send("x".repeat(64 * 1024 + 1));
    const end = await bob.end();
    assert.deepEqual([end.code, end.reason], [1009, "Message too big"]);
    ann.ws.close();
    await ann.end();
  } finally {
    for (const client of clients) {
      client.ws.close();
      await client.end();
    }
    await example.stop();
  }
});

Deno.test("examples: two edge_chat instances (Workers) relay each other's clients through a BroadcastChannel", async () => {
  const workers: Worker[] = [];
  const clients: DenoClient[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < 2; i++) {
      const worker = new Worker(new URL("./_chat_worker.ts", import.meta.url), { type: "module" });
      workers.push(worker);
      const ready = await within(
        new Promise<MessageEvent>((resolve) => (worker.onmessage = resolve)),
        `worker ${i} to serve`,
        START_MS,
      );
      ports.push(ready.data.port);
    }
    assert.notEqual(ports[0], ports[1]);
    const ann = await opened(`ws://127.0.0.1:${ports[0]}/ws`);
    const bob = await opened(`ws://127.0.0.1:${ports[1]}/ws`);
    const cid = await opened(`ws://127.0.0.1:${ports[1]}/ws`);
    clients.push(ann, bob, cid);

    ann.ws.send("ann on instance 0");
    await bob.messageCount(1);
    await cid.messageCount(1);
    assert.deepEqual(bob.messages, ["ann on instance 0"]);
    assert.deepEqual(cid.messages, ["ann on instance 0"]);

    bob.ws.send("bob on instance 1");
    await ann.messageCount(1);
    await cid.messageCount(2);
    assert.deepEqual(ann.messages, ["bob on instance 1"]);
    assert.deepEqual(cid.messages, ["ann on instance 0", "bob on instance 1"]);
    assert.deepEqual(bob.messages, ["ann on instance 0"], "the sender does not hear itself");
    for (const client of clients) {
      client.ws.close();
      await client.end();
    }
    clients.length = 0;
  } finally {
    for (const client of clients) {
      client.ws.close();
      await client.end();
    }
    for (const worker of workers) {
      const stopped = new Promise((resolve) => (worker.onmessage = resolve));
      worker.postMessage("stop");
      await within(stopped, "the worker to stop");
      worker.terminate();
    }
  }
});
