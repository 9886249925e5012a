/**
 * Memory a permessage-deflate connection holds, per setting: N server-side
 * codecs each compress and inflate one message (so their zlib state exists,
 * as on a connection that has talked both ways), and the growth of the
 * process's resident memory is divided by N. The zlib state is native memory
 * (outside the V8 heap), which is why RSS is measured, each setting in a
 * process of its own (freed memory stays with the allocator and would hide
 * the next setting's growth).
 *
 *     deno run --allow-run --allow-read --v8-flags=--expose-gc bench/deflate_memory.ts [N]
 *
 * Prints one line per setting; docs/permessage-deflate.md quotes the numbers.
 *
 * @module
 */

import { PerMessageDeflateCodec } from "../lib/deflate/permessage_deflate_codec.ts";
import type {
  PerMessageDeflateOptions,
  PerMessageDeflateParameters,
} from "../lib/protocol/permessage_deflate_params.ts";

const N = Number(Deno.args[0] ?? "400");
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

const message = new TextEncoder().encode(
  JSON.stringify(Array.from({ length: 300 }, (_, i) => ({ id: i, name: `user ${i}` }))),
);

interface Setting {
  name: string;
  parameters: Partial<PerMessageDeflateParameters>;
  options?: PerMessageDeflateOptions;
}

const SETTINGS: Setting[] = [
  { name: "windows 2^15, context takeover both ways (defaults)", parameters: {} },
  { name: "windows 2^15, memLevel 9", parameters: {}, options: { memLevel: 9 } },
  { name: "windows 2^15, memLevel 1", parameters: {}, options: { memLevel: 1 } },
  { name: "windows 2^12", parameters: { serverMaxWindowBits: 12, clientMaxWindowBits: 12 } },
  { name: "windows 2^10", parameters: { serverMaxWindowBits: 10, clientMaxWindowBits: 10 } },
  { name: "windows 2^9", parameters: { serverMaxWindowBits: 9, clientMaxWindowBits: 9 } },
  { name: "windows 2^8", parameters: { serverMaxWindowBits: 8, clientMaxWindowBits: 8 } },
  {
    name: "server_no_context_takeover (shared compressor)",
    parameters: { serverNoContextTakeover: true },
  },
  {
    name: "no context takeover both ways",
    parameters: { serverNoContextTakeover: true, clientNoContextTakeover: true },
  },
  {
    name: "no context takeover, client window 2^10",
    parameters: {
      serverNoContextTakeover: true,
      clientNoContextTakeover: true,
      clientMaxWindowBits: 10,
    },
  },
];

function rss(): number {
  gc();
  gc();
  return Deno.memoryUsage().rss;
}

// The peer's side, to produce what each server codec inflates.
function peerPayload(parameters: PerMessageDeflateParameters): Uint8Array {
  const client = new PerMessageDeflateCodec("client", parameters, { threshold: 0 });
  const payload = client.compress(message).slice();
  client.close();
  return payload;
}

function measure(setting: Setting): number {
  const parameters: PerMessageDeflateParameters = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: 15,
    clientMaxWindowBits: 15,
    ...setting.parameters,
  };
  const payload = peerPayload(parameters);
  const before = rss();
  const codecs: PerMessageDeflateCodec[] = [];
  for (let i = 0; i < N; i++) {
    const codec = new PerMessageDeflateCodec("server", parameters, setting.options ?? {});
    codec.compress(message);
    codec.decompress(payload, () => {});
    codec.endMessage(() => {});
    codecs.push(codec);
  }
  const after = rss();
  for (const codec of codecs) codec.close();
  return (after - before) / N / 1024;
}

const only = Deno.args[1];
if (only !== undefined) {
  // A child: one setting, the result on stdout.
  console.log(measure(SETTINGS[Number(only)]!).toFixed(1));
} else {
  console.log(
    `permessage-deflate memory per connection, ${N} codecs per setting (Deno ${Deno.version.deno})`,
  );
  for (const [i, setting] of SETTINGS.entries()) {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--v8-flags=--expose-gc", import.meta.filename!, String(N), String(i)],
      stderr: "inherit",
    }).output();
    const kib = Number(new TextDecoder().decode(output.stdout).trim());
    console.log(`${setting.name.padEnd(52)} ${kib.toFixed(0).padStart(5)} KiB`);
  }
}
