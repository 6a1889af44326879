import { SPECIAL_TOKEN_LIST } from "./tokenizer.js";

const SPECIAL_PATTERN = new RegExp(SPECIAL_TOKEN_LIST.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"), "g");

/**
 * Walks `text` in order, calling `onText` for each stretch of plain text (never empty) and, when
 * `allowSpecial`, `onSpecial` for each special-token string found ("<mask>" → id 2). Without
 * `allowSpecial` the whole text is one stretch, so "<mask>" typed by a user is just characters.
 * NOTE: text is cut at special tokens before pre-tokenization, as Hugging Face does with added
 * tokens, so a split pattern's lookahead never sees across a special token.
 */
export function splitOnSpecialTokens(
  text: string,
  allowSpecial: boolean,
  onText: (start: number, end: number) => void,
  onSpecial: (id: number, start: number, end: number) => void,
): void {
  if (!allowSpecial) {
    if (text.length > 0) onText(0, text.length);
    return;
  }
  let from = 0;
  SPECIAL_PATTERN.lastIndex = 0;
  for (let m = SPECIAL_PATTERN.exec(text); m !== null; m = SPECIAL_PATTERN.exec(text)) {
    if (m.index > from) onText(from, m.index);
    const end = m.index + m[0].length;
    onSpecial(SPECIAL_TOKEN_LIST.indexOf(m[0]), m.index, end);
    from = end;
  }
  if (from < text.length) onText(from, text.length);
}
