/**
 * The request target as the server's sockets report it (RFC 6455 §4.2.1
 * item 2, RFC 9112 §3.2: the Request-URI): `resourceName()` is the target's
 * path and query, and `requestUrl()` the URL they make with the Host header,
 * both exactly as the WHATWG URL parser gives them, whether the server takes
 * the target as it is (plain origin-form targets) or parses it.
 */

import assert from "node:assert/strict";
import {
  disconnected,
  listeningServer,
  nextClient,
  rawHandshake,
  upgradeRequest,
} from "./_helpers.ts";

const TARGETS = [
  // Taken as they are.
  "/",
  "/chat",
  "/room/7?user=ann&x=1",
  "/caf%C3%A9/~me?q=a:b@c,d;e=f!$*+()",
  "/a?b?c",
  "/bad%zzescape?and%zz",
  "/a.b/c..d?x=/../",
  // Parsed: dot segments (also percent-encoded), an empty query, a quote in
  // the query (percent-encoded for ws:), a scheme-relative-looking target, an
  // absolute-form target.
  "/a/./b/../c",
  "/a/%2e%2E/b",
  "/.well-known/x",
  "/a?",
  "/a?x='y'",
  "//other.example/path",
  "/a/{b}?c=[d]",
  "ws://chat.example:8080/absolute?x=1",
];

Deno.test("4.2.1 server: resourceName() and requestUrl() are the request target's path and query as the URL parser reads them", async () => {
  await using server = listeningServer();
  for (const target of TARGETS) {
    using client = await rawHandshake(
      server,
      upgradeRequest({ target, host: "chat.example:8080" }),
    );
    const socket = await nextClient(server);
    const expected = new URL(target, "ws://chat.example:8080");
    assert.equal(socket.resourceName(), expected.pathname + expected.search, target);
    assert.equal(socket.requestUrl().href, expected.href, target);
    assert.equal(socket.request().url().toString(), expected.href, target);
    await disconnected(socket, client);
  }
});
