/**
 * One instance of examples/edge_chat.ts in a Worker, as `deno serve
 * --parallel` or a hosted runtime runs several: it serves the example's
 * default export on 127.0.0.1 (port 0), posts `{ port }` to the test, and on
 * `"stop"` closes the chat and the server and posts `"stopped"`.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import chat from "../../examples/edge_chat.ts";

const http = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, chat.fetch);
self.postMessage({ port: http.addr.port });
self.onmessage = async (e: MessageEvent) => {
  if (e.data !== "stop") return;
  await chat.close();
  await http.shutdown();
  self.postMessage("stopped");
};
