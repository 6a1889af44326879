import Chart from "chart.js/auto";
import type { EvaluationPoint, ProbeScores } from "./session.js";

/** Ten colours for the classes (the report's palette family), repeated past ten. */
export const CLASS_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

const common = { animation: false, responsive: true, maintainAspectRatio: false } as const;

function lineChart(canvas: HTMLCanvasElement, labels: readonly string[], yTitle: string): Chart<"line", { x: number; y: number }[]> {
  return new Chart(canvas, {
    type: "line",
    data: { datasets: labels.map((label, i) => ({ label, data: [], borderColor: CLASS_COLOURS[i], backgroundColor: CLASS_COLOURS[i], pointRadius: 0, borderWidth: 1.5 })) },
    options: {
      ...common,
      parsing: false,
      scales: { x: { type: "linear", title: { display: true, text: "step" } }, y: { title: { display: true, text: yTitle } } },
    },
  });
}

/** The page's live charts: loss, learning rate, collapse diagnostics, probe accuracy and the embedding map. */
export class Charts {
  readonly loss: Chart<"line", { x: number; y: number }[]>;
  readonly learningRate: Chart<"line", { x: number; y: number }[]>;
  readonly collapse: Chart<"line", { x: number; y: number }[]>;
  readonly probe: Chart<"line", { x: number; y: number }[]>;
  readonly map: Chart<"scatter", { x: number; y: number }[]>;
  #pending = false;

  constructor(canvases: { loss: HTMLCanvasElement; learningRate: HTMLCanvasElement; collapse: HTMLCanvasElement; probe: HTMLCanvasElement; map: HTMLCanvasElement }) {
    this.loss = lineChart(canvases.loss, ["loss"], "loss");
    this.learningRate = lineChart(canvases.learningRate, ["learning rate"], "learning rate");
    this.collapse = lineChart(canvases.collapse, ["collapse_std × √D", "effective rank / D"], "fraction of healthy");
    this.probe = lineChart(canvases.probe, ["trained (linear)", "untrained (linear)", "raw pixels (linear)", "trained (kNN)", "untrained (kNN)"], "test accuracy");
    for (const d of this.probe.data.datasets) Object.assign(d, { pointRadius: 3 });
    this.map = new Chart(canvases.map, {
      type: "scatter",
      data: { datasets: [] },
      options: { ...common, parsing: false, scales: { x: { display: false }, y: { display: false } }, plugins: { legend: { position: "right" } } },
    });
  }

  reset(): void {
    for (const c of [this.loss, this.learningRate, this.collapse, this.probe]) for (const d of c.data.datasets) d.data = [];
    this.map.data.datasets = [];
    this.redraw();
  }

  step(step: number, loss: number, learningRate: number | null, collapseStd: number | undefined, dim: number): void {
    this.loss.data.datasets[0]?.data.push({ x: step, y: loss });
    if (learningRate !== null) this.learningRate.data.datasets[0]?.data.push({ x: step, y: learningRate });
    if (collapseStd !== undefined) this.collapse.data.datasets[0]?.data.push({ x: step, y: collapseStd * Math.sqrt(dim) });
    this.redraw();
  }

  baselines(untrained: ProbeScores, raw: ProbeScores, steps: number): void {
    const [, u, r, , uk] = this.probe.data.datasets;
    if (u) u.data = [{ x: 0, y: untrained.linear }, { x: steps, y: untrained.linear }];
    if (r) r.data = [{ x: 0, y: raw.linear }, { x: steps, y: raw.linear }];
    if (uk) uk.data = [{ x: 0, y: untrained.knn }, { x: steps, y: untrained.knn }];
    this.redraw();
  }

  evaluation(point: EvaluationPoint, dim: number): void {
    const [t, , , tk] = this.probe.data.datasets;
    if (point.trained !== null) {
      t?.data.push({ x: point.step, y: point.trained.linear });
      tk?.data.push({ x: point.step, y: point.trained.knn });
    }
    this.collapse.data.datasets[1]?.data.push({ x: point.step, y: point.effectiveRank / dim });
    this.redraw();
  }

  /** The map of rows `indices` (`xy`: `[indices.length, 2]`), one colour per class of `labels` (indexed by row). */
  embeddingMap(xy: Float32Array, indices: Int32Array, labels: Int32Array, classNames: readonly string[]): void {
    this.map.data.datasets = classNames.map((name, c) => ({
      label: name,
      data: Array.from(indices.entries())
        .filter(([, row]) => labels[row] === c)
        .map(([k]) => ({ x: xy[2 * k] ?? 0, y: xy[2 * k + 1] ?? 0 })),
      backgroundColor: CLASS_COLOURS[c % CLASS_COLOURS.length],
      pointRadius: 2,
    }));
    this.redraw();
  }

  /** At most one redraw per frame, however fast the steps come. */
  redraw(): void {
    if (this.#pending) return;
    this.#pending = true;
    requestAnimationFrame(() => {
      this.#pending = false;
      for (const c of [this.loss, this.learningRate, this.collapse, this.probe, this.map]) c.update("none");
    });
  }
}
