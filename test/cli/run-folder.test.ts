import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDuration, resolveMethodOptions, resolvePretrain } from "../../src/cli/config.js";
import { formatSeconds, stepRecord } from "../../src/cli/progress.js";
import { RunFolder, dataSlug, defaultRunDir } from "../../src/cli/run-folder.js";

describe("config helpers", () => {
  it("parses durations", () => {
    expect(parseDuration("90")).toBe(90);
    expect(parseDuration("90s")).toBe(90);
    expect(parseDuration("5m")).toBe(300);
    expect(parseDuration("1h30m")).toBe(5400);
    expect(parseDuration("2.5m")).toBe(150);
    for (const bad of ["", "5 minutes", "m", "5x", "0s", "-1m"]) expect(() => parseDuration(bad), bad).toThrow(/is not a duration/);
  });

  it("layers defaults < file < flags and validates types", () => {
    const c = resolvePretrain({ method: "simclr", data: "mnist", epochs: 3, seed: 1 }, { epochs: 7 }, "f.yaml");
    expect(c).toMatchObject({ method: "simclr", data: "mnist", epochs: 7, seed: 1, batchSize: null, encoder: null, timeBudgetSeconds: null });
    expect(() => resolvePretrain({ method: "simclr", data: "mnist", batchSize: 0 }, {}, "f.yaml")).toThrow(/f.yaml: pretrain.batchSize must be a positive integer, got 0/);
    expect(() => resolvePretrain({ method: "simclr", data: "mnist", encoder: "resnet" }, {}, "f.yaml")).toThrow(/encoder must be one of small-cnn, small-cnn-grid, resnet18, mlp, transformer, gpt.*did you mean "resnet18"/);
  });

  it("keeps a method option's type", () => {
    const defaults = { temperature: 0.5, projector: [128, 64], loss: "nt-xent" };
    expect(resolveMethodOptions("m", defaults, { temperature: 0.1 }, "f")).toEqual({ temperature: 0.1, projector: [128, 64], loss: "nt-xent" });
    expect(() => resolveMethodOptions("m", defaults, { projector: 3 }, "f")).toThrow(/method.projector must be a list like \[128,64\], got 3/);
  });
});

describe("run folders", () => {
  it("names runs <date>-<method>-<data> and never reuses a folder", () => {
    const root = mkdtempSync(join(tmpdir(), "pretext-runs-"));
    const when = new Date(2025, 0, 31, 14, 25, 1);
    const first = defaultRunDir("simclr", "mnist", when, root);
    expect(first).toBe(join(root, "2025-01-31-142501-simclr-mnist"));
    mkdirSync(first);
    expect(defaultRunDir("simclr", "mnist", when, root)).toBe(`${first}-2`);
    expect(dataSlug("data/train-images-idx3-ubyte.gz")).toBe("train-images-idx3-ubyte");
    expect(dataSlug("/home/me/My Photos/")).toBe("my-photos");
    expect(dataSlug("tables/iris.csv")).toBe("iris");
  });

  it("on resume drops the step lines the checkpoint does not cover, eval lines and a torn last line", () => {
    const run = new RunFolder(mkdtempSync(join(tmpdir(), "pretext-run-")));
    const lines = [0, 1, 2, 3, 4].map((step) => JSON.stringify({ type: "step", step, loss: 1 }));
    writeFileSync(run.metricsPath, `${lines.join("\n")}\n${JSON.stringify({ type: "eval", probe: "knn" })}\n{"type":"st`);
    run.truncateMetricsTo(3);
    expect(readFileSync(run.metricsPath, "utf8")).toBe(`${lines.slice(0, 3).join("\n")}\n`);
  });
});

describe("progress", () => {
  it("writes a step as a metrics line with the scripts' key names", () => {
    const r = stepRecord({
      step: 4,
      loss: 2.5,
      metrics: { collapse_std: 0.05, positive_cosine: Number.NaN },
      epoch: 0,
      batchIndex: 4,
      batchesPerEpoch: 10,
      epochs: 1,
      samplesPerSecond: 1234.567,
      elapsedSeconds: 3.14159,
      scalars: { lr: 0.3 },
      plannedSteps: 10,
    });
    expect(r).toEqual({ type: "step", step: 4, epoch: 0, batch: 4, loss: 2.5, lr: 0.3, samples_per_s: 1234.6, elapsed_s: 3.142, collapse_std: 0.05, positive_cosine: null });
    expect([formatSeconds(5), formatSeconds(245), formatSeconds(3720)]).toEqual(["5s", "4m05s", "1h02m"]);
  });
});
