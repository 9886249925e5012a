/**
 * The SOCKS5 bytes (RFC 1928, RFC 1929) as byte vectors, and how socks5://
 * and socks5h:// proxy URLs in the environment resolve to a Socks5Proxy.
 */

import assert from "node:assert/strict";
import { QAbstractSocket, QNetworkProxy } from "../../mod.ts";
import {
  boundAddressLength,
  CredentialsTooLongError,
  decodeMethodSelection,
  decodeReplyHead,
  decodeUsernameReply,
  encodeConnectRequest,
  encodeGreeting,
  encodeUsernameRequest,
  replyText,
  Socks5ProtocolError,
  targetAddress,
} from "../../lib/transport/socks5_messages.ts";
import { replyError } from "../../lib/transport/socks5_tunnel.ts";
import { environmentProxyFor, parseProxyUrl } from "../../lib/transport/proxy_environment.ts";
import { proxyRoute } from "../../lib/proxy_selection.ts";

const E = QAbstractSocket.SocketError;
const Type = QNetworkProxy.ProxyType;

Deno.test("RFC 1928 §3: the greeting offers 0x00 alone, or 0x00 and 0x02 when credentials are known", () => {
  assert.deepEqual([...encodeGreeting(false)], [5, 1, 0]);
  assert.deepEqual([...encodeGreeting(true)], [5, 2, 0, 2]);
});

Deno.test("RFC 1928 §3: a method selection whose version is not 5 is a protocol error", () => {
  assert.equal(decodeMethodSelection(Uint8Array.of(5, 2)), 2);
  assert.equal(decodeMethodSelection(Uint8Array.of(5, 0xff)), 0xff);
  assert.throws(() => decodeMethodSelection(Uint8Array.of(0x48, 0x54)), Socks5ProtocolError);
  assert.throws(() => decodeMethodSelection(Uint8Array.of(4, 0)), /version 4, not 5/);
});

Deno.test("RFC 1929 §2: VER 1, ULEN, UNAME, PLEN, PASSWD in UTF-8; over 255 bytes is refused without naming the value", () => {
  assert.deepEqual(
    [...encodeUsernameRequest("al", "pé")],
    [1, 2, 0x61, 0x6c, 3, 0x70, 0xc3, 0xa9],
  );
  assert.deepEqual([...encodeUsernameRequest("", "")], [1, 0, 0]);
  const long = "x".repeat(256);
  assert.throws(() => encodeUsernameRequest(long, "p"), CredentialsTooLongError);
  assert.throws(
    () => encodeUsernameRequest("u", long),
    (e: Error) => /password/.test(e.message) && !e.message.includes(long),
  );
  assert.doesNotThrow(() => encodeUsernameRequest("x".repeat(255), "y".repeat(255)));
});

Deno.test("RFC 1929 §2: status 0 passes, any other fails; a version byte other than 1 (or 5) is a protocol error", () => {
  assert.equal(decodeUsernameReply(Uint8Array.of(1, 0)), true);
  assert.equal(decodeUsernameReply(Uint8Array.of(1, 1)), false);
  assert.equal(decodeUsernameReply(Uint8Array.of(1, 0xff)), false);
  assert.equal(decodeUsernameReply(Uint8Array.of(5, 0)), true);
  assert.throws(() => decodeUsernameReply(Uint8Array.of(2, 0)), Socks5ProtocolError);
});

Deno.test("RFC 1928 §4/§5: CONNECT names a host as ATYP 3, IPv4 as ATYP 1, IPv6 as ATYP 4, port in network order", () => {
  const name = targetAddress("echo.example")!;
  assert.deepEqual(
    [...encodeConnectRequest(name, 443)],
    [5, 1, 0, 3, 12, ...new TextEncoder().encode("echo.example"), 0x01, 0xbb],
  );
  const v4 = targetAddress("192.0.2.7")!;
  assert.deepEqual([...encodeConnectRequest(v4, 8080)], [5, 1, 0, 1, 192, 0, 2, 7, 0x1f, 0x90]);
  const v6 = targetAddress("2001:db8::1")!;
  assert.deepEqual(
    [...encodeConnectRequest(v6, 80)],
    [5, 1, 0, 4, 0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 1, 0, 80],
  );
  assert.deepEqual([...encodeConnectRequest(targetAddress("::ffff:127.0.0.1")!, 1)].slice(3, 4), [
    4,
  ]);
});

Deno.test("RFC 1928 §5: a name that cannot be sent (empty, over 255 bytes, spaces or controls) has no address", () => {
  assert.equal(targetAddress(""), null);
  assert.equal(targetAddress("a".repeat(256)), null);
  assert.notEqual(targetAddress("a".repeat(255)), null);
  assert.equal(targetAddress("bad host"), null);
  assert.equal(targetAddress("bad\nhost"), null);
});

