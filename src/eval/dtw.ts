/**
 * Dynamic time warping (Sakoe & Chiba 1978) over frame sequences, and its 1-nearest-neighbour
 * classifier: the classic template matcher for isolated words. A sequence is frame major,
 * `[frames, dim]` row-major (frame t's `dim` values at `t * dim`), e.g. one clip's MFCCs and
 * deltas transposed (`frameMajor`).
 */

/** The local distance between two frames. */
export type DtwLocalDistance = "euclidean" | "cosine";

export interface DtwOptions {
  /**
   * Sakoe-Chiba band radius as a fraction of the longer sequence's length (at least one frame):
   * the path stays within that many frames of the diagonal joining the two ends. 0.2 by default
   * (20 frames of a 1 s clip at a 10 ms hop): clips are fixed 1 s windows with the word centred,
   * so two utterances of the same word spoken at rates 0.7× and 1.3× start ~10% of the clip
   * apart, and their middles must be allowed to slide by as much again. On the synthetic digits
   * (espeak-ng labels, flite and held-out espeak-ng voices as tests; 39-value MFCC frames, CMVN)
   * 0.2 scored exactly as no band at 1, 5 and 32 labels per class, at 2.6× the speed (13 × 101
   * frames, one thread: 13.4k against 5.1k pairs/s); 0.1 was within 2 points of it either way,
   * 1.7× faster again (23.3k pairs/s). ≥ 1: no band.
   */
  readonly band?: number;
  /**
   * "euclidean" (default): ‖a − b‖; "cosine": 1 − cos(a, b) (0 between two zero frames, 1 against
   * one). Cosine scored 5–12 points lower on the synthetic digits after CMVN.
   */
  readonly distance?: DtwLocalDistance;
}

export interface DtwNearestNeighbourOptions extends DtwOptions {
  /**
   * Cepstral mean and variance normalization per utterance (default on): each coefficient of a
   * sequence shifted and scaled to mean 0, variance 1 over its frames, so a channel or loudness
   * offset (c0, the spectral tilt) does not decide the match. Without it the synthetic digits
   * lose 12–35 points (flite test, 5 labels per class: 57.0% → 44.3%; held-out espeak-ng voices
   * 97.5% → 74.4%).
   */
  readonly cmvn?: boolean;
  /**
   * Threads computing the distances, the calling one among them (Node's worker_threads). Default:
   * both cores (at most `availableParallelism()`) once there are `PAIRS_PER_EXTRA_THREAD` pairs,
   * one below that (where starting a worker costs more than it saves) and in a browser.
   */
  readonly threads?: number;
}

/** Sequences with their classes. */
export interface LabeledSequences {
  readonly sequences: readonly Float32Array[];
  readonly labels: Int32Array;
}

const DEFAULTS = { band: 0.2 } as const;
/** ~1 s of single-threaded work on 13 × 101 sequences at band 0.2; a worker starts in ~0.2–0.5 s. */
export const PAIRS_PER_EXTRA_THREAD = 20_000;

/**
 * The DTW distance of two frame sequences: the least total local distance of a monotone path of
 * unit steps (→, ↓, ↘) from the first frames to the last, divided by that path's length in cells
 * (ties between equal-cost paths go to the shorter). Symmetric, 0 for a sequence and itself.
 * Two rows of memory, O(frames_a · frames_b · dim) time, O(band · length · dim) with the band.
 *
 * @param a `[framesA, dim]` frame major
 * @param b `[framesB, dim]` frame major
 */
export function dtwDistance(a: Float32Array, b: Float32Array, dim: number, options: DtwOptions = {}): number {
  const where = "dtwDistance";
  checkDim(where, dim);
  const kind = options.distance ?? "euclidean";
  const x = checkedSequence(where, "a", a, dim);
  const y = checkedSequence(where, "b", b, dim);
  if (kind === "cosine") return banded(unitFrames(x, dim), unitFrames(y, dim), checkedBand(where, options.band), kind);
  return banded(x, y, checkedBand(where, options.band), kind);
}

/**
 * Predicts each test sequence's class as that of its DTW-nearest train sequence (ties: the
 * lower train index). With `cmvn` (default) every sequence is normalized first.
 *
 * @returns `[test.length]` predicted classes
 */
