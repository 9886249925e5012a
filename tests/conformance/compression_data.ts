/**
 * The payloads of Autobahn's categories 12 and 13. Autobahn ships five
 * files (Goethe's Faust I from Project Gutenberg, the Lena bitmap, a PDF, a
 * JSON and an HTML file); their licences keep them out of this repository, so
 * each is replaced by a deterministic stand-in of the same kind and about the
 * same size and compressibility: German prose, a 512×512 8-bit bitmap with a
 * smooth picture and noise, a PDF with deflated (random-looking) streams,
 * JSON records, and an HTML table. Like Autobahn's, the JSON one is sent as
 * text (it is ASCII, so every slice is valid UTF-8) and the others as binary.
 *
 * @module
 */

/** One payload set. */
export interface CompressionData {
  /** Autobahn's key. */
  readonly key: string;
  /** What it is, for the report. */
  readonly description: string;
  /** Whether messages are sent as binary (Autobahn's `binary`). */
  readonly binary: boolean;
  /** The bytes messages are sliced from, cyclically. */
  readonly bytes: Uint8Array;
}

class Random {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  // xorshift32: deterministic and cheap.
  next(): number {
    let x = this.#state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#state = x >>> 0;
    return this.#state;
  }
  pick<T>(list: readonly T[]): T {
    return list[this.next() % list.length]!;
  }
}

const encoder = new TextEncoder();

function germanProse(size: number): Uint8Array {
  const random = new Random(0x6f657468);
  const words = [
    "der",
    "die",
    "das",
    "und",
    "nicht",
    "ich",
    "du",
    "mit",
    "mir",
    "sich",
    "Geist",
    "Welt",
    "Herz",
    "Nacht",
    "Himmel",
    "Erde",
    "Wissen",
    "Teufel",
    "Seele",
    "Gretchen",
    "Faust",
    "Mephistopheles",
    "Wagner",
    "schön",
    "wohl",
    "führt",
    "Glück",
    "höre",
    "Brüder",
    "grün",
    "Gefühl",
    "Tür",
    "über",
    "müssen",
    "Kräfte",
    "Natur",
    "Leben",
    "ach",
    "was",
    "wie",
    "ein",
    "eine",
    "zu",
    "in",
    "so",
    "doch",
    "Blut",
    "Stunde",
    "Augenblick",
    "verweile",
  ];
  let text = "Der Tragödie erster Teil\n\n";
  while (text.length < size) {
    const speaker = random.pick(["FAUST", "MEPHISTOPHELES", "WAGNER", "MARGARETE", "CHOR"]);
    text += `${speaker}:\n`;
    const lines = 2 + random.next() % 6;
    for (let l = 0; l < lines; l++) {
      const count = 4 + random.next() % 6;
      const line = Array.from({ length: count }, () => random.pick(words)).join(" ");
      text += `${line[0]!.toUpperCase()}${line.slice(1)}${
        random.pick([",", ".", "!", "?", ";"])
      }\n`;
    }
    text += "\n";
  }
  return encoder.encode(text).slice(0, size);
}

function bitmap(): Uint8Array {
  const width = 512;
  const height = 512;
  const palette = 256 * 4;
  const offset = 14 + 40 + palette;
  const data = new Uint8Array(offset + width * height);
  const view = new DataView(data.buffer);
  data.set(encoder.encode("BM"));
  view.setUint32(2, data.length, true);
  view.setUint32(10, offset, true);
  view.setUint32(14, 40, true);
  view.setInt32(18, width, true);
  view.setInt32(22, height, true);
  view.setUint16(26, 1, true);
  view.setUint16(28, 8, true);
  view.setUint32(34, width * height, true);
  view.setUint32(46, 256, true);
  for (let i = 0; i < 256; i++) data.set([i, i, i, 0], 54 + i * 4);
  const random = new Random(0x4c656e61);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const smooth = 128 + 60 * Math.sin(x / 37) * Math.cos(y / 53) + 40 * Math.sin((x + y) / 91);
      const noise = (random.next() % 13) - 6;
      data[offset + y * width + x] = Math.max(0, Math.min(255, Math.round(smooth + noise)));
    }
  }
  return data;
}

