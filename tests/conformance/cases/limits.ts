/**
 * Category 9, Limits/Performance: large text and binary messages (9.1, 9.2),
 * a 4 MiB message in frames from 64 bytes to 4 MiB (9.3, 9.4), a 1 MiB
 * message written in chops of 64 to 2048 octets (9.5, 9.6), and a thousand
 * round trips at each message size (9.7, 9.8). A case passes when the echo
 * has the right type and length within Autobahn's time limit.
 *
 * `deno task conformance:full` runs Autobahn's sizes. The default test run
 * divides message sizes by 16 and round-trip counts by 10 (frame and chop
 * sizes stay), so the suite fits in a CI budget; the report says so per case.
 *
 * @module
 */

import type { Case, CaseDefinition, RunSettings } from "../case.ts";
import { FAILED, OK } from "../case.ts";
import { repeatTo, utf8 } from "../wire.ts";
import { define, NORMAL } from "./_define.ts";

const KIB = 1024;
const MIB = 1024 * 1024;

function sizeName(bytes: number): string {
  if (bytes >= MIB && bytes % MIB === 0) return `${bytes / MIB}M`;
  if (bytes >= KIB && bytes % KIB === 0) return `${bytes / KIB}k`;
  return `${bytes}`;
}

function lengthDescription(bytes: number): string {
  if (bytes >= MIB) return `${bytes / MIB} * 2**20 (${sizeName(bytes)})`;
  return `${bytes / KIB} * 2**10 (${sizeName(bytes)})`;
}

/** Sizes of the default (capped) run. */
function capped(settings: RunSettings, bytes: number): number {
  return settings.full ? bytes : Math.max(1, Math.floor(bytes / 16));
}

// Expects one echo of the right type and length, then closes (Autobahn's
// category 9 onMessage: the content is not compared).
function expectLength(binary: boolean, length: () => number) {
  return (c: Case, payload: Uint8Array, isBinary: boolean) => {
    const kind = binary ? "binary" : "text";
    if (isBinary !== binary) {
      c.result = `Expected ${kind} message with payload, but got ${isBinary ? "binary" : "text"}.`;
    } else if (payload.length !== length()) {
      c.result =
        `Expected ${kind} message with payload of length ${length()}, but got ${payload.length}.`;
    } else {
      c.behavior = OK;
      c.result = `Received ${kind} message of length ${payload.length}.`;
    }
    c.p.sendClose(NORMAL);
  };
}

function bigMessage(
  id: string,
  binary: boolean,
  bytes: number,
  waitSeconds: number,
  settings: RunSettings,
  chopsize = 0,
): CaseDefinition {
  const kind = binary ? "binary" : "text";
  const size = capped(settings, bytes);
  const chops = chopsize > 0 ? ` Sent out data in chops of ${chopsize} octets.` : "";
  const motif = binary ? new Uint8Array([0x00, 0xfe, 0x23, 0xfa, 0xf0]) : utf8("BAsd7&jh23");
  return define(
    id,
    `Send ${kind} message message with payload of length ${lengthDescription(bytes)}.${chops}`,
    `Receive echo'ed ${kind} message (with payload as sent).`,
    {
      onOpen(c) {
        c.behavior = FAILED;
        c.expectedClose = { closedByMe: true, closeCode: [NORMAL], requireClean: true };
        c.result = `Did not receive message within ${waitSeconds} seconds.`;
        c.p.sendFrame(binary ? 2 : 1, { payload: motif, payloadLen: size, chopsize });
        c.p.closeAfter(waitSeconds);
      },
      onMessage: expectLength(binary, () => size),
    },
    { reportTime: true, budgetSeconds: waitSeconds * 2 + 30 },
  );
}

function fragmented(
  id: string,
  binary: boolean,
  fragmentSize: number,
  settings: RunSettings,
): CaseDefinition {
  const kind = binary ? "binary" : "text";
  const bytes = 4 * MIB;
  const size = capped(settings, bytes);
  return define(
    id,
    `Send fragmented ${kind} message message with message payload of length 4 * 2**20 (4M). Sent out in fragments of ${
      sizeName(fragmentSize)
    }.`,
    `Receive echo'ed ${kind} message (with payload as sent).`,
    {
      onOpen(c) {
        c.behavior = FAILED;
        c.expectedClose = { closedByMe: true, closeCode: [NORMAL], requireClean: true };
        c.result = "Did not receive message within 100 seconds.";
        const payload = repeatTo(binary ? new Uint8Array([0xfe]) : utf8("*"), size);
        c.p.sendMessage(payload, { binary, fragmentSize });
        c.p.closeAfter(100);
      },
      onMessage: expectLength(binary, () => size),
    },
    { reportTime: true, budgetSeconds: 230 },
  );
}