export async function dtwNearestNeighbour(
  train: LabeledSequences,
  test: readonly Float32Array[],
  dim: number,
  options: DtwNearestNeighbourOptions = {},
): Promise<Int32Array> {
  const where = "dtwNearestNeighbour";
  checkDim(where, dim);
  const { cmvn: normalize = true, distance = "euclidean" } = options;
  const band = checkedBand(where, options.band);
  if (train.sequences.length === 0) throw new Error(`${where}: no train sequences`);
  if (train.labels.length !== train.sequences.length) {
    throw new Error(`${where}: ${train.sequences.length} train sequences but ${train.labels.length} labels`);
  }
  const prepare = (name: string) => (s: Float32Array, i: number) => {
    let x = checkedSequence(where, `${name} sequence ${i}`, s, dim);
    if (normalize) x = { ...x, values: cmvn(x.values, dim) };
    return distance === "cosine" ? unitFrames(x, dim) : x;
  };
  const trainPack = pack(train.sequences.map(prepare("train")));
  const testPack = pack(test.map(prepare("test")));
  const threads = options.threads ?? (await defaultThreads(train.sequences.length * test.length));
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`${where}: threads must be a positive integer, got ${threads}`);

  const job: DtwJob = { train: trainPack, test: testPack, band, distance, first: 0, step: 1 };
  const nearest = new Int32Array(test.length);
  if (threads === 1 || test.length < 2) nearest.set(nearestIndices(job));
  else {
    // Test sequences are dealt round robin (i ≡ k mod threads to thread k) so each thread gets a
    // like mix of lengths; thread 0 is this one, the others are workers sharing the packed frames.
    const count = Math.min(threads, test.length);
    const workers = Array.from({ length: count - 1 }, (_, k) => runInWorker({ ...job, first: k + 1, step: count }));
    const own = nearestIndices({ ...job, first: 0, step: count });
    const parts = [own, ...(await Promise.all(workers))];
    parts.forEach((part, k) => part.forEach((v, j) => (nearest[k + j * count] = v)));
  }
  return Int32Array.from(nearest, (i) => train.labels[i] as number);
}

/**
 * Per-utterance cepstral mean and variance normalization: each of the `dim` coefficients of a
 * `[frames, dim]` sequence minus its mean over frames, divided by its population standard deviation.
 * NOTE: a constant coefficient (std 0) is only centred (divided by 1), so it stays 0 rather than NaN.
 */
export function cmvn(sequence: Float32Array, dim: number): Float32Array {
  const frames = sequence.length / dim;
  const out = new Float32Array(sequence.length);
  for (let k = 0; k < dim; k++) {
    let mean = 0;
    for (let t = 0; t < frames; t++) mean += sequence[t * dim + k] as number;
    mean /= frames;
    let sq = 0;
    for (let t = 0; t < frames; t++) sq += ((sequence[t * dim + k] as number) - mean) ** 2;
    const std = Math.sqrt(sq / frames);
    const scale = std > 1e-12 ? 1 / std : 1;
    for (let t = 0; t < frames; t++) out[t * dim + k] = ((sequence[t * dim + k] as number) - mean) * scale;
  }
  return out;
}

/** `[rows, frames]` (coefficient major, as `mfccFromLogMel` returns) → `[frames, rows]` (frame major, as DTW takes). */
export function frameMajor(x: Float32Array, rows: number, frames: number): Float32Array {
  if (x.length !== rows * frames) throw new Error(`frameMajor: ${x.length} values are not [${rows}, ${frames}]`);
  const out = new Float32Array(x.length);
  for (let r = 0; r < rows; r++) for (let t = 0; t < frames; t++) out[t * rows + r] = x[r * frames + t] as number;
  return out;
}

// Two rows of cumulative cost and of path length, 1-based so index 0 is a permanent +∞ sentinel;
// module level and grown on demand so a nearest-neighbour scan allocates nothing per pair.
let costRows = new Float64Array(0);
let lengthRows = new Float64Array(0);

/**
 * The banded recurrence D(i, j) = d(i, j) + min(D(i−1, j), D(i, j−1), D(i−1, j−1)), rows over
 * the longer sequence so the band's centre line has slope ≤ 1 and every row's range overlaps the
 * next (the path stays connected for any radius ≥ 1), and swapping a and b changes nothing.
 * Cosine frames come as `unitFrames`, so d = 1 − a·b.
 */
