import assert from "node:assert/strict";
import { PerMessageDeflateCodec } from "../../lib/deflate/permessage_deflate_codec.ts";
import { RawZlib, rawZlibAvailable, ZlibDataError } from "../../lib/deflate/raw_zlib.ts";
import { WebSocketProtocolError } from "../../lib/protocol/errors.ts";
import type { PerMessageDeflateParameters } from "../../lib/protocol/permessage_deflate_params.ts";

const DEFAULTS: PerMessageDeflateParameters = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};

const utf8 = new TextEncoder();
const HELLO = utf8.encode("Hello");

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
}

function bytes(text: string): Uint8Array {
  return new Uint8Array(text.split(" ").map((b) => parseInt(b, 16)));
}

// Inflates one whole message given as pieces; returns the output.
function inflate(codec: PerMessageDeflateCodec, ...pieces: Uint8Array[]): Uint8Array {
  const chunks: Uint8Array[] = [];
  // The sink's chunk is the codec's buffer: copy it.
  const sink = (chunk: Uint8Array) => chunks.push(chunk.slice());
  for (const piece of pieces) codec.decompress(piece, sink);
  codec.endMessage(sink);
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function withCodec(
  role: "client" | "server",
  parameters: Partial<PerMessageDeflateParameters>,
  run: (codec: PerMessageDeflateCodec) => void,
): void {
  const codec = new PerMessageDeflateCodec(role, { ...DEFAULTS, ...parameters }, {});
  try {
    run(codec);
  } finally {
    codec.close();
  }
}

Deno.test("node:zlib can be driven synchronously in this runtime (RFC 7692 §7.2.3.2 round trip)", () => {
  assert.equal(rawZlibAvailable(), true);
});

Deno.test('RFC 7692 §7.2.3.1: "Hello" compresses to f2 48 cd c9 c9 07 00', () => {
  withCodec("server", {}, (codec) => {
    assert.equal(hex(codec.compress(HELLO)), "f2 48 cd c9 c9 07 00");
  });
});

Deno.test('RFC 7692 §7.2.3.1: the compressed "Hello" inflates whole and split into 3 and 4 octets', () => {
  withCodec("client", {}, (codec) => {
    assert.equal(new TextDecoder().decode(inflate(codec, bytes("f2 48 cd c9 c9 07 00"))), "Hello");
    assert.equal(
      new TextDecoder().decode(inflate(codec, bytes("f2 48 cd"), bytes("c9 c9 07 00"))),
      "Hello",
    );
  });
});

Deno.test('RFC 7692 §7.2.3.2: with context takeover the second "Hello" is f2 00 11 00 00', () => {
  withCodec("client", {}, (codec) => {
    assert.equal(hex(codec.compress(HELLO)), "f2 48 cd c9 c9 07 00");
    assert.equal(hex(codec.compress(HELLO)), "f2 00 11 00 00");
  });
  withCodec("server", {}, (codec) => {
    assert.equal(hex(inflate(codec, bytes("f2 48 cd c9 c9 07 00"))), hex(HELLO));
    assert.equal(hex(inflate(codec, bytes("f2 00 11 00 00"))), hex(HELLO));
  });
});

Deno.test('RFC 7692 §7.2.3.2: with client_no_context_takeover the second "Hello" is the same 7 bytes', () => {
  withCodec("client", { clientNoContextTakeover: true }, (codec) => {
    assert.equal(hex(codec.compress(HELLO)), "f2 48 cd c9 c9 07 00");
    assert.equal(hex(codec.compress(HELLO)), "f2 48 cd c9 c9 07 00");
  });
  // The server, inflating without context, cannot resolve the back-reference of f2 00 11 00 00.
  withCodec("server", { clientNoContextTakeover: true }, (codec) => {
    assert.equal(hex(inflate(codec, bytes("f2 48 cd c9 c9 07 00"))), hex(HELLO));
    assert.throws(
      () => inflate(codec, bytes("f2 00 11 00 00")),
      (e: unknown) => e instanceof WebSocketProtocolError && e.closeCode === 1007,
    );
  });
});

Deno.test('RFC 7692 §7.2.3.3: a DEFLATE block with no compression inflates to "Hello"', () => {
  withCodec("client", {}, (codec) => {
    assert.equal(hex(inflate(codec, bytes("00 05 00 fa ff 48 65 6c 6c 6f 00"))), hex(HELLO));
  });
});

Deno.test("RFC 7692 §7.2.3.4: a block with BFINAL set inflates, and the next message starts a new stream", () => {
  withCodec("client", {}, (codec) => {
    assert.equal(hex(inflate(codec, bytes("f3 48 cd c9 c9 07 00 00"))), hex(HELLO));
    assert.equal(hex(inflate(codec, bytes("f2 48 cd c9 c9 07 00"))), hex(HELLO));
    assert.equal(hex(inflate(codec, bytes("f3 48 cd c9 c9 07 00 00"))), hex(HELLO));
  });
});

Deno.test("RFC 7692 §7.2.3.5: two DEFLATE blocks in one message", () => {
  withCodec("client", {}, (codec) => {
    assert.equal(
      hex(inflate(codec, bytes("f2 48 05 00 00 00 ff ff ca c9 c9 07 00"))),
      hex(HELLO),
    );
  });
});

Deno.test("RFC 7692 §7.2.3.6: the empty message compresses to 00 and 00 inflates to nothing", () => {
  withCodec("server", { serverNoContextTakeover: true }, (codec) => {
    assert.equal(hex(codec.compress(new Uint8Array(0))), "00");
  });
  withCodec("client", {}, (codec) => {
    assert.equal(inflate(codec, bytes("00")).length, 0);
    // A message whose last fragment is that empty block (after a flushed "Hello").
    assert.equal(
      hex(inflate(codec, bytes("f2 48 cd c9 c9 07 00 00 00 ff ff"), bytes("00"))),
      hex(HELLO),
    );
    // And the window still works afterwards.
    assert.equal(hex(inflate(codec, bytes("f2 00 11 00 00"))), hex(HELLO));
  });
});

Deno.test("RFC 7692 §7.2.3.6: consecutive empty messages with context takeover are each sent as 00", () => {
  withCodec("client", {}, (codec) => {
    // A strict receiver: a raw inflater fed payload + 00 00 ff ff, as python-websockets does.
    const inflater = RawZlib.inflater(15);
    try {
      for (const message of [new Uint8Array(0), new Uint8Array(0), HELLO, new Uint8Array(0)]) {
        const payload = codec.compress(message).slice();
        if (message.length === 0) assert.equal(hex(payload), "00");
        let out = 0;
        const wire = new Uint8Array([...payload, 0x00, 0x00, 0xff, 0xff]);
        inflater.inflate(wire, (chunk) => (out += chunk.length));
        assert.equal(out, message.length);
      }
    } finally {
      inflater.close();
    }
  });
});

Deno.test("RFC 7692 §7.2.2: an empty compressed payload is the empty message and leaves the stream intact", () => {
  withCodec("client", {}, (codec) => {
    assert.equal(inflate(codec).length, 0);
    assert.equal(hex(inflate(codec, bytes("f2 48 cd c9 c9 07 00"))), hex(HELLO));
  });
});

Deno.test("RFC 7692 §7.2.2: a compressed message split at every byte inflates to the same bytes", () => {
  const text = utf8.encode("permessage-deflate ".repeat(50) + "€ and 𝄞");
  withCodec("server", {}, (sender) => {
    const compressed = sender.compress(text).slice();
    for (let cut = 0; cut <= compressed.length; cut++) {
      withCodec("client", {}, (receiver) => {
        const out = inflate(receiver, compressed.subarray(0, cut), compressed.subarray(cut));
        assert.equal(hex(out), hex(text), `cut at ${cut}`);
      });
    }
  });
});

Deno.test("RFC 7692 §7.2.1: messages round-trip with context takeover across 200 messages and sizes up to 300 KiB", () => {
  withCodec("client", {}, (client) => {
    withCodec("server", {}, (server) => {
      let seed = 7;
      for (let i = 0; i < 200; i++) {
        const size = (i * 1543) % (300 * 1024);
        const message = new Uint8Array(size);
        for (let j = 0; j < size; j++) {
          seed = (seed * 1103515245 + 12345) >>> 0;
          // Compressible: mostly a small alphabet.
          message[j] = 97 + ((seed >>> 16) % (i % 2 === 0 ? 4 : 26));
        }
        const compressed = client.compress(message).slice();
        if (size > 1000) assert.ok(compressed.length < size * 0.8, `message ${i} compresses`);
        assert.ok(same(inflate(server, compressed), message), `message ${i}`);
      }
    });
  });
});

Deno.test("RFC 7692 §7.1.2: window bits 8 is compressed with matches no further back than 256 bytes", () => {
  // Period 300: a 15-bit window finds matches 300 bytes back, an 8-bit one may not.
  const data = new Uint8Array(20000);
  for (let i = 0; i < data.length; i++) data[i] = (i % 300) * 7 % 251;
  // Fed a byte at a time, a window-8 inflater must look back through its 256-byte
  // window, so a farther match fails ("invalid distance too far back").
  const inflateByteWise = (compressed: Uint8Array) => {
    const inflater = RawZlib.inflater(8);
    try {
      let total = 0;
      for (const byte of compressed) {
        inflater.inflate(new Uint8Array([byte]), (c) => (total += c.length));
      }
      return total;
    } finally {
      inflater.close();
    }
  };
  const wide = RawZlib.deflater({ windowBits: 15, level: 6, memLevel: 8 });
  try {
    assert.throws(() => inflateByteWise(wide.deflate(data).slice()), ZlibDataError);
  } finally {
    wide.close();
  }
  withCodec("server", { serverMaxWindowBits: 8 }, (codec) => {
    const compressed = codec.compress(data).slice();
    assert.equal(inflateByteWise(compressed), data.length);
    withCodec("client", { serverMaxWindowBits: 8 }, (client) => {
      assert.ok(same(inflate(client, compressed), data));
    });
  });
});

Deno.test("RFC 7692 §7.2.2: data that is not DEFLATE fails with 1007, naming zlib's reason", () => {
  withCodec("client", {}, (codec) => {
    assert.throws(
      () => inflate(codec, bytes("ff ff ff ff")),
      (e: unknown) =>
        e instanceof WebSocketProtocolError && e.closeCode === 1007 &&
        /not valid DEFLATE data \(invalid block type\)/.test(e.message),
    );
  });
});

Deno.test("Zip bomb: a sink that throws stops inflation after one 64 KiB chunk", () => {
  const zeros = new Uint8Array(20 * 1024 * 1024);
  withCodec("server", {}, (sender) => {
    const bomb = sender.compress(zeros).slice();
    // About 1000:1.
    assert.ok(bomb.length < 40 * 1024, `${bomb.length} bytes`);
    withCodec("client", {}, (codec) => {
      let produced = 0;
      let calls = 0;
      assert.throws(() =>
        codec.decompress(bomb, (chunk) => {
          produced += chunk.length;
          calls++;
          throw new RangeError("limit");
        }), RangeError);
      assert.equal(calls, 1);
      assert.ok(produced <= 64 * 1024);
    });
  });
});

Deno.test("Senders without context takeover share a compressor and still produce independent messages", () => {
  const a = new PerMessageDeflateCodec(
    "server",
    { ...DEFAULTS, serverNoContextTakeover: true },
    {},
  );
  const b = new PerMessageDeflateCodec(
    "server",
    { ...DEFAULTS, serverNoContextTakeover: true },
    {},
  );
  try {
    assert.equal(a.threshold, 1024);
    assert.equal(hex(a.compress(HELLO)), "f2 48 cd c9 c9 07 00");
    assert.equal(hex(b.compress(HELLO)), "f2 48 cd c9 c9 07 00");
    assert.equal(hex(a.compress(HELLO)), "f2 48 cd c9 c9 07 00");
  } finally {
    a.close();
    b.close();
  }
  const keeping = new PerMessageDeflateCodec("server", DEFAULTS, { threshold: 10 });
  const custom = new PerMessageDeflateCodec("client", {
    ...DEFAULTS,
    clientNoContextTakeover: true,
  }, {
    threshold: 10,
  });
  try {
    // The threshold applies only when no context is kept.
    assert.equal(keeping.threshold, 0);
    assert.equal(custom.threshold, 10);
  } finally {
    keeping.close();
    custom.close();
  }
});

Deno.test("A closed codec refuses further use", () => {
  const codec = new PerMessageDeflateCodec("client", DEFAULTS, {});
  codec.compress(HELLO);
  codec.close();
  codec.close();
  assert.throws(() => codec.compress(HELLO), /closed/);
  assert.throws(() => inflate(codec, bytes("00")), /closed/);
});
