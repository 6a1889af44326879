/** What one playground run is, as the page's controls and its URL hash hold it (the data stays local). */
export interface PlaygroundSettings {
  /** A method of the registry that learns from images (`methodsFor("image")`). */
  readonly method: string;
  /** The CLI's encoder names, so `pretext eval` rebuilds the exported weights. */
  readonly encoder: EncoderName;
  readonly batchSize: number;
  /** Steps to train; the run ends at whichever of `steps` and `budgetSeconds` comes first. */
  readonly steps: number;
  /** Wall-time budget in seconds; 0 for none. */
  readonly budgetSeconds: number;
  readonly seed: number;
  /** Evaluation points over the run (probe, kNN, embedding map, effective rank), the first and last among them. */
  readonly evalPoints: number;
  /** onnxruntime-web's wasm threads (needs cross-origin isolation for more than 1). */
  readonly threads: number;
  /** How the embedding map is drawn: UMAP (in its own worker; PCA shown until it arrives) or PCA only. */
  readonly map: MapMethod;
  /** Numeric overrides of the method's defaults, by option name. */
  readonly methodOptions: Readonly<Record<string, number>>;
}

export type EncoderName = "small-cnn" | "mlp";
export type MapMethod = "umap" | "pca";
export const MAP_METHODS: readonly MapMethod[] = ["umap", "pca"];
export const ENCODERS: readonly EncoderName[] = ["small-cnn", "mlp"];

export const DEFAULT_SETTINGS: PlaygroundSettings = {
  method: "simclr",
  encoder: "small-cnn",
  // NOTE: 64 rather than the CLI's 128 (simclrMnistRecipe): a wasm step of SmallCnn takes about
  // twice the native one per thread, and a step a second keeps the page's charts alive.
  batchSize: 64,
  steps: 300,
  budgetSeconds: 0,
  seed: 0,
  evalPoints: 4,
  threads: 2,
  map: "umap",
  methodOptions: {},
};

const INTEGER_FIELDS = ["batchSize", "steps", "budgetSeconds", "seed", "evalPoints", "threads"] as const;
const LIMITS: Readonly<Record<(typeof INTEGER_FIELDS)[number], readonly [number, number]>> = {
  batchSize: [4, 1024],
  steps: [1, 1_000_000],
  budgetSeconds: [0, 86_400],
  seed: [0, 2 ** 31 - 1],
  evalPoints: [2, 50],
  threads: [1, 16],
};

/** The hash part of a shareable link: `#method=simclr&encoder=mlp&steps=200&opt.temperature=0.5`. */
export function settingsToHash(s: PlaygroundSettings): string {
  const p = new URLSearchParams();
  p.set("method", s.method);
  p.set("encoder", s.encoder);
  for (const k of INTEGER_FIELDS) p.set(k, String(s[k]));
  p.set("map", s.map);
  for (const [k, v] of Object.entries(s.methodOptions)) p.set(`opt.${k}`, String(v));
  return `#${p.toString()}`;
}

/**
 * Settings from a link's hash, every field checked; unknown keys and a bad value are one-line
 * errors naming the field (the page shows them and keeps its defaults for that field).
 */
export function settingsFromHash(hash: string, methodNames: readonly string[]): { settings: PlaygroundSettings; errors: string[] } {
  const p = new URLSearchParams(hash.replace(/^#/, ""));
  const errors: string[] = [];
  let settings: PlaygroundSettings = DEFAULT_SETTINGS;
  const methodOptions: Record<string, number> = {};
  for (const [key, raw] of p) {
    if (key === "method") {
      if (methodNames.includes(raw)) settings = { ...settings, method: raw };
      else errors.push(`link: method "${raw}" is not one of ${methodNames.join(", ")}`);
    } else if (key === "encoder") {
      const e = ENCODERS.find((name) => name === raw);
      if (e !== undefined) settings = { ...settings, encoder: e };
      else errors.push(`link: encoder "${raw}" is not one of ${ENCODERS.join(", ")}`);
    } else if (key === "map") {
      const m = MAP_METHODS.find((name) => name === raw);
      if (m !== undefined) settings = { ...settings, map: m };
      else errors.push(`link: map "${raw}" is not one of ${MAP_METHODS.join(", ")}`);
    } else if (key.startsWith("opt.")) {
      const v = Number(raw);
      if (raw.trim() !== "" && Number.isFinite(v)) methodOptions[key.slice(4)] = v;
      else errors.push(`link: ${key} "${raw}" is not a number`);
    } else {
      const field = INTEGER_FIELDS.find((f) => f === key);
      if (field === undefined) {
        errors.push(`link: unknown setting "${key}"`);
        continue;
      }
      const v = Number(raw);
      const [lo, hi] = LIMITS[field];
      if (Number.isInteger(v) && v >= lo && v <= hi) settings = { ...settings, [field]: v };
      else errors.push(`link: ${field} "${raw}" is not a whole number in ${lo}..${hi}`);
    }
  }
  return { settings: { ...settings, methodOptions }, errors };
}
