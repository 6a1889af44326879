import { writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { csvDocuments } from "../../../src/data/text/text-readers.js";
import type { FuzzTarget } from "../fuzz-target.js";
import { mutated } from "../mutate.js";

/** Field text with the characters CSV gets wrong: quotes, delimiters, line ends, a BOM, non-ASCII. */
const piece = fc.oneof({ weight: 4, arbitrary: fc.string({ maxLength: 6 }) }, fc.constantFrom('"', '""', ",", ";", "\t", "\n", "\r\n", "\r", "\uFEFF", "é", "text", "label", " "));
const field = fc.tuple(fc.array(piece, { maxLength: 3 }), fc.boolean()).map(([parts, quote]) => (quote ? `"${parts.join("").replaceAll('"', '""')}"` : parts.join("")));
const header = fc.shuffledSubarray(["text", "label", "id", "text", ""], { minLength: 1 });
const table = fc
  .record({ header, rows: fc.array(fc.array(field, { minLength: 1, maxLength: 4 }), { maxLength: 5 }), delimiter: fc.constantFrom(",", ";", "\t"), lineEnd: fc.constantFrom("\n", "\r\n") })
  .map(({ header, rows, delimiter, lineEnd }) => [header.join(delimiter), ...rows.map((r) => r.join(delimiter))].join(lineEnd));
const encoder = new TextEncoder();

/** A CSV's text column (`--text-column`, with or without `--label-column`) through `csvDocuments`. */
export const csvTarget: FuzzTarget<{ bytes: Uint8Array; label: boolean; delimiter: string }> = {
  name: "csv",
  arbitrary: fc.record({
    bytes: fc.oneof({ weight: 4, arbitrary: table.map((t) => encoder.encode(t)) }, mutated(table.map((t) => encoder.encode(t))), fc.uint8Array({ maxLength: 32 })),
    label: fc.boolean(),
    delimiter: fc.constantFrom(",", ";", "\t"),
  }),
  prepare: ({ bytes, label, delimiter }, dir) => {
    const file = join(dir, "fuzz.csv");
    writeFileSync(file, bytes);
    return { source: file, read: () => csvDocuments(file, "text", label ? "label" : undefined, delimiter) };
  },
};
