/**
 * UTF-8 helpers shared by the tokenizers. Text is treated as a sequence of code points; a lone
 * surrogate (a string that is not well-formed UTF-16) encodes as U+FFFD, as `TextEncoder` does.
 */

/** A decoder that keeps a leading U+FEFF and writes U+FFFD for malformed bytes. */
export function utf8Decoder(): TextDecoder {
  // NOTE: ignoreBOM: true, or a text starting with U+FEFF would lose it on the way back.
  return new TextDecoder("utf-8", { ignoreBOM: true });
}

/** UTF-8 length of code point `cp` (a lone surrogate counts as its U+FFFD replacement, 3 bytes). */
export function utf8Length(cp: number): number {
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

/** Total UTF-8 length of `text`. */
export function utf8ByteLength(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const cp = text.codePointAt(i) as number;
    n += utf8Length(cp);
    if (cp > 0xffff) i++;
  }
  return n;
}

/**
 * Writes the UTF-8 bytes of `text.slice(start, end)` into `out` from index 0 and returns their
 * count. `out` must hold 3 bytes per UTF-16 unit (the most any unit needs).
 */
export function encodeUtf8Into(text: string, start: number, end: number, out: Uint8Array): number {
  let n = 0;
  for (let i = start; i < end; i++) {
    let cp = text.charCodeAt(i);
    if (cp < 0x80) {
      out[n++] = cp;
      continue;
    }
    if (cp >= 0xd800 && cp <= 0xdfff) {
      const low = i + 1 < end ? text.charCodeAt(i + 1) : 0;
      if (cp <= 0xdbff && low >= 0xdc00 && low <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        i++;
      } else {
        cp = 0xfffd;
      }
    }
    if (cp < 0x800) {
      out[n++] = 0xc0 | (cp >> 6);
    } else if (cp < 0x10000) {
      out[n++] = 0xe0 | (cp >> 12);
      out[n++] = 0x80 | ((cp >> 6) & 0x3f);
    } else {
      out[n++] = 0xf0 | (cp >> 18);
      out[n++] = 0x80 | ((cp >> 12) & 0x3f);
      out[n++] = 0x80 | ((cp >> 6) & 0x3f);
    }
    out[n++] = 0x80 | (cp & 0x3f);
  }
  return n;
}

const strictDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** `bytes` as text, each byte that is not part of a whole character written as `<0xE2>`. */
export function describeUtf8(bytes: Uint8Array): string {
  let s = "";
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i] as number;
    const length = lead < 0x80 ? 1 : lead >= 0xc2 && lead < 0xe0 ? 2 : lead >= 0xe0 && lead < 0xf0 ? 3 : lead >= 0xf0 && lead < 0xf5 ? 4 : 0;
    const char = length > 0 && i + length <= bytes.length ? tryDecode(bytes.subarray(i, i + length)) : null;
    if (char === null) {
      s += `<0x${lead.toString(16).toUpperCase().padStart(2, "0")}>`;
      i++;
    } else {
      s += char;
      i += length;
    }
  }
  return s;
}

function tryDecode(bytes: Uint8Array): string | null {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    return null;
  }
}
