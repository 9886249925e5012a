/**
 * A test case and its verdict, decided the way the Autobahn TestSuite decides
 * it (its `Case` class):
 *
 * - `behavior`: the events received (messages, pongs, timeouts of a case's own
 *   waits) are compared with each expected list; the first that matches
 *   exactly names the behaviour (`OK`, `NON-STRICT`, ...). No match: `FAILED`.
 * - `behaviorClose`: the closing handshake against `expectedClose` — failed by
 *   the wrong endpoint → `FAILED`; `requireClean` but not clean → `UNCLEAN`;
 *   a close code not in the list → `WRONG CODE`; the fuzzer (as client) had to
 *   drop TCP → `FAILED BY CLIENT`; otherwise `OK`.
 * - Cases may then adjust both (7.x turns a wrong code into a failure, 7.1.6
 *   and 7.13.x are informational, 6.x fails when the wrong endpoint closed).
 *
 * Once every expected list matches what was received, a case whose
 * `expectedClose.closedByMe` is set starts the closing handshake itself
 * (Autobahn's `finishWhenDone`).
 *
 * @module
 */

import type { FuzzingConnection, FuzzingHandler, MessageExtension } from "./fuzzing_connection.ts";
import { toHex } from "./wire.ts";

/** Autobahn's outcome names. */
export const OK = "OK";
export const NON_STRICT = "NON-STRICT";
export const FAILED = "FAILED";
export const INFORMATIONAL = "INFORMATIONAL";
export const WRONG_CODE = "WRONG CODE";
export const UNCLEAN = "UNCLEAN";
export const FAILED_BY_CLIENT = "FAILED BY CLIENT";

/** A case outcome (`behavior`) or closing outcome (`behaviorClose`). */
export type Outcome =
  | typeof OK
  | typeof NON_STRICT
  | typeof FAILED
  | typeof INFORMATIONAL
  | typeof WRONG_CODE
  | typeof UNCLEAN
  | typeof FAILED_BY_CLIENT;

/** The verdicts a table shows. */
export type Verdict = typeof OK | typeof NON_STRICT | typeof INFORMATIONAL | typeof FAILED;

/** An event the fuzzer records: a message, a pong, or one of a case's own timeouts. */
export type Received =
  | readonly ["message", Uint8Array, boolean]
  | readonly ["pong", Uint8Array]
  | readonly ["timeout", string];

/** Autobahn's `expectedClose`. */
export interface ExpectedClose {
  /** Whether the fuzzer is the one that must start the closing handshake. */
  closedByMe: boolean;
  /** Acceptable close codes from the peer (an empty close frame is acceptable too). */
  closeCode: number[];
  /** Whether the close must be clean (close frames both ways, server drops TCP). */
  requireClean: boolean;
  /** For UTF-8 cases: a close by the wrong endpoint fails the case itself. */
  closedByWrongEndpointIsFatal?: boolean;
}

/** How category 9 is sized. */
export interface RunSettings {
  /** Autobahn's full sizes and counts; otherwise capped for the default test run. */
  full: boolean;
  /** Include categories 12 and 13 (permessage-deflate, tests/conformance/cases/compression_*.ts). */
  compression?: boolean;
}

/** A case's extension negotiation (categories 12 and 13: permessage-deflate). */
export interface CaseExtension {
  /** As the fuzzing client: the Sec-WebSocket-Extensions offer to send. */
  offer(): string;
  /**
   * As the fuzzing client: reads the server's Sec-WebSocket-Extensions; the
   * extension to run, `null` when declined, or why the answer is invalid.
   */
  accept(response: string): MessageExtension | null | string;
  /** As the fuzzing server: the answer to the client's offers and the extension to run; `null` declines. */
  answer(offers: string): { response: string; extension: MessageExtension } | null;
}

/** What a case definition provides. */
export interface CaseHooks {
  /** Sends what the case sends and sets what it expects. */
  onOpen(c: Case): void;
  /** Replaces the default message handling (category 9 measures lengths only). */
  onMessage?(c: Case, payload: Uint8Array, binary: boolean): void;
  /** Runs after the standard verdict logic, to adjust it. */
  afterConnectionLost?(c: Case): void;
}

