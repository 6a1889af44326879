/**
 * GPT-2's pre-tokenization pattern (openai/gpt-2 `encoder.py`), which Hugging Face's ByteLevel
 * pre-tokenizer also uses: English contractions, letters with one optional leading space, digits
 * likewise, other symbols likewise, and whitespace — a run of whitespace before a word gives its
 * last space to the word (`\s+(?!\S)`). BPE merges never cross these word boundaries.
 * NOTE: it runs as written under JS `u` mode (the GPT-4 pattern would not: possessive
 * quantifiers and `(?i:)` need translating). Every code point matches some branch, so the words
 * tile the text with no gaps.
 */
export const GPT2_SPLIT_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** Calls `onWord(word, start)` for each pre-tokenized word of `text`, `start` its UTF-16 offset. */
export function forEachWord(text: string, onWord: (word: string, start: number) => void): void {
  const pattern = GPT2_SPLIT_PATTERN;
  pattern.lastIndex = 0;
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) onWord(m[0], m.index);
}

/** Occurrences of each pre-tokenized word of `texts` (the input BPE training counts pairs on). */
export function countWords(texts: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const text of texts) forEachWord(text, (word) => counts.set(word, (counts.get(word) ?? 0) + 1));
  return counts;
}
