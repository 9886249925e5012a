/**
 * Internal: the text of HTTP heads. Header bytes are ISO-8859-1 (RFC 9110
 * §5.5 treats bytes above 0x7F as opaque `obs-text`), so a byte maps to the
 * code unit of the same value and back. `TextDecoder("latin1")` cannot be used:
 * the Encoding Standard maps that label to windows-1252, which rewrites
 * 0x80–0x9F.
 *
 * Not exported from the package.
 *
 * @module
 */

// String.fromCharCode takes its bytes as arguments; stay far below engine limits.
const DECODE_SLICE = 4096;

/**
 * Decodes bytes as ISO-8859-1: each byte becomes the code unit of its value.
 *
 * @param bytes The bytes.
 * @returns The text.
 */
export function decodeLatin1(bytes: Uint8Array): string {
  if (bytes.length <= DECODE_SLICE) {
    return String.fromCharCode.apply(null, bytes as unknown as number[]);
  }
  let text = "";
  for (let at = 0; at < bytes.length; at += DECODE_SLICE) {
    const slice = bytes.subarray(at, at + DECODE_SLICE);
    text += String.fromCharCode.apply(null, slice as unknown as number[]);
  }
  return text;
}

/**
 * Writes text whose code units are all below 0x100 into `target` at `offset`,
 * one byte per code unit. The caller has checked the text with
 * {@linkcode headerTextProblem}.
 *
 * @param text The text.
 * @param target Where to write; needs `text.length` bytes from `offset`.
 * @param offset The index of the first byte.
 */
export function writeLatin1(text: string, target: Uint8Array, offset: number): void {
  for (let i = 0; i < text.length; i++) target[offset + i] = text.charCodeAt(i);
}

/**
 * Encodes text whose code units are all below 0x100 as ISO-8859-1.
 *
 * @param text The text.
 * @returns One byte per code unit.
 */
export function encodeLatin1(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  writeLatin1(text, bytes, 0);
  return bytes;
}

const LINE_BREAK = /[\r\n]/;
const NUL = /\0/;
const NOT_LATIN1 = /[^\0-\xff]/;

/**
 * Says why `text` cannot go into an HTTP head, or returns `null` when it can.
 * CR, LF and NUL are refused because they would end or split the line
 * (RFC 9110 §5.5: "dangerous"); characters above U+00FF have no byte form.
 *
 * @param text A start-line part, header name or header value.
 * @returns A phrase such as `"contains a line break (CR or LF): possible header
 *   injection"`, or `null`.
 */
export function headerTextProblem(text: string): string | null {
  if (LINE_BREAK.test(text)) return "contains a line break (CR or LF): possible header injection";
  if (NUL.test(text)) return "contains a NUL character: possible header injection";
  const other = NOT_LATIN1.exec(text);
  if (other !== null) {
    const code = other[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
    return `contains U+${code}, which has no ISO-8859-1 byte form`;
  }
  return null;
}
