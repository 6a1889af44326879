import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
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
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.${basename(path)}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`);
  try {
    await writeFile(temp, `${JSON.stringify(tokenizer.toTokenizerJson())}\n`, { flush: true });
    await rename(temp, path);
  } catch (e) {
    await rm(temp, { force: true });
    throw e;
  }
}
