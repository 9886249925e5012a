/**
 * The case catalogue: Autobahn TestSuite categories 1–7, 9 and 10 (and, with
 * `RunSettings.compression`, 12 and 13) in Autobahn's order, with Autobahn's
 * case ids and descriptions.
 *
 * @module
 */

import type { CaseDefinition, RunSettings } from "../case.ts";
import { AUTO_FRAGMENTATION_CASES } from "./auto_fragmentation.ts";
import { CLOSE_CASES } from "./close.ts";
import { compression12Cases, compression12Subcategories } from "./compression_12.ts";
import { compression13Cases, compression13Subcategories } from "./compression_13.ts";
import { FRAGMENTATION_CASES } from "./fragmentation.ts";
import { FRAMING_CASES } from "./framing.ts";
import { limitCases } from "./limits.ts";
import { OPCODE_CASES } from "./opcodes.ts";
import { PING_CASES } from "./pings.ts";
import { RESERVED_BIT_CASES } from "./reserved_bits.ts";
import { UTF8_CASES, UTF8_SUBCATEGORIES } from "./utf8.ts";

export { capNote } from "./limits.ts";

/** Autobahn's category names. */
export const CATEGORIES: Record<string, string> = {
  "1": "Framing",
  "2": "Pings/Pongs",
  "3": "Reserved Bits",
  "4": "Opcodes",
  "5": "Fragmentation",
  "6": "UTF-8 Handling",
  "7": "Close Handling",
  "9": "Limits/Performance",
  "10": "Misc (Auto-Fragmentation)",
  "12": "WebSocket Compression (different payloads)",
  "13": "WebSocket Compression (different parameters)",
};

/** Autobahn's subcategory names. */
export const SUBCATEGORIES: Record<string, string> = {
  "1.1": "Text Messages",
  "1.2": "Binary Messages",
  "4.1": "Non-control Opcodes",
  "4.2": "Control Opcodes",
  "6.1": "Valid UTF-8 with zero payload fragments",
  "6.2": "Valid UTF-8 unfragmented, fragmented on code-points and within code-points",
  "6.3": "Invalid UTF-8 differently fragmented",
  "6.4": "Fail-fast on invalid UTF-8",
  ...UTF8_SUBCATEGORIES,
  "7.1": "Basic close behavior (fuzzer initiated)",
  "7.3": "Close frame structure: payload length (fuzzer initiated)",
  "7.5": "Close frame structure: payload value (fuzzer initiated)",
  "7.7": "Close frame structure: valid close codes (fuzzer initiated)",
  "7.9": "Close frame structure: invalid close codes (fuzzer initiated)",
  "7.13": "Informational close information (fuzzer initiated)",
  "9.1": "Text Message (increasing size)",
  "9.2": "Binary Message (increasing size)",
  "9.3": "Fragmented Text Message (fixed size, increasing fragment size)",
  "9.4": "Fragmented Binary Message (fixed size, increasing fragment size)",
  "9.5": "Text Message (fixed size, increasing chop size)",
  "9.6": "Binary Text Message (fixed size, increasing chop size)",
  "9.7": "Text Message Roundtrip Time (fixed number, increasing size)",
  "9.8": "Binary Message Roundtrip Time (fixed number, increasing size)",
  "10.1": "Auto-Fragmentation",
  ...compression12Subcategories(),
  ...compression13Subcategories(),
};

/** Every case, in Autobahn's order. */
export function catalogue(settings: RunSettings): CaseDefinition[] {
  return [
    ...FRAMING_CASES,
    ...PING_CASES,
    ...RESERVED_BIT_CASES,
    ...OPCODE_CASES,
    ...FRAGMENTATION_CASES,
    ...UTF8_CASES,
    ...CLOSE_CASES,
    ...limitCases(settings),
    ...AUTO_FRAGMENTATION_CASES,
    // permessage-deflate, only when asked for (RunSettings.compression).
    ...(settings.compression
      ? [...compression12Cases(settings), ...compression13Cases(settings)]
      : []),
  ];
}

/** The cases whose id starts with one of `prefixes` ("6.4" matches 6.4.1 …; "6" matches 6.x). */
export function selectCases(
  cases: readonly CaseDefinition[],
  prefixes: readonly string[] | undefined,
): CaseDefinition[] {
  if (prefixes === undefined || prefixes.length === 0) return [...cases];
  return cases.filter((c) => prefixes.some((p) => c.id === p || c.id.startsWith(`${p}.`)));
}
