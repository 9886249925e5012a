/**
 * Run by tls_test.ts in a subprocess (with `DENO_CERT` naming the test CA):
 * Deno's built-in WebSocket connects to the URL given as the first argument,
 * sends a text and a binary message, and prints the echoes and the close
 * event as JSON lines.
 *
 * @module
 */

const url = Deno.args[0];
if (url === undefined) throw new Error("usage: deno_echo_client.ts wss://host:port");
const ws = new WebSocket(url, ["echo.v1"]);
ws.binaryType = "arraybuffer";
const received: unknown[] = [];
const done = new Promise<void>((resolve, reject) => {
  ws.onopen = () => {
    ws.send("hello over TLS");
    ws.send(new Uint8Array([0, 1, 2, 253, 254, 255]));
  };
  ws.onmessage = (e) => {
    received.push(typeof e.data === "string" ? e.data : [...new Uint8Array(e.data)]);
    if (received.length === 2) ws.close(4000, "done");
  };
  ws.onerror = (e) => reject(new Error(`WebSocket error: ${(e as ErrorEvent).message}`));
  ws.onclose = (e) => {
    console.log(
      JSON.stringify({ protocol: ws.protocol, received, code: e.code, reason: e.reason }),
    );
    resolve();
  };
});
const timer = setTimeout(() => {
  console.log(JSON.stringify({ timeout: true, received }));
  Deno.exit(2);
}, 30_000);
await done;
clearTimeout(timer);
