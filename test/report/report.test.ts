import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../../src/random/rng.js";
import { embeddingMap, nearestNeighbours, parseMetrics, pickQueries, writeReport } from "../../src/report/index.js";
import { chartData, findConfig, summaryItems } from "../../src/report/model.js";
import type { EmbeddingSet } from "../../src/report/index.js";
import { encodeSafetensors } from "../../src/train/safetensors.js";

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(`report test: ${CHROMIUM} is missing, so the browser check is skipped; install it with \`apt-get install -y chromium\``);
}
// The committed docs/report-screenshot.png comes from a real demo run (scripts/screenshot-report.ts);
// the test's own screenshot goes to a temporary folder so that `npm test` leaves the tree clean.
const SCREENSHOT = join(tmpdir(), `pretext-report-test-${process.pid}.png`);

/** A small synthetic test set: 10 clustered classes in 32 dimensions, each with a 28×28 image of a bar whose angle tells the class. */
function syntheticEmbeddings(n: number, seed: number): EmbeddingSet {
  const rng = new Rng(seed);
  const d = 32;
  const classes = 10;
  const centres = Array.from({ length: classes }, () => Float32Array.from({ length: d }, () => rng.normal()));
  // Classes 4 and 9 lie close together, as in MNIST, so the map and the retrieval show some confusion.
  centres[9] = (centres[4] ?? new Float32Array(d)).map((v) => v + 0.35 * rng.normal());
  const embeddings = new Float32Array(n * d);
  const labels = new Int32Array(n);
  const images = new Float32Array(n * 28 * 28);
  for (let i = 0; i < n; i++) {
    const label = i % classes;
    labels[i] = label;
    const c = centres[label] ?? new Float32Array(d);
    for (let j = 0; j < d; j++) embeddings[i * d + j] = (c[j] ?? 0) + 0.8 * rng.normal();
    const angle = (label / classes) * Math.PI;
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++) {
        const along = (x - 13.5) * Math.cos(angle) + (y - 13.5) * Math.sin(angle);
        const across = -(x - 13.5) * Math.sin(angle) + (y - 13.5) * Math.cos(angle);
        const ink = Math.abs(across) < 2 && Math.abs(along) < 10 ? 1 : 0;
        // Normalized like MNIST ((x - 0.1307) / 0.3081), so the report must rescale.
        images[i * 784 + y * 28 + x] = (ink + 0.1 * rng.uniform() - 0.1307) / 0.3081;
      }
    }
  }
  return { embeddings, n, d, labels, images: { data: images, channels: 1, height: 28, width: 28 } };
}

function syntheticMetrics(): string {
  const lines: object[] = [];
  const total = 300;
  for (let step = 0; step < total; step++) {
    const warm = Math.min(1, (step + 1) / 30);
    lines.push({
      type: "step",
      step,
      epoch: Math.floor(step / 60),
      loss: 2 + 3.5 * Math.exp(-step / 70) + 0.08 * Math.sin(step * 1.7),
      lr: 0.3 * warm * 0.5 * (1 + Math.cos((Math.PI * step) / total)),
      samples_per_s: 250 + (step % 7),
      elapsed_s: step * 0.5,
      collapse_std: 0.02 + 0.06 * (1 - Math.exp(-step / 50)),
      effective_rank: 5 + 35 * (1 - Math.exp(-step / 80)),
      collapse_dim: 128,
    });
  }
  const curve: Record<string, number[]> = {
    simclr: [0.52, 0.81, 0.9, 0.95],
    supervised: [0.3, 0.72, 0.91, 0.98],
    random: [0.25, 0.5, 0.66, 0.8],
    raw_pixels: [0.38, 0.66, 0.8, 0.88],
  };
  for (const [encoder, accs] of Object.entries(curve)) {
    [1, 10, 100, "all"].forEach((lpc, i) => {
      const accuracy = accs[i] ?? 0;
      lines.push({ type: "eval", probe: "linear", labels_per_class: lpc, accuracy, sd: lpc === "all" ? 0 : 0.04 / (i + 1), encoder });
    });
  }
  lines.push({ type: "eval", probe: "knn", labels_per_class: 10, accuracy: 0.78, sd: 0.02, encoder: "simclr" });
  lines.push({ type: "eval", probe: "knn", labels_per_class: 100, accuracy: 0.88, sd: 0.01, encoder: "simclr" });
  lines.push({ type: "eval", probe: "knn", labels_per_class: "all", accuracy: 0.93, encoder: "simclr" });
  lines.push({ type: "eval", probe: "kmeans", labels_per_class: null, accuracy: null, nmi: 0.71, ari: 0.6, encoder: "simclr" });
  return lines.map((l) => JSON.stringify(l)).join("\n") + "\n";
}

