import type { Rng } from "../../../random/rng.js";

// Marsaglia & Tsang's ziggurat (J. Stat. Softw. 5(8), 2000) with 128 layers: a standard normal
// costs one 32-bit draw and a table lookup ~99% of the time, against a log, a square root and
// two or three draws for Box–Muller or the polar method. Noise for two 256×28×28 views is
// 400k normals, so this is most of the augmentation's time.
// NOTE: the layer index comes from the low 7 bits and the value from the upper 25, so the two are
// independent (the original reuses the index bits in the value, a known small defect: Doornik 2005).

const LAYERS = 128;
const R = 3.442619855899; // start of the tail
const AREA = 9.91256303526217e-3; // area of each layer
const SCALE = 16777216; // 2^24: |value| < 2^24 after dropping the 7 index bits

const kn = new Float64Array(LAYERS);
const wn = new Float64Array(LAYERS);
const fn = new Float64Array(LAYERS);
{
  let dn = R;
  let tn = dn;
  const q = AREA / Math.exp(-0.5 * dn * dn);
  kn[0] = (dn / q) * SCALE;
  kn[1] = 0;
  wn[0] = q / SCALE;
  wn[LAYERS - 1] = dn / SCALE;
  fn[0] = 1;
  fn[LAYERS - 1] = Math.exp(-0.5 * dn * dn);
  for (let i = LAYERS - 2; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(AREA / dn + Math.exp(-0.5 * dn * dn)));
    kn[i + 1] = (dn / tn) * SCALE;
    tn = dn;
    fn[i] = Math.exp(-0.5 * dn * dn);
    wn[i] = dn / SCALE;
  }
}

/** One standard normal sample drawn from `rng`. */
export function normalZiggurat(rng: Rng): number {
  for (;;) {
    const u = rng.nextUint32();
    const layer = u & (LAYERS - 1);
    const j = (u | 0) >> 7; // signed, in [−2^24, 2^24)
    const x = j * (wn[layer] as number);
    if (Math.abs(j) < (kn[layer] as number)) return x; // inside the layer's rectangle
    if (layer === 0) {
      // The tail beyond R (Marsaglia 1964).
      let tx: number, ty: number;
      do {
        tx = -Math.log(1 - rng.uniform()) / R;
        ty = -Math.log(1 - rng.uniform());
      } while (ty + ty < tx * tx);
      return j > 0 ? R + tx : -R - tx;
    }
    // The wedge between the rectangle and the curve.
    const f0 = fn[layer] as number;
    if (f0 + rng.uniform() * ((fn[layer - 1] as number) - f0) < Math.exp(-0.5 * x * x)) return x;
  }
}
