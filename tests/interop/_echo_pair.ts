/**
 * The two directions every echo-peer pair runs: our `QWebSocket` against the
 * peer's server, and the peer's client against our `QWebSocketServer`. Each
 * runs the handshake checks, the exchange of `_exchange.ts`, and both
 * closing directions, as test steps.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  type QSslConfiguration,
  QWebSocket,
  QWebSocketHandshakeOptions,
  QWebSocketServer,
} from "../../mod.ts";
import { Peer, type PeerEvent, type PeerOptions, within } from "./_peer.ts";
import {
  closeFromOurSide,
  closeFromPeerSide,
  closeWithLongReason,
  exchange,
  greeted,
  messageTooBig,
  opened,
  peerDied,
  type PeerReports,
  SocketProbe,
} from "./_exchange.ts";
import { CLOSE_REASON } from "./_payloads.ts";

/** A running echo peer: its reports, and how to stop it. */
export interface EchoPeer extends PeerReports {
  /** Stops the peer (bounded); safe to call twice. */
  stop(): Promise<void>;
}

/** A running echo peer server. */
export interface EchoPeerServer extends EchoPeer {
  /** Its `ws://127.0.0.1:port` URL. */
  url: string;
}

/** What differs between peers. */
export interface PairOptions {
  /** Whether the peer can send a ping on command. */
  peerPings: boolean;
  /** The subprotocols the client offers, in order of preference. */
  offered: string[];
  /** The subprotocols the server supports. */
  supported: string[];
  /** The subprotocol the server must choose. */
  chosen: string;
  /** Extra checks of the peer's `connected` report on the first connection. */
  handshake?: (seen: PeerEvent) => void;
  /** Extra checks of what our end received, after the exchange. */
  exchanged?: (probe: SocketProbe) => void;
  /** Whether the peer is a process the test can kill mid-connection. */
  peerDies?: boolean;
  /**
   * Whether the peer's client fails the connection when our server selects
   * none of the subprotocols it offered (Node's ws: "Server sent no
   * subprotocol"). RFC 6455 §4.1 lets a client go on without one, as most do.
   */
  peerClientRequiresSubprotocol?: boolean;
  /** For wss: our client's configuration (trusting the test CA) and our server's. */
  tls?: { client: QSslConfiguration; server: QSslConfiguration };
  /** Adjusts our client's handshake options (tests/deflate/ sets permessage-deflate). */
  configureClient?: (options: QWebSocketHandshakeOptions) => void;
  /** Adjusts our server before it listens (tests/deflate/ enables permessage-deflate). */
  configureServer?: (server: QWebSocketServer) => void;
}

/** The usual subprotocol setup: the client prefers v2, the server has v1 and v3. */
export const SUBPROTOCOLS: PairOptions = {
  peerPings: true,
  offered: ["interop.v2", "interop.v1"],
  supported: ["interop.v1", "interop.v3"],
  chosen: "interop.v1",
};

/** An echo peer that is a process printing JSON lines. */
export async function processPeer(options: PeerOptions): Promise<EchoPeer & { peer: Peer }> {
  const peer = await Peer.start(options);
  return {
    peer,
    expect: (event, ms) => peer.expect(event, ms),
    stop: () => peer.stop(),
  };
}

/**
 * An echo peer server that is a process printing
 * `{"event":"listening","port":N,"scheme":"ws"|"wss"}` first.
 */
export async function processServer(
  options: PeerOptions,
): Promise<EchoPeerServer & { peer: Peer }> {
  const peer = await Peer.start({ ...options, readyEvent: undefined });
  try {
    const listening = await peer.expect("listening", 45_000);
    return {
      peer,
      url: `${listening.scheme ?? "ws"}://127.0.0.1:${listening.port}`,
      expect: (event, ms) => peer.expect(event, ms),
      stop: () => peer.stop(),
    };
  } catch (error) {
    await peer.stop();
    throw error;
  }
}

const ORIGIN = "http://qtws-client.interop.test";

/** The peer reports the cipher of its TLS session: one for wss:, none for ws:. */
function checkEncryption(seen: PeerEvent, options: PairOptions): void {
  if (options.tls === undefined) assert.equal(seen.cipher ?? "", "", "ws: is not encrypted");
  else assert.notEqual(seen.cipher ?? "", "", "the peer's end of wss: is encrypted");
}

/**
 * Our `QWebSocket` against the peer's server: handshake (subprotocol, origin,
 * resource name), the exchange, and both closing directions, each on its own
 * connection.
 */