function pdfLike(size: number): Uint8Array {
  const random = new Random(0x50444621);
  const parts: Uint8Array[] = [encoder.encode("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")];
  let total = parts[0]!.length;
  for (let object = 1; total < size; object++) {
    if (object % 3 === 0) {
      const text = `${object} 0 obj\n<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 ${
        object + 1
      } 0 R >> >> /MediaBox [0 0 612 792] /Contents ${object + 2} 0 R >>\nendobj\n`;
      parts.push(encoder.encode(text));
      total += text.length;
      continue;
    }
    const length = 1000 + random.next() % 6000;
    const stream = new Uint8Array(length);
    for (let i = 0; i < length; i++) stream[i] = random.next() & 0xff;
    const head = encoder.encode(
      `${object} 0 obj\n<< /Length ${length} /Filter /FlateDecode >>\nstream\n`,
    );
    const tail = encoder.encode("\nendstream\nendobj\n");
    parts.push(head, stream, tail);
    total += head.length + length + tail.length;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out.slice(0, size);
}

function jsonRecords(size: number): Uint8Array {
  const random = new Random(0x4a534f4e);
  const names = ["Alice", "Bob", "Carol", "Dave", "Eve", "Frank", "Grace", "Heidi", "Ivan"];
  const tags = ["alpha", "beta", "gamma", "delta", "release", "stable", "nightly"];
  const records: string[] = [];
  let total = 2;
  for (let id = 0; total < size; id++) {
    const record = JSON.stringify({
      id,
      name: random.pick(names),
      email: `${random.pick(names).toLowerCase()}${random.next() % 1000}@example.com`,
      score: (random.next() % 100000) / 100,
      active: random.next() % 2 === 0,
      tags: [random.pick(tags), random.pick(tags)],
      location: {
        lat: (random.next() % 18000) / 100 - 90,
        lon: (random.next() % 36000) / 100 - 180,
      },
    });
    records.push(record);
    total += record.length + 1;
  }
  return encoder.encode(`[${records.join(",")}]`).slice(0, size);
}

function htmlTable(size: number): Uint8Array {
  const random = new Random(0x48544d4c);
  let html = '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Report</title>' +
    "<style>td{padding:2px 6px}tr:nth-child(odd){background:#eee}</style></head>\n<body>\n" +
    '<table class="report">\n<tr><th>Id</th><th>Item</th><th>Status</th><th>Value</th></tr>\n';
  const statuses = ["open", "closed", "pending", "review"];
  for (let row = 0; html.length < size; row++) {
    html += `<tr class="row-${row % 2}"><td>${row}</td><td><a href="/items/${row}">Item ${
      random.next() % 5000
    }</a></td><td class="status ${random.pick(statuses)}">${random.pick(statuses)}</td><td>${
      random.next() % 100000
    }</td></tr>\n`;
  }
  return encoder.encode(html).slice(0, size);
}

let cached: CompressionData[] | null = null;

/** The five payload sets, in Autobahn's order (12.1 to 12.5). */
export function compressionData(): CompressionData[] {
  if (cached !== null) return cached;
  const sets: Array<Omit<CompressionData, "description"> & { what: string }> = [
    {
      key: "gutenberg_faust",
      what: "Human readable text, German prose (a stand-in for Goethe's Faust I)",
      binary: true,
      bytes: germanProse(222_218),
    },
    {
      key: "lena512",
      what: "Picture, bitmap 512x512 8-bit grayscale (a stand-in for Lena)",
      binary: true,
      bytes: bitmap(),
    },
    {
      key: "ooms",
      what: "A larger PDF (a stand-in with deflated streams)",
      binary: true,
      bytes: pdfLike(220_000),
    },
    { key: "json_data1", what: "Large JSON data file", binary: false, bytes: jsonRecords(200_000) },
    { key: "html_data1", what: "Large HTML file", binary: true, bytes: htmlTable(200_000) },
  ];
  cached = sets.map(({ key, what, binary, bytes }) => ({
    key,
    binary,
    bytes,
    description: `${what} (${binary ? "binary" : "utf8"}, ${bytes.length} bytes)`,
  }));
  return cached;
}
