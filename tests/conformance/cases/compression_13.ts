/**
 * Category 13, WebSocket Compression (different parameters): the JSON
 * payload set under seven pairs of client offers and server accepts
 * (`server_no_context_takeover`, `server_max_window_bits` 8 and 15, asked of
 * the server; `client_no_context_takeover`, `client_max_window_bits` 8 and 15,
 * asked of the client), × eighteen message sizes, as Autobahn's `Case13_X_X`.
 *
 * @module
 */

import type { CaseDefinition, RunSettings } from "../case.ts";
import { compressionData } from "../compression_data.ts";
import type { DeflateAccept, DeflateOffer } from "../deflate_peer.ts";
import { compressionCase, deflateNegotiation, MSG_SIZES } from "./_compression_case.ts";

const pairs = (list: Array<[boolean, number]>) =>
  list.map(([noContextTakeover, maxWindowBits]) => ({
    requestNoContextTakeover: noContextTakeover,
    requestMaxWindowBits: maxWindowBits,
  }));

/** Autobahn's DEFLATE_PARAMS: (server accepts, client offers). */
const PARAMETERS: Array<{ accepts: DeflateAccept[]; offers: DeflateOffer[] }> = [
  { accepts: pairs([[false, 0]]), offers: pairs([[false, 0]]) },
  { accepts: pairs([[true, 0]]), offers: pairs([[true, 0]]) },
  { accepts: pairs([[false, 8]]), offers: pairs([[false, 8]]) },
  { accepts: pairs([[false, 15]]), offers: pairs([[false, 15]]) },
  { accepts: pairs([[true, 8]]), offers: pairs([[true, 8]]) },
  { accepts: pairs([[true, 15]]), offers: pairs([[true, 15]]) },
  {
    accepts: pairs([[true, 8], [true, 0], [false, 0]]),
    offers: pairs([[true, 8], [true, 0], [false, 0]]),
  },
];

function describe(list: Array<DeflateOffer | DeflateAccept>): string {
  return `[${
    list.map((x) => `(${x.requestNoContextTakeover ? "True" : "False"}, ${x.requestMaxWindowBits})`)
      .join(", ")
  }]`;
}

function json() {
  return compressionData().find((d) => d.key === "json_data1")!;
}

/** Subcategory names: one per parameter pair. */
export function compression13Subcategories(): Record<string, string> {
  return Object.fromEntries(PARAMETERS.map(({ accepts, offers }, j) => [
    `13.${j + 1}`,
    `${json().description} - client offers (requestNoContextTakeover, requestMaxWindowBits): ${
      describe(offers)
    } / server accept (requestNoContextTakeover, requestMaxWindowBits): ${describe(accepts)}`,
  ]));
}

/** The cases of category 13. */
export function compression13Cases(settings: RunSettings): CaseDefinition[] {
  const cases: CaseDefinition[] = [];
  for (const [j, { accepts, offers }] of PARAMETERS.entries()) {
    for (const [i, size] of MSG_SIZES.entries()) {
      const [length, count, , fragment] = size;
      cases.push(compressionCase(
        `13.${j + 1}.${i + 1}`,
        `Send ${count} compressed messages each of payload size ${length}, auto-fragment to ${fragment} octets. Use permessage-deflate client offers (requestNoContextTakeover, requestMaxWindowBits): ${
          describe(offers)
        }`,
        size,
        json(),
        deflateNegotiation(offers, accepts),
        settings,
      ));
    }
  }
  return cases;
}
