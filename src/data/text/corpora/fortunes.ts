import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { stratifiedSplitIndices } from "../../split.js";
import { readTextFile } from "../text-file.js";
import type { LabeledTexts, TextSource } from "../text-source.js";

/** Where Debian's `fortunes` package installs its category files. */
export const FORTUNES_DIR = "/usr/share/games/fortunes";

/**
 * Categories with fewer fortunes than this are left out: a class needs 10 labelled examples
 * after the split for the 10-per-class probe, and a handful of texts is not a category to learn.
 * NOTE: with 50 the package's 43 files give 39 categories (pratchett 1, ascii-art 10,
 * translate-me 12 and magic 30 fortunes are dropped).
 */
export const FORTUNES_MIN_PER_CATEGORY = 50;

/** The held-out share of every category, and the seed of the split (fixed, so figures compare across runs). */
export const FORTUNES_TEST_FRACTION = 0.2;
export const FORTUNES_SPLIT_SEED = 0;

/**
 * Debian's `fortunes` (`apt-get install fortunes`): short texts (quotations, jokes, definitions)
 * in one file per category, entries separated by lines holding only `%`; the category is the
 * label. Categories are sorted by name; a fortune that appears in two categories (or twice, even
 * wrapped differently) is kept once, in the first, so no text is on both sides of the split. The split is stratified:
 * 20% of every category held out, seeded (`stratifiedSplitIndices`, seed 0).
 */
export function fortunes(dir = FORTUNES_DIR): TextSource {
  if (!existsSync(dir)) throw new Error(`${dir}: not found; install Debian's fortunes package (apt-get install fortunes) to use --data fortunes`);
  const files = readdirSync(dir)
    .filter((f) => !f.endsWith(".dat") && !f.endsWith(".u8") && !f.startsWith("."))
    .filter((f) => statSync(join(dir, f)).isFile())
    .sort();
  const seen = new Set<string>();
  const byCategory: { name: string; texts: string[] }[] = [];
  for (const name of files) {
    const texts: string[] = [];
    for (const entry of readTextFile(join(dir, name)).text.split(/^%\r?$/m)) {
      // NOTE: some files underline or embolden by overstriking ("_\bx", "x\bx", as nroff did); the
      // character before each backspace is dropped so the words read as words.
      const text = entry.replace(/^\r?\n/, "").replace(/[^\n]\x08/gu, "").trimEnd();
      // The same fortune re-wrapped (other line breaks or spacing) is the same text.
      const key = text.replace(/\s+/g, " ").trim();
      if (key.length === 0 || seen.has(key)) continue;
      seen.add(key);
      texts.push(text);
    }
    if (texts.length >= FORTUNES_MIN_PER_CATEGORY) byCategory.push({ name, texts });
  }
  if (byCategory.length < 2) throw new Error(`${dir}: fewer than 2 categories of ${FORTUNES_MIN_PER_CATEGORY} fortunes; is it Debian's fortunes package?`);
  const texts = byCategory.flatMap((c) => c.texts);
  const labels = Int32Array.from(byCategory.flatMap((c, k) => c.texts.map(() => k)));
  const classNames = byCategory.map((c) => c.name);
  const { train, test } = stratifiedSplitIndices(labels, { testSize: Math.round(FORTUNES_TEST_FRACTION * texts.length), seed: FORTUNES_SPLIT_SEED });
  const take = (rows: Int32Array): LabeledTexts => ({
    texts: Array.from(rows, (i) => texts[i] as string),
    labels: Int32Array.from(rows, (i) => labels[i] as number),
    classNames,
  });
  return { kind: "documents", name: "fortunes", train: take(train), test: take(test), warnings: [] };
}
