/**
 * Category 6, UTF-8 Handling: valid text in empty fragments (6.1), split on
 * and inside code points (6.2); invalid text, whole or an octet per frame
 * (6.3); fail-fast detection mid-message and mid-frame (6.4); and Markus
 * Kuhn's UTF-8 decoder stress test, one case per sequence (6.5–6.23).
 *
 * @module
 */

import type { Case, CaseDefinition } from "../case.ts";
import { NON_STRICT, OK } from "../case.ts";
import { concat, hex, toHex, utf8 } from "../wire.ts";
import { define, expectEcho, INVALID_PAYLOAD, textEvent } from "./_define.ts";

const ECHOED = "The message is echo'ed back to us.";
const KAPPA = hex("cebae1bdb9cf83cebcceb5"); // κόσμε, Kuhn's first example
const SURROGATE = hex("eda080");
const EDITED = hex("656469746564");

function expectUtf8Failure(c: Case, fatal = true): void {
  c.expected.set(OK, []);
  c.expectedClose = {
    closedByMe: false,
    closeCode: [INVALID_PAYLOAD],
    requireClean: false,
    closedByWrongEndpointIsFatal: fatal,
  };
}

// 6.4: the invalid octet arrives after a wait; a fail-fast peer closes before
// the next wait ends ("timeout A" only), a lazy one at the end of the message
// (NON-STRICT: both timeouts happened).
const PART1 = KAPPA;
const PART2 = hex("f4908080"); // 0x110000: beyond Unicode
const PART3 = EDITED;
const FAIL_FAST_PAYLOAD = concat([PART1, PART2, PART3]);

function failFast(
  id: string,
  description: string,
  expectation: string,
  parts: [Uint8Array, Uint8Array, Uint8Array],
  inOneFrame: boolean,
  fatalWrongEndpoint: boolean,
): CaseDefinition {
  return define(id, description, expectation, {
    onOpen(c) {
      c.expected.set(OK, [["timeout", "A"]]);
      c.expected.set(NON_STRICT, [["timeout", "A"], ["timeout", "B"]]);
      c.expectedClose = {
        closedByMe: false,
        closeCode: [INVALID_PAYLOAD],
        requireClean: false,
        closedByWrongEndpointIsFatal: fatalWrongEndpoint,
      };
      const send = (part: Uint8Array, fin: boolean, first: boolean) => {
        if (inOneFrame) {
          c.p.sendMessageFrameData(part);
        } else {
          c.p.sendFrame(first ? 1 : 0, { fin, payload: part });
        }
      };
      if (inOneFrame) {
        c.p.beginMessage();
        c.p.beginMessageFrame(FAIL_FAST_PAYLOAD.length);
      }
      send(parts[0], false, true);
      c.p.continueLater(1, () => {
        if (c.p.state !== "open") return;
        c.received.push(["timeout", "A"]);
        send(parts[1], false, false);
        c.p.continueLater(1, () => {
          if (c.p.state !== "open") return;
          c.received.push(["timeout", "B"]);
          send(parts[2], true, false);
          if (inOneFrame) c.p.endMessage();
          c.p.killAfter(1);
        });
      });
    },
  });
}

