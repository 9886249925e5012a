/**
 * Qt QWebSocket through a real HTTP proxy: Debian's tinyproxy, started on
 * 127.0.0.1 with a generated configuration for each test and stopped by pid.
 * Proof that traffic went through it: tinyproxy's own log of each CONNECT,
 * and the target seeing a connection that is not the client's.
 *
 * Without tinyproxy these tests are skipped with a visible message, except
 * with CI=true, where its absence fails the run (.ci/run installs it).
 */

import assert from "node:assert/strict";
import { QAbstractSocket, QNetworkProxy, type QWebSocket } from "../../mod.ts";
import {
  dispose,
  echo,
  freePort,
  openSocket,
  startTarget,
  startTinyproxy,
  type Target,
  type Tinyproxy,
  tinyproxyAvailable,
  type TinyproxyOptions,
  TLS,
  trustingSocket,
  within,
} from "./_helpers.ts";

const E = QAbstractSocket.SocketError;
const Type = QNetworkProxy.ProxyType;
const AUTH = { user: "alice", password: "s3cret-pw" };

const available = await tinyproxyAvailable();

// Skipped (not hidden) when tinyproxy is missing outside CI; tinyproxyAvailable()
// printed why, and on CI it threw instead.
function proxyTest(name: string, fn: () => Promise<void>): void {
  Deno.test({ name, ignore: !available, fn });
}

async function withProxy(
  options: TinyproxyOptions & { tls?: boolean },
  body: (proxy: Tinyproxy, target: Target) => Promise<void>,
): Promise<void> {
  const target = startTarget(
    options.tls ? { cert: TLS.serverCert, key: TLS.serverKey } : undefined,
  );
  let proxy: Tinyproxy | null = null;
  try {
    proxy = await startTinyproxy(options);
    await body(proxy, target);
  } finally {
    await proxy?.stop();
    await target.close();
  }
}

// Opens, echoes, closes; returns the socket's local port while it was connected.
async function roundTrip(socket: QWebSocket, url: string): Promise<number> {
  const outcome = await openSocket(socket, url);
  assert.deepEqual(outcome, { connected: true }, JSON.stringify(outcome));
  const localPort = socket.localPort();
  assert.ok(localPort > 0, "localPort() is known, TLS inside a tunnel included");
  assert.equal(await echo(socket, `hello ${url}`), `hello ${url}`);
  return localPort;
}

async function assertProxied(
  proxy: Tinyproxy,
  target: Target,
  localPort: number,
  host = "localhost",
) {
  const log = await proxy.waitForLog(`CONNECT ${host}:${target.port}`);
  assert.match(log, new RegExp(`CONNECT ${host.replace(/\./g, "\\.")}:${target.port} HTTP/1\\.1`));
  // A direct connection would arrive from the client's own port.
  assert.ok(target.peers.length >= 1);
  assert.ok(target.peers.every((p) => p.port !== localPort));
}

proxyTest("tinyproxy: ws:// through an HttpProxy", async () => {
  await withProxy({}, async (proxy, target) => {
    const socket = trustingSocket();
    try {
      socket.setProxy(new QNetworkProxy(Type.HttpProxy, "127.0.0.1", proxy.port));
      const localPort = await roundTrip(socket, `ws://localhost:${target.port}/`);
      await assertProxied(proxy, target, localPort);
    } finally {
      await dispose(socket);
    }
  });
});

proxyTest(
  "tinyproxy: wss:// through an HttpProxy, TLS end to end with the target's certificate",
  async () => {
    await withProxy({ tls: true }, async (proxy, target) => {
      const socket = trustingSocket();
      try {
        socket.setProxy(new QNetworkProxy(Type.HttpProxy, "127.0.0.1", proxy.port));
        const localPort = await roundTrip(socket, `wss://localhost:${target.port}/secure`);
        await assertProxied(proxy, target, localPort);
        // tinyproxy only relays: what it logged is the CONNECT, never the encrypted request.
        assert.ok(!proxy.log().includes("GET /secure"));
      } finally {
        await dispose(socket);
      }
    });
  },
);

proxyTest(
  "tinyproxy BasicAuth: credentials on the QNetworkProxy reach ws:// and wss:// without a 407",
  async () => {
    for (const tls of [false, true]) {
      await withProxy({ basicAuth: AUTH, tls }, async (proxy, target) => {
        const socket = trustingSocket();
        let asked = 0;
        socket.addEventListener("proxyAuthenticationRequired", () => asked++);
        try {
          socket.setProxy(
            new QNetworkProxy(Type.HttpProxy, "127.0.0.1", proxy.port, AUTH.user, AUTH.password),
          );
          const scheme = tls ? "wss" : "ws";
          const localPort = await roundTrip(socket, `${scheme}://localhost:${target.port}/`);
          await assertProxied(proxy, target, localPort);
          assert.equal(asked, 0);
        } finally {
          await dispose(socket);
        }
      });
    }
  },
);

