/**
 * Category 4, Opcodes: frames with the reserved non-control opcodes 3–7
 * (4.1) and control opcodes 11–15 (4.2) fail the connection with 1002,
 * after the echo of a valid message sent before them.
 *
 * @module
 */

import type { CaseDefinition } from "../case.ts";
import { utf8 } from "../wire.ts";
import { define, expectFailure, PROTOCOL_ERROR, textEvent } from "./_define.ts";

const HELLO = utf8("Hello, world!");

function reservedOpcodeCases(control: boolean): CaseDefinition[] {
  const base = control ? 11 : 3;
  const kind = control ? "control" : "non-control";
  const group = control ? "4.2" : "4.1";
  const out: CaseDefinition[] = [];
  // [case number, send a text message first, opcode payload, chopsize]
  const shapes: Array<[boolean, Uint8Array | null, number]> = [
    [false, null, 0],
    [false, utf8("reserved opcode payload"), 0],
    [true, null, 0],
    [true, HELLO, 0],
    [true, HELLO, 1],
  ];
  shapes.forEach(([withEcho, payload, chopsize], index) => {
    const opcode = base + index;
    const withPayload = payload === null ? "" : " and non-empty payload";
    const description = withEcho
      ? `Send small text message, then send frame with reserved ${kind} Opcode = ${opcode}${withPayload}, then send Ping.`
      : `Send frame with reserved ${kind} Opcode = ${opcode}${withPayload}.`;
    const expectation = withEcho
      ? "Echo for first message is received, but then connection is failed immediately, since reserved opcode frame is used. A Pong is not received."
      : "The connection is failed immediately.";
    out.push(define(`${group}.${index + 1}`, description, expectation, {
      onOpen(c) {
        if (withEcho) {
          expectFailure(c, PROTOCOL_ERROR, [textEvent(HELLO)], []);
          c.p.sendFrame(1, { payload: HELLO, chopsize });
          c.p.sendFrame(opcode, { payload: payload ?? undefined, chopsize });
          c.p.sendFrame(9, { chopsize });
        } else {
          expectFailure(c, PROTOCOL_ERROR);
          c.p.sendFrame(opcode, { payload: payload ?? undefined });
        }
        c.p.killAfter(1);
      },
    }));
  });
  return out;
}

/** Cases 4.1.1–4.2.5. */
export const OPCODE_CASES: CaseDefinition[] = [
  ...reservedOpcodeCases(false),
  ...reservedOpcodeCases(true),
];
