/**
 * Mel-frequency cepstral coefficients from a log-mel spectrogram, the way torchaudio's
 * `transforms.MFCC` computes them from its mel spectrogram: decibels of the mel power
 * (`AmplitudeToDB("power", top_db=80)`), then a DCT-II over the mel axis
 * (`functional.create_dct(n_mfcc, n_mels, "ortho")`). Plus torchaudio's `compute_deltas`.
 *
 * The input is pretext's log-mel, the natural log of the mel power with a floor:
 * `logMel = ln(mel + ε)`, ε = 1.1920929e-7 (float32 eps, BYOL-A's). Its decibels are
 * `10 / ln 10 · logMel = 10·log10(mel + ε)`, where torchaudio takes `10·log10(max(mel, 1e-10))`.
 * NOTE: the two agree only where mel ≫ ε: a bin at −40 dB sits 0.005 dB higher here, one at
 * −60 dB 0.5 dB, and digital silence floors at −69.2 dB instead of −100. The per-clip top_db
 * clamp (80 dB below the loudest bin) hides most of it on loud clips. Measured on the test's
 * fixture clips against torchaudio's MFCC of the waveform: the loud clip (peak +34.7 dB, clamp
 * at −45.3 dB) differs by ≤ 0.044, the quiet band-limited one (peak −7.5 dB, empty bands) by up
 * to 135, all of it from the empty bands. Against torchaudio's MFCC steps applied to the mel
 * power our log-mel encodes, exp(logMel), the two agree to 5e-5.
 */

/** Options of `mfccFromLogMel`; the defaults are torchaudio's `MFCC` except `coefficients`. */
export interface MfccOptions {
  /**
   * Cepstral coefficients kept (c0 … c(K−1)). 13, the classic speech front end (Davis &
   * Mermelstein 1980; HTK and Kaldi's MFCC configs); 20 is librosa's default, 40 torchaudio's.
   */
  readonly coefficients?: number;
  /** Only the DCT-II, as torchaudio (`dct_type` 2). */
  readonly dctType?: 2;
  /** "ortho" (default): the orthonormal DCT-II; null: torchaudio's unnormalized one (2·cos). */
  readonly norm?: "ortho" | null;
  /**
   * Cepstral liftering L (0 or absent: none): coefficient k is scaled by 1 + (L/2)·sin(π(k+1)/L),
   * librosa's `mfcc(lifter=L)` (HTK's CEPLIFTER is 22). torchaudio has no lifter.
   */
  readonly lifter?: number;
  /**
   * Decibels below the clip's loudest bin where the spectrum is clamped; 80 as torchaudio's MFCC.
   * null: no clamp (only torchaudio's amin floor of −100 dB).
   */
  readonly topDb?: number | null;
}

const DEFAULTS = { coefficients: 13, topDb: 80 } as const;

/** 10 / ln 10: natural-log power to decibels. */
const DB_PER_NEPER_OF_POWER = 10 / Math.LN10;
/** torchaudio's AmplitudeToDB amin (1e-10), in dB: the floor of every bin. */
const AMIN_DB = -100;

/**
 * MFCCs of one clip.
 *
 * @param logMel `[mels, frames]` row-major (band major: value (m, t) at `m * frames + t`), the
 *   natural log of the mel power (pretext's log-mel; one sample's `logmel` field)
 * @returns `[coefficients, frames]` row-major (coefficient major)
 */
export function mfccFromLogMel(logMel: Float32Array, mels: number, frames: number, options: MfccOptions = {}): Float32Array {
  const where = "mfccFromLogMel";
  checkSpectrogram(where, logMel, mels, frames);
  const { coefficients = DEFAULTS.coefficients, norm = "ortho", lifter = 0 } = options;
  const topDb = options.topDb === undefined ? DEFAULTS.topDb : options.topDb;
  if (options.dctType !== undefined && options.dctType !== 2) throw new Error(`${where}: only the DCT-II (dctType 2) is supported, got ${String(options.dctType)}`);
  if (topDb !== null && !(topDb >= 0)) throw new Error(`${where}: topDb must be a number ≥ 0 or null, got ${topDb}`);
  const dct = checkedDct(where, coefficients, mels, norm, lifter);

  const db = new Float64Array(mels * frames);
  let loudest = AMIN_DB;
  for (let i = 0; i < db.length; i++) {
    const v = logMel[i] as number;
    if (Number.isNaN(v) || v === Number.POSITIVE_INFINITY) {
      throw new Error(`${where}: log-mel value at (mel ${Math.floor(i / frames)}, frame ${i % frames}) is ${v}`);
    }
    // NOTE: max with the amin floor as torchaudio's clamp(x, 1e-10); also maps ln 0 = −∞ to −100 dB.
    const d = Math.max(DB_PER_NEPER_OF_POWER * v, AMIN_DB);
    db[i] = d;
    if (d > loudest) loudest = d;
  }
  if (topDb !== null) {
    const floor = loudest - topDb;
    for (let i = 0; i < db.length; i++) if ((db[i] as number) < floor) db[i] = floor;
  }

  // out[k, t] = Σ_m dct[k, m] · db[m, t], frames innermost so each pass is one contiguous row.
  const out = new Float32Array(coefficients * frames);
  const row = new Float64Array(frames);
  for (let k = 0; k < coefficients; k++) {
    row.fill(0);
    for (let m = 0; m < mels; m++) {
      const w = dct[k * mels + m] as number;
      const base = m * frames;
      for (let t = 0; t < frames; t++) row[t] = (row[t] as number) + w * (db[base + t] as number);
    }
    out.set(row, k * frames);
  }
  return out;
}