proxyTest(
  "tinyproxy BasicAuth: proxyAuthenticationRequired gets tinyproxy's realm; filled in, ws:// and wss:// connect",
  async () => {
    for (const tls of [false, true]) {
      await withProxy({ basicAuth: AUTH, tls }, async (proxy, target) => {
        const socket = trustingSocket();
        const setting = new QNetworkProxy(Type.HttpProxy, "127.0.0.1", proxy.port);
        const realms: string[] = [];
        socket.addEventListener("proxyAuthenticationRequired", (e) => {
          assert.equal(e.proxy, setting);
          realms.push(e.authenticator.realm());
          e.authenticator.setUser(AUTH.user);
          e.authenticator.setPassword(AUTH.password);
        });
        try {
          socket.setProxy(setting);
          const scheme = tls ? "wss" : "ws";
          const localPort = await roundTrip(socket, `${scheme}://localhost:${target.port}/`);
          await assertProxied(proxy, target, localPort);
          assert.deepEqual(realms, ["Tinyproxy"]);
        } finally {
          await dispose(socket);
        }
      });
    }
  },
);

proxyTest(
  "tinyproxy BasicAuth: wrong credentials give error(ProxyAuthenticationRequiredError) after one retry",
  async () => {
    await withProxy({ basicAuth: AUTH }, async (proxy, target) => {
      const socket = trustingSocket();
      const events: string[] = [];
      for (const type of ["proxyAuthenticationRequired", "error", "disconnected"] as const) {
        socket.addEventListener(type, () => events.push(type));
      }
      socket.addEventListener("proxyAuthenticationRequired", (e) => {
        e.authenticator.setUser(AUTH.user);
        e.authenticator.setPassword("also-wrong");
      });
      try {
        socket.setProxy(
          new QNetworkProxy(Type.HttpProxy, "127.0.0.1", proxy.port, AUTH.user, "wrong-pw"),
        );
        const outcome = await openSocket(socket, `ws://localhost:${target.port}/`);
        assert.equal(outcome.connected, false);
        assert.equal(!outcome.connected && outcome.error, E.ProxyAuthenticationRequiredError);
        assert.deepEqual(events, ["proxyAuthenticationRequired", "error", "disconnected"]);
        for (const secret of ["wrong-pw", "also-wrong", AUTH.password]) {
          assert.ok(!socket.errorString().includes(secret), socket.errorString());
        }
        assert.equal(target.peers.length, 0, "the target was never reached");
        // Two CONNECTs: the proxy object's credentials, then the listener's.
        const log = await proxy.waitForLog("CONNECT");
        assert.ok((log.match(/Request \(file descriptor \d+\): CONNECT/g) ?? []).length >= 2, log);
      } finally {
        await dispose(socket);
      }
    });
  },
);

proxyTest(
  "tinyproxy: a CONNECT to a port it does not allow is ProxyConnectionRefusedError with the status",
  async () => {
    await withProxy({ connectPorts: [443] }, async (proxy, target) => {
      const socket = trustingSocket();
      try {
        socket.setProxy(new QNetworkProxy(Type.HttpProxy, "127.0.0.1", proxy.port));
        const outcome = await openSocket(socket, `ws://localhost:${target.port}/`);
        assert.equal(outcome.connected, false);
        assert.equal(!outcome.connected && outcome.error, E.ProxyConnectionRefusedError);
        assert.match(socket.errorString(), /403/);
        assert.equal(target.peers.length, 0);
      } finally {
        await dispose(socket);
      }
    });
  },
);

proxyTest(
  "tinyproxy: a target that refuses behind the proxy is ProxyConnectionRefusedError with the status",
  async () => {
    await withProxy({}, async (proxy) => {
      const socket = trustingSocket();
      try {
        socket.setProxy(new QNetworkProxy(Type.HttpProxy, "127.0.0.1", proxy.port));
        const closedPort = freePort();
        const outcome = await openSocket(socket, `ws://127.0.0.1:${closedPort}/`);
        assert.equal(!outcome.connected && outcome.error, E.ProxyConnectionRefusedError);
        assert.match(socket.errorString(), /\b5\d\d\b/);
      } finally {
        await dispose(socket);
      }
    });
  },
);

proxyTest("tinyproxy: a stopped proxy is ProxyConnectionRefusedError", async () => {
  const proxy = await startTinyproxy();
  const port = proxy.port;
  await proxy.stop();
  const socket = trustingSocket();
  try {
    socket.setProxy(new QNetworkProxy(Type.HttpProxy, "127.0.0.1", port));
    const outcome = await openSocket(socket, "ws://localhost:80/");
    assert.equal(!outcome.connected && outcome.error, E.ProxyConnectionRefusedError);
  } finally {
    await dispose(socket);
  }
});

proxyTest(
  "tinyproxy: credentials in HTTP_PROXY (child process environment) reach an authenticating proxy",
  async () => {
    await withProxy({ basicAuth: AUTH }, async (proxy, target) => {
      const env: Record<string, string> = { NO_COLOR: "1" };
      for (const name of ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME", "TMPDIR"]) {
        const value = Deno.env.get(name);
        if (value !== undefined) env[name] = value;
      }
      env.HTTP_PROXY = `http://${AUTH.user}:${
        encodeURIComponent(AUTH.password)
      }@127.0.0.1:${proxy.port}`;
      const child = new URL("./_open_child.ts", import.meta.url).pathname;
      const output = await within(
        new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "--no-prompt",
            "--allow-net",
            "--allow-env",
            child,
            `ws://localhost:${target.port}/`,
          ],
          env,
          clearEnv: true,
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
        }).output(),
        "the child process",
        60_000,
      );
      const stdout = new TextDecoder().decode(output.stdout).trim();
      assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
      const result = JSON.parse(stdout.split("\n").at(-1)!);
      assert.equal(result.echo, "hello via env", stdout);
      await assertProxied(proxy, target, result.localPort);
    });
  },
);
