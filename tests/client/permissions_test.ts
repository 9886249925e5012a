/**
 * A client run without `--allow-net` reports Qt's SocketAccessError with an
 * errorString() that names the flag to add, instead of throwing.
 */

import assert from "node:assert/strict";
import { QAbstractSocket } from "../../mod.ts";
import { within } from "./_helpers.ts";

Deno.test("Qt QWebSocket::error: no --allow-net gives SocketAccessError naming the missing flag", async () => {
  const mod = new URL("../../mod.ts", import.meta.url).href;
  const script = `
    import { QWebSocket } from ${JSON.stringify(mod)};
    const socket = new QWebSocket();
    socket.addEventListener("disconnected", () =>
      console.log(JSON.stringify([socket.error(), socket.errorString()])));
    socket.open("ws://127.0.0.1:9/");
  `;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--no-config", "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(script));
  await writer.close();
  const { code, stdout, stderr } = await within(child.output(), "the restricted deno run");
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  const [error, message] = JSON.parse(new TextDecoder().decode(stdout));
  assert.equal(error, QAbstractSocket.SocketError.SocketAccessError);
  assert.match(message, /--allow-net=127\.0\.0\.1:9/);
});
