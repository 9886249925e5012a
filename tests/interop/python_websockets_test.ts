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
  peerClientAgainstOurServer,
  processPeer,
  processServer,
  SUBPROTOCOLS,
} from "./_echo_pair.ts";
import { findBinary, probe, requirePeer } from "./_peer.ts";

const PEERS = new URL("./peers/", import.meta.url).pathname;
const PYTHON = findBinary("/usr/bin/python3");
const VERSION = PYTHON === null
  ? ""
  : (await probe(PYTHON, ["-c", "import websockets; print(websockets.__version__)"])).stdout.trim();
const INSTALL = "apt-get install python3-websockets";

Deno.test("RFC 6455 interop: our QWebSocket ↔ python-websockets server", async (t) => {
  if (!requirePeer(VERSION !== "", "python-websockets", INSTALL)) return;
  await ourClientAgainstPeerServer(t, (supported) =>
    processServer({
      name: `python-websockets ${VERSION} server`,
      command: PYTHON!,
      args: ["-u", `${PEERS}ws_echo_server.py`, "--subprotocols", supported.join(",")],
    }), {
    ...SUBPROTOCOLS,
    handshake: (seen) => {
      assert.equal(seen.offeredExtensions, "", "we offer no extension");
      assert.deepEqual(seen.extensions, [], "the server runs without extensions");
    },
  });
});

Deno.test("RFC 6455 interop: python-websockets client ↔ our QWebSocketServer", async (t) => {
  if (!requirePeer(VERSION !== "", "python-websockets", INSTALL)) return;
  await peerClientAgainstOurServer(t, (url, offered, origin) =>
    processPeer({
      name: `python-websockets ${VERSION} client`,
      command: PYTHON!,
      args: [
        "-u",
        `${PEERS}ws_echo_client.py`,
        url,
        "--subprotocols",
        offered.join(","),
        "--origin",
        origin,
      ],
    }), {
    ...SUBPROTOCOLS,
    // RFC 6455 §9.1: a server declines an extension by not naming it.
    handshake: (seen) => {
      assert.match(String(seen.offeredExtensions), /permessage-deflate/, "the client's offer");
      assert.equal(seen.acceptedExtensions, "", "our response names no extension");
      assert.deepEqual(seen.extensions, [], "the client runs without extensions");
    },
  });
});
