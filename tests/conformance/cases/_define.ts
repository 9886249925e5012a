/**
 * Helpers shared by the case catalogue: building definitions and the
 * expectations most cases share.
 *
 * @module
 */

import type { Case, CaseDefinition, CaseHooks, Received } from "../case.ts";
import { OK } from "../case.ts";

/** Builds a case definition. */
export function define(
  id: string,
  description: string,
  expectation: string,
  hooks: CaseHooks,
  extra: { reportTime?: boolean; budgetSeconds?: number } = {},
): CaseDefinition {
  return { id, description, expectation, hooks, ...extra };
}

/** Autobahn's close codes by name. */
export const NORMAL = 1000;
export const PROTOCOL_ERROR = 1002;
export const INVALID_PAYLOAD = 1007;

/** The peer must echo these events, then the fuzzer closes cleanly with 1000. */
export function expectEcho(c: Case, events: Received[]): void {
  c.expected.set(OK, events);
  c.expectedClose = { closedByMe: true, closeCode: [NORMAL], requireClean: true };
}

/**
 * The peer must fail the connection itself with `code` (or drop TCP), after
 * the events in `ok` (or, non-strictly, the events in `nonStrict`).
 */
export function expectFailure(
  c: Case,
  code: number,
  ok: Received[] = [],
  nonStrict?: Received[],
): void {
  c.expected.set(OK, ok);
  if (nonStrict !== undefined) c.expected.set("NON-STRICT", nonStrict);
  c.expectedClose = { closedByMe: false, closeCode: [code], requireClean: false };
}

/** A text message event. */
export function textEvent(payload: Uint8Array): Received {
  return ["message", payload, false];
}

/** A binary message event. */
export function binaryEvent(payload: Uint8Array): Received {
  return ["message", payload, true];
}

/** A pong event. */
export function pongEvent(payload: Uint8Array): Received {
  return ["pong", payload];
}