/** An augmentation grid stand-in: 4 × 8 tiles of shaded squares. */
async function viewsPng(): Promise<Buffer> {
  const w = 8 * 30;
  const h = 4 * 30;
  const px = Buffer.alloc(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) px[y * w + x] = x % 30 < 2 || y % 30 < 2 ? 255 : ((x * 7 + y * 3) % 200) + 30;
  return sharp(px, { raw: { width: w, height: h, channels: 1 } }).png().toBuffer();
}

async function writeRun(dir: string, set: EmbeddingSet, withViews: boolean): Promise<void> {
  await mkdir(dir, { recursive: true });
  const config = { method: "simclr", data: "mnist", epochs: 5, batchSize: 256, seed: 0, optimizer: { name: "lars", lr: 0.3 } };
  await writeFile(join(dir, "config.json"), JSON.stringify(config, null, 2));
  await writeFile(join(dir, "metrics.jsonl"), syntheticMetrics());
  const img = set.images;
  if (img === null) throw new Error("synthetic set has images");
  const tensors = new Map([
    ["embeddings", { shape: [set.n, set.d], data: set.embeddings }],
    ["labels", { shape: [set.n], data: BigInt64Array.from(set.labels, (v) => BigInt(v)) }],
    ["images", { shape: [set.n, 1, 28, 28], data: img.data }],
  ]);
  await writeFile(join(dir, "embeddings.safetensors"), encodeSafetensors(tensors));
  if (withViews) await writeFile(join(dir, "views.png"), await viewsPng());
}

describe("report data", () => {
  it("tolerates a truncated last metrics line but not a damaged middle one", () => {
    const good = '{"type":"step","step":0,"loss":3}\n{"type":"eval","probe":"linear","labels_per_class":null,"accuracy":0.5}\n';
    const { steps, evals, warnings } = parseMetrics(`${good}{"type":"st`);
    expect(steps).toEqual([{ step: 0, epoch: null, values: { loss: 3 } }]);
    expect(evals[0]).toMatchObject({ probe: "linear", labelsPerClass: null, accuracy: 0.5, encoder: "method" });
    expect(warnings).toHaveLength(1);
    expect(() => parseMetrics(`{"type":"st\n${good}`, "m.jsonl")).toThrow(/m\.jsonl:1: not valid JSON/);
  });

  it("draws an effective rank measured at a few steps, and says how many steps a time budget planned", () => {
    const lines = [JSON.stringify({ type: "plan", total_steps: 40, from: "time-budget", time_budget_s: 60 })];
    for (let step = 0; step < 38; step++) {
      lines.push(JSON.stringify({ type: "step", step, loss: 1, collapse_std: 0.05, collapse_dim: 128, ...(step % 13 === 0 ? { effective_rank: 2 + step / 10 } : {}) }));
    }
    const { steps, evals, plan } = parseMetrics(lines.join("\n"));
    expect(plan).toEqual({ totalSteps: 40, from: "time-budget", timeBudgetSeconds: 60 });
    const run = { dir: "r", config: {}, steps, evals, plan, embeddings: null, viewsPng: null, warnings: [] };
    const charts = chartData(run, null);
    expect(charts.collapse.step).toHaveLength(38);
    expect(charts.collapse.rankStep).toEqual([0, 13, 26]);
    expect(charts.collapse.rank).toEqual([2, 3.3, 4.6]);
    expect(summaryItems(run).find((i) => i.label === "steps")?.value).toBe("38 of 40 planned from the 1 min 0 s budget");
  });

  it("reads the headline settings from a config with sections (the CLI's { pretrain, method, eval })", () => {
    const config = { pretrain: { method: "byol", data: "mnist", batchSize: 128, seed: 7 }, method: { temperature: 0.5 }, eval: { seed: 1 } };
    expect(findConfig(config, ["method"])).toBe("byol");
    expect(findConfig(config, ["batchSize", "batch_size"])).toBe(128);
    expect(findConfig(config, ["seed"])).toBe(7);
    expect(findConfig(config, ["epochs"])).toBeUndefined();
  });

  it("finds cosine nearest neighbours, excluding the query, and picks one query per class", () => {
    const embeddings = Float32Array.from([1, 0, 10, 1, 0, 1, -1, 0, 3, 0.1]);
    const set: EmbeddingSet = { embeddings, n: 5, d: 2, labels: Int32Array.from([0, 0, 1, 1, 2]), images: null };
    const [r] = nearestNeighbours(set, [0], 3);
    expect(r?.neighbours.map((x) => x.index)).toEqual([4, 1, 2]);
    expect(r?.neighbours[0]?.similarity).toBeCloseTo(3 / Math.hypot(3, 0.1), 6);
    const q = pickQueries(set.labels, 3, 0);
    expect(q.map((i) => set.labels[i])).toEqual([0, 1, 2]);
  });

  it("maps with seeded UMAP (same seed, same map) and falls back to PCA for a handful of points", () => {
    const set = syntheticEmbeddings(120, 1);
    const a = embeddingMap(set, { seed: 3 });
    const b = embeddingMap(set, { seed: 3 });
    expect(a.method).toBe("umap");
    expect(a.xy).toEqual(b.xy);
    expect(a.xy.every(Number.isFinite)).toBe(true);
    const tiny = embeddingMap(syntheticEmbeddings(12, 1), { seed: 3 });
    expect(tiny.method).toBe("pca");
    expect(tiny.xy).toHaveLength(24);
    expect(tiny.xy.every(Number.isFinite)).toBe(true);
  });

  it("says what is missing when a run has only metrics", async () => {
    const runDir = await mkdtemp(join(tmpdir(), "pretext-report-bare-"));
    await writeFile(join(runDir, "metrics.jsonl"), '{"type":"step","step":0,"loss":4}\n{"type":"step","step":1,"loss":3.5}\n');
    const html = await readFile(await writeReport(runDir), "utf8");
    expect(html).toContain("No embeddings.safetensors in this run.");
    expect(html).toContain("No views.png in this run");
    expect(html).toContain("No evaluations logged yet");
    expect(html).toContain('id="chart-training"');
    expect(html).not.toContain('id="chart-map"');
    await rm(runDir, { recursive: true, force: true });
  });
});

