/**
 * permessage-deflate with python-websockets (Debian's python3-websockets
 * 10.4) in both roles, under several settings on each side: the interop
 * exchange of tests/interop/_echo_pair.ts (every length boundary, fragments,
 * pings, both closing directions, 1009 over the limit) runs compressed, and
 * both ends must agree on the parameters.
 *
 * Not paired: python-websockets 10.4 as the *sender* with a 2^8 window
 * (zlib cannot compress raw DEFLATE with 8 bits and websockets 10.4 does not
 * work around it; qtws compresses with 9 and stays within 256 bytes).
 */

import assert from "node:assert/strict";
import type { PerMessageDeflateOptions, PerMessageDeflateParameters } from "../../mod.ts";
import {
  ourClientAgainstPeerServer,
  type PairOptions,
  peerClientAgainstOurServer,
  processPeer,
  processServer,
  SUBPROTOCOLS,
} from "../interop/_echo_pair.ts";
import { findBinary, type PeerEvent, probe, requirePeer } from "../interop/_peer.ts";

const PEERS = new URL("./peers/", import.meta.url).pathname;
const PYTHON = findBinary("/usr/bin/python3");
const VERSION = PYTHON === null
  ? ""
  : (await probe(PYTHON, ["-c", "import websockets; print(websockets.__version__)"])).stdout.trim();
const INSTALL = "apt-get install python3-websockets";

/** python-websockets' settings, as command-line flags of the peer scripts. */
type PythonSettings = string[];

function agreed(changes: Partial<PerMessageDeflateParameters>): PerMessageDeflateParameters {
  return {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: 15,
    clientMaxWindowBits: 15,
    ...changes,
  };
}

/** What python-websockets reports it agreed, from its side, as our parameters. */
function theirView(seen: PeerEvent, peerIsServer: boolean): PerMessageDeflateParameters {
  const d = seen.deflate as {
    remoteNoContextTakeover: boolean;
    localNoContextTakeover: boolean;
    remoteMaxWindowBits: number | null;
    localMaxWindowBits: number | null;
  };
  assert.ok(d !== null && d !== undefined, "python-websockets runs permessage-deflate");
  const server = peerIsServer ? "local" : "remote";
  const client = peerIsServer ? "remote" : "local";
  return {
    serverNoContextTakeover: d[`${server}NoContextTakeover`],
    clientNoContextTakeover: d[`${client}NoContextTakeover`],
    serverMaxWindowBits: d[`${server}MaxWindowBits`] ?? 15,
    clientMaxWindowBits: d[`${client}MaxWindowBits`] ?? 15,
  };
}

interface Case {
  ours: PerMessageDeflateOptions;
  theirs: PythonSettings;
  /** The server's Sec-WebSocket-Extensions answer. */
  response: string;
  agreed: PerMessageDeflateParameters;
}

const AS_CLIENT: Case[] = [
  { ours: {}, theirs: [], response: "permessage-deflate", agreed: agreed({}) },
  {
    ours: {},
    theirs: ["--server-no-context-takeover", "--client-no-context-takeover"],
    response: "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
    agreed: agreed({ serverNoContextTakeover: true, clientNoContextTakeover: true }),
  },
  {
    // websockets' own defaults when compression is on.
    ours: {},
    theirs: ["--server-max-window-bits", "12", "--client-max-window-bits", "12"],
    response: "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12",
    agreed: agreed({ serverMaxWindowBits: 12, clientMaxWindowBits: 12 }),
  },
  {
    ours: { serverNoContextTakeover: true, serverMaxWindowBits: 10, clientMaxWindowBits: 8 },
    theirs: [],
    response:
      "permessage-deflate; server_no_context_takeover; server_max_window_bits=10; client_max_window_bits=8",
    agreed: agreed({
      serverNoContextTakeover: true,
      serverMaxWindowBits: 10,
      clientMaxWindowBits: 8,
    }),
  },
  {
    ours: { clientNoContextTakeover: true, threshold: 0, level: 1, memLevel: 1 },
    theirs: ["--server-max-window-bits", "9"],
    response: "permessage-deflate; client_no_context_takeover; server_max_window_bits=9",
    agreed: agreed({ clientNoContextTakeover: true, serverMaxWindowBits: 9 }),
  },
];

