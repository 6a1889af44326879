import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Rng } from "../../src/random/rng.js";
import { parseMetrics, writeReport } from "../../src/report/index.js";
import { chartData } from "../../src/report/model.js";
import { encodeSafetensors } from "../../src/train/safetensors.js";

/** What `pretext eval --label-fractions 0.01,0.1,1 --json` logs, with made-up accuracies that rise with the labels. */
function fractionLines(): object[] {
  const lines: object[] = [];
  const fractions = [0.1, 0.01, 1];
  const rows = { 0.01: 160, 0.1: 1600, 1: 16000 } as Record<number, number>;
  const entries: [string, string, number][] = [["scarf", "linear", 0.5], ["scarf", "knn", 0.55], ["scarf", "finetune", 0.6], ["random", "linear", 0.45], ["logreg", "linear", 0.5], ["knn_raw", "knn", 0.52], ["scratch", "finetune", 0.58], ["gbdt", "boosting", 0.56]];
  for (const f of fractions) {
    for (const [encoder, probe, base] of entries) {
      lines.push({ type: "eval", encoder, probe, labels_per_class: null, label_fraction: f, labels: rows[f], accuracy: base + 0.1 * Math.log10(100 * f), sd: f === 1 ? null : 0.01 });
    }
  }
  return lines;
}

describe("the report's table view", () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it("draws accuracy against the label fraction, ascending, one series per encoder and probe", () => {
    const { evals } = parseMetrics(fractionLines().map((l) => JSON.stringify(l)).join("\n"));
    expect(evals.find((e) => e.encoder === "scratch")?.labelFraction).toBe(0.1);
    const { accuracy } = chartData({ dir: "run", config: {}, steps: [], evals, embeddings: null, viewsPng: null, warnings: [] }, null);
    expect(accuracy.axis).toBe("label fraction");
    expect(accuracy.labels).toEqual(["1%", "10%", "100%"]);
    const scratch = accuracy.series.find((s) => s.encoder === "scratch");
    expect(scratch).toMatchObject({ name: "same network from scratch · finetune", baseline: true, probe: "finetune" });
    expect(scratch?.accuracy.map((a) => Number(a?.toFixed(3)))).toEqual([0.58, 0.68, 0.78]);
    expect(scratch?.sd).toEqual([0.01, 0.01, null]);
    expect(accuracy.series.find((s) => s.encoder === "scarf" && s.probe === "finetune")?.baseline).toBe(false);
    expect(accuracy.series.find((s) => s.encoder === "gbdt")).toMatchObject({ name: "gradient-boosted trees · boosting", baseline: true, probe: "boosting" });
    expect(accuracy.series).toHaveLength(8);
  });

  it("writes a report of a table run: loss curve, the label-fraction chart and table, and the embedding map", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pretext-table-report-"));
    dirs.push(dir);
    const steps = Array.from({ length: 50 }, (_, step) => ({ type: "step", step, epoch: 0, loss: 5 - step / 20, lr: 0.001, collapse_std: 0.07, collapse_dim: 128 }));
    await writeFile(join(dir, "metrics.jsonl"), `${[...steps, ...fractionLines()].map((l) => JSON.stringify(l)).join("\n")}\n`);
    await writeFile(join(dir, "config.json"), JSON.stringify({ pretrain: { method: "scarf", data: "letter" } }));
    const rng = new Rng(0);
    const n = 60;
    const d = 8;
    const embeddings = Float32Array.from({ length: n * d }, (_, i) => (Math.floor(i / d) % 3) + 0.3 * rng.normal());
    const labels = BigInt64Array.from({ length: n }, (_, i) => BigInt(i % 3));
    await writeFile(join(dir, "embeddings.safetensors"), encodeSafetensors(new Map([["embeddings", { shape: [n, d], data: embeddings }], ["labels", { shape: [n], data: labels }]]), { format: "pretext-embeddings", class_names: JSON.stringify(["A", "B", "C"]) }));
    // The folder tells a table run: its table.json (the encoding).
    await writeFile(join(dir, "table.json"), "{}");
    const html = await readFile(await writeReport(join(dir)), "utf8");
    expect(html).toContain("Accuracy vs label fraction");
    expect(html).not.toContain("Augmentation views");
    expect(html).not.toContain("Nearest neighbours");
    expect(html).toContain("Training loss");
    expect(html).toMatch(/<th class="num">labels<\/th>/);
    expect(html).toMatch(/<td>finetune<\/td><td>same network from scratch<\/td><td class="num">10%<\/td><td class="num">68\.0%<\/td>/);
    expect(html).toMatch(/<td>boosting<\/td><td>gradient-boosted trees<\/td><td class="num">10%<\/td><td class="num">66\.0%<\/td>/);
    const data = JSON.parse(/<script id="report-data" type="application\/json">([\s\S]*?)<\/script>/.exec(html)?.[1]?.replace(/\\u003c/g, "<") ?? "null") as { accuracy: { labels: string[] }; map: { classes: { name: string }[] } | null };
    expect(data.accuracy.labels).toEqual(["1%", "10%", "100%"]);
    expect(data.map?.classes.map((c) => c.name)).toEqual(["A", "B", "C"]);
  }, 60_000);
});
