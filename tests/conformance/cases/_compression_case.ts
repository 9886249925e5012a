/**
 * The case body shared by categories 12 and 13 (Autobahn's
 * `case12_x_x.py`): negotiate permessage-deflate with the case's offers or
 * accepts, then send COUNT messages of LEN bytes sliced cyclically from a
 * payload set, one at a time, each compressed and auto-fragmented to
 * AUTOFRAGSIZE octets; every echo must come back with the same type and
 * bytes before the next is sent, within the case's time limit.
 *
 * Where Autobahn reports UNIMPLEMENTED (no permessage-deflate agreed), this
 * suite reports FAILED: qtws implements it, so a missing agreement is a bug.
 *
 * @module
 */

import {
  type Case,
  type CaseDefinition,
  type CaseExtension,
  FAILED,
  OK,
  type RunSettings,
} from "../case.ts";
import type { CompressionData } from "../compression_data.ts";
import {
  clientParams,
  type DeflateAccept,
  type DeflateOffer,
  DeflateReceiver,
  DeflateSender,
  offerString,
  serverAnswer,
} from "../deflate_peer.ts";
import type { MessageExtension } from "../fuzzing_connection.ts";
import { define, NORMAL } from "./_define.ts";

/** Autobahn's MSG_SIZES: (payload length, message count, case timeout in s, auto-fragment size). */
export const MSG_SIZES: ReadonlyArray<readonly [number, number, number, number]> = [
  [16, 1000, 60, 0],
  [64, 1000, 60, 0],
  [256, 1000, 120, 0],
  [1024, 1000, 240, 0],
  [4096, 1000, 480, 0],
  [8192, 1000, 480, 0],
  [16384, 1000, 480, 0],
  [32768, 1000, 480, 0],
  [65536, 1000, 480, 0],
  [131072, 1000, 480, 0],
  [8192, 1000, 480, 256],
  [16384, 1000, 480, 256],
  [32768, 1000, 480, 256],
  [65536, 1000, 480, 256],
  [131072, 1000, 480, 256],
  [131072, 1000, 480, 1024],
  [131072, 1000, 480, 4096],
  [131072, 1000, 480, 32768],
];

/** Messages per case in the default (capped) run; `--full` sends Autobahn's 1000. */
export const CAPPED_COUNT = 10;

/** The permessage-deflate of one side, as the fuzzing connection uses it. */
function extensionOf(params: ReturnType<typeof serverAnswer> & object): MessageExtension {
  const sender = new DeflateSender(params.params);
  const receiver = new DeflateReceiver(params.params);
  return {
    encode: (payload) => sender.compress(payload),
    decode: (payload) => receiver.decompress(payload),
  };
}

/** The negotiation of a case: the fuzzing client's offers, the fuzzing server's accepts. */
export function deflateNegotiation(
  offers: DeflateOffer[],
  accepts: DeflateAccept[],
): CaseExtension {
  return {
    offer: () => offers.map(offerString).join(", "),
    accept(response) {
      const params = clientParams(response, offers);
      if (params === null || typeof params === "string") return params;
      return extensionOf({ response, params });
    },
    answer(offered) {
      const answer = serverAnswer(offered, accepts);
      return answer === null ? null : { response: answer.response, extension: extensionOf(answer) };
    },
  };
}

/** One case of category 12 or 13. */
export function compressionCase(
  id: string,
  description: string,
  size: readonly [number, number, number, number],
  data: CompressionData,
  negotiation: CaseExtension,
  settings: RunSettings,
): CaseDefinition {
  const [length, autobahnCount, waitSeconds, autoFragmentSize] = size;
  const count = settings.full ? autobahnCount : CAPPED_COUNT;
  const definition = define(
    id,
    description,
    `Receive echo'ed messages (with payload as sent). Timeout case after ${waitSeconds} secs.`,
    {
      onOpen(c) {
        c.expectedClose = { closedByMe: true, closeCode: [NORMAL], requireClean: true };
        c.p.autoFragmentSize = autoFragmentSize;
        if (!c.p.extensionInUse) {
          c.behavior = FAILED;
          c.result = "permessage-deflate was not negotiated (Autobahn: UNIMPLEMENTED).";
          c.p.sendClose(NORMAL);
          return;
        }
        c.behavior = FAILED;
        c.result = `Case did not finish within ${waitSeconds} seconds.`;
        c.p.closeAfter(waitSeconds);
        c.state.sent = 0;
        c.state.offset = 0;
        sendOne(c, data, length);
      },
      onMessage(c, payload, binary) {
        const expected = c.state.expected as Uint8Array;
        let problem: string | null = null;
        if (binary !== data.binary) {
          problem =
            `Echo'ed message type differs from what I sent (got binary ${binary}, expected binary ${data.binary}).`;
        } else if (payload.length !== expected.length) {
          problem =
            `Echo'ed message length differs from what I sent (got length ${payload.length}, expected length ${expected.length}).`;
        } else if (!sameBytes(payload, expected)) {
          problem = "Echo'ed message contents differs from what I sent.";
        }
        if (problem !== null) {
          c.behavior = FAILED;
          c.result = problem;
          c.p.sendClose(NORMAL);
        } else if ((c.state.sent as number) < count) {
          sendOne(c, data, length);
        } else {
          c.behavior = OK;
          c.result = "Ok, received all echo'ed messages in time.";
          c.p.sendClose(NORMAL);
        }
      },
    },
    { reportTime: true, budgetSeconds: waitSeconds + 30 },
  );
  return { ...definition, extension: negotiation };
}

function sendOne(c: Case, data: CompressionData, length: number): void {
  const source = data.bytes;
  const from = c.state.offset as number;
  const message = new Uint8Array(length);
  for (let i = 0; i < length; i++) message[i] = source[(from + i) % source.length]!;
  c.state.offset = (from + length) % source.length;
  c.state.expected = message;
  c.state.sent = (c.state.sent as number) + 1;
  c.p.sendMessage(message, { binary: data.binary });
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
