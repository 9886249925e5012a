/**
 * The built-in echo server of the load benchmark: `Deno.serve` and
 * `Deno.upgradeWebSocket`, echoing in `onmessage`.
 *
 *   deno run --allow-net=127.0.0.1 bench/load/server_deno.ts
 *
 * @module
 */

import { serveControl } from "./control.ts";

const { promise: listening, resolve } = Promise.withResolvers<number>();
const server = Deno.serve({
  hostname: "127.0.0.1",
  port: 0,
  onListen: ({ port }) => resolve(port),
}, (request) => {
  const { socket, response } = Deno.upgradeWebSocket(request);
  socket.binaryType = "arraybuffer";
  socket.onmessage = (e) => socket.send(e.data);
  return response;
});

await serveControl(await listening, () => server.shutdown());
