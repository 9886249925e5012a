import assert from "node:assert/strict";
import { HandshakeError } from "../../lib/protocol/errors.ts";
import {
  acceptPerMessageDeflateResponse,
  checkPerMessageDeflateOptions,
  formatPerMessageDeflateOffer,
  negotiatePerMessageDeflate,
  type PerMessageDeflateOptions,
  type PerMessageDeflateParameters,
} from "../../lib/protocol/permessage_deflate_params.ts";

const DEFAULTS: PerMessageDeflateParameters = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};

function agreed(changes: Partial<PerMessageDeflateParameters>): PerMessageDeflateParameters {
  return { ...DEFAULTS, ...changes };
}

// --- the client's offer ---------------------------------------------------------

Deno.test("RFC 7692 §5.1 client offer: client_max_window_bits always, the rest as configured", () => {
  const table: Array<[PerMessageDeflateOptions, string]> = [
    [{}, "permessage-deflate; client_max_window_bits"],
    [
      { serverNoContextTakeover: true },
      "permessage-deflate; server_no_context_takeover; client_max_window_bits",
    ],
    [
      { clientNoContextTakeover: true },
      "permessage-deflate; client_no_context_takeover; client_max_window_bits",
    ],
    [
      { serverMaxWindowBits: 8 },
      "permessage-deflate; server_max_window_bits=8; client_max_window_bits",
    ],
    [{ clientMaxWindowBits: 9 }, "permessage-deflate; client_max_window_bits=9"],
    [
      {
        serverNoContextTakeover: true,
        clientNoContextTakeover: true,
        serverMaxWindowBits: 10,
        clientMaxWindowBits: 11,
        threshold: 5,
        level: 1,
        memLevel: 2,
      },
      "permessage-deflate; server_no_context_takeover; client_no_context_takeover; " +
      "server_max_window_bits=10; client_max_window_bits=11",
    ],
  ];
  for (const [options, offer] of table) assert.equal(formatPerMessageDeflateOffer(options), offer);
});

Deno.test("checkPerMessageDeflateOptions: wrong types and ranges throw with the method named", () => {
  assert.deepEqual(checkPerMessageDeflateOptions({ serverMaxWindowBits: 8, threshold: 0 }), {
    serverMaxWindowBits: 8,
    threshold: 0,
  });
  const bad: unknown[] = [
    { serverMaxWindowBits: 7 },
    { serverMaxWindowBits: 16 },
    { clientMaxWindowBits: 9.5 },
    { level: 10 },
    { memLevel: 0 },
    { threshold: -1 },
  ];
  for (const options of bad) {
    assert.throws(
      () => checkPerMessageDeflateOptions(options as PerMessageDeflateOptions, "setX"),
      { name: "RangeError", message: /^Cannot setX: / },
    );
  }
  assert.throws(
    () => checkPerMessageDeflateOptions({ serverNoContextTakeover: 1 as unknown as boolean }),
    TypeError,
  );
  assert.throws(
    () => checkPerMessageDeflateOptions(null as unknown as PerMessageDeflateOptions),
    TypeError,
  );
});

// --- the server's choice ------------------------------------------------------------

