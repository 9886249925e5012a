/**
 * Opening-handshake heads for the fuzzers: valid client requests and server
 * responses with the variation real peers show (header case and order, token
 * lists, LF-only line endings, absolute-form targets), and mutations aimed at
 * RFC 6455 §4 and RFC 9112 (missing or doubled fields, bad keys and versions,
 * bare CR, NUL, folded lines, long lines, many fields, huge heads).
 *
 * @module
 */

import type { HttpHead } from "../../lib/protocol/mod.ts";
import type { Prng } from "./_prng.ts";

/** A base64 `Sec-WebSocket-Key` of 16 random bytes. */
export function randomKey(rng: Prng): string {
  return btoa(String.fromCharCode(...rng.bytes(16)));
}

/** The `Sec-WebSocket-Accept` for `key`, computed here (RFC 6455 §4.2.2 step 5.4). */
export async function acceptFor(key: string): Promise<string> {
  const data = new TextEncoder().encode(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-1", data));
  return btoa(String.fromCharCode(...digest));
}

function shuffle<T>(rng: Prng, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

function caseVariant(rng: Prng, text: string): string {
  const mode = rng.int(0, 3);
  if (mode === 0) return text.toLowerCase();
  if (mode === 1) return text.toUpperCase();
  return text;
}

/** A valid upgrade request and what a server must read from it. */
export interface GeneratedRequest {
  lines: string[];
  eol: string;
  key: string;
  target: string;
  protocols: string[];
  origin: string;
}

/** A valid client upgrade request (RFC 6455 §4.1). */
export function generateRequest(rng: Prng, host = "127.0.0.1:9"): GeneratedRequest {
  const key = randomKey(rng);
  const [target, path] = rng.pick([
    ["/", "/"],
    ["/chat", "/chat"],
    ["/chat?room=1&x=%20y", "/chat?room=1&x=%20y"],
    [`ws://${host}/abs?q=1`, "/abs?q=1"],
    [`http://${host}`, "/"],
  ]);
  const protocols = rng.chance(0.4)
    ? rng.pick([["chat"], ["v2.chat", "v1.chat"], ["a", "b", "c"]])
    : [];
  const origin = rng.chance(0.4)
    ? rng.pick(["http://example.com", "https://a.b:8443", "null"])
    : "";
  const headers = [
    `${caseVariant(rng, "Host")}: ${host}`,
    `${caseVariant(rng, "Upgrade")}: ${rng.pick(["websocket", "WebSocket", "WEBSOCKET"])}`,
    `${caseVariant(rng, "Connection")}: ${rng.pick(["Upgrade", "keep-alive, Upgrade", "upgrade"])}`,
    `${caseVariant(rng, "Sec-WebSocket-Key")}: ${rng.chance(0.2) ? ` ${key}\t` : key}`,
    `${caseVariant(rng, "Sec-WebSocket-Version")}: 13`,
  ];
  if (origin !== "") headers.push(`Origin: ${origin}`);
  if (rng.chance(0.5)) headers.push("User-Agent: fuzz/1.0", "Accept: */*", "X-Empty:");
  shuffle(rng, headers);
  // Repeated fields keep their order (RFC 9110 §5.3), so they go in last.
  if (protocols.length > 0) {
    if (rng.chance(0.5)) headers.push(`Sec-WebSocket-Protocol: ${protocols.join(", ")}`);
    else for (const p of protocols) headers.push(`Sec-WebSocket-Protocol: ${p}`);
  }
  return {
    lines: [`GET ${target} HTTP/1.1`, ...headers],
    eol: rng.chance(0.1) ? "\n" : "\r\n",
    key,
    target: path,
    protocols,
    origin,
  };
}

/** Joins a head's lines into bytes, with the empty line at the end. */
export function headBytes(lines: readonly string[], eol = "\r\n"): Uint8Array {
  const text = lines.map((l) => l + eol).join("") + eol;
  // Latin-1 on the wire: each char is one byte, as a raw peer writes it.
  return Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
}

/** A mutation that must give one exact status, as a request line or header change. */
export interface KnownMutation {
  name: string;
  status: number;
  apply(lines: string[]): string[];
}

const without = (name: string) => (lines: string[]) =>
  lines.filter((l, i) => i === 0 || !l.toLowerCase().startsWith(name.toLowerCase() + ":"));
const replaced = (name: string, value: string) => (lines: string[]) =>
  lines.map((l, i) =>
    i > 0 && l.toLowerCase().startsWith(name.toLowerCase() + ":") ? `${name}: ${value}` : l
  );

/** Request mutations with the status RFC 6455 §4.2.1/§4.4 and RFC 9112 require. */
export const KNOWN_REQUEST_MUTATIONS: readonly KnownMutation[] = [
  { name: "no Host", status: 400, apply: without("Host") },
  { name: "two Hosts", status: 400, apply: (l) => [...l, "Host: other.example"] },
  { name: "no Upgrade", status: 400, apply: without("Upgrade") },
  { name: "Upgrade: h2c", status: 400, apply: replaced("Upgrade", "h2c") },
  { name: "no Connection", status: 400, apply: without("Connection") },
  { name: "Connection: close", status: 400, apply: replaced("Connection", "close") },
  { name: "no key", status: 400, apply: without("Sec-WebSocket-Key") },
  {
    name: "two keys",
    status: 400,
    apply: (l) => [...l, "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="],
  },
  {
    name: "15-byte key",
    status: 400,
    apply: replaced("Sec-WebSocket-Key", "AAAAAAAAAAAAAAAAAAAA"),
  },
  {
    name: "key not base64",
    status: 400,
    apply: replaced("Sec-WebSocket-Key", "!!!!!!!!!!!!!!!!!!!!!!=="),
  },
  { name: "no version", status: 400, apply: without("Sec-WebSocket-Version") },
  { name: "version 8", status: 426, apply: replaced("Sec-WebSocket-Version", "8") },
  { name: "version garbage", status: 426, apply: replaced("Sec-WebSocket-Version", "thirteen") },
  { name: "POST", status: 400, apply: (l) => [l[0]!.replace(/^GET/, "POST"), ...l.slice(1)] },
  {
    name: "HTTP/1.0",
    status: 400,
    apply: (l) => [l[0]!.replace(/HTTP\/1\.1$/, "HTTP/1.0"), ...l.slice(1)],
  },
  { name: "relative target", status: 400, apply: (l) => ["GET chat HTTP/1.1", ...l.slice(1)] },
  {
    name: "two spaces in request line",
    status: 400,
    apply: (l) => [l[0]!.replace(" ", "  "), ...l.slice(1)],
  },
  { name: "bad subprotocol", status: 400, apply: (l) => [...l, "Sec-WebSocket-Protocol: a b"] },
  { name: "folded line", status: 400, apply: (l) => [...l, "X-A: 1", " folded"] },
  { name: "space before colon", status: 400, apply: (l) => [...l, "X-A : 1"] },
  { name: "no colon", status: 400, apply: (l) => [...l, "NoColonHere"] },
  { name: "non-token name", status: 400, apply: (l) => [...l, "X(A): 1"] },
  { name: "bare CR", status: 400, apply: (l) => [...l, "X-A: 1\r2"] },
  { name: "NUL", status: 400, apply: (l) => [...l, "X-A: 1\u00002"] },
  {
    name: "8 KiB + 1 line",
    status: 431,
    apply: (l) => [...l, "X-Long: " + "a".repeat(8192 - 8 + 1)],
  },
  {
    name: "101 fields",
    status: 431,
    apply: (l) => [...l, ...Array.from({ length: 101 }, (_, i) => `X-${i}: v`)],
  },
  {
    name: "64 KiB + 1 head",
    status: 431,
    apply: (l) => [...l, ...Array.from({ length: 9 }, (_, i) => `X-Big-${i}: ` + "b".repeat(8000))],
  },
];

const SPECIAL = [0x0d, 0x0a, 0x00, 0x3a, 0x20, 0x09, 0xff, 0x2c, 0x7f, 0x22];

/** Random damage to a head's bytes, aimed at its delimiters. */
export function mutateHeadBytes(rng: Prng, input: Uint8Array): Uint8Array {
  let bytes = input;
  const count = rng.int(1, 3);
  for (let n = 0; n < count; n++) {
    const at = rng.int(0, Math.max(0, bytes.length - 1));
    const op = rng.int(0, 5);
    const parts: Uint8Array[] = [];
    if (op === 0) {
      bytes = bytes.slice();
      bytes[at]! ^= 1 << rng.int(0, 7);
      continue;
    } else if (op === 1) {
      parts.push(bytes.subarray(0, at), new Uint8Array([rng.pick(SPECIAL)]), bytes.subarray(at));
    } else if (op === 2) {
      parts.push(bytes.subarray(0, at), bytes.subarray(Math.min(bytes.length, at + rng.int(1, 8))));
    } else if (op === 3) {
      parts.push(bytes.subarray(0, at));
    } else if (op === 4) {
      parts.push(bytes.subarray(0, at), rng.bytes(rng.int(1, 12)), bytes.subarray(at));
    } else {
      const end = Math.min(bytes.length, at + rng.int(1, 40));
      parts.push(bytes.subarray(0, end), bytes.subarray(at, end), bytes.subarray(end));
    }
    const joined = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
    let o = 0;
    for (const p of parts) {
      joined.set(p, o);
      o += p.length;
    }
    bytes = joined;
  }
  return bytes;
}

/** A valid 101 response and the subprotocols the client offered. */
export interface ResponsePlan {
  lines: string[];
  offered: string[];
}

/** A valid `101 Switching Protocols` for `key`, with the variation real servers show. */
export async function generateResponse(rng: Prng, key: string): Promise<ResponsePlan> {
  const offered = rng.chance(0.5) ? ["chat", "v2"] : [];
  const lines = [
    rng.pick([
      "HTTP/1.1 101 Switching Protocols",
      "HTTP/1.1 101",
      "HTTP/1.1 101 OK",
      "HTTP/2.0 101 x",
    ]),
    `${rng.pick(["Upgrade", "upgrade"])}: ${rng.pick(["websocket", "WebSocket"])}`,
    `Connection: ${rng.pick(["Upgrade", "upgrade", "keep-alive, Upgrade"])}`,
    `Sec-WebSocket-Accept: ${await acceptFor(key)}`,
  ];
  if (offered.length > 0 && rng.chance(0.7)) {
    lines.push(`Sec-WebSocket-Protocol: ${rng.pick(offered)}`);
  }
  if (rng.chance(0.3)) lines.push("Server: fuzz");
  return { lines, offered };
}

/** RFC 6455 §4.1, from the client's side: whether a client must accept this response. */
export async function referenceVerdict(
  head: HttpHead,
  key: string,
  offered: readonly string[],
): Promise<{ ok: true; protocol: string } | { ok: false; status: number }> {
  const m = /^HTTP\/(\d)\.(\d) (\d{3})(?: .*)?$/.exec(head.startLine);
  if (m === null) return { ok: false, status: 0 };
  const status = Number(m[3]);
  if (status !== 101) return { ok: false, status };
  if (m[1] === "0" || (m[1] === "1" && m[2] === "0")) return { ok: false, status: 101 };
  const h = head.headers;
  if (!h.tokens("upgrade").includes("websocket")) return { ok: false, status: 101 };
  if (!h.tokens("connection").includes("upgrade")) return { ok: false, status: 101 };
  if (h.get("sec-websocket-accept") !== await acceptFor(key)) return { ok: false, status: 101 };
  const protocol = h.get("sec-websocket-protocol") ?? "";
  if (protocol !== "" && !offered.includes(protocol)) return { ok: false, status: 101 };
  if (h.tokens("sec-websocket-extensions").length > 0) return { ok: false, status: 101 };
  return { ok: true, protocol };
}
