/**
 * Category 5, Fragmentation: fragmented control frames fail, fragmented text
 * is reassembled (with pings answered in between, however the bytes are
 * chopped), and continuation frames with nothing to continue, or a new data
 * frame inside a fragmented message, fail with 1002.
 *
 * @module
 */

import type { CaseDefinition } from "../case.ts";
import { utf8 } from "../wire.ts";
import {
  define,
  expectEcho,
  expectFailure,
  pongEvent,
  PROTOCOL_ERROR,
  textEvent,
} from "./_define.ts";

const FAIL_NOTHING_TO_CONTINUE =
  "The connection is failed immediately, since there is no message to continue.";

type Chop = "one" | "frame" | "octet";

const CHOP_WORDS: Record<Chop, string> = {
  one: "sent in one chop",
  frame: "sent in per-frame chops",
  octet: "sent in octet-wise chops",
};

function chopOptions(chop: Chop): { sync?: boolean; chopsize?: number } {
  if (chop === "frame") return { sync: true };
  if (chop === "octet") return { chopsize: 1 };
  return {};
}

function twoFragments(id: string, chop: Chop): CaseDefinition {
  const suffix = chop === "one"
    ? ""
    : chop === "frame"
    ? ", octets are sent in frame-wise chops"
    : ", octets are sent in octet-wise chops";
  return define(
    id,
    `Send text Message fragmented into 2 fragments${suffix}.`,
    "Message is processed and echo'ed back to us.",
    {
      onOpen(c) {
        const fragments = [utf8("fragment1"), utf8("fragment2")];
        expectEcho(c, [textEvent(utf8("fragment1fragment2"))]);
        c.p.sendFrame(1, { fin: false, payload: fragments[0], ...chopOptions(chop) });
        c.p.sendFrame(0, { fin: true, payload: fragments[1], ...chopOptions(chop) });
        c.p.closeAfter(1);
      },
    },
  );
}

function pingBetween(id: string, chop: Chop): CaseDefinition {
  const suffix = chop === "one"
    ? ""
    : chop === "frame"
    ? " Octets are sent in frame-wise chops."
    : " Octets are sent in octet-wise chops.";
  return define(
    id,
    `Send text Message fragmented into 2 fragments, one ping with payload in-between.${suffix}`,
    "A pong is received, then the message is echo'ed back to us.",
    {
      onOpen(c) {
        const ping = utf8("ping payload");
        expectEcho(c, [pongEvent(ping), textEvent(utf8("fragment1fragment2"))]);
        c.p.sendFrame(1, { fin: false, payload: utf8("fragment1"), ...chopOptions(chop) });
        c.p.sendFrame(9, { fin: true, payload: ping, ...chopOptions(chop) });
        c.p.sendFrame(0, { fin: true, payload: utf8("fragment2"), ...chopOptions(chop) });
        c.p.closeAfter(1);
      },
    },
  );
}

function continuationFirst(id: string, fin: boolean, chop: Chop): CaseDefinition {
  return define(
    id,
    `Send unfragmented Text Message after Continuation Frame with FIN = ${fin}, where there is nothing to continue, ${
      CHOP_WORDS[chop]
    }.`,
    FAIL_NOTHING_TO_CONTINUE,
    {
      onOpen(c) {
        expectFailure(c, PROTOCOL_ERROR);
        c.p.sendFrame(0, { fin, payload: utf8("non-continuation payload"), ...chopOptions(chop) });
        c.p.sendFrame(1, { fin: true, payload: utf8("Hello, world!"), ...chopOptions(chop) });
        c.p.killAfter(1);
      },
    },
  );
}

function repeatedContinuation(id: string, fin: boolean): CaseDefinition {
  return define(
    id,
    `Repeated 2x: Continuation Frame with FIN = ${fin} (where there is nothing to continue), then text Message fragmented into 2 fragments.`,
    FAIL_NOTHING_TO_CONTINUE,
    {
      onOpen(c) {
        expectFailure(c, PROTOCOL_ERROR);
        for (let i = 0; i < 2; i++) {
          c.p.sendFrame(0, { fin, payload: utf8("fragment1") });
          c.p.sendFrame(1, { fin: false, payload: utf8("fragment2") });
          c.p.sendFrame(0, { fin: true, payload: utf8("fragment3") });
        }
        c.p.killAfter(1);
      },
    },
  );
}