Deno.test("RFC 1928 §6: the reply head's version and reserved byte are checked, and the bound address length follows ATYP", () => {
  assert.deepEqual(decodeReplyHead(Uint8Array.of(5, 0, 0, 1)), { reply: 0, addressType: 1 });
  assert.deepEqual(decodeReplyHead(Uint8Array.of(5, 5, 0, 1)), { reply: 5, addressType: 1 });
  assert.throws(() => decodeReplyHead(Uint8Array.of(0, 0x5a, 0, 0)), Socks5ProtocolError);
  assert.throws(() => decodeReplyHead(Uint8Array.of(5, 0, 1, 1)), /reserved/);
  assert.equal(boundAddressLength(1), 6);
  assert.equal(boundAddressLength(4), 18);
  assert.equal(boundAddressLength(3), "name");
  assert.throws(() => boundAddressLength(2), Socks5ProtocolError);
});

Deno.test("Qt QSocks5SocketEngine: reply codes map to Qt's errors, 0x01/0x02 to HostNotFoundError only for names", () => {
  assert.equal(replyError(0x01, false), E.NetworkError);
  assert.equal(replyError(0x01, true), E.HostNotFoundError);
  assert.equal(replyError(0x02, false), E.SocketAccessError);
  assert.equal(replyError(0x02, true), E.HostNotFoundError);
  assert.equal(replyError(0x03, true), E.NetworkError);
  assert.equal(replyError(0x04, false), E.HostNotFoundError);
  assert.equal(replyError(0x05, false), E.ConnectionRefusedError);
  assert.equal(replyError(0x06, false), E.NetworkError);
  assert.equal(replyError(0x07, false), E.UnsupportedSocketOperationError);
  assert.equal(replyError(0x08, true), E.UnsupportedSocketOperationError);
  assert.equal(replyError(0x42, true), E.UnknownSocketError);
  assert.equal(replyText(0x05), "connection refused (0x05)");
  assert.equal(replyText(0x42), "unassigned reply code 0x42");
});

// --- the environment ---------------------------------------------------------------

function env(vars: Record<string, string>): (name: string) => string | undefined {
  return (name) => vars[name];
}

Deno.test("curl: socks5:// and socks5h:// proxy URLs parse with credentials percent-decoded and curl's default port 1080", () => {
  assert.deepEqual(parseProxyUrl("socks5h://al%40ce:p%3Ass@socks.example:9050"), {
    scheme: "socks5h",
    hostname: "socks.example",
    port: 9050,
    user: "al@ce",
    password: "p:ss",
  });
  assert.deepEqual(parseProxyUrl("SOCKS5://[::1]"), {
    scheme: "socks5",
    hostname: "::1",
    port: 1080,
    user: "",
    password: "",
  });
  assert.equal((parseProxyUrl("socks5://h:80") as { port: number }).port, 80);
  assert.equal(typeof parseProxyUrl("socks5://"), "string");
  assert.equal(typeof parseProxyUrl("socks5://h:70000"), "string");
});

Deno.test("curl: ALL_PROXY=socks5h:// resolves to a Socks5Proxy for ws and wss, NO_PROXY still exempts", () => {
  const vars = env({ ALL_PROXY: "socks5h://u:secret@socks.example:1081", NO_PROXY: "internal" });
  const choice = environmentProxyFor({ secure: true, hostname: "echo.example", port: 443 }, vars);
  assert.equal(choice.kind, "socks5");
  assert.equal(choice.kind === "socks5" && choice.variable, "ALL_PROXY");
  const route = proxyRoute(new QNetworkProxy(), new URL("ws://echo.example/"), vars);
  assert.equal(route.kind, "socks5");
  if (route.kind !== "socks5") return;
  assert.equal(route.proxy.type(), Type.Socks5Proxy);
  assert.equal(route.proxy.hostName(), "socks.example");
  assert.equal(route.proxy.port(), 1081);
  assert.equal(route.proxy.user(), "u");
  assert.equal(route.proxy.password(), "secret");
  assert.deepEqual(proxyRoute(new QNetworkProxy(), new URL("ws://db.internal/"), vars), {
    kind: "direct",
  });
});

Deno.test("curl: socks4:// and socks4a:// stay unsupported, naming the variable and never its value", () => {
  for (const value of ["socks4://u:secret@h:1080", "socks4a://u:secret@h"]) {
    const route = proxyRoute(
      new QNetworkProxy(),
      new URL("wss://e.example/"),
      env({ HTTPS_PROXY: value }),
    );
    assert.equal(route.kind, "unusable");
    if (route.kind !== "unusable") continue;
    assert.equal(route.socketError, E.UnsupportedSocketOperationError);
    assert.match(route.message, /HTTPS_PROXY.*SOCKS4/);
    assert.ok(!route.message.includes("secret"));
  }
});

Deno.test("Qt QNetworkProxy: a Socks5Proxy resolves to itself; without a host name or port it is ProxyNotFoundError", () => {
  const url = new URL("ws://echo.example/");
  const proxy = new QNetworkProxy(Type.Socks5Proxy, "socks.example", 1080);
  assert.deepEqual(proxyRoute(proxy, url, env({})), { kind: "socks5", proxy });
  for (
    const bad of [
      new QNetworkProxy(Type.Socks5Proxy, "", 1080),
      new QNetworkProxy(Type.Socks5Proxy, "socks.example", 0),
    ]
  ) {
    const route = proxyRoute(bad, url, env({}));
    assert.equal(route.kind === "unusable" && route.socketError, E.ProxyNotFoundError);
    assert.match(route.kind === "unusable" ? route.message : "", /Socks5Proxy has no/);
  }
});
