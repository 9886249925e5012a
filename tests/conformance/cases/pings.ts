/**
 * Category 2, Pings/Pongs: pongs echo the ping's payload (up to 125 bytes,
 * also when the ping arrives an octet at a time), a 126-byte ping fails the
 * connection, unsolicited pongs are ignored, and ten pings get ten pongs.
 *
 * @module
 */

import type { CaseDefinition, Received } from "../case.ts";
import { OK } from "../case.ts";
import { bytes, repeatTo, utf8 } from "../wire.ts";
import { define, expectEcho, expectFailure, NORMAL, pongEvent, PROTOCOL_ERROR } from "./_define.ts";

const FE = new Uint8Array([0xfe]);

function tenPings(id: string, description: string, chopsize: number): CaseDefinition {
  return define(
    id,
    description,
    "Pongs for our Pings with all the payloads. Note: This is not required by the Spec .. but we check for this behaviour anyway. Clean close with normal code.",
    {
      onOpen(c) {
        const events: Received[] = [];
        c.expected.set(OK, events);
        for (let i = 0; i < 10; i++) {
          const payload = utf8(`payload-${i}`);
          events.push(pongEvent(payload));
          c.p.sendFrame(9, { payload, chopsize });
        }
        c.expectedClose = { closedByMe: true, closeCode: [NORMAL], requireClean: true };
        c.p.closeAfter(3);
      },
    },
  );
}

/** Cases 2.1–2.11. */
export const PING_CASES: CaseDefinition[] = [
  define(
    "2.1",
    "Send ping without payload.",
    "Pong (with empty payload) is sent in reply to Ping. Clean close with normal code.",
    {
      onOpen(c) {
        expectEcho(c, [pongEvent(new Uint8Array())]);
        c.p.sendFrame(9);
        c.p.closeAfter(1);
      },
    },
  ),
  define(
    "2.2",
    "Send ping with small text payload.",
    "Pong with payload echo'ed is sent in reply to Ping. Clean close with normal code.",
    {
      onOpen(c) {
        const payload = utf8("Hello, world!");
        expectEcho(c, [pongEvent(payload)]);
        c.p.sendFrame(9, { payload });
        c.p.closeAfter(1);
      },
    },
  ),
  define(
    "2.3",
    "Send ping with small binary (non UTF-8) payload.",
    "Pong with payload echo'ed is sent in reply to Ping. Clean close with normal code.",
    {
      onOpen(c) {
        const payload = bytes(0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff);
        expectEcho(c, [pongEvent(payload)]);
        c.p.sendFrame(9, { payload });
        c.p.closeAfter(1);
      },
    },
  ),
  define(
    "2.4",
    "Send ping with binary payload of 125 octets.",
    "Pong with payload echo'ed is sent in reply to Ping. Clean close with normal code.",
    {
      onOpen(c) {
        const payload = repeatTo(FE, 125);
        expectEcho(c, [pongEvent(payload)]);
        c.p.sendFrame(9, { payload });
        c.p.closeAfter(1);
      },
    },
  ),
  define(
    "2.5",
    "Send ping with binary payload of 126 octets.",
    "Connection is failed immediately (1002/Protocol Error), since control frames are only allowed to have payload up to and including 125 octets..",
    {
      onOpen(c) {
        expectFailure(c, PROTOCOL_ERROR);
        c.p.sendFrame(9, { payload: repeatTo(FE, 126) });
        c.p.killAfter(1);
      },
    },
  ),
  define(
    "2.6",
    "Send ping with binary payload of 125 octets, send in octet-wise chops.",
    "Pong with payload echo'ed is sent in reply to Ping. Implementations must be TCP clean. Clean close with normal code.",
    {
      onOpen(c) {
        const payload = repeatTo(FE, 125);
        expectEcho(c, [pongEvent(payload)]);
        c.p.sendFrame(9, { payload, chopsize: 1 });
        c.p.closeAfter(2);
      },
    },
  ),
  define(
    "2.7",
    "Send unsolicited pong without payload. Verify nothing is received. Clean close with normal code.",
    "Nothing.",
    {
      onOpen(c) {
        expectEcho(c, []);
        c.p.sendFrame(10);
        c.p.sendClose(NORMAL);
        c.p.closeAfter(1);
      },
    },
  ),
  define(
    "2.8",
    "Send unsolicited pong with payload. Verify nothing is received. Clean close with normal code.",
    "Nothing.",
    {
      onOpen(c) {
        expectEcho(c, []);
        c.p.sendFrame(10, { payload: utf8("unsolicited pong payload") });
        c.p.sendClose(NORMAL);
        c.p.closeAfter(1);
      },
    },
  ),
  define(
    "2.9",
    "Send unsolicited pong with payload. Send ping with payload. Verify pong for ping is received.",
    "Nothing in reply to own Pong, but Pong with payload echo'ed in reply to Ping. Clean close with normal code.",
    {
      onOpen(c) {
        const payload = utf8("ping payload");
        expectEcho(c, [pongEvent(payload)]);
        c.p.sendFrame(10, { payload: utf8("unsolicited pong payload") });
        c.p.sendFrame(9, { payload });
        c.p.closeAfter(1);
      },
    },
  ),
  tenPings("2.10", "Send 10 Pings with payload.", 0),
  tenPings("2.11", "Send 10 Pings with payload. Send out octets in octet-wise chops.", 1),
];
