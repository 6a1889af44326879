/**
 * A host function from the 0-based optimizer step to a value (a learning rate, a momentum). The
 * step may be fractional: a run re-planned for a new horizon reads its schedules at a remapped
 * step (`scheduleStep` in `src/train/step-plan.ts`), so a schedule should be defined between steps.
 */
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

/** How a method's learning rate runs over its planned steps. */
export interface PlannedRateOptions {
  /** "constant", or "warmup-cosine": linear warmup over `warmupFraction` of the steps, then cosine decay to 0. */
  readonly schedule: "constant" | "warmup-cosine";
  /** The papers give warmup in epochs (BYOL 10 of 1000, SimCLR 10 of 100); here a fraction of the planned steps. */
  readonly warmupFraction: number;
}

/**
 * A peak rate made into a schedule over `totalSteps` planned steps (`warmupCosine` with its
 * warmup rounded from a fraction, at most `totalSteps − 1`); "constant" returns the rate as it is.
 */
export function plannedRate(baseLr: number, totalSteps: number, { schedule, warmupFraction }: PlannedRateOptions): number | Schedule {
  if (schedule === "constant") return baseLr;
  if (!(warmupFraction >= 0 && warmupFraction < 1)) throw new Error(`plannedRate: warmupFraction must be in [0, 1), got ${warmupFraction}`);
  const total = Math.max(1, Math.round(totalSteps));
  return warmupCosine({ baseLr, warmupSteps: Math.min(total - 1, Math.round(warmupFraction * total)), totalSteps: total });
}
