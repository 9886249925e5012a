/**
 * Qt QNetworkProxy::DefaultProxy with the proxy environment variables, end to
 * end: each case runs a child Deno process (tests/proxy/_open_child.ts) with
 * its own environment, so the test process's environment is never changed,
 * and a counting CONNECT proxy shows whether the connection went through it.
 */

import assert from "node:assert/strict";
import { QAbstractSocket } from "../../mod.ts";
import {
  type FakeProxy,
  startFakeProxy,
  startTarget,
  type Target,
  TLS,
  within,
} from "./_helpers.ts";

const CHILD = new URL("./_open_child.ts", import.meta.url).pathname;
const CA_PATH = new URL("../fixtures/tls/ca.crt", import.meta.url).pathname;
// Starting a Deno process on a loaded machine can take a while.
const CHILD_BOUND = 60_000;

interface ChildResult {
  echo?: string;
  localPort?: number;
  error?: number;
  errorString?: string;
}

// Runs the child with only the variables it needs plus `vars`.
async function runChild(
  url: string,
  vars: Record<string, string>,
  options: { allowEnv?: boolean; ca?: boolean } = {},
): Promise<ChildResult> {
  const env: Record<string, string> = {};
  for (const name of ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME", "TMPDIR"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  Object.assign(env, vars, { NO_COLOR: "1" });
  const args = ["run", "--no-prompt", "--allow-net"];
  if (options.allowEnv !== false) args.push("--allow-env");
  if (options.ca) args.push(`--allow-read=${CA_PATH}`);
  args.push(CHILD, url);
  if (options.ca) args.push(CA_PATH);
  const output = await within(
    new Deno.Command(Deno.execPath(), {
      args,
      env,
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output(),
    "the child process",
    CHILD_BOUND,
  );
  const stdout = new TextDecoder().decode(output.stdout).trim();
  const stderr = new TextDecoder().decode(output.stderr).trim();
  assert.equal(output.code, 0, `the child failed:\n${stdout}\n${stderr}`);
  return JSON.parse(stdout.split("\n").at(-1)!);
}

async function withPeers(
  tls: boolean,
  body: (target: Target, proxy: FakeProxy) => Promise<void>,
): Promise<void> {
  const target = startTarget(tls ? { cert: TLS.serverCert, key: TLS.serverKey } : undefined);
  const proxy = startFakeProxy();
  try {
    await body(target, proxy);
  } finally {
    await proxy.close();
    await target.close();
  }
}

Deno.test("curl env: HTTP_PROXY carries ws:// through the proxy", async () => {
  await withPeers(false, async (target, proxy) => {
    const result = await runChild(`ws://localhost:${target.port}/`, {
      HTTP_PROXY: `http://127.0.0.1:${proxy.port}`,
      HTTPS_PROXY: "http://127.0.0.1:1",
    });
    assert.equal(result.echo, "hello via env");
    assert.deepEqual(proxy.requests.map((r) => r.line), [
      `CONNECT localhost:${target.port} HTTP/1.1`,
    ]);
    assert.notEqual(target.peers[0].port, result.localPort);
  });
});

Deno.test("curl env: lower-case https_proxy carries wss:// through the proxy, TLS verified end to end", async () => {
  await withPeers(true, async (target, proxy) => {
    const result = await runChild(`wss://localhost:${target.port}/`, {
      https_proxy: `127.0.0.1:${proxy.port}`,
      HTTP_PROXY: "http://127.0.0.1:1",
    }, { ca: true });
    assert.equal(result.echo, "hello via env", JSON.stringify(result));
    assert.equal(proxy.requests.length, 1);
    assert.equal(proxy.requests[0].line, `CONNECT localhost:${target.port} HTTP/1.1`);
  });
});

Deno.test("curl env: ALL_PROXY is the fallback when the scheme's variable is unset", async () => {
  await withPeers(false, async (target, proxy) => {
    const result = await runChild(`ws://localhost:${target.port}/`, {
      ALL_PROXY: `http://127.0.0.1:${proxy.port}`,
    });
    assert.equal(result.echo, "hello via env");
    assert.equal(proxy.requests.length, 1);
  });
});

Deno.test("curl env: NO_PROXY host names and CIDR blocks bypass the proxy", async () => {
  await withPeers(false, async (target, proxy) => {
    const byName = await runChild(`ws://localhost:${target.port}/`, {
      HTTP_PROXY: `http://127.0.0.1:${proxy.port}`,
      NO_PROXY: "other.example, localhost",
    });
    assert.equal(byName.echo, "hello via env");
    const byCidr = await runChild(`ws://127.0.0.1:${target.port}/`, {
      http_proxy: `http://127.0.0.1:${proxy.port}`,
      no_proxy: "10.0.0.0/8,127.0.0.0/8",
    });
    assert.equal(byCidr.echo, "hello via env");
    assert.equal(proxy.requests.length, 0, "neither went through the proxy");
    // Direct connections: the target saw the children's own ports.
    assert.deepEqual(target.peers.map((p) => p.port), [byName.localPort, byCidr.localPort]);

    const notExempt = await runChild(`ws://localhost:${target.port}/`, {
      HTTP_PROXY: `http://127.0.0.1:${proxy.port}`,
      NO_PROXY: "other.example,localhost:1",
    });
    assert.equal(notExempt.echo, "hello via env");
    assert.equal(proxy.requests.length, 1, "a non-matching NO_PROXY leaves the proxy in use");
  });
});

Deno.test("curl env: without --allow-env the variables count as unset (no prompt, no error)", async () => {
  await withPeers(false, async (target, proxy) => {
    const result = await runChild(`ws://localhost:${target.port}/`, {
      HTTP_PROXY: `http://127.0.0.1:${proxy.port}`,
      ALL_PROXY: `http://127.0.0.1:${proxy.port}`,
    }, { allowEnv: false });
    assert.equal(result.echo, "hello via env", JSON.stringify(result));
    assert.equal(proxy.requests.length, 0);
  });
});

Deno.test("curl env: a SOCKS4 proxy in the environment fails with UnsupportedSocketOperationError, secret unprinted", async () => {
  const result = await runChild("ws://localhost:9/", {
    ALL_PROXY: "socks4://alice:top-secret@127.0.0.1:1080",
  });
  assert.equal(result.error, QAbstractSocket.SocketError.UnsupportedSocketOperationError);
  assert.match(result.errorString ?? "", /ALL_PROXY/);
  assert.ok(!(result.errorString ?? "").includes("top-secret"));
});
