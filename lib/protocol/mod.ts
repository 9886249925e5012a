/**
 * The sans-I/O core of qtws: RFC 6455 frames, masking, message assembly, close
 * payloads and the opening handshake, as pure functions and web streams. Nothing
 * here touches the network, timers or `Deno.*`, so it runs anywhere a Web API
 * runtime does and can be driven by any byte source.
 *
 * @example Encode and decode a frame
 * ```ts
 * import { encodeFrame, FrameParser } from "@qtws/websockets/protocol";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeFrame(0x81, new TextEncoder().encode("Hello"), 0x37fa213d);
 * const payloads: string[] = [];
 * const parser = new FrameParser({ role: "server" }, {
 *   frame(_opcode, _fin, _rsv, payload) {
 *     payloads.push(new TextDecoder().decode(payload));
 *   },
 * });
 * parser.push(bytes);
 * assert.deepEqual(payloads, ["Hello"]);
 * ```
 *
 * @module
 */

export * from "./qwebsocket_protocol.ts";
export * from "./qabstract_socket.ts";
export * from "./errors.ts";
export * from "./mask.ts";
export * from "./qmask_generator.ts";
export * from "./frame.ts";
export * from "./byte_accumulator.ts";
export * from "./frame_parser.ts";
export * from "./frame_encoder.ts";
export * from "./frame_pool.ts";
export * from "./frame_reader.ts";
export * from "./frame_writer.ts";
export * from "./utf8.ts";
export * from "./close_payload.ts";
export * from "./message_assembler.ts";
export * from "./message_codec.ts";
export * from "./extension_header.ts";
export * from "./permessage_deflate_params.ts";
export * from "./connection.ts";
export * from "./http_head.ts";
export * from "./accept_key.ts";
export * from "./client_handshake.ts";
export * from "./server_handshake.ts";
