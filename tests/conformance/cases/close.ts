/**
 * Category 7, Close Handling: frames after a close frame are ignored (7.1),
 * close payload lengths 0, 1, 2, with a reason, with a 123-byte reason and one
 * byte too many (7.3), a reason that is not UTF-8 (7.5), every valid close
 * code Autobahn sends (7.7) and invalid ones (7.9), and codes outside the
 * 16-bit registry's ranges (7.13, informational).
 *
 * @module
 */

import type { Case, CaseDefinition } from "../case.ts";
import { INFORMATIONAL, NON_STRICT, OK } from "../case.ts";
import { hex, repeatTo, utf8 } from "../wire.ts";
import { define, INVALID_PAYLOAD, NORMAL, PROTOCOL_ERROR, textEvent } from "./_define.ts";

/** The valid close codes of 7.7.x, in Autobahn's order. */
export const VALID_CLOSE_CODES = [
  1000,
  1001,
  1002,
  1003,
  1007,
  1008,
  1009,
  1010,
  1011,
  3000,
  3999,
  4000,
  4999,
];

/**
 * The invalid close codes of 7.9.x: Autobahn's current list. Its older
 * releases also listed 1012–1015; 1012–1014 have since been registered with
 * IANA (crossbario/autobahn-testsuite#52, #88, #89) and were removed, and so
 * was 1015, which is reserved (never sent) rather than unassigned.
 */
export const INVALID_CLOSE_CODES = [0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999];

function closeCase(
  id: string,
  description: string,
  expectation: string,
  start: (c: Case) => void,
  closeCodes: number[],
  requireClean: boolean,
  expectedEvents: Case["received"] = [],
): CaseDefinition {
  return define(id, description, expectation, {
    onOpen(c) {
      c.suppressClose = true;
      c.expected.set(OK, expectedEvents);
      c.expectedClose = { closedByMe: true, closeCode: closeCodes, requireClean };
      start(c);
      c.p.killAfter(1);
    },
    afterConnectionLost(c) {
      c.failOnWrongCode();
    },
  });
}

const INVALID_UTF8_REASON = hex("cebae1bdb9cf83cebcceb5eda080656469746564");