export async function ourClientAgainstPeerServer(
  t: Deno.TestContext,
  startServer: (supported: string[]) => Promise<EchoPeerServer>,
  options: PairOptions = SUBPROTOCOLS,
): Promise<void> {
  const server = await startServer(options.supported);
  try {
    const connect = async (path: string, offered = options.offered): Promise<SocketProbe> => {
      const socket = new QWebSocket(ORIGIN);
      const probe = new SocketProbe(socket);
      if (options.tls !== undefined) socket.setSslConfiguration(options.tls.client);
      const handshake = new QWebSocketHandshakeOptions();
      handshake.setSubprotocols(offered);
      options.configureClient?.(handshake);
      socket.open(`${server.url}${path}`, handshake);
      try {
        await opened(socket);
      } catch (error) {
        await socket[Symbol.asyncDispose]();
        throw error;
      }
      return probe;
    };

    let probe = await connect("/echo?pair=1");
    try {
      await t.step("RFC 6455 §4.1: handshake, subprotocol, Origin and resource name", async () => {
        assert.equal(probe.socket.subprotocol(), options.chosen, "our subprotocol()");
        const seen = await server.expect("connected");
        assert.equal(seen.subprotocol, options.chosen, "the peer's subprotocol");
        assert.equal(seen.origin, ORIGIN, "the Origin the peer saw");
        assert.equal(seen.path, "/echo?pair=1", "the resource name the peer saw");
        checkEncryption(seen, options);
        options.handshake?.(seen);
        await greeted(probe);
      });
      await t.step("RFC 6455 §5: text and binary at every size, fragments, pings", async () => {
        await exchange(probe, server, options.peerPings);
        options.exchanged?.(probe);
      });
      await t.step("RFC 6455 §7: we close with 4000 and a UTF-8 reason", async () => {
        await closeFromOurSide(probe, server, 4000, CLOSE_REASON);
      });
    } finally {
      await probe.socket[Symbol.asyncDispose]();
    }

    probe = await connect("/echo?pair=2");
    try {
      await server.expect("connected");
      await greeted(probe);
      await t.step("RFC 6455 §7: the peer closes with 4001 and a UTF-8 reason", async () => {
        await closeFromPeerSide(probe, server, 4001, CLOSE_REASON);
      });
    } finally {
      await probe.socket[Symbol.asyncDispose]();
    }

    probe = await connect("/echo?pair=3");
    try {
      await server.expect("connected");
      await greeted(probe);
      await t.step("RFC 6455 §7.4.1: we close with 1000 and no reason", async () => {
        await closeFromOurSide(probe, server, 1000, "");
      });
    } finally {
      await probe.socket[Symbol.asyncDispose]();
    }

    probe = await connect("/echo?pair=4", ["interop.v9"]);
    try {
      await t.step("RFC 6455 §4.1: no common subprotocol: connected without one", async () => {
        assert.equal(probe.socket.subprotocol(), "", "our subprotocol()");
        assert.equal((await server.expect("connected")).subprotocol, "", "the peer's");
        await greeted(probe);
      });
      await t.step(
        "RFC 6455 §5.5: a long close reason is cut on a character boundary",
        async () => {
          await closeWithLongReason(probe, server);
        },
      );
    } finally {
      await probe.socket[Symbol.asyncDispose]();
    }

    probe = await connect("/echo?pair=5");
    try {
      await server.expect("connected");
      await greeted(probe);
      await t.step("RFC 6455 §7.4.1: a message over our limit: both ends see 1009", async () => {
        await messageTooBig(probe, server);
      });
    } finally {
      await probe.socket[Symbol.asyncDispose]();
    }

    if (options.peerDies) {
      probe = await connect("/echo?pair=6");
      try {
        await server.expect("connected");
        await greeted(probe);
        await t.step("RFC 6455 §7.1.5: the peer process dies: we report 1006", async () => {
          await server.stop();
          await peerDied(probe);
        });
      } finally {
        await probe.socket[Symbol.asyncDispose]();
      }
    }
  } finally {
    await server.stop();
  }
}

/**
 * The peer's client against our `QWebSocketServer`: handshake (subprotocol,
 * Origin through `originAuthenticationRequired` and `origin()`, resource
 * name), the exchange, and both closing directions, each with a new client.
 */