/**
 * The DCT-II matrix `[coefficients, mels]`: dct[k, m] = cos(π/M · (m + ½) · k), times
 * √(2/M) (and 1/√2 on k = 0) for "ortho" or 2 for null: torchaudio's `create_dct` transposed.
 * With `lifter` L > 0 each row k is also scaled by 1 + (L/2)·sin(π(k+1)/L).
 */
export function dctMatrix(coefficients: number, mels: number, norm: "ortho" | null = "ortho", lifter = 0): Float64Array {
  return checkedDct("dctMatrix", coefficients, mels, norm, lifter);
}

function checkedDct(where: string, coefficients: number, mels: number, norm: "ortho" | null, lifter: number): Float64Array {
  if (!Number.isInteger(mels) || mels < 1) throw new Error(`${where}: mels must be a positive integer, got ${mels}`);
  if (!Number.isInteger(coefficients) || coefficients < 1 || coefficients > mels) {
    throw new Error(`${where}: coefficients must be an integer in [1, ${mels}] (the mel bands), got ${coefficients}`);
  }
  if (!(lifter >= 0)) throw new Error(`${where}: lifter must be ≥ 0, got ${lifter}`);
  const out = new Float64Array(coefficients * mels);
  for (let k = 0; k < coefficients; k++) {
    let scale = norm === null ? 2 : Math.sqrt(2 / mels) * (k === 0 ? Math.SQRT1_2 : 1);
    if (lifter > 0) scale *= 1 + (lifter / 2) * Math.sin((Math.PI * (k + 1)) / lifter);
    for (let m = 0; m < mels; m++) out[k * mels + m] = scale * Math.cos((Math.PI / mels) * (m + 0.5) * k);
  }
  return out;
}

/**
 * Delta (time-derivative) coefficients, torchaudio's `compute_deltas`:
 * d_t = Σ_{n=1..N} n·(c_{t+n} − c_{t−n}) / (2·Σ_{n=1..N} n²), N = ⌊(winLength − 1)/2⌋, the
 * sequence edge-replicated beyond its ends ("replicate" padding).
 *
 * @param x `[rows, frames]` row-major (MFCCs: coefficient major)
 * @param winLength ≥ 3; 5 as torchaudio (N = 2)
 * @returns `[rows, frames]`
 */
export function computeDeltas(x: Float32Array, rows: number, frames: number, winLength = 5): Float32Array {
  checkSpectrogram("computeDeltas", x, rows, frames);
  if (!Number.isInteger(winLength) || winLength < 3) throw new Error(`computeDeltas: winLength must be an integer ≥ 3, got ${winLength}`);
  const half = (winLength - 1) >> 1;
  const denominator = (half * (half + 1) * (2 * half + 1)) / 3;
  const out = new Float32Array(rows * frames);
  const last = frames - 1;
  for (let r = 0; r < rows; r++) {
    const base = r * frames;
    for (let t = 0; t < frames; t++) {
      let s = 0;
      for (let n = 1; n <= half; n++) {
        const ahead = x[base + Math.min(t + n, last)] as number;
        const behind = x[base + Math.max(t - n, 0)] as number;
        s += n * (ahead - behind);
      }
      out[base + t] = s / denominator;
    }
  }
  return out;
}

/**
 * MFCCs with `order` rounds of deltas stacked under them, `[coefficients · (order + 1), frames]`:
 * order 2 gives the classic 39 rows of 13 MFCCs, their deltas and delta-deltas (HTK's _D_A,
 * Kaldi's add-deltas), each round `computeDeltas` of the one before with `winLength`.
 */
export function mfccWithDeltas(logMel: Float32Array, mels: number, frames: number, order: 0 | 1 | 2, options: MfccOptions = {}, winLength = 5): Float32Array {
  const base = mfccFromLogMel(logMel, mels, frames, options);
  if (order === 0) return base;
  const rows = base.length / frames;
  const out = new Float32Array(base.length * (order + 1));
  out.set(base, 0);
  let previous = base;
  for (let d = 1; d <= order; d++) {
    previous = computeDeltas(previous, rows, frames, winLength);
    out.set(previous, d * base.length);
  }
  return out;
}

function checkSpectrogram(where: string, x: Float32Array, rows: number, frames: number): void {
  if (!Number.isInteger(rows) || rows < 1 || !Number.isInteger(frames) || frames < 1) {
    throw new Error(`${where}: the shape [${rows}, ${frames}] is not two positive integers`);
  }
  if (x.length !== rows * frames) throw new Error(`${where}: ${x.length} values are not [${rows}, ${frames}] (${rows * frames})`);
}
