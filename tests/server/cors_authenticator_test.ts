/**
 * Qt's `QWebSocketCorsAuthenticator`: `origin()`, `allowed()` (true until
 * told otherwise), `setAllowed()`, `swap()` and the copy constructor.
 */

import assert from "node:assert/strict";
import { QWebSocketCorsAuthenticator } from "../../mod.ts";

Deno.test("QWebSocketCorsAuthenticator: an origin is allowed until setAllowed(false)", () => {
  const authenticator = new QWebSocketCorsAuthenticator("https://app.example");
  assert.equal(authenticator.origin(), "https://app.example");
  assert.equal(authenticator.allowed(), true);
  authenticator.setAllowed(false);
  assert.equal(authenticator.allowed(), false);
  authenticator.setAllowed(true);
  assert.equal(authenticator.allowed(), true);
  assert.equal(new QWebSocketCorsAuthenticator("").origin(), "");
});

Deno.test("QWebSocketCorsAuthenticator: the copy constructor copies origin and decision; swap exchanges them", () => {
  const first = new QWebSocketCorsAuthenticator("https://a.example");
  first.setAllowed(false);
  const copy = new QWebSocketCorsAuthenticator(first);
  assert.equal(copy.origin(), "https://a.example");
  assert.equal(copy.allowed(), false);
  copy.setAllowed(true);
  assert.equal(first.allowed(), false, "a copy is independent");

  const second = new QWebSocketCorsAuthenticator("https://b.example");
  first.swap(second);
  assert.equal(first.origin(), "https://b.example");
  assert.equal(first.allowed(), true);
  assert.equal(second.origin(), "https://a.example");
  assert.equal(second.allowed(), false);
});

Deno.test("QWebSocketCorsAuthenticator: anything but a string or an authenticator is a programming error", () => {
  assert.throws(
    () => new QWebSocketCorsAuthenticator(42 as unknown as string),
    /pass the origin as a string/,
  );
});
