/**
 * The proxy environment variables as curl reads them (HTTPS_PROXY,
 * HTTP_PROXY, ALL_PROXY, NO_PROXY), and how a socket's QNetworkProxy
 * resolves to them. The variables are given to the functions here; the
 * child-process tests in default_proxy_env_test.ts use the real environment.
 */

import assert from "node:assert/strict";
import { QAbstractSocket, QNetworkProxy } from "../../mod.ts";
import {
  environmentProxyFor,
  matchesNoProxy,
  parseAddress,
  parseProxyUrl,
} from "../../lib/transport/proxy_environment.ts";
import { proxyRoute } from "../../lib/proxy_selection.ts";

const Type = QNetworkProxy.ProxyType;

function env(vars: Record<string, string>): (name: string) => string | undefined {
  return (name) => vars[name];
}

const WSS = { secure: true, hostname: "echo.example", port: 443 };
const WS = { secure: false, hostname: "echo.example", port: 80 };

Deno.test("curl: wss targets use https_proxy, then HTTPS_PROXY, then all_proxy, then ALL_PROXY", () => {
  const order = ["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"];
  for (let i = 0; i < order.length; i++) {
    const vars: Record<string, string> = { http_proxy: "http://wrong:1", HTTP_PROXY: "wrong:2" };
    order.slice(i).forEach((name, k) => vars[name] = `http://p${i + k}.example:${3000 + i + k}`);
    const choice = environmentProxyFor(WSS, env(vars));
    assert.equal(choice.kind, "http");
    assert.equal(choice.kind === "http" && choice.variable, order[i]);
    assert.equal(choice.kind === "http" && choice.proxy.port, 3000 + i);
  }
});

Deno.test("curl: ws targets use http_proxy, then HTTP_PROXY, then all_proxy, then ALL_PROXY", () => {
  const order = ["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"];
  for (let i = 0; i < order.length; i++) {
    const vars: Record<string, string> = { https_proxy: "http://wrong:1" };
    order.slice(i).forEach((name, k) => vars[name] = `p${i + k}.example:${4000 + i + k}`);
    const choice = environmentProxyFor(WS, env(vars));
    assert.equal(choice.kind === "http" && choice.variable, order[i]);
    assert.equal(choice.kind === "http" && choice.proxy.hostname, `p${i}.example`);
  }
});

Deno.test("curl: empty or unset variables mean a direct connection", () => {
  assert.deepEqual(environmentProxyFor(WSS, env({})), { kind: "direct" });
  assert.deepEqual(environmentProxyFor(WSS, env({ HTTPS_PROXY: "  " })), { kind: "direct" });
  assert.deepEqual(environmentProxyFor(WSS, env({ HTTP_PROXY: "http://p:1" })), {
    kind: "direct",
  });
});

Deno.test("curl: proxy URLs with and without a scheme, credentials percent-decoded, default port 1080", () => {
  assert.deepEqual(parseProxyUrl("http://al%40ce:p%3Ass@proxy.example:3128/"), {
    scheme: "http",
    hostname: "proxy.example",
    port: 3128,
    user: "al@ce",
    password: "p:ss",
  });
  assert.deepEqual(parseProxyUrl("proxy.example:8080"), {
    scheme: "http",
    hostname: "proxy.example",
    port: 8080,
    user: "",
    password: "",
  });
  assert.equal((parseProxyUrl("http://proxy.example") as { port: number }).port, 1080);
  assert.equal((parseProxyUrl("http://proxy.example:80") as { port: number }).port, 80);
  assert.equal((parseProxyUrl("[::1]:3128") as { hostname: string }).hostname, "::1");
  assert.equal(
    (parseProxyUrl("HTTP://Proxy.Example:1") as { hostname: string }).hostname,
    "proxy.example",
  );
});

Deno.test("curl: socks4 and https proxies are reported as unsupported, without repeating the value", () => {
  for (
    const value of [
      "socks4://u:secret@h:1080",
      "socks4a://h",
      "https://u:secret@h:443",
      "ftp://h:21",
    ]
  ) {
    const reason = parseProxyUrl(value);
    assert.equal(typeof reason, "string", value);
    assert.ok(!(reason as string).includes("secret"));
  }
  assert.equal(typeof parseProxyUrl("http://"), "string");
  assert.equal(typeof parseProxyUrl("http://h:99999"), "string");
  const choice = environmentProxyFor(WSS, env({ HTTPS_PROXY: "socks4://u:secret@h:1080" }));
  assert.equal(choice.kind, "unsupported");
  assert.equal(choice.kind === "unsupported" && choice.variable, "HTTPS_PROXY");
});