export async function peerClientAgainstOurServer(
  t: Deno.TestContext,
  startClient: (url: string, offered: string[], origin: string) => Promise<EchoPeer>,
  options: PairOptions = SUBPROTOCOLS,
): Promise<void> {
  const server = new QWebSocketServer(
    "qtws-interop",
    options.tls === undefined
      ? QWebSocketServer.SslMode.NonSecureMode
      : QWebSocketServer.SslMode.SecureMode,
  );
  if (options.tls !== undefined) server.setSslConfiguration(options.tls.server);
  server.setSupportedSubprotocols(options.supported);
  options.configureServer?.(server);
  const origins: string[] = [];
  server.addEventListener("originAuthenticationRequired", (e) => {
    origins.push(e.authenticator.origin());
  });
  assert.ok(server.listen("127.0.0.1", 0), server.errorString());
  try {
    const accept = async (path: string, origin: string, offered = options.offered) => {
      const connection = within(
        new Promise<QWebSocket>((resolve) => {
          server.addEventListener("newConnection", () => resolve(server.nextPendingConnection()!), {
            once: true,
          });
        }),
        "newConnection",
        45_000,
      );
      const peer = await startClient(
        `${server.serverUrl()!.href.replace(/\/$/, "")}${path}`,
        offered,
        origin,
      );
      let socket: QWebSocket;
      try {
        socket = await connection;
      } catch (error) {
        await peer.stop();
        throw error;
      }
      return { peer, probe: new SocketProbe(socket) };
    };

    let { peer, probe } = await accept("/echo?pair=1", "http://peer-1.interop.test");
    try {
      await t.step("RFC 6455 §4.2: handshake, subprotocol, Origin and resource name", async () => {
        assert.equal(probe.socket.subprotocol(), options.chosen, "our subprotocol()");
        assert.equal(probe.socket.origin(), "http://peer-1.interop.test", "our origin()");
        assert.deepEqual(origins, ["http://peer-1.interop.test"], "originAuthenticationRequired");
        assert.equal(probe.socket.resourceName(), "/echo?pair=1", "our resourceName()");
        const seen = await peer.expect("connected");
        assert.equal(seen.subprotocol, options.chosen, "the peer's subprotocol");
        checkEncryption(seen, options);
        options.handshake?.(seen);
        await greeted(probe);
      });
      await t.step("RFC 6455 §5: text and binary at every size, fragments, pings", async () => {
        await exchange(probe, peer, options.peerPings);
        options.exchanged?.(probe);
      });
      await t.step("RFC 6455 §7: we close with 4000 and a UTF-8 reason", async () => {
        await closeFromOurSide(probe, peer, 4000, CLOSE_REASON);
      });
    } finally {
      await probe.socket[Symbol.asyncDispose]();
      await peer.stop();
    }

    ({ peer, probe } = await accept("/echo?pair=2", "http://peer-2.interop.test"));
    try {
      await peer.expect("connected");
      await greeted(probe);
      await t.step("RFC 6455 §7: the peer closes with 4001 and a UTF-8 reason", async () => {
        await closeFromPeerSide(probe, peer, 4001, CLOSE_REASON);
      });
    } finally {
      await probe.socket[Symbol.asyncDispose]();
      await peer.stop();
    }

    ({ peer, probe } = await accept("/echo?pair=3", "http://peer-3.interop.test"));
    try {
      await peer.expect("connected");
      await greeted(probe);
      await t.step("RFC 6455 §7.4.1: we close with 1000 and no reason", async () => {
        await closeFromOurSide(probe, peer, 1000, "");
      });
    } finally {
      await probe.socket[Symbol.asyncDispose]();
      await peer.stop();
    }

    ({ peer, probe } = await accept("/echo?pair=4", "http://peer-4.interop.test", ["interop.v9"]));
    try {
      if (options.peerClientRequiresSubprotocol) {
        await t.step(
          "RFC 6455 §4.2.2: no common subprotocol: we answer without one, the client fails",
          async () => {
            assert.equal(probe.socket.subprotocol(), "", "our subprotocol()");
            await peer.expect("error");
            const seen = await peer.expect("disconnected");
            assert.equal(seen.closeCode, 1006, "the client dropped the connection");
            await peerDied(probe);
            assert.equal(probe.messages, 0, "no greeting: the client never opened");
          },
        );
        await probe.socket[Symbol.asyncDispose]();
        await peer.stop();
        // The long close reason below, on a connection the client keeps.
        ({ peer, probe } = await accept("/echo?pair=4", "http://peer-4.interop.test"));
        await peer.expect("connected");
        await greeted(probe);
      } else {
        await t.step("RFC 6455 §4.2.2: no common subprotocol: connected without one", async () => {
          assert.equal(probe.socket.subprotocol(), "", "our subprotocol()");
          assert.equal((await peer.expect("connected")).subprotocol, "", "the peer's");
          await greeted(probe);
        });
      }
      await t.step(
        "RFC 6455 §5.5: a long close reason is cut on a character boundary",
        async () => {
          await closeWithLongReason(probe, peer);
        },
      );
    } finally {
      await probe.socket[Symbol.asyncDispose]();
      await peer.stop();
    }

    ({ peer, probe } = await accept("/echo?pair=5", "http://peer-5.interop.test"));
    try {
      await peer.expect("connected");
      await greeted(probe);
      await t.step("RFC 6455 §7.4.1: a message over our limit: both ends see 1009", async () => {
        await messageTooBig(probe, peer);
      });
    } finally {
      await probe.socket[Symbol.asyncDispose]();
      await peer.stop();
    }

    if (options.peerDies) {
      ({ peer, probe } = await accept("/echo?pair=6", "http://peer-6.interop.test"));
      try {
        await peer.expect("connected");
        await greeted(probe);
        await t.step("RFC 6455 §7.1.5: the peer process dies: we report 1006", async () => {
          await peer.stop();
          await peerDied(probe);
        });
      } finally {
        await probe.socket[Symbol.asyncDispose]();
        await peer.stop();
      }
    }
  } finally {
    await server[Symbol.asyncDispose]();
  }
}
