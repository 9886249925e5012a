/**
 * `FrameReader`: a web stream that turns bytes into frames.
 *
 * @module
 */

import { WebSocketProtocolError } from "./errors.ts";
import type { Frame } from "./frame.ts";
import { FrameParser, type FrameParserOptions } from "./frame_parser.ts";

/**
 * A `TransformStream` from raw bytes to {@linkcode Frame}s, for any byte
 * source (a socket's `readable`, a file of captured traffic). It checks every
 * per-frame rule of RFC 6455 §5 for its role; a violation errors the stream
 * with a {@linkcode WebSocketProtocolError} that carries the close code to send.
 * A stream that ends inside a frame errors with close code 1006.
 *
 * Chunks written to it become the reader's: masked payloads are unmasked in place.
 *
 * @example Read frames from chopped bytes
 * ```ts
 * import { FrameReader } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * const bytes = [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
 * const frames = await Array.fromAsync(
 *   ReadableStream.from(bytes.map((b) => new Uint8Array([b])))
 *     .pipeThrough(new FrameReader({ role: "client" })),
 * );
 * assert.equal(frames.length, 1);
 * assert.equal(new TextDecoder().decode(frames[0]!.payload), "Hello");
 * ```
 */
export class FrameReader extends TransformStream<Uint8Array, Frame> {
  /**
   * Creates a reader.
   *
   * @param options The receiving role and limits.
   */
  constructor(options: FrameParserOptions) {
    let parser: FrameParser;
    super({
      start(controller) {
        parser = new FrameParser(options, {
          frame(opcode, fin, rsv, payload) {
            controller.enqueue({
              fin,
              rsv1: (rsv & 4) !== 0,
              rsv2: (rsv & 2) !== 0,
              rsv3: (rsv & 1) !== 0,
              opcode,
              payload,
            });
          },
        });
      },
      transform(chunk) {
        parser.push(chunk);
      },
      flush() {
        if (!parser.atFrameBoundary) {
          throw new WebSocketProtocolError(
            "TRUNCATED_FRAME",
            1006,
            "Byte stream ended in the middle of a frame",
          );
        }
      },
    });
  }
}