Deno.test("NO_PROXY: host names match themselves and their subdomains, any case, leading dot or *. ignored", () => {
  assert.ok(matchesNoProxy("example.com", "example.com", 443));
  assert.ok(matchesNoProxy("example.com", "ws.EXAMPLE.com", 443));
  assert.ok(matchesNoProxy(".example.com", "example.com", 443));
  assert.ok(matchesNoProxy(".example.com", "a.b.example.com", 443));
  assert.ok(matchesNoProxy("*.example.com", "a.example.com", 443));
  assert.ok(matchesNoProxy("example.com.", "example.com", 443));
  assert.ok(matchesNoProxy("example.com", "example.com.", 443));
  assert.ok(!matchesNoProxy("example.com", "notexample.com", 443));
  assert.ok(!matchesNoProxy("ws.example.com", "example.com", 443));
});

Deno.test("NO_PROXY: a comma and/or whitespace separated list; * alone exempts every host", () => {
  assert.ok(matchesNoProxy("a.test, b.test ,c.test", "c.test", 80));
  assert.ok(matchesNoProxy("a.test b.test", "b.test", 80));
  assert.ok(!matchesNoProxy("a.test,,b.test", "c.test", 80));
  assert.ok(matchesNoProxy("*", "anything.example", 80));
  assert.ok(matchesNoProxy("a.test,*", "192.0.2.1", 80));
  assert.ok(!matchesNoProxy("", "a.test", 80));
});

Deno.test("NO_PROXY: an entry with a port matches only that port", () => {
  assert.ok(matchesNoProxy("example.com:8080", "example.com", 8080));
  assert.ok(!matchesNoProxy("example.com:8080", "example.com", 443));
  assert.ok(matchesNoProxy("127.0.0.1:9000", "127.0.0.1", 9000));
  assert.ok(!matchesNoProxy("127.0.0.1:9000", "127.0.0.1", 9001));
  assert.ok(matchesNoProxy("[::1]:9000", "[::1]", 9000));
  assert.ok(!matchesNoProxy("[::1]:9000", "::1", 80));
});

Deno.test("NO_PROXY: IP addresses match in any spelling, never as name suffixes", () => {
  assert.ok(matchesNoProxy("127.0.0.1", "127.0.0.1", 80));
  assert.ok(matchesNoProxy("::1", "[::1]", 80));
  assert.ok(matchesNoProxy("[::1]", "::1", 80));
  assert.ok(matchesNoProxy("0:0:0:0:0:0:0:1", "[::1]", 80));
  assert.ok(matchesNoProxy("::ffff:127.0.0.1", "::ffff:7f00:1", 80));
  assert.ok(!matchesNoProxy("0.0.1", "127.0.0.1", 80), "not a suffix match on addresses");
  assert.ok(!matchesNoProxy("127.0.0.1", "localhost", 80), "names are not resolved");
});

Deno.test("NO_PROXY: CIDR blocks for IPv4 and IPv6", () => {
  assert.ok(matchesNoProxy("127.0.0.0/8", "127.1.2.3", 80));
  assert.ok(!matchesNoProxy("127.0.0.0/8", "128.0.0.1", 80));
  assert.ok(matchesNoProxy("192.168.1.0/23", "192.168.0.200", 80));
  assert.ok(!matchesNoProxy("192.168.1.0/24", "192.168.0.200", 80));
  assert.ok(matchesNoProxy("0.0.0.0/0", "203.0.113.9", 80));
  assert.ok(matchesNoProxy("fd00::/8", "[fd12:3456::1]", 80));
  assert.ok(!matchesNoProxy("fd00::/8", "[fe80::1]", 80));
  assert.ok(matchesNoProxy("::1/128", "[::1]", 80));
  assert.ok(!matchesNoProxy("127.0.0.0/8", "[::1]", 80), "families do not mix");
  assert.ok(
    !matchesNoProxy("127.0.0.0/33", "127.0.0.1", 80),
    "an impossible prefix matches nothing",
  );
  assert.ok(!matchesNoProxy("10.0.0.0/8", "ten.example", 80));
});

