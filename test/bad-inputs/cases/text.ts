import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { resolveDataSpec } from "../../../src/data/resolve-data-spec.js";
import type { TextSource } from "../../../src/data/text/text-source.js";
import { type BadInput, OUT } from "../bad-input.js";

/** Writes `files` (path → contents) into dir. */
const write = (files: Record<string, string | Uint8Array>) => (dir: string) => {
  for (const [path, contents] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), contents);
  }
};

const pretrain = (data: string, ...extra: string[]) => (dir: string) => ["pretrain", "--method", "mlm", "--data", join(dir, data), ...extra, "--batch-size", "2", "--epochs", "1", "--out", join(dir, OUT), "--quiet"];
const resolve = (data: string, options: { textColumn?: string; labels?: string } = {}) => (dir: string) => resolveDataSpec(join(dir, data), options);

function textCase(name: string, files: Record<string, string | Uint8Array>, data: string, message: RegExp, options: { textColumn?: string; labels?: string } = {}): BadInput {
  const flags = [...(options.textColumn === undefined ? [] : ["--text-column", options.textColumn]), ...(options.labels === undefined ? [] : ["--labels", options.labels])];
  return { reader: "text", name, files: write(files), cli: pretrain(data, ...flags), library: resolve(data, options), message };
}

const binary = Uint8Array.from({ length: 512 }, (_, i) => (i * 131) % 256);

export const textCases: readonly BadInput[] = [
  textCase("an empty .txt", { "corpus.txt": "" }, "corpus.txt", /corpus\.txt: empty file/),
  textCase("a .txt of whitespace only", { "corpus.txt": " \n\t\n\n" }, "corpus.txt", /corpus\.txt: no text \(only whitespace\)/),
  textCase("a binary file named .txt", { "corpus.txt": binary }, "corpus.txt", /corpus\.txt: a binary file \(a NUL byte at offset 0\)/),
  textCase("a gzipped .txt", { "corpus.txt": Uint8Array.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0]) }, "corpus.txt", /corpus\.txt.*gzip/),
  textCase("a folder of empty class folders", { "docs/a/.keep": "", "docs/b/x.txt": "" }, "docs", /docs\/b\/x\.txt: empty file/),
  textCase("a .jsonl line that is not JSON", { "docs.jsonl": '{"text": "one"}\n{"text": "two"\n' }, "docs.jsonl", /docs\.jsonl:2: not JSON/),
  textCase("a .jsonl line that is an array", { "docs.jsonl": '{"text": "one"}\n["two"]\n' }, "docs.jsonl", /docs\.jsonl:2: expected an object/),
  textCase("a .jsonl line without text", { "docs.jsonl": '{"text": "one"}\n\n{"body": "two"}\n' }, "docs.jsonl", /docs\.jsonl:3: no string "text" \(keys: body\)/),
  textCase("a .jsonl with a numeric text", { "docs.jsonl": '{"text": 12}\n' }, "docs.jsonl", /docs\.jsonl:1: no string "text"/),
  textCase("a .jsonl labeled on some lines only", { "docs.jsonl": '{"text": "a", "label": 1}\n{"text": "b"}\n' }, "docs.jsonl", /docs\.jsonl:2: unlabeled, unlike the lines before it/),
  textCase("a .jsonl with an object label", { "docs.jsonl": '{"text": "a", "label": {"x": 1}}\n' }, "docs.jsonl", /docs\.jsonl:1: "label" must be a string or a number/),
  textCase("a .jsonl of blank lines", { "docs.jsonl": "\n\n  \n" }, "docs.jsonl", /docs\.jsonl: no text \(only whitespace\)|docs\.jsonl: no JSON lines/),
  textCase("a CSV without the text column", { "docs.csv": "title,body\na,b\n" }, "docs.csv", /docs\.csv: no column "text" for --text-column; columns are: title, body/, { textColumn: "text" }),
  textCase("a CSV with an unclosed quote", { "docs.csv": 'text,label\n"one,1\ntwo,2\n' }, "docs.csv", /docs\.csv:\d+: .*(quote|Quote)/, { textColumn: "text" }),
  textCase("a CSV row of the wrong width", { "docs.csv": "text,label\none,1\ntwo,2,3\n" }, "docs.csv", /docs\.csv:3: .*(column|record)/i, { textColumn: "text" }),
  textCase("a CSV with a header only", { "docs.csv": "text,label\n" }, "docs.csv", /docs\.csv: expected a header row and at least one row/, { textColumn: "text" }),
  textCase("a CSV label column that does not exist", { "docs.csv": "text,label\none,1\n" }, "docs.csv", /docs\.csv: no label column "class"/, { textColumn: "text", labels: "class" }),
  {
    reader: "text",
    name: "invalid UTF-8 in a .txt (read, with a warning naming the file and the count)",
    files: write({ "corpus.txt": Uint8Array.from([...Buffer.from("hello "), 0xff, 0xfe, ...Buffer.from(" world "), 0xc3, ...Buffer.from("\n")]) }),
    library: resolve("corpus.txt"),
    message: /./,
    read: {
      check: (value) => {
        const source = (value as { source: TextSource }).source;
        expect(source.warnings.join("\n")).toMatch(/corpus\.txt: 3 invalid UTF-8 sequences replaced by U\+FFFD/);
      },
    },
  },
];
