import sharp from "sharp";
import type { EmbeddingSet } from "./run.js";

type Images = NonNullable<EmbeddingSet["images"]>;

/**
 * Test image `index` (of F32 [N, C, H, W]) as PNG bytes: one channel as grey, three as RGB, any
 * other count shows its first channel. Each image is stretched to its own min..max, because run
 * folders store images after normalization ((x - mean) / std), whose range is not [0, 1].
 */
export async function imagePng(images: Images, index: number): Promise<Buffer> {
  const { data, channels, height, width } = images;
  const plane = height * width;
  const outChannels = channels === 3 ? 3 : 1;
  const base = index * channels * plane;
  let lo = Infinity;
  let hi = -Infinity;
  for (let j = base; j < base + outChannels * plane; j++) {
    const v = data[j] ?? 0;
    if (Number.isFinite(v)) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  // NOTE: a constant image (hi = lo) would divide by zero; it is drawn mid-grey instead.
  const scale = hi > lo ? 255 / (hi - lo) : 0;
  const pixels = Buffer.alloc(plane * outChannels);
  for (let c = 0; c < outChannels; c++) {
    for (let p = 0; p < plane; p++) {
      const v = data[base + c * plane + p] ?? 0;
      pixels[p * outChannels + c] = scale === 0 || !Number.isFinite(v) ? 128 : Math.round((v - lo) * scale);
    }
  }
  return sharp(pixels, { raw: { width, height, channels: outChannels } }).png().toBuffer();
}

export const pngDataUrl = (bytes: Uint8Array): string => `data:image/png;base64,${Buffer.from(bytes).toString("base64")}`;
