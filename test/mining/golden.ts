import { readFileSync } from "node:fs";

/** Values from scikit-learn and numpy, written by scripts/mining-fixtures.py. */
export interface MiningGolden {
  readonly dim: number;
  readonly x: number[];
  readonly labels: number[];
  readonly k: number;
  readonly neighbour_indices: number[];
  readonly neighbour_distances: number[];
  readonly lof: number[];
  readonly precision_at: Record<string, number>;
  readonly map_at_r: number;
  readonly anomaly_scores: number[];
  readonly anomaly_truth: number[];
  readonly roc_auc: number;
  readonly average_precision: number;
  readonly silhouette_x: number[];
  readonly silhouette_labels: number[];
  readonly silhouette: number;
  readonly k_center_selected: number[];
  readonly k_center_picks: number[];
}

export const golden = JSON.parse(readFileSync(new URL("./fixtures/mining-golden.json", import.meta.url), "utf8")) as MiningGolden;