function roundTrips(
  id: string,
  binary: boolean,
  length: number,
  count: number,
  waitSeconds: number,
  settings: RunSettings,
): CaseDefinition {
  const kind = binary ? "binary" : "text";
  const total = settings.full ? count : Math.max(1, Math.floor(count / 10));
  const send = (c: Case) => {
    c.p.sendFrame(binary ? 2 : 1, {
      payload: binary ? new Uint8Array([0xfe]) : utf8("*"),
      payloadLen: length,
    });
    c.state.count = (c.state.count as number) + 1;
  };
  return define(
    id,
    `Send ${count} ${kind} messages of payload size ${length} to measure implementation/network RTT (round trip time) / latency.`,
    `Receive echo'ed ${kind} messages (with payload as sent). Timeout case after ${waitSeconds} secs.`,
    {
      onOpen(c) {
        c.behavior = FAILED;
        c.expectedClose = { closedByMe: true, closeCode: [NORMAL], requireClean: true };
        c.result = `Case did not finish within ${waitSeconds} seconds.`;
        c.p.closeAfter(waitSeconds);
        c.state.count = 0;
        send(c);
      },
      onMessage(c, payload, isBinary) {
        if (isBinary !== binary || payload.length !== length) {
          c.behavior = FAILED;
          c.result =
            `Echo'ed message type or length differs from what I sent (got binary = ${isBinary}, payload length = ${payload.length}).`;
          c.p.sendClose(NORMAL);
        } else if ((c.state.count as number) < total) {
          send(c);
        } else {
          c.behavior = OK;
          c.result = "Ok, received all echo'ed messages in time.";
          c.p.sendClose(NORMAL);
        }
      },
    },
    { reportTime: true, budgetSeconds: waitSeconds * 2 + 30 },
  );
}

/** What the capped run changed in a case, for the report; empty in a full run. */
export function capNote(id: string, settings: RunSettings): string {
  if (settings.full || !id.startsWith("9.")) return "";
  const sub = Number(id.split(".")[1]);
  if (sub === 7 || sub === 8) return "capped: 100 round trips instead of 1000";
  if (sub === 1 || sub === 2) {
    const index = Number(id.split(".")[2]) - 1;
    return `capped: ${sizeName(capped(settings, MESSAGE_SIZES[index]!))} instead of ${
      sizeName(MESSAGE_SIZES[index]!)
    }`;
  }
  if (sub === 3 || sub === 4) return "capped: 256k message instead of 4M";
  return "capped: 64k message instead of 1M";
}

const MESSAGE_SIZES = [64 * KIB, 256 * KIB, MIB, 4 * MIB, 8 * MIB, 16 * MIB];
const MESSAGE_WAITS = [10, 10, 100, 100, 100, 100];
const FRAGMENT_SIZES = [64, 256, KIB, 4 * KIB, 16 * KIB, 64 * KIB, 256 * KIB, MIB, 4 * MIB];
const CHOP_SIZES = [64, 128, 256, 512, 1024, 2048];
const ROUND_TRIPS: Array<[number, number]> = [
  [0, 60],
  [16, 60],
  [64, 60],
  [256, 120],
  [1024, 240],
  [4096, 480],
];

/** Cases 9.1.1–9.8.6, sized for a full or a capped run. */
export function limitCases(settings: RunSettings): CaseDefinition[] {
  const out: CaseDefinition[] = [];
  for (const binary of [false, true]) {
    MESSAGE_SIZES.forEach((bytes, i) => {
      out.push(
        bigMessage(`9.${binary ? 2 : 1}.${i + 1}`, binary, bytes, MESSAGE_WAITS[i]!, settings),
      );
    });
  }
  for (const binary of [false, true]) {
    FRAGMENT_SIZES.forEach((fragment, i) => {
      out.push(fragmented(`9.${binary ? 4 : 3}.${i + 1}`, binary, fragment, settings));
    });
  }
  for (const binary of [false, true]) {
    CHOP_SIZES.forEach((chop, i) => {
      out.push(bigMessage(`9.${binary ? 6 : 5}.${i + 1}`, binary, MIB, 1000, settings, chop));
    });
  }
  for (const binary of [false, true]) {
    ROUND_TRIPS.forEach(([length, wait], i) => {
      out.push(roundTrips(`9.${binary ? 8 : 7}.${i + 1}`, binary, length, 1000, wait, settings));
    });
  }
  return out;
}