// The decoder stress test, grouped as Autobahn groups it (6.5 … 6.23).
function kuhnSequences(): Array<[string, Array<[boolean, Uint8Array]>]> {
  const groups: Array<[string, Array<[boolean, Uint8Array]>]> = [];
  const add = (title: string, items: Array<[boolean, string | Uint8Array]>) => {
    groups.push([title, items.map(([valid, v]) => [valid, typeof v === "string" ? hex(v) : v])]);
  };
  add("Some valid UTF-8 sequences", [
    [true, "68656c6c6f24776f726c64"],
    [true, "68656c6c6fc2a2776f726c64"],
    [true, "68656c6c6fe282ac776f726c64"],
    [true, "68656c6c6ff0a4ada2776f726c64"],
    [true, KAPPA],
  ]);
  const strict = new TextDecoder("utf-8", { fatal: true });
  const prefixes: Array<[boolean, Uint8Array]> = [];
  for (let i = 1; i <= KAPPA.length; i++) {
    const prefix = KAPPA.slice(0, i);
    let valid = true;
    try {
      strict.decode(prefix);
    } catch {
      valid = false;
    }
    prefixes.push([valid, prefix]);
  }
  add("All prefixes of a valid UTF-8 string that contains multi-byte code points", prefixes);
  add("First possible sequence of a certain length", [
    [true, "00"],
    [true, "c280"],
    [true, "e0a080"],
    [true, "f0908080"],
  ]);
  add("First possible sequence length 5/6 (invalid codepoints)", [
    [false, "f888808080"],
    [false, "fc8480808080"],
  ]);
  add("Last possible sequence of a certain length", [
    [true, "7f"],
    [true, "dfbf"],
    [true, "efbfbf"],
    [true, "f48fbfbf"],
  ]);
  add("Last possible sequence length 4/5/6 (invalid codepoints)", [
    [false, "f7bfbfbf"],
    [false, "fbbfbfbfbf"],
    [false, "fdbfbfbfbfbf"],
  ]);
  add("Other boundary conditions", [
    [true, "ed9fbf"],
    [true, "ee8080"],
    [true, "efbfbd"],
    [true, "f48fbfbf"],
    [false, "f4908080"],
  ]);
  const continuations = [];
  for (let b = 0x80; b < 0xbf; b++) continuations.push(b);
  add("Unexpected continuation bytes", [
    [false, "80"],
    [false, "bf"],
    [false, "80bf"],
    [false, "80bf80"],
    [false, "80bf80bf"],
    [false, "80bf80bf80"],
    [false, "80bf80bf80bf"],
    [false, new Uint8Array(continuations)],
  ]);
  const lonely: Array<[boolean, Uint8Array]> = [];
  for (const [from, to] of [[0xc0, 0xdf], [0xe0, 0xef], [0xf0, 0xf7], [0xf8, 0xfb], [0xfc, 0xfd]]) {
    const seq = [];
    for (let b = from!; b < to!; b++) seq.push(b, 0x20);
    lonely.push([false, new Uint8Array(seq)]);
  }
  add("Lonely start characters", lonely);
  const missing = [
    "c0",
    "e080",
    "f08080",
    "f8808080",
    "fc80808080",
    "df",
    "efbf",
    "f7bfbf",
    "fbbfbfbf",
    "fdbfbfbfbf",
  ];
  add("Sequences with last continuation byte missing", missing.map((m) => [false, m]));
  add("Concatenation of incomplete sequences", [[false, missing.join("")]]);
  add("Impossible bytes", [[false, "fe"], [false, "ff"], [false, "fefeffff"]]);
  add("Examples of an overlong ASCII character", [
    [false, "c0af"],
    [false, "e080af"],
    [false, "f08080af"],
    [false, "f8808080af"],
    [false, "fc80808080af"],
  ]);
  add("Maximum overlong sequences", [
    [false, "c1bf"],
    [false, "e09fbf"],
    [false, "f08fbfbf"],
    [false, "f887bfbfbf"],
    [false, "fc83bfbfbfbf"],
  ]);
  add("Overlong representation of the NUL character", [
    [false, "c080"],
    [false, "e08080"],
    [false, "f0808080"],
    [false, "f880808080"],
    [false, "fc8080808080"],
  ]);
  add("Single UTF-16 surrogates", [
    [false, "eda080"],
    [false, "edadbf"],
    [false, "edae80"],
    [false, "edafbf"],
    [false, "edb080"],
    [false, "edbe80"],
    [false, "edbfbf"],
  ]);
  add("Paired UTF-16 surrogates", [
    [false, "eda080edb080"],
    [false, "eda080edbfbf"],
    [false, "edadbfedb080"],
    [false, "edadbfedbfbf"],
    [false, "edae80edb080"],
    [false, "edae80edbfbf"],
    [false, "edafbfedb080"],
    [false, "edafbfedbfbf"],
  ]);
  const nonCharacters: Array<[boolean, string]> = [[true, "efbfbe"], [true, "efbfbf"]];
  for (const z1 of ["f0", "f1", "f2", "f3", "f4"]) {
    for (const z2 of ["8f", "9f", "af", "bf"]) {
      if (z1 === "f4" && z2 !== "8f") continue; // beyond U+10FFFF
      for (const z3 of ["be", "bf"]) {
        const seq = z1 + z2 + "bf" + z3;
        if (seq === "f08fbfbe" || seq === "f08fbfbf") continue; // overlong
        nonCharacters.push([true, seq]);
      }
    }
  }
  add("Non-character code points (valid UTF-8)", nonCharacters);
  add("Unicode specials (i.e. replacement char)", [
    [true, "efbfb9"],
    [true, "efbfba"],
    [true, "efbfbb"],
    [true, "efbfbc"],
    [true, "efbfbd"],
    [true, "efbfbe"],
    [true, "efbfbf"],
  ]);
  return groups;
}

