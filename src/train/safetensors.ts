import { readFile } from "node:fs/promises";
import { type SafetensorsContents, decodeSafetensors } from "./safetensors-codec.js";

// The codec has no Node imports, so the browser entry (src/browser.ts) takes it from there.
export * from "./safetensors-codec.js";

/** Reads and validates a safetensors file; errors name the file. */
export async function readSafetensors(path: string): Promise<SafetensorsContents> {
  return decodeSafetensors(await readFile(path), path);
}
