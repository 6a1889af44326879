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

// NOTE: a private copy, so that nobody else's use of the exported pattern moves this one's lastIndex.
const pattern = new RegExp(GPT2_SPLIT_PATTERN);

/** Calls `onWord(word, start)` for each pre-tokenized word of `text`, `start` its UTF-16 offset. */
export function forEachWord(text: string, onWord: (word: string, start: number) => void): void {
  pattern.lastIndex = 0;
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) onWord(m[0], m.index);
}

/** Occurrences of each pre-tokenized word of `texts` (the input BPE training counts pairs on); a string is one text. */
export function countWords(texts: string | Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  // NOTE: a string is itself an Iterable<string> of its characters, which would count no word longer than one.
  for (const text of typeof texts === "string" ? [texts] : texts) forEachWord(text, (word) => counts.set(word, (counts.get(word) ?? 0) + 1));
  return counts;
}