function kuhnCases(): CaseDefinition[] {
  const out: CaseDefinition[] = [];
  kuhnSequences().forEach(([_title, items], group) => {
    items.forEach(([valid, payload], index) => {
      const description = valid
        ? `Send a text message with payload which is valid UTF-8 in one fragment. Payload: 0x${
          toHex(payload)
        }`
        : `Send a text message with payload which is not valid UTF-8 in one fragment. Payload: 0x${
          toHex(payload)
        }`;
      const expectation = valid
        ? ECHOED
        : "The connection is failed immediately, since the payload is not valid UTF-8.";
      out.push(define(`6.${group + 5}.${index + 1}`, description, expectation, {
        onOpen(c) {
          if (valid) expectEcho(c, [textEvent(payload)]);
          else expectUtf8Failure(c);
          c.p.sendMessage(payload);
          c.p.killAfter(0.5);
        },
      }));
    });
  });
  return out;
}

/** The subcategory titles of 6.5–6.23, for the report. */
export const UTF8_SUBCATEGORIES: Record<string, string> = Object.fromEntries(
  kuhnSequences().map(([title], group) => [`6.${group + 5}`, title]),
);

const HELLO_UTF8 = utf8("Hello-µ@ßöäüàá-UTF-8!!");

/** Cases 6.1.1–6.23.7. */
export const UTF8_CASES: CaseDefinition[] = [
  define(
    "6.1.1",
    "Send text message of length 0.",
    "A message is echo'ed back to us (with empty payload).",
    {
      onOpen(c) {
        expectEcho(c, [textEvent(new Uint8Array())]);
        c.p.sendFrame(1);
        c.p.closeAfter(1);
      },
    },
  ),
  define(
    "6.1.2",
    "Send fragmented text message, 3 fragments each of length 0.",
    "A message is echo'ed back to us (with empty payload).",
    {
      onOpen(c) {
        expectEcho(c, [textEvent(new Uint8Array())]);
        c.p.sendFrame(1, { fin: false });
        c.p.sendFrame(0, { fin: false });
        c.p.sendFrame(0, { fin: true });
        c.p.closeAfter(1);
      },
    },
  ),
  define(
    "6.1.3",
    "Send fragmented text message, 3 fragments, first and last of length 0, middle non-empty.",
    "A message is echo'ed back to us (with payload = payload of middle fragment).",
    {
      onOpen(c) {
        const payload = utf8("middle frame payload");
        expectEcho(c, [textEvent(payload)]);
        c.p.sendFrame(1, { fin: false });
        c.p.sendFrame(0, { fin: false, payload });
        c.p.sendFrame(0, { fin: true });
        c.p.closeAfter(1);
      },
    },
  ),
  define(
    "6.2.1",
    `Send a valid UTF-8 text message in one fragment. MESSAGE: Hello-µ@ßöäüàá-UTF-8!! (${
      toHex(HELLO_UTF8)
    })`,
    ECHOED,
    {
      onOpen(c) {
        expectEcho(c, [textEvent(HELLO_UTF8)]);
        c.p.sendMessage(HELLO_UTF8);
        c.p.closeAfter(1);
      },
    },
  ),
  define(
    "6.2.2",
    "Send a valid UTF-8 text message in two fragments, fragmented on UTF-8 code point boundary. MESSAGE FRAGMENT 1: Hello-µ@ßöä MESSAGE FRAGMENT 2: üàá-UTF-8!!",
    ECHOED,
    {
      onOpen(c) {
        expectEcho(c, [textEvent(HELLO_UTF8)]);
        c.p.sendFrame(1, { fin: false, payload: utf8("Hello-µ@ßöä") });
        c.p.sendFrame(0, { fin: true, payload: utf8("üàá-UTF-8!!") });
        c.p.closeAfter(1);
      },
    },
  ),
  define(
    "6.2.3",
    `Send a valid UTF-8 text message in fragments of 1 octet, resulting in frames ending on positions which are not code point ends. MESSAGE: Hello-µ@ßöäüàá-UTF-8!! (${
      toHex(HELLO_UTF8)
    })`,
    ECHOED,
    {
      onOpen(c) {
        expectEcho(c, [textEvent(HELLO_UTF8)]);
        c.p.sendMessage(HELLO_UTF8, { fragmentSize: 1 });
        c.p.closeAfter(1);
      },
    },
  ),
  define(
    "6.2.4",
    `Send a valid UTF-8 text message in fragments of 1 octet, resulting in frames ending on positions which are not code point ends. MESSAGE: ${
      toHex(KAPPA)
    }`,
    ECHOED,
    {
      onOpen(c) {
        expectEcho(c, [textEvent(KAPPA)]);
        c.p.sendMessage(KAPPA, { fragmentSize: 1 });
        c.p.closeAfter(1);
      },
    },
  ),
  define(
    "6.3.1",
    `Send invalid UTF-8 text message unfragmented. MESSAGE: ${
      toHex(concat([KAPPA, SURROGATE, EDITED]))
    }`,
    "The connection is failed immediately, since the payload is not valid UTF-8.",
    {
      onOpen(c) {
        expectUtf8Failure(c, false);
        c.p.sendMessage(concat([KAPPA, SURROGATE, EDITED]));
        c.p.killAfter(1);
      },
    },
  ),
  define(
    "6.3.2",
    `Send invalid UTF-8 text message in fragments of 1 octet, resulting in frames ending on positions which are not code point ends. MESSAGE: ${
      toHex(concat([KAPPA, SURROGATE, EDITED]))
    }`,
    "The connection is failed immediately, since the payload is not valid UTF-8.",
    {
      onOpen(c) {
        expectUtf8Failure(c);
        c.p.sendMessage(concat([KAPPA, SURROGATE, EDITED]), { fragmentSize: 1 });
        c.p.killAfter(1);
      },
    },
  ),
  failFast(
    "6.4.1",
    `Send invalid UTF-8 text message in 3 fragments (frames). First frame payload is valid, then wait, then 2nd frame which contains the payload making the sequence invalid, then wait, then 3rd frame with rest. Note that PART1 and PART3 are valid UTF-8 in themselves, PART2 is a 0x110000 encoded as in the UTF-8 integer encoding scheme, but the codepoint is invalid (out of range). MESSAGE PARTS: PART1 = ${
      toHex(PART1)
    }, PART2 = ${toHex(PART2)}, PART3 = ${toHex(PART3)}`,
    "The first frame is accepted, we expect to timeout on the first wait. The 2nd frame should be rejected immediately (fail fast on UTF-8). If we timeout, we expect the connection is failed at least then, since the complete message payload is not valid UTF-8.",
    [PART1, PART2, PART3],
    false,
    true,
  ),
  failFast(
    "6.4.2",
    `Same as Case 6.4.1, but in 2nd frame, we send only up to and including the octet making the complete payload invalid. MESSAGE PARTS: PART1 = ${
      toHex(FAIL_FAST_PAYLOAD.subarray(0, 12))
    }, PART2 = ${toHex(FAIL_FAST_PAYLOAD.subarray(12, 13))}, PART3 = ${
      toHex(FAIL_FAST_PAYLOAD.subarray(13))
    }`,
    "The first frame is accepted, we expect to timeout on the first wait. The 2nd frame should be rejected immediately (fail fast on UTF-8). If we timeout, we expect the connection is failed at least then, since the complete message payload is not valid UTF-8.",
    [
      FAIL_FAST_PAYLOAD.subarray(0, 12),
      FAIL_FAST_PAYLOAD.subarray(12, 13),
      FAIL_FAST_PAYLOAD.subarray(13),
    ],
    false,
    true,
  ),
  failFast(
    "6.4.3",
    `Same as Case 6.4.1, but we send message not in 3 frames, but in 3 chops of the same message frame. MESSAGE PARTS: PART1 = ${
      toHex(PART1)
    }, PART2 = ${toHex(PART2)}, PART3 = ${toHex(PART3)}`,
    "The first chop is accepted, we expect to timeout on the first wait. The 2nd chop should be rejected immediately (fail fast on UTF-8). If we timeout, we expect the connection is failed at least then, since the complete message payload is not valid UTF-8.",
    [PART1, PART2, PART3],
    true,
    true,
  ),
  failFast(
    "6.4.4",
    `Same as Case 6.4.2, but we send message not in 3 frames, but in 3 chops of the same message frame. MESSAGE PARTS: PART1 = ${
      toHex(FAIL_FAST_PAYLOAD.subarray(0, 12))
    }, PART2 = ${toHex(FAIL_FAST_PAYLOAD.subarray(12, 13))}, PART3 = ${
      toHex(FAIL_FAST_PAYLOAD.subarray(13))
    }`,
    "The first chop is accepted, we expect to timeout on the first wait. The 2nd chop should be rejected immediately (fail fast on UTF-8). If we timeout, we expect the connection is failed at least then, since the complete message payload is not valid UTF-8.",
    [
      FAIL_FAST_PAYLOAD.subarray(0, 12),
      FAIL_FAST_PAYLOAD.subarray(12, 13),
      FAIL_FAST_PAYLOAD.subarray(13),
    ],
    true,
    // Autobahn's 6.4.4 omits closedByWrongEndpointIsFatal (the others set it).
    false,
  ),
  ...kuhnCases(),
];
