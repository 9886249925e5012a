/**
 * The fuzzing peer's own DEFLATE codec (tests/conformance/deflate_peer.ts),
 * which categories 12 and 13 of the conformance suite trust: checked against
 * RFC 7692's examples and against zlib in both directions.
 */

import assert from "node:assert/strict";
import { RawZlib } from "../../lib/deflate/raw_zlib.ts";
import {
  clientParams,
  DeflateFormatError,
  type DeflateParams,
  DeflateReceiver,
  DeflateSender,
  offerString,
  serverAnswer,
} from "../conformance/deflate_peer.ts";

function params(changes: Partial<DeflateParams> = {}): DeflateParams {
  return {
    sendNoContextTakeover: false,
    sendWindowBits: 15,
    receiveNoContextTakeover: false,
    receiveWindowBits: 15,
    ...changes,
  };
}

function bytes(text: string): Uint8Array {
  return new Uint8Array(text.split(" ").map((b) => parseInt(b, 16)));
}

const decoder = new TextDecoder();

function zlibInflate(inflater: RawZlib, payload: Uint8Array): Uint8Array {
  const chunks: number[] = [];
  const wire = new Uint8Array([...payload, 0x00, 0x00, 0xff, 0xff]);
  inflater.inflate(wire, (chunk) => chunks.push(...chunk));
  return new Uint8Array(chunks);
}

function sample(size: number, seed: number): Uint8Array {
  const words = ["alpha ", "beta ", "gamma ", "delta ", '{"id":', "},", "épsilon ", "\n"];
  let text = "";
  let state = seed;
  while (text.length < size) {
    state = (state * 1103515245 + 12345) >>> 0;
    text += words[(state >>> 16) % words.length];
  }
  return new TextEncoder().encode(text).slice(0, size);
}

Deno.test('Fuzzer DEFLATE: RFC 7692 §7.2.3.1–§7.2.3.6 payloads decode to "Hello"', () => {
  const receiver = new DeflateReceiver(params());
  for (
    const payload of [
      "f2 48 cd c9 c9 07 00",
      "f2 00 11 00 00",
      "00 05 00 fa ff 48 65 6c 6c 6f 00",
      "f2 48 05 00 00 00 ff ff ca c9 c9 07 00",
      "f3 48 cd c9 c9 07 00 00",
    ]
  ) {
    assert.equal(decoder.decode(receiver.decompress(bytes(payload))), "Hello", payload);
  }
  assert.equal(receiver.decompress(bytes("00")).length, 0);
  assert.throws(
    () => new DeflateReceiver(params()).decompress(bytes("f2 00 11 00 00")),
    DeflateFormatError,
  );
  assert.throws(() => receiver.decompress(bytes("ff ff ff")), DeflateFormatError);
});

Deno.test("Fuzzer DEFLATE: its messages inflate with zlib, with and without context takeover, windows 8–15", () => {
  for (const sendNoContextTakeover of [false, true]) {
    for (const sendWindowBits of [8, 9, 12, 15]) {
      const sender = new DeflateSender(params({ sendNoContextTakeover, sendWindowBits }));
      const inflater = RawZlib.inflater(sendWindowBits);
      try {
        for (let i = 0; i < 30; i++) {
          const message = sample(i * 997 % 70000, i);
          const payload = sender.compress(message);
          if (message.length > 2000) assert.ok(payload.length < message.length, "it compresses");
          assert.deepEqual(zlibInflate(inflater, payload), message);
          if (sendNoContextTakeover) inflater.reset();
        }
        assert.equal(decoder.decode(zlibInflate(inflater, sender.compress(new Uint8Array(0)))), "");
      } finally {
        inflater.close();
      }
    }
  }
});

Deno.test("Fuzzer DEFLATE: zlib's messages decode, and a reference beyond the window fails", () => {
  for (const windowBits of [9, 12, 15]) {
    const deflater = RawZlib.deflater({ windowBits, level: 6, memLevel: 8 });
    const receiver = new DeflateReceiver(params({ receiveWindowBits: windowBits }));
    try {
      for (let i = 0; i < 30; i++) {
        const message = sample(i * 1231 % 90000, i + 5);
        const compressed = deflater.deflate(message);
        const payload = compressed.slice(0, compressed.length - 4);
        assert.deepEqual(receiver.decompress(payload), message);
      }
    } finally {
      deflater.close();
    }
  }
  // Period 300 compressed with a 2^15 window, read with a 2^8 one.
  const data = new Uint8Array(5000).map((_, i) => (i % 300) * 7 % 251);
  const wide = RawZlib.deflater({ windowBits: 15, level: 6, memLevel: 8 });
  try {
    const compressed = wide.deflate(data);
    assert.throws(
      () =>
        new DeflateReceiver(params({ receiveWindowBits: 8 })).decompress(compressed.slice(0, -4)),
      /exceeds the negotiated window of 256/,
    );
  } finally {
    wide.close();
  }
});

Deno.test("Fuzzer negotiation: Autobahn's offers and accepts", () => {
  assert.equal(
    offerString({ requestNoContextTakeover: true, requestMaxWindowBits: 8 }),
    "permessage-deflate; client_no_context_takeover; client_max_window_bits; server_no_context_takeover; server_max_window_bits=8",
  );
  const answer = serverAnswer("permessage-deflate; client_max_window_bits", [
    { requestNoContextTakeover: true, requestMaxWindowBits: 8 },
  ]);
  assert.deepEqual(
    answer?.response,
    "permessage-deflate; client_no_context_takeover; client_max_window_bits=8",
  );
  assert.equal(
    serverAnswer("permessage-deflate", [{
      requestNoContextTakeover: false,
      requestMaxWindowBits: 8,
    }]),
    null,
  );
  assert.deepEqual(
    clientParams("permessage-deflate; server_max_window_bits=8", [{
      requestNoContextTakeover: false,
      requestMaxWindowBits: 8,
    }]),
    params({ receiveWindowBits: 8 }),
  );
  assert.match(
    String(
      clientParams("permessage-deflate", [{
        requestNoContextTakeover: false,
        requestMaxWindowBits: 8,
      }]),
    ),
    /honours none/,
  );
});
