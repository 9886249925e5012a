/**
 * Category 10, Auto-Fragmentation (10.1.1): the fuzzer sends a 64 KiB text
 * message split automatically into 1300-byte frames; the peer must echo the
 * whole message. As in Autobahn, the case also checks the fuzzer's own frame
 * counts (1 text frame, 50 continuations), so a fuzzer bug cannot pass as a
 * peer's success.
 *
 * @module
 */

import type { CaseDefinition } from "../case.ts";
import { FAILED } from "../case.ts";
import { repeatTo, utf8 } from "../wire.ts";
import { define, expectEcho, textEvent } from "./_define.ts";

const PAYLOAD_LENGTH = 65536;
const FRAGMENT = 1300;

/** Case 10.1.1. */
export const AUTO_FRAGMENTATION_CASES: CaseDefinition[] = [
  define(
    "10.1.1",
    "Send text message with payload of length 65536 auto-fragmented with autoFragmentSize = 1300.",
    "Receive echo'ed text message (with payload as sent and transmitted frame counts as expected). Clean close with normal code.",
    {
      onOpen(c) {
        const payload = repeatTo(utf8("*"), PAYLOAD_LENGTH);
        c.p.autoFragmentSize = FRAGMENT;
        expectEcho(c, [textEvent(payload)]);
        c.p.sendMessage(payload);
        c.p.killAfter(10);
      },
      afterConnectionLost(c) {
        const expected = [
          Math.floor(PAYLOAD_LENGTH / FRAGMENT),
          PAYLOAD_LENGTH % FRAGMENT > 0 ? 1 : 0,
        ];
        const got = [c.p.txFrameStats.get(0) ?? 0, c.p.txFrameStats.get(1) ?? 0];
        if (got[0] !== expected[0] || got[1] !== expected[1]) {
          c.behavior = FAILED;
          c.result = `Frames transmitted {0: ${got[0]}, 1: ${
            got[1]
          }} does not match what we expected {0: ${expected[0]}, 1: ${expected[1]}}.`;
        }
      },
    },
  ),
];
