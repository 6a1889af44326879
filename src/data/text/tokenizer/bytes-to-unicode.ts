/**
 * GPT-2's reversible map from the 256 byte values to printable characters (openai/gpt-2
 * `encoder.py:bytes_to_unicode`): bytes that are printable Latin-1 (`!`…`~`, `¡`…`¬`, `®`…`ÿ`) stand
 * for themselves, the other 68 (controls, space, soft hyphen) are shifted to U+0100 … U+0143 in
 * byte order. So byte 0x20 (space) is "Ġ" (U+0120) and 0x0A (newline) is "Ċ".
 * NOTE: tokenizer.json stores byte-level tokens in these characters, never raw bytes, so that every
 * token is a printable string with no spaces (which is what lets merges be written as "left right").
 */
export const BYTE_TO_UNICODE: readonly string[] = buildByteToUnicode();

const UNICODE_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_UNICODE.map((c, b) => [c, b]));

function buildByteToUnicode(): string[] {
  const chars = new Array<string>(256);
  const printable = (b: number): boolean => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let shifted = 0;
  for (let b = 0; b < 256; b++) chars[b] = String.fromCharCode(printable(b) ? b : 256 + shifted++);
  return chars;
}

/** The byte-level string of `bytes` (each byte as its GPT-2 character). */
export function bytesToByteLevel(bytes: ArrayLike<number>): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += BYTE_TO_UNICODE[bytes[i] as number] as string;
  return s;
}

/** The bytes a byte-level string stands for, or null if one of its characters is not a byte character. */
export function byteLevelToBytes(s: string): Uint8Array | null {
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const b = UNICODE_TO_BYTE.get(s.charAt(i));
    if (b === undefined) return null;
    bytes[i] = b;
  }
  return bytes;
}