/** One case of the catalogue. */
export interface CaseDefinition {
  /** Autobahn's case id, e.g. "6.4.3". */
  readonly id: string;
  /** Autobahn's description. */
  readonly description: string;
  /** Autobahn's expectation. */
  readonly expectation: string;
  /** The case's behaviour. */
  readonly hooks: CaseHooks;
  /** Autobahn reports the duration of this case (category 9). */
  readonly reportTime?: boolean;
  /** An upper bound on the case in seconds before it is cut off (Autobahn's timeouts, plus slack). */
  readonly budgetSeconds?: number;
  /** The case's extension negotiation, if it has one. */
  readonly extension?: CaseExtension;
}

/** The outcome of one case for one agent. */
export interface CaseResult {
  id: string;
  description: string;
  expectation: string;
  agent: string;
  behavior: Outcome;
  behaviorClose: Outcome;
  /** behavior and behaviorClose folded into one verdict (see {@linkcode overallVerdict}). */
  verdict: Verdict;
  /** The non-OK verdicts this case defines as acceptable (Autobahn's NON-STRICT / INFORMATIONAL outcomes). */
  allowed: Verdict[];
  result: string;
  resultClose: string;
  durationMs: number;
  reportTime: boolean;
  expected: Record<string, string>;
  received: string;
  closedByMe: boolean;
  failedByMe: boolean;
  droppedByMe: boolean;
  wasClean: boolean;
  wasNotCleanReason: string | null;
  localCloseCode: number | null;
  remoteCloseCode: number | null;
  notes: string[];
}

/**
 * Folds Autobahn's two columns into one verdict: the case behaviour, made
 * `FAILED` by an unclean or failed close, and at best `NON-STRICT` when the
 * close code was unexpected or the fuzzer (as client) had to drop TCP —
 * Autobahn's report colours those two as non-strict / almost.
 */
export function overallVerdict(behavior: Outcome, behaviorClose: Outcome): Verdict {
  if (behavior !== OK && behavior !== NON_STRICT && behavior !== INFORMATIONAL) return FAILED;
  if (behaviorClose === OK || behaviorClose === INFORMATIONAL) return behavior;
  if (behaviorClose === WRONG_CODE || behaviorClose === FAILED_BY_CLIENT) {
    return behavior === OK ? NON_STRICT : behavior;
  }
  return FAILED;
}

/** A running case: the handler of one fuzzing connection. */
export class Case implements FuzzingHandler {
  readonly definition: CaseDefinition;
  readonly p: FuzzingConnection;
  readonly settings: RunSettings;
  received: Received[] = [];
  expected: Map<Outcome, Received[]> = new Map();
  expectedClose: ExpectedClose = { closedByMe: true, closeCode: [1000], requireClean: true };
  behavior: Outcome = FAILED;
  behaviorClose: Outcome = FAILED;
  result = "Actual events differ from any expected.";
  resultClose = "TCP connection was dropped without close handshake";
  /** Suppresses the automatic close of finishWhenDone (cases that close on purpose). */
  suppressClose = false;
  /** Verdicts the case allows besides OK (filled from `expected` and by informational cases). */
  readonly allowed: Set<Verdict> = new Set();
  /** Free state for a case definition. */
  readonly state: Record<string, unknown> = {};

  constructor(definition: CaseDefinition, connection: FuzzingConnection, settings: RunSettings) {
    this.definition = definition;
    this.p = connection;
    this.settings = settings;
  }

  onOpen(): void {
    this.definition.hooks.onOpen(this);
  }

  onMessage(payload: Uint8Array, binary: boolean): void {
    if (this.definition.hooks.onMessage !== undefined) {
      this.definition.hooks.onMessage(this, payload, binary);
      return;
    }
    this.received.push(["message", payload, binary]);
    this.finishWhenDone();
  }

  onPong(payload: Uint8Array): void {
    this.received.push(["pong", payload]);
    this.finishWhenDone();
  }

