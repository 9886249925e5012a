/**
 * Interop with Node's ws (the WebSocket library most Node programs use), in
 * both roles (peers/node_ws_echo_server.mjs, peers/node_ws_echo_client.mjs),
 * run by the `node` on PATH with the ws that `.ci/run` installs into
 * `.peers/node_modules/ws` (pinned in `.ci/npm-peers`).
 *
 * ws's server has permessage-deflate enabled, so it accepts our client's
 * offer and that pair runs compressed both ways (RFC 7692); ws's client
 * offers permessage-deflate by default and our server declines it by leaving
 * Sec-WebSocket-Extensions out of its response (RFC 6455 §9.1).
 */

import assert from "node:assert/strict";
import {
  ourClientAgainstPeerServer,
  type PairOptions,
  peerClientAgainstOurServer,
  processPeer,
  processServer,
  SUBPROTOCOLS,
} from "./_echo_pair.ts";
import { findBinary, probe, requirePeer } from "./_peer.ts";
import { TLS_FILES, tlsConfigurations } from "./_tls.ts";

const PEERS = new URL("./peers/", import.meta.url).pathname;
const WS_DIR = new URL("../../.peers/node_modules/ws", import.meta.url).pathname;
const ENV = { QTWS_NODE_WS: WS_DIR };
const NODE = findBinary("node");

/**
 * What the `node` on PATH is and which ws it loads. When there is no `node`
 * on PATH, Deno puts its own Node-compatible `node` shim on its children's
 * PATH: that is Deno, not Node, and does not count.
 */
async function runtime(): Promise<{ node: string; deno: string; ws: string } | null> {
  if (NODE === null) return null;
  const script = "const dir = process.env.QTWS_NODE_WS; let ws = ''; try { require(dir); " +
    "ws = require(dir + '/package.json').version } catch {} console.log(JSON.stringify(" +
    "{ node: process.versions.node, deno: process.versions.deno ?? '', ws }))";
  const { code, stdout } = await probe(NODE, ["-e", script], ENV);
  try {
    return code === 0 ? JSON.parse(stdout) : null;
  } catch {
    return null; // Not the line the script prints: not a Node we can use.
  }
}
const RUNTIME = await runtime();
const IS_NODE = RUNTIME !== null && RUNTIME.deno === "";
/** ws's version as loaded by Node, or "" when Node or ws is missing. */
const VERSION = IS_NODE ? RUNTIME.ws : "";
const PEER = IS_NODE ? "Node's ws (in .peers/node_modules/ws)" : "Node.js (node on PATH)";
const INSTALL = IS_NODE
  ? "run .ci/run, or: mkdir -p .peers && cd .peers && echo '{ \"private\": true }' > package.json && npm install --no-save ws@8.23.0"
  : "install Node.js and npm, then run .ci/run";
const NAME = `Node ${RUNTIME?.node} ws ${VERSION}`;

function wsServer(supported: string[], tls = false) {
  const args = [`${PEERS}node_ws_echo_server.mjs`, "--subprotocols", supported.join(",")];
  if (tls) args.push("--cert", TLS_FILES.cert, "--key", TLS_FILES.key);
  return processServer({ name: `${NAME} server`, command: NODE!, args, env: ENV });
}

function wsClient(url: string, offered: string[], origin: string, tls = false) {
  const args = [`${PEERS}node_ws_echo_client.mjs`, url, "--subprotocols", offered.join(",")];
  args.push("--origin", origin);
  if (tls) args.push("--ca", TLS_FILES.ca);
  return processPeer({ name: `${NAME} client`, command: NODE!, args, env: ENV });
}

/**
 * We offer permessage-deflate (RFC 7692, on by default in QWebSocket); ws's
 * server accepts it, so every exchange below runs compressed both ways.
 */
const AS_CLIENT: PairOptions = {
  ...SUBPROTOCOLS,
  peerDies: true,
  handshake: (seen) => {
    assert.equal(seen.offeredExtensions, "permessage-deflate; client_max_window_bits", "our offer");
    assert.equal(seen.acceptedExtensions, "permessage-deflate", "ws's answer");
    assert.deepEqual(seen.extensions, ["permessage-deflate"], "the server compresses");
  },
  // ws answers with plain "permessage-deflate": RFC 7692's defaults both ways.
  exchanged: (probe) =>
    assert.deepEqual(probe.socket.perMessageDeflate(), {
      clientMaxWindowBits: 15,
      clientNoContextTakeover: false,
      serverMaxWindowBits: 15,
      serverNoContextTakeover: false,
    }, "what we agreed"),
};

/** RFC 6455 §9.1: a server declines an extension by not naming it. */
const AS_SERVER: PairOptions = {
  ...SUBPROTOCOLS,
  peerDies: true,
  // ws's client fails the connection when it offered subprotocols and the
  // server chose none ("Server sent no subprotocol").
  peerClientRequiresSubprotocol: true,
  handshake: (seen) => {
    assert.equal(
      seen.offeredExtensions,
      "permessage-deflate; client_max_window_bits",
      "ws's default offer",
    );
    assert.equal(seen.acceptedExtensions, "", "our response names no extension");
    assert.deepEqual(seen.extensions, [], "the client runs without extensions");
  },
  exchanged: (probe) => assert.equal(probe.socket.perMessageDeflate(), null, "uncompressed"),
};

Deno.test("RFC 6455 interop: our QWebSocket ↔ Node ws server", async (t) => {
  if (!requirePeer(VERSION !== "", PEER, INSTALL)) return;
  await ourClientAgainstPeerServer(t, (supported) => wsServer(supported), AS_CLIENT);
});

Deno.test("RFC 6455 interop: Node ws client ↔ our QWebSocketServer", async (t) => {
  if (!requirePeer(VERSION !== "", PEER, INSTALL)) return;
  await peerClientAgainstOurServer(
    t,
    (url, offered, origin) => wsClient(url, offered, origin),
    AS_SERVER,
  );
});

Deno.test("RFC 6455 §4.1 interop over TLS: our QWebSocket ↔ Node ws wss: server", async (t) => {
  if (!requirePeer(VERSION !== "", PEER, INSTALL)) return;
  await ourClientAgainstPeerServer(t, (supported) => wsServer(supported, true), {
    ...AS_CLIENT,
    tls: tlsConfigurations(),
  });
});

Deno.test("RFC 6455 §4.1 interop over TLS: Node ws client ↔ our wss: server", async (t) => {
  if (!requirePeer(VERSION !== "", PEER, INSTALL)) return;
  await peerClientAgainstOurServer(
    t,
    (url, offered, origin) => wsClient(url, offered, origin, true),
    { ...AS_SERVER, tls: tlsConfigurations() },
  );
});
