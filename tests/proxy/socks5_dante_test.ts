/**
 * Qt QWebSocket through a real SOCKS5 proxy: Debian's dante (`danted`),
 * started in the foreground on 127.0.0.1 with a configuration generated for
 * each test, and stopped by pid (SIGTERM to dante's main process ends its
 * children too). Proof that traffic went through it: dante's own log of each
 * CONNECT, and the target seeing a connection that is not the client's.
 *
 * Username/password (`socksmethod: username`): dante checks the system's
 * password database (getpwnam/getspnam). The test does not touch the
 * system's users: it runs that dante under nss_wrapper (Debian's
 * libnss-wrapper, LD_PRELOAD), which answers those lookups from passwd,
 * group and shadow files written to the test's temporary folder.
 *
 * Without danted (or libnss-wrapper, for the username tests) the tests are
 * skipped with a visible message, except with CI=true, where their absence
 * fails the run (.ci/run installs both from .ci/debian-packages).
 */

import assert from "node:assert/strict";
import { QAbstractSocket, QNetworkProxy, type QWebSocket } from "../../mod.ts";
import {
  BOUND,
  dispose,
  echo,
  freePort,
  openSocket,
  sleep,
  startTarget,
  type Target,
  TLS,
  trustingSocket,
  within,
} from "./_helpers.ts";

const E = QAbstractSocket.SocketError;
const Type = QNetworkProxy.ProxyType;
const USER = "qtwsuser";
const PASSWORD = "s3cret-pw";
// SHA-512 crypt of PASSWORD (`openssl passwd -6 -salt qtwstest s3cret-pw`),
// for the wrapped shadow file.
const PASSWORD_HASH =
  "$6$qtwstest$U0YzhNK8H1WnR1fe50ptL8U/LMDsXuRNWx8.DIjiI50aO3RulyMBhTrND5Rxc2CpbLOwBkeurVPzW82.PuYX./";

// --- finding and running dante -------------------------------------------------------

async function firstFile(paths: string[]): Promise<string | null> {
  for (const path of paths) {
    try {
      if ((await Deno.stat(path)).isFile) return path;
    } catch {
      // Not there.
    }
  }
  return null;
}

const PATH_DIRS = (Deno.env.get("PATH") ?? "").split(":").filter((d) => d !== "");
const danted = await firstFile(
  [...PATH_DIRS, "/usr/sbin", "/usr/bin", "/usr/local/sbin"].map((d) => `${d}/danted`),
);
const nssWrapper = await firstFile(
  [
    "/usr/lib/x86_64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
    "/usr/lib64",
    "/usr/lib",
  ].map((d) => `${d}/libnss_wrapper.so`),
);

function available(what: string, found: boolean, install: string): boolean {
  if (found) return true;
  if (Deno.env.get("CI") === "true") {
    throw new Error(`${what} is not installed, but CI=true: .ci/run installs ${install}`);
  }
  console.warn(
    `%cSKIPPED: ${what} is not installed (apt-get install -y ${install}); the dante tests did not run`,
    "color: yellow",
  );
  return false;
}

const haveDante = available("danted", danted !== null, "dante-server");
const haveUsername = haveDante &&
  available("libnss_wrapper.so", nssWrapper !== null, "libnss-wrapper");

// Skipped (not hidden) when dante is missing outside CI; available() printed why.
function danteTest(name: string, fn: () => Promise<void>, username = false): void {
  Deno.test({ name, ignore: username ? !haveUsername : !haveDante, fn });
}

interface Dante {
  readonly port: number;
  log(): string;
  /** Waits (bounded) until the log contains `text`, and returns the log. */
  waitForLog(text: string): Promise<string>;
  stop(): Promise<void>;
}