Deno.test("NO_PROXY: no_proxy wins over NO_PROXY, and either exempts a target from the proxy", () => {
  const vars = { HTTPS_PROXY: "http://p:1", no_proxy: "echo.example", NO_PROXY: "other.example" };
  assert.deepEqual(environmentProxyFor(WSS, env(vars)), { kind: "direct" });
  const upper = { HTTPS_PROXY: "http://p:1", NO_PROXY: ".example" };
  assert.deepEqual(environmentProxyFor(WSS, env(upper)), { kind: "direct" });
  const miss = { HTTPS_PROXY: "http://p:1", NO_PROXY: "other.example" };
  assert.equal(environmentProxyFor(WSS, env(miss)).kind, "http");
});

Deno.test("IP address parsing: strict IPv4, IPv6 with :: and an IPv4 tail", () => {
  assert.deepEqual([...parseAddress("10.1.2.3")!], [10, 1, 2, 3]);
  assert.equal(parseAddress("256.1.1.1"), null);
  assert.equal(parseAddress("1.2.3"), null);
  assert.equal(parseAddress("example.com"), null);
  assert.deepEqual([...parseAddress("::1")!], [...new Array(15).fill(0), 1]);
  assert.deepEqual([...parseAddress("::")!], new Array(16).fill(0));
  assert.equal(parseAddress("1::2::3"), null);
  assert.equal(parseAddress("1:2:3:4:5:6:7"), null);
  assert.equal(parseAddress("1:2:3:4:5:6:7:8:9"), null);
  assert.deepEqual([...parseAddress("::ffff:1.2.3.4")!].slice(10), [0xff, 0xff, 1, 2, 3, 4]);
});

Deno.test("Qt QNetworkProxy::DefaultProxy: socket -> application proxy -> environment", () => {
  const url = new URL("wss://echo.example/chat");
  const vars = env({ HTTPS_PROXY: "http://bob:pw@envproxy.example:3128" });
  const before = QNetworkProxy.applicationProxy();
  try {
    const socketDefault = new QNetworkProxy(Type.DefaultProxy);
    // The initial application proxy is DefaultProxy: the environment decides.
    const fromEnv = proxyRoute(socketDefault, url, vars);
    assert.equal(fromEnv.kind, "http");
    const proxy = fromEnv.kind === "http" ? fromEnv.proxy : null;
    assert.equal(proxy?.hostName(), "envproxy.example");
    assert.equal(proxy?.port(), 3128);
    assert.equal(proxy?.user(), "bob");
    assert.equal(proxy?.password(), "pw");

    const app = new QNetworkProxy(Type.HttpProxy, "app.example", 8080);
    QNetworkProxy.setApplicationProxy(app);
    const fromApp = proxyRoute(socketDefault, url, vars);
    assert.equal(fromApp.kind === "http" && fromApp.proxy, app);

    QNetworkProxy.setApplicationProxy(new QNetworkProxy(Type.NoProxy));
    assert.deepEqual(proxyRoute(socketDefault, url, vars), { kind: "direct" });

    const own = new QNetworkProxy(Type.HttpProxy, "own.example", 1);
    assert.equal((proxyRoute(own, url, vars) as { proxy: QNetworkProxy }).proxy, own);
    assert.deepEqual(proxyRoute(new QNetworkProxy(Type.NoProxy), url, vars), { kind: "direct" });
  } finally {
    QNetworkProxy.setApplicationProxy(before);
  }
});

Deno.test("Qt QNetworkProxy::DefaultProxy: an unusable environment proxy is UnsupportedSocketOperationError naming the variable", () => {
  const route = proxyRoute(
    new QNetworkProxy(),
    new URL("ws://echo.example/"),
    env({ ALL_PROXY: "socks4://u:secret@h:1080" }),
  );
  assert.equal(route.kind, "unusable");
  if (route.kind !== "unusable") return;
  assert.equal(route.socketError, QAbstractSocket.SocketError.UnsupportedSocketOperationError);
  assert.match(route.message, /ALL_PROXY/);
  assert.ok(!route.message.includes("secret"));
});