describe.skipIf(!hasChromium)("report.html in headless Chromium", () => {
  let root = "";
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "pretext-report-"));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("renders every chart with drawn content, images and the eval table, with no console errors", async () => {
    const runDir = join(root, "runs", "2025-01-01-simclr-mnist");
    await writeRun(runDir, syntheticEmbeddings(200, 0), true);
    const path = await writeReport(runDir);
    expect(path).toBe(join(runDir, "report.html"));
    const html = await readFile(path, "utf8");
    // Self-contained: nothing is fetched from anywhere.
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)="(https?:|\/\/)/);

    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const problems: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error") problems.push(m.text());
      });
      page.on("pageerror", (e) => problems.push(e.message));
      page.on("request", (r) => {
        if (!r.url().startsWith("file:") && !r.url().startsWith("data:")) problems.push(`network request: ${r.url()}`);
      });
      await page.goto(pathToFileURL(path).href);
      await page.waitForFunction(() => document.documentElement.dataset.ready === "true", undefined, { timeout: 10_000 });

      const charts = await page.evaluate(() =>
        Array.from(document.querySelectorAll("canvas")).map((canvas) => {
          const ctx = canvas.getContext("2d");
          const pixels = ctx?.getImageData(0, 0, canvas.width, canvas.height).data ?? new Uint8ClampedArray(0);
          let drawn = 0;
          for (let i = 3; i < pixels.length; i += 4) if ((pixels[i] ?? 0) > 0) drawn++;
          const chart = (window as Window & { Chart?: { getChart(c: HTMLCanvasElement): { data: { datasets: { data: unknown[] }[] } } | undefined } }).Chart?.getChart(canvas);
          return {
            id: canvas.id,
            width: canvas.clientWidth,
            height: canvas.clientHeight,
            drawnFraction: drawn / Math.max(1, pixels.length / 4),
            datasets: chart?.data.datasets.map((d) => d.data.length) ?? [],
          };
        }),
      );
      expect(charts.map((c) => c.id).sort()).toEqual(["chart-accuracy", "chart-collapse", "chart-map", "chart-training"]);
      for (const c of charts) {
        expect(c.width, c.id).toBeGreaterThan(200);
        expect(c.height, c.id).toBeGreaterThan(200);
        // Axes, labels and lines cover a few percent of the canvas; an empty chart covers none.
        expect(c.drawnFraction, c.id).toBeGreaterThan(0.01);
        expect(c.datasets.length, c.id).toBeGreaterThan(0);
        for (const n of c.datasets) expect(n, c.id).toBeGreaterThan(0);
      }
      const byId = Object.fromEntries(charts.map((c) => [c.id, c]));
      expect(byId["chart-training"]?.datasets).toEqual([300, 300]);
      expect(byId["chart-map"]?.datasets).toHaveLength(10);
      expect(byId["chart-accuracy"]?.datasets).toHaveLength(5); // 4 linear-probe encoders + the method's k-NN

      const images = await page.evaluate(() =>
        Array.from(document.querySelectorAll("img")).map((img) => ({ alt: img.alt, ok: img.complete && img.naturalWidth > 0, w: img.naturalWidth })),
      );
      const retrievalImages = images.filter((i) => i.alt !== "augmentation grid");
      expect(retrievalImages).toHaveLength(8 * 9);
      expect(retrievalImages.every((i) => i.ok && i.w === 28)).toBe(true);
      expect(images.find((i) => i.alt === "augmentation grid")?.ok).toBe(true);
      const rows = await page.locator("table tbody tr").count();
      expect(rows).toBe(4 * 4 + 3 + 1);

      expect(problems).toEqual([]);
      const png = await page.screenshot({ path: SCREENSHOT, fullPage: true });
      expect((await sharp(png).metadata()).width).toBeGreaterThan(600);
      await rm(SCREENSHOT, { force: true });
    } finally {
      await browser.close();
    }
  });
});