function banded(a: Frames, b: Frames, band: number, kind: DtwLocalDistance): number {
  const [long, short] = a.frames >= b.frames ? [a, b] : [b, a];
  const n = long.frames;
  const m = short.frames;
  const width = m + 2;
  if (costRows.length < 2 * width) {
    costRows = new Float64Array(2 * width);
    lengthRows = new Float64Array(2 * width);
  }
  const cost = costRows;
  const len = lengthRows;
  cost.fill(Number.POSITIVE_INFINITY, 0, 2 * width);
  const radius = Math.max(1, band * n);
  const slope = n > 1 ? (m - 1) / (n - 1) : 0;
  const x = long.values;
  const y = short.values;
  const dim = long.width;
  const cosine = kind === "cosine";
  let prev = 0;
  let cur = width;
  // Row −1 is all +∞ but for its sentinel, 0 with length 0, which the ↘ step of cell (0, 0) reads.
  cost[prev] = 0;
  len[prev] = 0;
  for (let i = 0; i < n; i++) {
    const centre = i * slope;
    const lo = Math.max(0, Math.ceil(centre - radius));
    const hi = Math.min(m - 1, Math.floor(centre + radius));
    cost[cur + lo] = Number.POSITIVE_INFINITY; // the left neighbour of the row's first cell
    const xi = i * dim;
    // The ↘ predecessor of cell j is the ↓ predecessor of cell j − 1, and the ← one the cell
    // just computed: one read of the previous row per cell.
    let diag = cost[prev + lo] as number;
    let diagSteps = len[prev + lo] as number;
    let left = Number.POSITIVE_INFINITY;
    let leftSteps = 0;
    for (let j = lo; j <= hi; j++) {
      const yj = j * dim;
      let d: number;
      if (cosine) {
        let dot = 0;
        for (let k = 0; k < dim; k++) dot += (x[xi + k] as number) * (y[yj + k] as number);
        d = Math.max(0, 1 - dot); // NOTE: a·a of a unit frame is 1 only to rounding
      } else {
        let sq = 0;
        for (let k = 0; k < dim; k++) {
          const e = (x[xi + k] as number) - (y[yj + k] as number);
          sq += e * e;
        }
        d = Math.sqrt(sq);
      }
      const p = prev + j + 1;
      const up = cost[p] as number;
      const upSteps = len[p] as number;
      let best = diag;
      let steps = diagSteps;
      if (up < best || (up === best && upSteps < steps)) {
        best = up;
        steps = upSteps;
      }
      if (left < best || (left === best && leftSteps < steps)) {
        best = left;
        steps = leftSteps;
      }
      left = d + best;
      leftSteps = steps + 1;
      cost[cur + j + 1] = left;
      len[cur + j + 1] = leftSteps;
      diag = up;
      diagSteps = upSteps;
    }
    // The next row reads this one from column lo − 1 (set to +∞ above) to at most hi + 1 (its
    // range ends at most one further right, the centre line's slope being ≤ 1): make that +∞.
    if (hi + 2 < width) cost[cur + hi + 2] = Number.POSITIVE_INFINITY;
    if (i === 0) cost[prev] = Number.POSITIVE_INFINITY;
    const swap = prev;
    prev = cur;
    cur = swap;
  }
  return (cost[prev + m] as number) / (len[prev + m] as number);
}

/** A sequence of `frames` frames of `width` values each. */
interface Frames {
  readonly values: Float32Array;
  readonly frames: number;
  readonly width: number;
}

/** Sequences laid end to end in one (shareable) buffer, with where each starts and its frames. */
interface PackedSequences {
  readonly values: Float32Array;
  readonly starts: Int32Array;
  readonly frames: Int32Array;
  readonly width: number;
}

interface DtwJob {
  readonly train: PackedSequences;
  readonly test: PackedSequences;
  readonly band: number;
  readonly distance: DtwLocalDistance;
  /** This share is test sequences first, first + step, first + 2·step, … */
  readonly first: number;
  readonly step: number;
}

function nearestIndices(job: DtwJob): Int32Array {
  const { train, test, band, distance, first, step } = job;
  const view = (p: PackedSequences, i: number): Frames => {
    const start = p.starts[i] as number;
    const frames = p.frames[i] as number;
    return { values: p.values.subarray(start, start + frames * p.width), frames, width: p.width };
  };
  const trains = Array.from(train.frames, (_, i) => view(train, i));
  const out = new Int32Array(Math.max(0, Math.ceil((test.frames.length - first) / step)));
  for (let q = first, o = 0; q < test.frames.length; q += step, o++) {
    const query = view(test, q);
    let best = Number.POSITIVE_INFINITY;
    let bestIndex = 0;
    for (let i = 0; i < trains.length; i++) {
      const d = banded(query, trains[i] as Frames, band, distance);
      if (d < best) {
        best = d;
        bestIndex = i;
      }
    }
    out[o] = bestIndex;
  }
  return out;
}

