/**
 * Interop with python-websockets: Debian's python3-websockets (10.4 on
 * Debian 12, its asyncio API), run with /usr/bin/python3, in both roles
 * (peers/ws_echo_server.py, peers/ws_echo_client.py).
 *
 * websockets' client offers permessage-deflate by default; our server
 * declines extensions by leaving Sec-WebSocket-Extensions out of its
 * response (RFC 6455 §9.1), which the client must accept.
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
const PYTHON = findBinary("/usr/bin/python3");
const VERSION = PYTHON === null
  ? ""
  : (await probe(PYTHON, ["-c", "import websockets; print(websockets.__version__)"])).stdout.trim();
const INSTALL = "apt-get install python3-websockets";

function wsServer(supported: string[], tls = false) {
  const args = ["-u", `${PEERS}ws_echo_server.py`, "--subprotocols", supported.join(",")];
  if (tls) args.push("--cert", TLS_FILES.cert, "--key", TLS_FILES.key);
  return processServer({ name: `python-websockets ${VERSION} server`, command: PYTHON!, args });
}

function wsClient(url: string, offered: string[], origin: string, tls = false) {
  const args = ["-u", `${PEERS}ws_echo_client.py`, url, "--subprotocols", offered.join(",")];
  args.push("--origin", origin);
  if (tls) args.push("--ca", TLS_FILES.ca);
  return processPeer({ name: `python-websockets ${VERSION} client`, command: PYTHON!, args });
}

/**
 * We offer permessage-deflate (RFC 7692, on by default in QWebSocket); the
 * server accepts it, so every exchange below runs compressed both ways.
 */
const AS_CLIENT: PairOptions = {
  ...SUBPROTOCOLS,
  peerDies: true,
  handshake: (seen) => {
    assert.equal(seen.offeredExtensions, "permessage-deflate; client_max_window_bits", "our offer");
    assert.deepEqual(seen.extensions, ["permessage-deflate"], "the server compresses");
  },
};

/** RFC 6455 §9.1: a server declines an extension by not naming it. */
const AS_SERVER: PairOptions = {
  ...SUBPROTOCOLS,
  peerDies: true,
  handshake: (seen) => {
    assert.match(String(seen.offeredExtensions), /permessage-deflate/, "the client's offer");
    assert.equal(seen.acceptedExtensions, "", "our response names no extension");
    assert.deepEqual(seen.extensions, [], "the client runs without extensions");
  },
};

Deno.test("RFC 6455 interop: our QWebSocket ↔ python-websockets server", async (t) => {
  if (!requirePeer(VERSION !== "", "python-websockets", INSTALL)) return;
  await ourClientAgainstPeerServer(t, (supported) => wsServer(supported), AS_CLIENT);
});

Deno.test("RFC 6455 interop: python-websockets client ↔ our QWebSocketServer", async (t) => {
  if (!requirePeer(VERSION !== "", "python-websockets", INSTALL)) return;
  await peerClientAgainstOurServer(
    t,
    (url, offered, origin) => wsClient(url, offered, origin),
    AS_SERVER,
  );
});

Deno.test("RFC 6455 §4.1 interop over TLS: our QWebSocket ↔ python-websockets wss: server", async (t) => {
  if (!requirePeer(VERSION !== "", "python-websockets", INSTALL)) return;
  await ourClientAgainstPeerServer(t, (supported) => wsServer(supported, true), {
    ...AS_CLIENT,
    tls: tlsConfigurations(),
  });
});

Deno.test("RFC 6455 §4.1 interop over TLS: python-websockets client ↔ our wss: server", async (t) => {
  if (!requirePeer(VERSION !== "", "python-websockets", INSTALL)) return;
  await peerClientAgainstOurServer(
    t,
    (url, offered, origin) => wsClient(url, offered, origin, true),
    { ...AS_SERVER, tls: tlsConfigurations() },
  );
});
