/**
 * Category 3, Reserved Bits: a frame with any RSV bit set, when no extension
 * was negotiated, fails the connection with 1002 — after the echo of a valid
 * message sent before it (or, non-strictly, without that echo).
 *
 * @module
 */

import type { Case, CaseDefinition } from "../case.ts";
import { bytes, utf8 } from "../wire.ts";
import { define, expectFailure, PROTOCOL_ERROR, textEvent } from "./_define.ts";

const HELLO = utf8("Hello, world!");
const EXPECT_ECHO_THEN_FAIL =
  "Echo for first message is received, but then connection is failed immediately, since RSV must be 0, when no extension defining RSV meaning has been negotiated. The Pong is not received.";

function echoThenFail(c: Case): void {
  expectFailure(c, PROTOCOL_ERROR, [textEvent(HELLO)], []);
}

/** Cases 3.1–3.7. */
export const RESERVED_BIT_CASES: CaseDefinition[] = [
  define(
    "3.1",
    "Send small text message with RSV = 1.",
    "The connection is failed immediately (1002/protocol error), since RSV must be 0, when no extension defining RSV meaning has been negoiated.",
    {
      onOpen(c) {
        expectFailure(c, PROTOCOL_ERROR);
        c.p.sendFrame(1, { payload: HELLO, rsv: 1 });
        c.p.killAfter(1);
      },
    },
  ),
  define(
    "3.2",
    "Send small text message, then send again with RSV = 2, then send Ping.",
    EXPECT_ECHO_THEN_FAIL,
    {
      onOpen(c) {
        echoThenFail(c);
        c.p.sendFrame(1, { payload: HELLO });
        c.p.sendFrame(1, { payload: HELLO, rsv: 2 });
        c.p.sendFrame(9);
        c.p.killAfter(1);
      },
    },
  ),
  define(
    "3.3",
    "Send small text message, then send again with RSV = 3, then send Ping. Octets are sent in frame-wise chops. Octets are sent in octet-wise chops.",
    EXPECT_ECHO_THEN_FAIL,
    {
      onOpen(c) {
        echoThenFail(c);
        c.p.sendFrame(1, { payload: HELLO, sync: true });
        c.p.sendFrame(1, { payload: HELLO, rsv: 3, sync: true });
        c.p.sendFrame(9, { sync: true });
        c.p.killAfter(1);
      },
    },
  ),
  define(
    "3.4",
    "Send small text message, then send again with RSV = 4, then send Ping. Octets are sent in octet-wise chops.",
    EXPECT_ECHO_THEN_FAIL,
    {
      onOpen(c) {
        echoThenFail(c);
        c.p.sendFrame(1, { payload: HELLO, chopsize: 1 });
        c.p.sendFrame(1, { payload: HELLO, rsv: 4, chopsize: 1 });
        c.p.sendFrame(9, { chopsize: 1 });
        c.p.killAfter(1);
      },
    },
  ),
  define(
    "3.5",
    "Send small binary message with RSV = 5.",
    "The connection is failed immediately, since RSV must be 0.",
    {
      onOpen(c) {
        expectFailure(c, PROTOCOL_ERROR);
        c.p.sendFrame(2, {
          payload: bytes(0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff),
          rsv: 5,
        });
        c.p.killAfter(1);
      },
    },
  ),
  define(
    "3.6",
    "Send Ping with RSV = 6.",
    "The connection is failed immediately, since RSV must be 0.",
    {
      onOpen(c) {
        expectFailure(c, PROTOCOL_ERROR);
        // Autobahn's case sends this frame with opcode 2 despite its
        // description; the bytes are reproduced as it sends them.
        c.p.sendFrame(2, { payload: HELLO, rsv: 6 });
        c.p.killAfter(1);
      },
    },
  ),
  define(
    "3.7",
    "Send Close with RSV = 7.",
    "The connection is failed immediately, since RSV must be 0.",
    {
      onOpen(c) {
        expectFailure(c, PROTOCOL_ERROR);
        c.p.sendFrame(8, { rsv: 7 });
        c.p.killAfter(1);
      },
    },
  ),
];
