/** A host function from the 0-based optimizer step to a value (a learning rate, a momentum). */
export type Schedule = (step: number) => number;

/** The same rate at every step. */
export function constant(lr: number): Schedule {
  return () => lr;
}

export interface WarmupCosineOptions {
  /** The peak rate, reached at the end of warmup. */
  readonly baseLr: number;
  /** Steps of linear warmup from 0; 0 starts the cosine at once. */
  readonly warmupSteps: number;
  /** Length of the whole schedule; the cosine reaches `finalLr` at this step. */
  readonly totalSteps: number;
  /** The rate the cosine decays to. Default 0, as SimCLR/BYOL; DINO and MAE use a small positive one. */
  readonly finalLr?: number;
}

/**
 * Linear warmup then cosine decay, per step (the SSL papers' schedule; MAE's and DINO's
 * per-iteration form):
 *   lr(t) = baseLr · t / W                                              for t < W
 *   lr(t) = finalLr + (baseLr − finalLr) · (1 + cos(π (t − W) / (T − W))) / 2   for W ≤ t ≤ T
 * and `finalLr` after T. So lr(0) = 0 (when W > 0), lr(W) = baseLr, lr(T) = finalLr.
 */
export function warmupCosine({ baseLr, warmupSteps, totalSteps, finalLr = 0 }: WarmupCosineOptions): Schedule {
  if (!Number.isInteger(warmupSteps) || !Number.isInteger(totalSteps) || warmupSteps < 0 || totalSteps <= warmupSteps) {
    throw new Error(`warmupCosine: need integers 0 <= warmupSteps < totalSteps, got ${warmupSteps} and ${totalSteps}`);
  }
  return (step) => {
    if (step < warmupSteps) return (baseLr * step) / warmupSteps;
    if (step >= totalSteps) return finalLr;
    const progress = (step - warmupSteps) / (totalSteps - warmupSteps);
    return finalLr + ((baseLr - finalLr) * (1 + Math.cos(Math.PI * progress))) / 2;
  };
}