Deno.test("RFC 7692 §7.1 server: each parameter of an offer is honoured in the response", () => {
  const table: Array<[string, PerMessageDeflateOptions, string, PerMessageDeflateParameters]> = [
    ["permessage-deflate", {}, "permessage-deflate", DEFAULTS],
    ["permessage-deflate; client_max_window_bits", {}, "permessage-deflate", DEFAULTS],
    // §7.1.1.1: an offer with server_no_context_takeover is accepted by answering with it.
    [
      "permessage-deflate; server_no_context_takeover",
      {},
      "permessage-deflate; server_no_context_takeover",
      agreed({ serverNoContextTakeover: true }),
    ],
    // §7.1.1.2: the client's hint is echoed.
    [
      "permessage-deflate; client_no_context_takeover",
      {},
      "permessage-deflate; client_no_context_takeover",
      agreed({ clientNoContextTakeover: true }),
    ],
    // §7.1.2.1: the same or a smaller value.
    [
      "permessage-deflate; server_max_window_bits=10",
      {},
      "permessage-deflate; server_max_window_bits=10",
      agreed({ serverMaxWindowBits: 10 }),
    ],
    [
      "permessage-deflate; server_max_window_bits=14",
      { serverMaxWindowBits: 12 },
      "permessage-deflate; server_max_window_bits=12",
      agreed({ serverMaxWindowBits: 12 }),
    ],
    [
      "permessage-deflate; server_max_window_bits=9",
      { serverMaxWindowBits: 12 },
      "permessage-deflate; server_max_window_bits=9",
      agreed({ serverMaxWindowBits: 9 }),
    ],
    // §7.1.2.2: the offered value is used, or a smaller one.
    [
      "permessage-deflate; client_max_window_bits=10",
      {},
      "permessage-deflate; client_max_window_bits=10",
      agreed({ clientMaxWindowBits: 10 }),
    ],
    [
      "permessage-deflate; client_max_window_bits=14",
      { clientMaxWindowBits: 9 },
      "permessage-deflate; client_max_window_bits=9",
      agreed({ clientMaxWindowBits: 9 }),
    ],
    [
      "permessage-deflate; client_max_window_bits=8",
      { clientMaxWindowBits: 9 },
      "permessage-deflate; client_max_window_bits=8",
      agreed({ clientMaxWindowBits: 8 }),
    ],
    [
      "permessage-deflate; client_max_window_bits",
      { clientMaxWindowBits: 11 },
      "permessage-deflate; client_max_window_bits=11",
      agreed({ clientMaxWindowBits: 11 }),
    ],
    // The server's own choices, offered or not.
    [
      "permessage-deflate",
      { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 13 },
      "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=13",
      agreed({
        serverNoContextTakeover: true,
        clientNoContextTakeover: true,
        serverMaxWindowBits: 13,
      }),
    ],
    // A quoted value is the same value (RFC 6455 §9.1).
    [
      'permessage-deflate; server_max_window_bits="11"',
      {},
      "permessage-deflate; server_max_window_bits=11",
      agreed({ serverMaxWindowBits: 11 }),
    ],
  ];
  for (const [offer, options, response, parameters] of table) {
    const accepted = negotiatePerMessageDeflate(offer, options);
    assert.ok(accepted !== null, `${offer} with ${JSON.stringify(options)} is accepted`);
    assert.equal(accepted.response, response, offer);
    assert.deepEqual(accepted.parameters, parameters, offer);
  }
});

Deno.test("RFC 7692 §7 server: an offer with a duplicate, unknown or invalid parameter is declined", () => {
  const invalid = [
    "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
    "permessage-deflate; client_max_window_bits; client_max_window_bits=10",
    "permessage-deflate; server_max_window_bits=10; server_max_window_bits=10",
    "permessage-deflate; unknown",
    "permessage-deflate; mux=1",
    "permessage-deflate; server_no_context_takeover=1",
    "permessage-deflate; client_no_context_takeover=true",
    "permessage-deflate; server_max_window_bits",
    "permessage-deflate; server_max_window_bits=7",
    "permessage-deflate; server_max_window_bits=16",
    "permessage-deflate; server_max_window_bits=08",
    "permessage-deflate; server_max_window_bits=+9",
    "permessage-deflate; server_max_window_bits=9.0",
    "permessage-deflate; client_max_window_bits=0",
    "permessage-deflate; client_max_window_bits=abc",
    "permessage-deflate; client_max_window_bits=015",
    "permessage-deflate; Server_No_Context_Takeover",
  ];
  for (const offer of invalid) {
    assert.equal(negotiatePerMessageDeflate(offer, {}), null, offer);
    // The server declines that offer and tries the next one.
    const next = negotiatePerMessageDeflate(
      `${offer}, permessage-deflate; client_no_context_takeover`,
      {},
    );
    assert.equal(next?.response, "permessage-deflate; client_no_context_takeover", offer);
  }
});

