import { readFile } from "node:fs/promises";
import { writeFileAtomic } from "../../../io/write-atomic.js";
import type { Tokenizer } from "./tokenizer.js";
import { loadTokenizerJson } from "./tokenizer-json.js";

/** Reads and validates a `tokenizer.json` file (see {@link loadTokenizerJson}). */
export async function readTokenizerFile(path: string): Promise<Tokenizer> {
  const text = await readFile(path, "utf8");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  return loadTokenizerJson(json, path);
}

/** Writes `tokenizer.toTokenizerJson()` to `path` through a temp file and a rename, so a crash never leaves half a file. */
export async function writeTokenizerFile(path: string, tokenizer: Tokenizer): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(tokenizer.toTokenizerJson())}\n`);
}