function pingsWhileFragmenting(id: string, sync: boolean): CaseDefinition {
  const description = sync
    ? "Same as Case 5.19, but send all frames with SYNC = True. Note, this does not change the octets sent in any way, only how the stream is chopped up on the wire."
    : "A fragmented text message is sent in multiple frames. After sending the first 2 frames of the text message, a Ping is sent. Then we wait 1s, then we send 2 more text fragments, another Ping and then the final text fragment. Everything is legal.";
  const expectation = sync
    ? "Same as Case 5.19. Implementations must be agnostic to how octet stream is chopped up on wire (must be TCP clean)."
    : "The peer immediately answers the first Ping before it has received the last text message fragment. The peer pong's back the Ping's payload exactly, and echo's the payload of the fragmented message back to us.";
  return define(id, description, expectation, {
    onOpen(c) {
      const fragments = ["fragment1", "fragment2", "fragment3", "fragment4", "fragment5"].map(utf8);
      const pings = [utf8("pongme 1!"), utf8("pongme 2!")];
      expectEcho(c, [
        pongEvent(pings[0]!),
        pongEvent(pings[1]!),
        textEvent(utf8("fragment1fragment2fragment3fragment4fragment5")),
      ]);
      c.p.sendFrame(1, { fin: false, payload: fragments[0], sync });
      c.p.sendFrame(0, { fin: false, payload: fragments[1], sync });
      c.p.sendFrame(9, { fin: true, payload: pings[0], sync });
      c.p.continueLater(1, () => {
        c.p.sendFrame(0, { fin: false, payload: fragments[2], sync });
        c.p.sendFrame(0, { fin: false, payload: fragments[3], sync });
        c.p.sendFrame(9, { fin: true, payload: pings[1], sync });
        c.p.sendFrame(0, { fin: true, payload: fragments[4], sync });
        c.p.closeAfter(1);
      });
    },
  });
}

/** Cases 5.1–5.20. */
export const FRAGMENTATION_CASES: CaseDefinition[] = [
  define(
    "5.1",
    "Send Ping fragmented into 2 fragments.",
    "Connection is failed immediately, since control message MUST NOT be fragmented.",
    {
      onOpen(c) {
        expectFailure(c, PROTOCOL_ERROR);
        c.p.sendFrame(9, { fin: false, payload: utf8("fragment1") });
        c.p.sendFrame(0, { fin: true, payload: utf8("fragment2") });
        c.p.killAfter(1);
      },
    },
  ),
  define(
    "5.2",
    "Send Pong fragmented into 2 fragments.",
    "Connection is failed immediately, since control message MUST NOT be fragmented.",
    {
      onOpen(c) {
        expectFailure(c, PROTOCOL_ERROR);
        c.p.sendFrame(10, { fin: false, payload: utf8("fragment1") });
        c.p.sendFrame(0, { fin: true, payload: utf8("fragment2") });
        c.p.killAfter(1);
      },
    },
  ),
  twoFragments("5.3", "one"),
  twoFragments("5.4", "frame"),
  twoFragments("5.5", "octet"),
  pingBetween("5.6", "one"),
  pingBetween("5.7", "frame"),
  pingBetween("5.8", "octet"),
  continuationFirst("5.9", true, "one"),
  continuationFirst("5.10", true, "frame"),
  continuationFirst("5.11", true, "octet"),
  continuationFirst("5.12", false, "one"),
  continuationFirst("5.13", false, "frame"),
  continuationFirst("5.14", false, "octet"),
  define(
    "5.15",
    "Send text Message fragmented into 2 fragments, then Continuation Frame with FIN = false where there is nothing to continue, then unfragmented Text Message, all sent in one chop.",
    FAIL_NOTHING_TO_CONTINUE,
    {
      onOpen(c) {
        expectFailure(c, PROTOCOL_ERROR, [textEvent(utf8("fragment1fragment2"))], []);
        c.p.sendFrame(1, { fin: false, payload: utf8("fragment1") });
        c.p.sendFrame(0, { fin: true, payload: utf8("fragment2") });
        c.p.sendFrame(0, { fin: false, payload: utf8("fragment3") });
        c.p.sendFrame(1, { fin: true, payload: utf8("fragment4") });
        c.p.killAfter(1);
      },
    },
  ),
  repeatedContinuation("5.16", false),
  repeatedContinuation("5.17", true),
  define(
    "5.18",
    "Send text Message fragmented into 2 fragments, with both frame opcodes set to text, sent in one chop.",
    "The connection is failed immediately, since all data frames after the initial data frame must have opcode 0.",
    {
      onOpen(c) {
        expectFailure(c, PROTOCOL_ERROR);
        c.p.sendFrame(1, { fin: false, payload: utf8("fragment1") });
        c.p.sendFrame(1, { fin: true, payload: utf8("fragment2") });
        c.p.killAfter(1);
      },
    },
  ),
  pingsWhileFragmenting("5.19", false),
  pingsWhileFragmenting("5.20", true),
];