Deno.test("RFC 7692 §5.1 server: the first acceptable offer wins; other extensions are declined", () => {
  assert.equal(
    negotiatePerMessageDeflate(
      "permessage-deflate; server_max_window_bits=10, permessage-deflate; server_no_context_takeover",
      {},
    )?.response,
    "permessage-deflate; server_max_window_bits=10",
  );
  assert.equal(
    negotiatePerMessageDeflate(
      "x-webkit-deflate-frame, permessage-deflate; client_max_window_bits",
      {},
    )
      ?.response,
    "permessage-deflate",
  );
  assert.equal(negotiatePerMessageDeflate("x-webkit-deflate-frame; no_context_takeover", {}), null);
  assert.equal(negotiatePerMessageDeflate("", {}), null);
  // Extension names are tokens compared exactly.
  assert.equal(negotiatePerMessageDeflate("PerMessage-Deflate", {}), null);
  // A value that does not parse declines everything in it.
  assert.equal(
    negotiatePerMessageDeflate('permessage-deflate; a="b c", permessage-deflate', {}),
    null,
  );
});

Deno.test("RFC 7692 §7.1.2.2 server: clientMaxWindowBits set declines offers without client_max_window_bits", () => {
  const options = { clientMaxWindowBits: 10 };
  assert.equal(negotiatePerMessageDeflate("permessage-deflate", options), null);
  assert.equal(
    negotiatePerMessageDeflate(
      "permessage-deflate, permessage-deflate; client_max_window_bits",
      options,
    )
      ?.response,
    "permessage-deflate; client_max_window_bits=10",
  );
});

// --- the client's check of the answer --------------------------------------------

Deno.test("RFC 7692 §7.1 client: valid answers give the parameters that apply", () => {
  const table: Array<[string, PerMessageDeflateOptions, PerMessageDeflateParameters]> = [
    ["permessage-deflate", {}, DEFAULTS],
    [
      "permessage-deflate; server_no_context_takeover",
      {},
      agreed({ serverNoContextTakeover: true }),
    ],
    [
      "permessage-deflate; client_no_context_takeover",
      {},
      agreed({ clientNoContextTakeover: true }),
    ],
    // §7.1.2.1: a server may set server_max_window_bits even if the offer did not.
    ["permessage-deflate; server_max_window_bits=8", {}, agreed({ serverMaxWindowBits: 8 })],
    ["permessage-deflate; client_max_window_bits=8", {}, agreed({ clientMaxWindowBits: 8 })],
    [
      "permessage-deflate;server_max_window_bits=9;client_max_window_bits=9",
      { serverMaxWindowBits: 10, clientMaxWindowBits: 10 },
      agreed({ serverMaxWindowBits: 9, clientMaxWindowBits: 9 }),
    ],
    // A client that offered a window keeps to it even when the answer is silent.
    ["permessage-deflate", { clientMaxWindowBits: 12 }, agreed({ clientMaxWindowBits: 12 })],
    // §7.1.1.2: a client that offered client_no_context_takeover keeps to it.
    [
      "permessage-deflate",
      { clientNoContextTakeover: true },
      agreed({ clientNoContextTakeover: true }),
    ],
    [
      "permessage-deflate; server_no_context_takeover",
      { serverNoContextTakeover: true },
      agreed({ serverNoContextTakeover: true }),
    ],
  ];
  for (const [response, options, parameters] of table) {
    assert.deepEqual(acceptPerMessageDeflateResponse(response, options), parameters, response);
  }
  assert.equal(acceptPerMessageDeflateResponse("", {}), null);
});