const AS_SERVER: Case[] = [
  {
    ours: {},
    theirs: ["--client-max-window-bits", "offer"],
    response: "permessage-deflate",
    agreed: agreed({}),
  },
  {
    ours: { serverNoContextTakeover: true, clientNoContextTakeover: true },
    theirs: ["--server-no-context-takeover", "--client-max-window-bits", "offer"],
    response: "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
    agreed: agreed({ serverNoContextTakeover: true, clientNoContextTakeover: true }),
  },
  {
    ours: { serverMaxWindowBits: 8, clientMaxWindowBits: 10 },
    theirs: ["--client-max-window-bits", "12"],
    response: "permessage-deflate; server_max_window_bits=8; client_max_window_bits=10",
    agreed: agreed({ serverMaxWindowBits: 8, clientMaxWindowBits: 10 }),
  },
  {
    ours: { threshold: 0 },
    theirs: ["--client-no-context-takeover", "--server-max-window-bits", "11"],
    response: "permessage-deflate; client_no_context_takeover; server_max_window_bits=11",
    agreed: agreed({ clientNoContextTakeover: true, serverMaxWindowBits: 11 }),
  },
];

function label(c: Case): string {
  return `ours ${JSON.stringify(c.ours)}, theirs [${c.theirs.join(" ")}]`;
}

for (const c of AS_CLIENT) {
  Deno.test(`RFC 7692 interop: our QWebSocket ↔ python-websockets server, ${label(c)}`, async (t) => {
    if (!requirePeer(VERSION !== "", "python-websockets", INSTALL)) return;
    const options: PairOptions = {
      ...SUBPROTOCOLS,
      peerDies: false,
      configureClient: (handshake) => handshake.setPerMessageDeflateOptions(c.ours),
      handshake: (seen) => {
        assert.equal(seen.acceptedExtensions, c.response, "python-websockets' answer");
        assert.deepEqual(theirView(seen, true), c.agreed, "what python-websockets agreed");
      },
      exchanged: (probe) => assert.deepEqual(probe.socket.perMessageDeflate(), c.agreed),
    };
    await ourClientAgainstPeerServer(t, (supported) =>
      processServer({
        name: `python-websockets ${VERSION} deflate server`,
        command: PYTHON!,
        args: [
          "-u",
          `${PEERS}ws_deflate_server.py`,
          "--subprotocols",
          supported.join(","),
          ...c.theirs,
        ],
      }), options);
  });
}

for (const c of AS_SERVER) {
  Deno.test(`RFC 7692 interop: python-websockets client ↔ our QWebSocketServer, ${label(c)}`, async (t) => {
    if (!requirePeer(VERSION !== "", "python-websockets", INSTALL)) return;
    const options: PairOptions = {
      ...SUBPROTOCOLS,
      peerDies: false,
      configureServer: (server) => {
        server.setPerMessageDeflateEnabled(true);
        server.setPerMessageDeflateOptions(c.ours);
      },
      handshake: (seen) => {
        assert.equal(seen.acceptedExtensions, c.response, "our answer, as the client saw it");
        assert.deepEqual(theirView(seen, false), c.agreed, "what python-websockets agreed");
      },
      exchanged: (probe) => assert.deepEqual(probe.socket.perMessageDeflate(), c.agreed),
    };
    await peerClientAgainstOurServer(
      t,
      (url, offered, origin) =>
        processPeer({
          name: `python-websockets ${VERSION} deflate client`,
          command: PYTHON!,
          args: [
            "-u",
            `${PEERS}ws_deflate_client.py`,
            url,
            "--subprotocols",
            offered.join(","),
            "--origin",
            origin,
            ...c.theirs,
          ],
        }),
      options,
    );
  });
}