function pack(sequences: readonly Frames[]): PackedSequences {
  const total = sequences.reduce((s, q) => s + q.values.length, 0);
  const values = new Float32Array(new SharedArrayBuffer(total * 4));
  const starts = new Int32Array(sequences.length);
  const frames = new Int32Array(sequences.length);
  let at = 0;
  sequences.forEach((s, i) => {
    values.set(s.values, at);
    starts[i] = at;
    frames[i] = s.frames;
    at += s.values.length;
  });
  return { values, starts, frames, width: sequences[0]?.width ?? 1 };
}

async function defaultThreads(pairs: number): Promise<number> {
  if (pairs < PAIRS_PER_EXTRA_THREAD) return 1;
  // NOTE: node:os and node:worker_threads are imported on use, so the module loads in a browser
  // (one thread there).
  const os = await import("node:os").catch(() => null);
  return os === null ? 1 : Math.max(1, Math.min(2, os.availableParallelism()));
}

const DTW_WORKER = "pretext-dtw";

function runInWorker(job: DtwJob): Promise<Int32Array> {
  // From the TypeScript sources (tsx, vitest) the worker registers tsx's loader before importing
  // this module (Node 20 ignores `--import` in a worker's execArgv), as runtime/worker-backend.ts.
  const self = import.meta.url;
  const serve = `import(${JSON.stringify(self)}).then((m) => m.serveDtwWorker())`;
  const code = self.endsWith(".ts")
    ? `import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))}).then(({ register }) => { register(); return ${serve}; });`
    : serve;
  return import("node:worker_threads").then(
    ({ Worker }) =>
      new Promise((resolve, reject) => {
        const worker = new Worker(code, { eval: true, workerData: { kind: DTW_WORKER, job } });
        worker.once("message", (result: Int32Array) => resolve(result));
        worker.once("error", reject);
        // after a reply this rejects a settled promise, which does nothing
        worker.once("exit", (exitCode) => reject(new Error(`dtwNearestNeighbour: a worker thread exited (code ${exitCode}) without its result`)));
      }),
  );
}

/** The worker side of `dtwNearestNeighbour` (internal): computes the share its worker data names and replies. */
export async function serveDtwWorker(): Promise<void> {
  const { parentPort, workerData } = await import("node:worker_threads");
  const data: unknown = workerData;
  if (parentPort === null || !isDtwWorkerData(data)) throw new Error("serveDtwWorker: not in a worker started by dtwNearestNeighbour");
  parentPort.postMessage(nearestIndices(data.job));
}

function isDtwWorkerData(data: unknown): data is { kind: typeof DTW_WORKER; job: DtwJob } {
  return typeof data === "object" && data !== null && (data as { kind?: unknown }).kind === DTW_WORKER;
}

/**
 * Frames scaled to unit length, each with one more value: 0 after a nonzero frame, 1 for a zero
 * frame (which has no direction). 1 − a·b is then the cosine distance between nonzero frames, 1
 * between a zero and a nonzero one, and 0 between two zero frames, with no branch per cell.
 */
function unitFrames(s: Frames, dim: number): Frames {
  const width = dim + 1;
  const values = new Float32Array(s.frames * width);
  for (let t = 0; t < s.frames; t++) {
    let sq = 0;
    for (let k = 0; k < dim; k++) sq += (s.values[t * dim + k] as number) ** 2;
    const scale = sq > 0 ? 1 / Math.sqrt(sq) : 0;
    for (let k = 0; k < dim; k++) values[t * width + k] = (s.values[t * dim + k] as number) * scale;
    values[t * width + dim] = sq > 0 ? 0 : 1;
  }
  return { values, frames: s.frames, width };
}

function checkedSequence(where: string, name: string, s: Float32Array, dim: number): Frames {
  const frames = s.length / dim;
  if (!Number.isInteger(frames) || frames < 1) throw new Error(`${where}: ${name} has ${s.length} values, not one or more frames of ${dim}`);
  for (let i = 0; i < s.length; i++) {
    if (!Number.isFinite(s[i] as number)) throw new Error(`${where}: ${name} has ${s[i]} at frame ${Math.floor(i / dim)}, coefficient ${i % dim}`);
  }
  return { values: s, frames, width: dim };
}

function checkedBand(where: string, band: number | undefined): number {
  const b = band ?? DEFAULTS.band;
  if (!(b > 0)) throw new Error(`${where}: band must be a fraction > 0 (≥ 1: no band), got ${b}`);
  return b;
}

function checkDim(where: string, dim: number): void {
  if (!Number.isInteger(dim) || dim < 1) throw new Error(`${where}: dim must be a positive integer, got ${dim}`);
}