Deno.test("RFC 7692 §5/§7.1 client: an invalid or unoffered answer fails the connection (status 101)", () => {
  const table: Array<[string, PerMessageDeflateOptions, RegExp]> = [
    ["x-webkit-deflate-frame", {}, /the extension x-webkit-deflate-frame was not offered/],
    ["permessage-deflate, x-other", {}, /the extension x-other was not offered/],
    ["permessage-deflate, permessage-deflate", {}, /more than once/],
    ["permessage-deflate; foo", {}, /unknown parameter foo/],
    [
      "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
      {},
      /appears twice/,
    ],
    ["permessage-deflate; client_max_window_bits", {}, /needs a value in a response/],
    ["permessage-deflate; server_max_window_bits", {}, /integer from 8 to 15 \(got no value\)/],
    ["permessage-deflate; server_max_window_bits=16", {}, /integer from 8 to 15/],
    ["permessage-deflate; client_max_window_bits=7", {}, /integer from 8 to 15/],
    ["permessage-deflate; client_no_context_takeover=x", {}, /takes no value/],
    ["permessage-deflate; ", {}, /Malformed/],
    [
      "permessage-deflate",
      { serverNoContextTakeover: true },
      /server_no_context_takeover was asked for and is missing/,
    ],
    [
      "permessage-deflate",
      { serverMaxWindowBits: 10 },
      /server_max_window_bits=10 was asked for and is missing/,
    ],
    [
      "permessage-deflate; server_max_window_bits=11",
      { serverMaxWindowBits: 10 },
      /server_max_window_bits=11 is larger than the 10 asked for/,
    ],
    [
      "permessage-deflate; client_max_window_bits=12",
      { clientMaxWindowBits: 10 },
      /client_max_window_bits=12 is larger than the 10 offered/,
    ],
  ];
  for (const [response, options, message] of table) {
    assert.throws(
      () => acceptPerMessageDeflateResponse(response, options),
      (error: unknown) =>
        error instanceof HandshakeError && error.status === 101 && message.test(error.message) &&
        error.message.includes(response.trim()),
      response,
    );
  }
});

// --- both sides of every combination -----------------------------------------------

function* optionCombinations(): Generator<PerMessageDeflateOptions> {
  for (const serverNoContextTakeover of [undefined, true]) {
    for (const clientNoContextTakeover of [undefined, true]) {
      for (const serverMaxWindowBits of [undefined, 8, 12, 15]) {
        for (const clientMaxWindowBits of [undefined, 8, 12, 15]) {
          yield Object.fromEntries(
            Object.entries({
              serverNoContextTakeover,
              clientNoContextTakeover,
              serverMaxWindowBits,
              clientMaxWindowBits,
            }).filter(([, v]) => v !== undefined),
          );
        }
      }
    }
  }
}

Deno.test("RFC 7692 §7.1: for every client offer and server setting, the client accepts the server's answer and both agree", () => {
  let pairs = 0;
  for (const client of optionCombinations()) {
    const offer = formatPerMessageDeflateOffer(client);
    for (const server of optionCombinations()) {
      const accepted = negotiatePerMessageDeflate(offer, server);
      // The offer always carries client_max_window_bits, so nothing is declined.
      assert.ok(accepted !== null, `${offer} / ${JSON.stringify(server)}`);
      const seen = acceptPerMessageDeflateResponse(accepted.response, client);
      assert.deepEqual(seen, accepted.parameters, `${offer} / ${accepted.response}`);
      const p = accepted.parameters;
      // What each side asked for holds.
      if (client.serverNoContextTakeover || server.serverNoContextTakeover) {
        assert.ok(p.serverNoContextTakeover);
      }
      if (client.clientNoContextTakeover || server.clientNoContextTakeover) {
        assert.ok(p.clientNoContextTakeover);
      }
      assert.ok(p.serverMaxWindowBits <= (client.serverMaxWindowBits ?? 15));
      assert.ok(p.serverMaxWindowBits <= (server.serverMaxWindowBits ?? 15));
      assert.ok(p.clientMaxWindowBits <= (client.clientMaxWindowBits ?? 15));
      assert.ok(p.clientMaxWindowBits <= (server.clientMaxWindowBits ?? 15));
      pairs++;
    }
  }
  assert.equal(pairs, 64 * 64);
});
