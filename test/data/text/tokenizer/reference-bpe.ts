import { countWords } from "../../../../src/data/text/tokenizer/pretokenize.js";

/**
 * The textbook BPE trainer, for checking the incremental one: recount every pair of every word
 * before each merge (minbpe's `get_stats` + `merge`), same tie-break. Throws if two merges ever
 * make the same bytes (the trainer relies on that never happening). Quadratic, so small inputs only.
 */
export function referenceMerges(texts: string[], numMerges: number): Array<[number, number]> {
  const words = [...countWords(texts)].map(([word, count]) => ({ symbols: [...new TextEncoder().encode(word)].map((b) => 6 + b), count }));
  const bytesOf: string[] = Array.from({ length: 262 }, (_, id) => (id < 6 ? "" : String.fromCharCode(id - 6)));
  const made = new Set<string>();
  const merges: Array<[number, number]> = [];
  while (merges.length < numMerges) {
    const counts = new Map<string, number>();
    for (const { symbols, count } of words) {
      for (let i = 0; i + 1 < symbols.length; i++) {
        const key = `${symbols[i]},${symbols[i + 1]}`;
        counts.set(key, (counts.get(key) ?? 0) + count);
      }
    }
    let best: [number, number] | null = null;
    let bestCount = 0;
    for (const [key, count] of counts) {
      const [a, b] = key.split(",").map(Number) as [number, number];
      const wins = count > bestCount || (count === bestCount && best !== null && (a < best[0] || (a === best[0] && b < best[1])));
      if (wins) {
        best = [a, b];
        bestCount = count;
      }
    }
    if (best === null) break;
    const [a, b] = best;
    const bytes = (bytesOf[a] as string) + (bytesOf[b] as string);
    if (made.has(bytes)) throw new Error(`referenceMerges: merge ${merges.length} repeats the bytes ${JSON.stringify(bytes)}`);
    made.add(bytes);
    const c = bytesOf.length;
    bytesOf.push(bytes);
    merges.push([a, b]);
    for (const word of words) {
      const out: number[] = [];
      for (let i = 0; i < word.symbols.length; i++) {
        if (word.symbols[i] === a && word.symbols[i + 1] === b) {
          out.push(c);
          i++;
        } else {
          out.push(word.symbols[i] as number);
        }
      }
      word.symbols = out;
    }
  }
  return merges;
}
