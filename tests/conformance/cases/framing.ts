/**
 * Category 1, Framing: text (1.1) and binary (1.2) messages at every payload
 * length boundary (0, 125, 126, 127, 128, 65535, 65536), and 65536 bytes
 * written in chops of 997 octets.
 *
 * @module
 */

import type { CaseDefinition } from "../case.ts";
import { repeatTo, utf8 } from "../wire.ts";
import { binaryEvent, define, expectEcho, textEvent } from "./_define.ts";

const LENGTHS: Array<[number, number, number]> = [
  // [length, killAfter seconds, chopsize]
  [0, 1, 0],
  [125, 1, 0],
  [126, 1, 0],
  [127, 1, 0],
  [128, 1, 0],
  [65535, 10, 0],
  [65536, 10, 0],
  [65536, 10, 997],
];

function framingCases(binary: boolean): CaseDefinition[] {
  const kind = binary ? "binary" : "text";
  const motif = binary ? new Uint8Array([0xfe]) : utf8("*");
  return LENGTHS.map(([length, kill, chopsize], index) => {
    const description = length === 0
      ? `Send ${kind} message with payload 0.`
      : `Send ${kind} message message with payload of length ${length}.` +
        (chopsize > 0 ? ` Sent out data in chops of ${chopsize} octets.` : "");
    const expectation = length === 0
      ? `Receive echo'ed ${kind} message (with empty payload). Clean close with normal code.`
      : `Receive echo'ed ${kind} message (with payload as sent). Clean close with normal code.`;
    return define(`1.${binary ? 2 : 1}.${index + 1}`, description, expectation, {
      onOpen(c) {
        const payload = repeatTo(motif, length);
        expectEcho(c, [binary ? binaryEvent(payload) : textEvent(payload)]);
        c.p.sendFrame(binary ? 2 : 1, { payload, chopsize });
        c.p.killAfter(kill);
      },
    });
  });
}

/** Cases 1.1.1–1.2.8. */
export const FRAMING_CASES: CaseDefinition[] = [...framingCases(false), ...framingCases(true)];
