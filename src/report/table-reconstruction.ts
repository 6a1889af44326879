import { type CardSpec, escapeHtml, note } from "./html-util.js";
import { finite, isRecord } from "./json.js";

/**
 * The report's per-feature reconstruction error of a masked table method (`reconstruction.json`,
 * written by `pretext eval` for a VIME run): which features the rest of a row lets the model
 * restore, against imputing the training mean.
 */
export interface TableReconstruction {
  readonly method: string;
  readonly rows: number;
  readonly maskProbability: number;
  readonly features: readonly { readonly feature: string; readonly mse: number | null; readonly meanImputationMse: number | null; readonly corrupted: number }[];
}

/** Parses a run's `reconstruction.json` (read by `readRun`): a damaged file is a warning and null, not a failed report. */
export function parseTableReconstruction(text: string, path: string, warnings: string[]): TableReconstruction | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    warnings.push(`${path}: not JSON; the reconstruction card is left out`);
    return null;
  }
  const features = isRecord(parsed) && Array.isArray(parsed.features) ? parsed.features : null;
  if (!isRecord(parsed) || features === null || !features.every((f) => isRecord(f) && typeof f.feature === "string")) {
    warnings.push(`${path}: expected { method, rows, mask_probability, features: [{ feature, mse, meanImputationMse, corrupted }] }; the reconstruction card is left out`);
    return null;
  }
  return {
    method: typeof parsed.method === "string" ? parsed.method : "?",
    rows: finite(parsed.rows) ?? 0,
    maskProbability: finite(parsed.mask_probability) ?? Number.NaN,
    features: (features as Record<string, unknown>[]).map((f) => ({ feature: f.feature as string, mse: finite(f.mse), meanImputationMse: finite(f.meanImputationMse), corrupted: finite(f.corrupted) ?? 0 })),
  };
}

/**
 * Fewer changed rows than this and a feature's ratio is not shown: a rare one-hot level changes in
 * a handful of rows (credit-g's 200 test rows: 0–8 for most levels), too few to rank it.
 */
const MIN_ROWS_FOR_RATIO = 20;

/** mse / mean-imputation mse: under 1 where the other features predict this one. */
function ratio(f: TableReconstruction["features"][number]): number | null {
  if (f.corrupted < MIN_ROWS_FOR_RATIO) return null;
  return f.mse === null || f.meanImputationMse === null || f.meanImputationMse <= 0 ? null : f.mse / f.meanImputationMse;
}

/** The card: one row per feature, best restored first, a bar for the error relative to mean imputation. */
export function reconstructionCard(r: TableReconstruction): CardSpec {
  const rows = [...r.features].sort((a, b) => (ratio(a) ?? Number.POSITIVE_INFINITY) - (ratio(b) ?? Number.POSITIVE_INFINITY));
  const body =
    rows.length === 0
      ? note("No features in reconstruction.json.")
      : `<table><thead><tr><th>feature</th><th class="num">MSE</th><th class="num">mean imputation</th><th class="num">ratio</th><th>relative error</th><th class="num">rows</th></tr></thead><tbody>${rows
          .map((f) => {
            const q = ratio(f);
            const width = q === null ? 0 : Math.min(100, 100 * q);
            const bar = `<div style="background:var(--line);border-radius:3px;height:10px;min-width:120px"><div style="background:${q !== null && q < 1 ? "var(--good)" : "var(--bad)"};width:${width.toFixed(1)}%;height:10px;border-radius:3px"></div></div>`;
            const num = (v: number | null) => (v === null ? "—" : v.toFixed(3));
            return `<tr><td>${escapeHtml(f.feature)}</td><td class="num">${num(f.mse)}</td><td class="num">${num(f.meanImputationMse)}</td><td class="num">${num(q)}</td><td>${bar}</td><td class="num">${f.corrupted}</td></tr>`;
          })
          .join("")}</tbody></table>`;
  return {
    title: "Per-feature reconstruction error",
    what:
      `${escapeHtml(r.method)} on ${r.rows} test rows, each feature replaced with probability ${Number.isFinite(r.maskProbability) ? r.maskProbability : "?"} by another row's value: the squared error of the restored value where it changed, ` +
      `beside imputing the training mean. A ratio under 1 (green) is what the rest of the row told the model; at 1 or above (red) the feature is as good as unpredictable. No ratio under ${MIN_ROWS_FOR_RATIO} changed rows.`,
    body,
  };
}