async function startDante(method: "none" | "username"): Promise<Dante> {
  const dir = await Deno.makeTempDir({ prefix: "qtws_dante_" });
  // dante's children run as `nobody` and read the wrapped password files at
  // each authentication: the folder must be open to them.
  await Deno.chmod(dir, 0o755);
  const logPath = `${dir}/danted.log`;
  const env: Record<string, string> = {};
  if (method === "username") {
    await Deno.writeTextFile(
      `${dir}/passwd`,
      "root:x:0:0:root:/root:/bin/sh\n" +
        "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n" +
        `${USER}:x:4242:4242:qtws test:/nonexistent:/usr/sbin/nologin\n`,
    );
    await Deno.writeTextFile(`${dir}/group`, "root:x:0:\nnogroup:x:65534:\nqtws:x:4242:\n");
    await Deno.writeTextFile(
      `${dir}/shadow`,
      `root:*:19000:0:99999:7:::\nnobody:*:19000:0:99999:7:::\n` +
        `${USER}:${PASSWORD_HASH}:19000:0:99999:7:::\n`,
    );
    Object.assign(env, {
      LD_PRELOAD: nssWrapper!,
      NSS_WRAPPER_PASSWD: `${dir}/passwd`,
      NSS_WRAPPER_GROUP: `${dir}/group`,
      NSS_WRAPPER_SHADOW: `${dir}/shadow`,
    });
  }
  const root = Deno.uid() === 0;
  let lastError = "";
  // Between closing a probe listener and dante binding the port another
  // process may take it: try a few ports.
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = freePort();
    const config = [
      `logoutput: ${logPath}`,
      `internal: 127.0.0.1 port = ${port}`,
      "external: 127.0.0.1",
      "clientmethod: none",
      `socksmethod: ${method}`,
      ...(root ? ["user.privileged: root", "user.unprivileged: nobody"] : []),
      "client pass {",
      "  from: 127.0.0.0/8 to: 0.0.0.0/0",
      "  log: error",
      "}",
      "socks pass {",
      "  from: 127.0.0.0/8 to: 0.0.0.0/0",
      "  command: connect",
      "  log: error connect",
      "}",
    ];
    await Deno.writeTextFile(`${dir}/danted.conf`, config.join("\n") + "\n");
    // Without -D dante stays in the foreground: the child is its main process.
    const child = new Deno.Command(danted!, {
      args: ["-f", `${dir}/danted.conf`, "-N", "1", "-p", `${dir}/danted.pid`],
      env,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    let exited = false;
    const status = child.status.then((s) => {
      exited = true;
      return s;
    });
    const stop = async () => {
      if (!exited) {
        try {
          Deno.kill(child.pid, "SIGTERM");
        } catch {
          // Already gone.
        }
      }
      return await within(status, "danted to exit", BOUND);
    };
    if (await waitForPort(port, () => exited)) {
      const read = () => {
        try {
          return Deno.readTextFileSync(logPath);
        } catch {
          return "";
        }
      };
      return {
        port,
        log: read,
        async waitForLog(text) {
          const deadline = Date.now() + BOUND;
          for (;;) {
            const log = read();
            if (log.includes(text) || Date.now() > deadline) return log;
            await sleep(50);
          }
        },
        async stop() {
          await stop();
          await Deno.remove(dir, { recursive: true });
        },
      };
    }
    const s = await stop();
    lastError = `danted exited with code ${s.code} before listening on ${port}: ${
      (() => {
        try {
          return Deno.readTextFileSync(logPath).slice(-2000);
        } catch {
          return "(no log)";
        }
      })()
    }`;
  }
  await Deno.remove(dir, { recursive: true });
  throw new Error(lastError);
}

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

async function withDante(
  options: { method?: "none" | "username"; tls?: boolean },
  body: (dante: Dante, target: Target) => Promise<void>,
): Promise<void> {
  const target = startTarget(
    options.tls ? { cert: TLS.serverCert, key: TLS.serverKey } : undefined,
  );
  let dante: Dante | null = null;
  try {
    dante = await startDante(options.method ?? "none");
    await body(dante, target);
  } finally {
    await dante?.stop();
    await target.close();
  }
}

function socksProxy(port: number, user = "", password = ""): QNetworkProxy {
  return new QNetworkProxy(Type.Socks5Proxy, "127.0.0.1", port, user, password);
}

async function roundTrip(socket: QWebSocket, url: string): Promise<number> {
  const outcome = await openSocket(socket, url);
  assert.deepEqual(outcome, { connected: true }, JSON.stringify(outcome));
  const localPort = socket.localPort();
  assert.ok(localPort > 0);
  assert.equal(await echo(socket, `hello ${url}`), `hello ${url}`);
  return localPort;
}

// dante logs each relayed connection as `tcp/connect [: ... 127.0.0.1.<port>` when it
// opens (and `tcp/connect ]: ...` when it ends).
async function assertProxied(dante: Dante, target: Target, localPort: number): Promise<void> {
  const log = await dante.waitForLog(`127.0.0.1.${target.port}`);
  assert.match(log, new RegExp(`tcp/connect \\[.*127\\.0\\.0\\.1\\.${target.port}\\b`));
  assert.ok(target.peers.length >= 1);
  assert.ok(target.peers.every((p) => p.port !== localPort), "the target saw dante, not us");
}

// --- no authentication -------------------------------------------------------------

danteTest("dante: ws:// through a Socks5Proxy (socksmethod none)", async () => {
  await withDante({}, async (dante, target) => {
    const socket = trustingSocket();
    try {
      socket.setProxy(socksProxy(dante.port));
      const localPort = await roundTrip(socket, `ws://localhost:${target.port}/`);
      await assertProxied(dante, target, localPort);
    } finally {
      await dispose(socket);
    }
  });
});

danteTest(
  "dante: wss:// through a Socks5Proxy, TLS end to end with the target's certificate for the name dante resolved",
  async () => {
    await withDante({ tls: true }, async (dante, target) => {
      const socket = trustingSocket();
      try {
        socket.setProxy(socksProxy(dante.port));
        const localPort = await roundTrip(socket, `wss://localhost:${target.port}/secure`);
        await assertProxied(dante, target, localPort);
      } finally {
        await dispose(socket);
      }
    });
  },
);

danteTest(
  "dante: a target port that refuses is ConnectionRefusedError (REP 0x05), as in Qt",
  async () => {
    await withDante({}, async (dante) => {
      const socket = trustingSocket();
      try {
        socket.setProxy(socksProxy(dante.port));
        const outcome = await openSocket(socket, `ws://localhost:${freePort()}/`);
        assert.equal(!outcome.connected && outcome.error, E.ConnectionRefusedError);
        assert.match(socket.errorString(), /connection refused \(0x05\)/);
      } finally {
        await dispose(socket);
      }
    });
  },
);

danteTest(
  "dante: a name dante cannot resolve is HostNotFoundError (the name is sent to the proxy, never looked up here)",
  async () => {
    await withDante({}, async (dante) => {
      const socket = trustingSocket();
      try {
        socket.setProxy(socksProxy(dante.port));
        const outcome = await openSocket(socket, "ws://no-such-host.invalid/");
        assert.equal(!outcome.connected && outcome.error, E.HostNotFoundError);
        const log = await dante.waitForLog("no-such-host.invalid");
        assert.match(log, /no-such-host\.invalid/, "dante was asked to resolve the name");
      } finally {
        await dispose(socket);
      }
    });
  },
);

danteTest("dante: a stopped proxy is ProxyConnectionRefusedError", async () => {
  const dante = await startDante("none");
  const port = dante.port;
  await dante.stop();
  const socket = trustingSocket();
  try {
    socket.setProxy(socksProxy(port));
    const outcome = await openSocket(socket, "ws://localhost:80/");
    assert.equal(!outcome.connected && outcome.error, E.ProxyConnectionRefusedError);
  } finally {
    await dispose(socket);
  }
});

// --- username/password (RFC 1929) ----------------------------------------------------

danteTest(
  "dante socksmethod username: credentials on the QNetworkProxy reach ws:// and wss:// without proxyAuthenticationRequired",
  async () => {
    for (const tls of [false, true]) {
      await withDante({ method: "username", tls }, async (dante, target) => {
        const socket = trustingSocket();
        let asked = 0;
        socket.addEventListener("proxyAuthenticationRequired", () => asked++);
        try {
          socket.setProxy(socksProxy(dante.port, USER, PASSWORD));
          const scheme = tls ? "wss" : "ws";
          const localPort = await roundTrip(socket, `${scheme}://localhost:${target.port}/`);
          await assertProxied(dante, target, localPort);
          // dante names the user it authenticated for each relayed session.
          assert.match(dante.log(), new RegExp(`tcp/connect \\[: username%${USER}@`));
          assert.equal(asked, 0);
        } finally {
          await dispose(socket);
        }
      });
    }
  },
  true,
);

danteTest(
  "dante socksmethod username: without credentials dante answers 0xFF, proxyAuthenticationRequired is asked, and the listener's credentials connect",
  async () => {
    await withDante({ method: "username" }, async (dante, target) => {
      const socket = trustingSocket();
      const setting = socksProxy(dante.port);
      let asked = 0;
      socket.addEventListener("proxyAuthenticationRequired", (e) => {
        asked++;
        assert.equal(e.proxy, setting);
        e.authenticator.setUser(USER);
        e.authenticator.setPassword(PASSWORD);
      });
      try {
        socket.setProxy(setting);
        const localPort = await roundTrip(socket, `ws://localhost:${target.port}/`);
        await assertProxied(dante, target, localPort);
        assert.equal(asked, 1);
      } finally {
        await dispose(socket);
      }
    });
  },
  true,
);

danteTest(
  "dante socksmethod username: a wrong password, then a wrong one from the listener, is ProxyAuthenticationRequiredError with no secret in errorString()",
  async () => {
    await withDante({ method: "username" }, async (dante, target) => {
      const socket = trustingSocket();
      const events: string[] = [];
      for (const type of ["proxyAuthenticationRequired", "error", "disconnected"] as const) {
        socket.addEventListener(type, () => events.push(type));
      }
      socket.addEventListener("proxyAuthenticationRequired", (e) => {
        e.authenticator.setUser(USER);
        e.authenticator.setPassword("also-wrong");
      });
      try {
        socket.setProxy(socksProxy(dante.port, USER, "wrong-pw"));
        const outcome = await openSocket(socket, `ws://localhost:${target.port}/`);
        assert.equal(!outcome.connected && outcome.error, E.ProxyAuthenticationRequiredError);
        assert.deepEqual(events, ["proxyAuthenticationRequired", "error", "disconnected"]);
        for (const secret of [USER, "wrong-pw", "also-wrong", PASSWORD]) {
          assert.ok(!socket.errorString().includes(secret), socket.errorString());
        }
        assert.equal(target.peers.length, 0, "the target was never reached");
      } finally {
        await dispose(socket);
      }
    });
  },
  true,
);

// --- the environment (DefaultProxy) ------------------------------------------------

const CHILD = new URL("./_open_child.ts", import.meta.url).pathname;
const CA_PATH = new URL("../fixtures/tls/ca.crt", import.meta.url).pathname;

async function runChild(
  url: string,
  vars: Record<string, string>,
  ca = false,
): Promise<Record<string, unknown>> {
  const env: Record<string, string> = { NO_COLOR: "1" };
  for (const name of ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME", "TMPDIR"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  Object.assign(env, vars);
  const args = ["run", "--no-prompt", "--allow-net", "--allow-env"];
  if (ca) args.push(`--allow-read=${CA_PATH}`);
  args.push(CHILD, url);
  if (ca) args.push(CA_PATH);
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
    60_000,
  );
  const stdout = new TextDecoder().decode(output.stdout).trim();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  return JSON.parse(stdout.split("\n").at(-1)!);
}

danteTest(
  "curl env: ALL_PROXY=socks5h://user:password@host:port reaches an authenticating dante for ws://",
  async () => {
    await withDante({ method: "username" }, async (dante, target) => {
      const result = await runChild(`ws://localhost:${target.port}/`, {
        ALL_PROXY: `socks5h://${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${dante.port}`,
      });
      assert.equal(result.echo, "hello via env", JSON.stringify(result));
      await assertProxied(dante, target, result.localPort as number);
    });
  },
  true,
);

danteTest(
  "curl env: HTTPS_PROXY=socks5://host:port carries wss://; NO_PROXY exempts the target",
  async () => {
    await withDante({ tls: true }, async (dante, target) => {
      const url = `wss://localhost:${target.port}/`;
      const proxied = await runChild(
        url,
        { HTTPS_PROXY: `socks5://127.0.0.1:${dante.port}` },
        true,
      );
      assert.equal(proxied.echo, "hello via env", JSON.stringify(proxied));
      await assertProxied(dante, target, proxied.localPort as number);

      const direct = await runChild(url, {
        HTTPS_PROXY: `socks5://127.0.0.1:${dante.port}`,
        NO_PROXY: "localhost",
      }, true);
      assert.equal(direct.echo, "hello via env", JSON.stringify(direct));
      assert.equal(target.peers.length, 2);
      assert.equal(
        target.peers[1].port,
        direct.localPort,
        "the exempt connection came straight from the client",
      );
      const connects = dante.log().match(/tcp\/connect \[/g) ?? [];
      assert.equal(connects.length, 1, "dante relayed only the first connection");
    });
  },
);