  onConnectionLost(): void {
    for (const [outcome, events] of this.expected) {
      if (sameEvents(this.received, events)) {
        this.behavior = outcome;
        this.result = "Actual events match at least one expected.";
        break;
      }
    }
    const p = this.p;
    if (p.connectionWasOpen) {
      const expected = this.expectedClose;
      if (expected.closedByMe !== p.closedByMe) {
        this.behaviorClose = FAILED;
        this.resultClose = "The connection was failed by the wrong endpoint";
      } else if (expected.requireClean && !p.wasClean) {
        this.behaviorClose = UNCLEAN;
        this.resultClose = "The spec requires the connection to be failed cleanly here";
      } else if (p.remoteCloseCode !== null && !expected.closeCode.includes(p.remoteCloseCode)) {
        this.behaviorClose = WRONG_CODE;
        this.resultClose = `The close code should have been ${
          expected.closeCode.join(",")
        } or empty`;
      } else if (!p.isServer && p.droppedByMe) {
        this.behaviorClose = FAILED_BY_CLIENT;
        this.resultClose = "It is preferred that the server close the TCP connection";
      } else {
        this.behaviorClose = OK;
        this.resultClose = "Connection was properly closed";
      }
      // For UTF-8 cases a close by the wrong endpoint means the peer did not
      // detect the invalid text at all.
      if (expected.closedByWrongEndpointIsFatal && expected.closedByMe !== p.closedByMe) {
        this.behavior = FAILED;
      }
    } else {
      this.behaviorClose = FAILED;
      this.resultClose = "The WebSocket opening handshake was never completed!";
    }
    for (const outcome of this.expected.keys()) {
      if (outcome === NON_STRICT || outcome === INFORMATIONAL) this.allowed.add(outcome);
    }
    this.definition.hooks.afterConnectionLost?.(this);
  }

  /**
   * Once what was received matches every expected list, starts the closing
   * handshake if the fuzzer is the one to close.
   */
  finishWhenDone(): void {
    for (const events of this.expected.values()) {
      if (!sameEvents(this.received, events)) return;
    }
    if (this.expectedClose.closedByMe && !this.suppressClose) {
      this.p.sendClose(this.expectedClose.closeCode[0]!);
    }
  }

  /** Cases of category 7: an unexpected close code fails the case. */
  failOnWrongCode(): void {
    if (this.behaviorClose === WRONG_CODE) {
      this.behavior = FAILED;
      this.result = this.resultClose;
    }
  }

  /** The case's report row. */
  report(agent: string, durationMs: number): CaseResult {
    const p = this.p;
    const expected: Record<string, string> = {};
    for (const [outcome, events] of this.expected) expected[outcome] = describeEvents(events);
    return {
      id: this.definition.id,
      description: this.definition.description,
      expectation: this.definition.expectation,
      agent,
      behavior: this.behavior,
      behaviorClose: this.behaviorClose,
      verdict: overallVerdict(this.behavior, this.behaviorClose),
      allowed: [...this.allowed],
      result: this.result,
      resultClose: this.resultClose,
      durationMs,
      reportTime: this.definition.reportTime ?? false,
      expected,
      received: describeEvents(this.received),
      closedByMe: p.closedByMe,
      failedByMe: p.failedByMe,
      droppedByMe: p.droppedByMe,
      wasClean: p.wasClean,
      wasNotCleanReason: p.wasNotCleanReason,
      localCloseCode: p.localCloseCode,
      remoteCloseCode: p.remoteCloseCode,
      notes: [...p.notes],
    };
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Exact comparison of event lists (Autobahn compares pickles of them). */
export function sameEvents(a: readonly Received[], b: readonly Received[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x[0] !== y[0]) return false;
    if (x[0] === "timeout") {
      if (x[1] !== y[1]) return false;
    } else if (!sameBytes(x[1], y[1] as Uint8Array)) {
      return false;
    } else if (x[0] === "message" && x[2] !== y[2]) {
      return false;
    }
  }
  return true;
}

/** A short description of events for the report. */
export function describeEvents(events: readonly Received[]): string {
  if (events.length === 0) return "[]";
  const parts = events.map((event) => {
    if (event[0] === "timeout") return `timeout ${event[1]}`;
    const data = event[1];
    const shown = data.length <= 16 ? ` ${toHex(data)}` : "";
    if (event[0] === "pong") return `pong(${data.length} B${shown})`;
    return `${event[2] ? "binary" : "text"}(${data.length} B${shown})`;
  });
  if (parts.length > 6) return `[${parts.slice(0, 5).join(", ")}, … ${parts.length} events]`;
  return `[${parts.join(", ")}]`;
}
