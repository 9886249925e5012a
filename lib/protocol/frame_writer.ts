/**
 * `FrameWriter`: a web stream that turns frames and messages into bytes.
 *
 * @module
 */

import type { Frame } from "./frame.ts";
import { FrameEncoder, type FrameEncoderOptions } from "./frame_encoder.ts";
import { encodeUtf8 } from "./utf8.ts";

/**
 * What a {@linkcode FrameWriter} accepts: a {@linkcode Frame} is written as it
 * is; a string is a text message and a `Uint8Array` a binary message, both
 * fragmented at the writer's frame size.
 *
 * @example A text message, a binary message and a ping
 * ```ts
 * import { FrameWriter, type FrameWriterInput } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * const inputs: FrameWriterInput[] = [
 *   "Hi",
 *   new Uint8Array([1, 2]),
 *   { fin: true, rsv1: false, rsv2: false, rsv3: false, opcode: 0x9, payload: new Uint8Array() },
 * ];
 * const writer = new FrameWriter({ role: "server" });
 * const chunks = await Array.fromAsync(ReadableStream.from(inputs).pipeThrough(writer));
 * assert.deepEqual(chunks.map((c) => [...c]), [[0x81, 2, 0x48, 0x69], [0x82, 2, 1, 2], [0x89, 0]]);
 * ```
 */
export type FrameWriterInput = Frame | string | Uint8Array;

/**
 * A `TransformStream` from frames or whole messages to the bytes of a
 * WebSocket stream, masked when the role is `"client"`. Each frame leaves as
 * one chunk; the written data is copied, never changed.
 *
 * @example Write a message and a close frame
 * ```ts
 * import { FrameWriter } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * const writer = new FrameWriter({ role: "server" });
 * const chunks = await Array.fromAsync(
 *   ReadableStream.from<string | { fin: boolean; rsv1: boolean; rsv2: boolean; rsv3: boolean; opcode: number; payload: Uint8Array }>([
 *     "Hi",
 *     { fin: true, rsv1: false, rsv2: false, rsv3: false, opcode: 0x8, payload: new Uint8Array([0x03, 0xe8]) },
 *   ]).pipeThrough(writer),
 * );
 * assert.deepEqual(chunks.map((c) => [...c]), [[0x81, 2, 0x48, 0x69], [0x88, 2, 0x03, 0xe8]]);
 * ```
 */
export class FrameWriter extends TransformStream<FrameWriterInput, Uint8Array> {
  /**
   * Creates a writer.
   *
   * @param options The sending role, the frame size and the mask source.
   */
  constructor(options: FrameEncoderOptions) {
    const encoder = new FrameEncoder(options);
    super({
      transform(input, controller) {
        if (typeof input === "string") {
          for (const frame of encoder.encodeMessage(0x1, encodeUtf8(input))) {
            controller.enqueue(frame);
          }
        } else if (input instanceof Uint8Array) {
          for (const frame of encoder.encodeMessage(0x2, input)) controller.enqueue(frame);
        } else {
          controller.enqueue(encoder.encodeFrame(input));
        }
      },
    });
  }
}
