/**
 * Category 12, WebSocket Compression (different payloads): permessage-deflate
 * with the default offer (and an accept of it as offered), five payload sets
 * × eighteen message sizes and auto-fragment sizes, as Autobahn's
 * `Case12_X_X`.
 *
 * @module
 */

import type { CaseDefinition, RunSettings } from "../case.ts";
import { compressionData } from "../compression_data.ts";
import { compressionCase, deflateNegotiation, MSG_SIZES } from "./_compression_case.ts";

/** Subcategory names: one per payload set. */
export function compression12Subcategories(): Record<string, string> {
  return Object.fromEntries(
    compressionData().map((data, j) => [`12.${j + 1}`, data.description]),
  );
}

/** The cases of category 12. */
export function compression12Cases(settings: RunSettings): CaseDefinition[] {
  const cases: CaseDefinition[] = [];
  for (const [j, data] of compressionData().entries()) {
    for (const [i, size] of MSG_SIZES.entries()) {
      const [length, count, , fragment] = size;
      cases.push(compressionCase(
        `12.${j + 1}.${i + 1}`,
        `Send ${count} compressed messages each of payload size ${length}, auto-fragment to ${fragment} octets. Use default permessage-deflate offer.`,
        size,
        data,
        // Autobahn: PerMessageDeflateOffer() and accept_deflate (the offer as it is).
        deflateNegotiation(
          [{ requestNoContextTakeover: false, requestMaxWindowBits: 0 }],
          [{ requestNoContextTakeover: false, requestMaxWindowBits: 0 }],
        ),
        settings,
      ));
    }
  }
  return cases;
}
