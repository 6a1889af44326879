import { type CardSpec, renderCard } from "./html-util.js";
import type { ChartData } from "./model.js";
import type { EvalRecord } from "./run.js";
import { type TableReconstruction, reconstructionCard } from "./table-reconstruction.js";

/**
 * The report's view of a table run's label-fraction protocol (`pretext eval --label-fractions`):
 * test accuracy against the share of training rows labelled, one series per (encoder, probe), the
 * pretrained encoder's linear probe, kNN and fine-tune beside the untrained encoder, logistic
 * regression and kNN on the encoded features, and the same network trained from scratch.
 */

/**
 * A table run's cards: loss and collapse curves, the label-fraction chart, the embedding map, a
 * masked method's per-feature reconstruction error, and the evaluations (no images to show).
 */
export function tableCards(common: Readonly<Record<"training" | "collapse" | "accuracy" | "map" | "evals", CardSpec>>, reconstruction: TableReconstruction | null = null): string[] {
  const cards = [renderCard(common.training), renderCard(common.collapse), renderCard(common.accuracy), renderCard(common.map)];
  if (reconstruction !== null) cards.push(renderCard(reconstructionCard(reconstruction), true));
  return [...cards, renderCard(common.evals, true)];
}

/** Whether a run's evaluations are the label-fraction protocol's (a table run evaluated by shares of its rows). */
export function hasLabelFractions(evals: readonly EvalRecord[]): boolean {
  return evals.some((e) => e.labelFraction !== undefined && e.labelFraction !== null);
}

/** "1%", "10%", "100%": a share as the axis names it. */
export function fractionLabel(f: number): string {
  return `${Number((100 * f).toPrecision(3))}%`;
}

/**
 * Accuracy against the label fraction, ascending, one series per (probe, encoder) in the order
 * `sorted` gives (the report's reading order); a repeated point keeps its last line, as a re-run
 * evaluation supersedes the earlier one. Lines without a fraction (k-means) are left out.
 */
export function fractionSeries(sorted: readonly EvalRecord[], names: { readonly name: (encoder: string) => string; readonly isBaseline: (encoder: string) => boolean }): ChartData["accuracy"] {
  const points = sorted.filter((e): e is EvalRecord & { labelFraction: number } => typeof e.labelFraction === "number" && e.accuracy !== null);
  const xs = [...new Set(points.map((e) => e.labelFraction))].sort((a, b) => a - b);
  const groups = new Map<string, (EvalRecord & { labelFraction: number })[]>();
  for (const e of points) {
    const key = `${e.probe}\u0000${e.encoder}`;
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  const series: ChartData["accuracy"]["series"] = [];
  for (const group of groups.values()) {
    const first = group[0];
    if (first === undefined) continue;
    const at = (x: number) => group.filter((e) => e.labelFraction === x).pop();
    series.push({
      name: `${names.name(first.encoder)} · ${first.probe}`,
      encoder: first.encoder,
      probe: first.probe,
      baseline: names.isBaseline(first.encoder),
      accuracy: xs.map((x) => at(x)?.accuracy ?? null),
      sd: xs.map((x) => at(x)?.sd ?? null),
    });
  }
  return { labels: xs.map(fractionLabel), series, axis: "label fraction" };
}