/** Cases 7.1.1–7.13.2. */
export const CLOSE_CASES: CaseDefinition[] = [
  define(
    "7.1.1",
    "Send a message followed by a close frame",
    "Echoed message followed by clean close with normal code.",
    {
      onOpen(c) {
        const payload = utf8("Hello World!");
        c.expected.set(OK, [textEvent(payload)]);
        c.expectedClose = { closedByMe: true, closeCode: [NORMAL], requireClean: true };
        c.p.sendFrame(1, { payload });
        c.p.killAfter(1);
      },
      afterConnectionLost(c) {
        c.failOnWrongCode();
      },
    },
  ),
  closeCase(
    "7.1.2",
    "Send two close frames",
    "Clean close with normal code. Second close frame ignored.",
    (c) => {
      c.p.sendClose(NORMAL);
      c.p.sendFrame(8);
    },
    [NORMAL],
    true,
  ),
  closeCase(
    "7.1.3",
    "Send a ping after close message",
    "Clean close with normal code, no pong.",
    (c) => {
      c.p.sendClose(NORMAL);
      c.p.sendFrame(9);
    },
    [NORMAL],
    true,
  ),
  closeCase(
    "7.1.4",
    "Send text message after sending a close frame.",
    "Clean close with normal code. Text message ignored.",
    (c) => {
      c.p.sendClose(NORMAL);
      c.p.sendFrame(1, { payload: utf8("Hello World!") });
    },
    [NORMAL],
    true,
  ),
  closeCase(
    "7.1.5",
    "Send message fragment1 followed by close then fragment",
    "Clean close with normal code.",
    (c) => {
      c.p.sendFrame(1, { fin: false, payload: utf8("fragment1") });
      c.p.sendClose(NORMAL);
      c.p.sendFrame(0, { fin: true, payload: utf8("fragment2") });
    },
    [NORMAL],
    true,
  ),
  define(
    "7.1.6",
    "Send 256K message followed by close then a ping",
    "Case outcome depends on implementation defined close behavior. Message and close frame are sent back to back. If the close frame is processed before the text message write is complete (as can happen in asynchronous processing models) the close frame is processed first and the text message may not be received or may only be partially received.",
    {
      onOpen(c) {
        c.suppressClose = true;
        const payload = utf8("Hello World!");
        c.expected.set(OK, [textEvent(payload)]);
        c.expected.set(NON_STRICT, []);
        c.expectedClose = { closedByMe: true, closeCode: [NORMAL], requireClean: true };
        c.p.sendFrame(1, { payload: utf8("BAsd7&jh23"), payloadLen: 256 * 1024 });
        c.p.sendFrame(1, { payload });
        c.p.sendClose(NORMAL);
        c.p.sendFrame(9);
        c.p.killAfter(1);
      },
      afterConnectionLost(c) {
        if (c.behavior === OK) c.result = "Text message was processed before close.";
        else if (c.behavior === NON_STRICT) {
          c.result = "Close was processed before text message could be returned.";
        }
        // Autobahn reports this case as informational, whatever happened.
        c.behavior = INFORMATIONAL;
        c.behaviorClose = INFORMATIONAL;
        c.allowed.add(INFORMATIONAL);
      },
    },
  ),
  closeCase(
    "7.3.1",
    "Send a close frame with payload length 0 (no close code, no close reason)",
    "Clean close with normal code.",
    (c) => c.p.sendCloseFrame(),
    [NORMAL],
    true,
  ),
  closeCase(
    "7.3.2",
    "Send a close frame with payload length 1",
    "Clean close with protocol error or drop TCP.",
    (c) => c.p.sendCloseFrame(null, utf8("a")),
    [PROTOCOL_ERROR],
    false,
  ),
  closeCase(
    "7.3.3",
    "Send a close frame with payload length 2 (regular close with a code)",
    "Clean close with normal code.",
    (c) => c.p.sendClose(NORMAL),
    [NORMAL],
    true,
  ),
  closeCase(
    "7.3.4",
    "Send a close frame with close code and close reason",
    "Clean close with normal code.",
    (c) => c.p.sendClose(NORMAL, "Hello World!"),
    [NORMAL],
    true,
  ),
  closeCase(
    "7.3.5",
    "Send a close frame with close code and close reason of maximum length (123)",
    "Clean close with normal code.",
    (c) => c.p.sendClose(NORMAL, "*".repeat(123)),
    [NORMAL],
    true,
  ),
  closeCase(
    "7.3.6",
    "Send a close frame with close code and close reason which is too long (124) - total frame payload 126 octets",
    "Clean close with protocol error code or dropped TCP connection.",
    (c) => c.p.sendCloseFrame(NORMAL, repeatTo(utf8("*"), 124)),
    [PROTOCOL_ERROR],
    false,
  ),
  closeCase(
    "7.5.1",
    "Send a close frame with invalid UTF8 payload",
    "Clean close with protocol error or invalid utf8 code or dropped TCP.",
    (c) => c.p.sendCloseFrame(NORMAL, INVALID_UTF8_REASON),
    [PROTOCOL_ERROR, INVALID_PAYLOAD],
    false,
  ),
  ...VALID_CLOSE_CODES.map((code, index) =>
    closeCase(
      `7.7.${index + 1}`,
      `Send close with valid close code ${code}`,
      "Clean close with normal or echoed code",
      (c) => c.p.sendCloseFrame(code),
      [NORMAL, code],
      true,
    )
  ),
  ...INVALID_CLOSE_CODES.map((code, index) =>
    closeCase(
      `7.9.${index + 1}`,
      `Send close with invalid close code ${code}`,
      "Clean close with protocol error code or drop TCP",
      (c) => c.p.sendCloseFrame(code),
      [PROTOCOL_ERROR],
      false,
    )
  ),
  ...[5000, 65535].map((code, index) =>
    define(
      `7.13.${index + 1}`,
      `Send close with close code ${code}`,
      "Actual events are undefined by the spec.",
      {
        onOpen(c) {
          c.suppressClose = true;
          c.expected.set(OK, []);
          c.expectedClose = {
            closedByMe: true,
            closeCode: [NORMAL, code, PROTOCOL_ERROR],
            requireClean: false,
          };
          c.p.sendCloseFrame(code);
          c.p.killAfter(1);
        },
        afterConnectionLost(c) {
          c.behavior = INFORMATIONAL;
          c.behaviorClose = INFORMATIONAL;
          c.result = "Actual events are undefined by the spec.";
          c.allowed.add(INFORMATIONAL);
        },
      },
    )
  ),
];
