import { Rng } from "../../src/random/rng.js";

/** `classes` Gaussian blobs in `dim` dimensions: centres N(0, spread²), points centre + N(0, 1). */
export function blobs(perClass: number, classes: number, dim: number, spread: number, seed: number): { features: Float32Array; labels: Int32Array } {
  const rng = new Rng(seed);
  const centres = rng.normalArray(classes * dim, 0, spread);
  const n = perClass * classes;
  const features = new Float32Array(n * dim);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % classes;
    labels[i] = c;
    const noise = rng.normalArray(dim);
    for (let j = 0; j < dim; j++) features[i * dim + j] = (centres[c * dim + j] as number) + (noise[j] as number);
  }
  return { features, labels };
}
