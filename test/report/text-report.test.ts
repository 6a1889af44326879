import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type Browser, type Page, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildReportPage, parseMetrics, parseTextExamples, writeReport } from "../../src/report/index.js";
import { CLASSES, testText, writeTextRun } from "./text-run-fixture.js";

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`text report test: ${CHROMIUM} is missing, so the browser checks are skipped; install it with \`apt-get install -y chromium\``);

let root = "";
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "pretext-text-report-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("text run data", () => {
  it("reads validation and sample lines in step order and the perplexity probe's scores", () => {
    const lines = [
      { type: "sample", step: 20, prompt: "A", text: "A b" },
      { type: "validation", step: 10, nats_per_token: 2, perplexity: 7.389, bits_per_byte: null },
      { type: "sample", step: 0, prompt: "", text: "x\ny" },
      { type: "validation", step: 0, nats_per_token: 3, perplexity: 20.09, bits_per_byte: 4.1 },
      { type: "sample", step: 20, prompt: "B", text: "c" },
      { type: "eval", encoder: "clm", probe: "perplexity", labels_per_class: null, accuracy: null, sd: null, nats_per_token: 1.6, perplexity: 5.0, bits_per_byte: 2.3 },
    ];
    const m = parseMetrics(lines.map((l) => JSON.stringify(l)).join("\n"));
    expect(m.validation).toEqual([
      { step: 0, natsPerToken: 3, perplexity: 20.09, bitsPerByte: 4.1 },
      { step: 10, natsPerToken: 2, perplexity: 7.389, bitsPerByte: null },
    ]);
    expect(m.samples.map((s) => [s.step, s.prompt])).toEqual([[0, ""], [20, "A"], [20, "B"]]);
    expect(m.evals[0]).toMatchObject({ probe: "perplexity", encoder: "clm", accuracy: null, natsPerToken: 1.6, perplexity: 5, bitsPerByte: 2.3 });
    expect(() => parseMetrics('{"type":"validation","nats_per_token":1}\n{"type":"step","step":0}', "m.jsonl")).toThrow(/m\.jsonl:1: a "validation" line needs a numeric "step"/);
    expect(() => parseMetrics('{"type":"sample","step":1}\n{"type":"step","step":0}', "m.jsonl")).toThrow(/m\.jsonl:1: a "sample" line needs/);
  });

  it("keeps the well-formed entries of text-examples.json and says how many it skipped", () => {
    const { examples, warnings } = parseTextExamples({
      masked: [
        { tokens: ["a", " b"], predictions: [{ position: 1, original: " b", top: [{ token: " c", p: 0.5 }, { token: 3, p: 0.1 }] }, { position: 2, original: "x", top: [] }] },
        { tokens: "not a list" },
      ],
      neighbours: [{ query: { text: "q", label: 3 }, neighbours: [{ text: "n", label: null, similarity: 0.5 }, { text: "m" }] }],
    });
    expect(examples.masked).toEqual([{ tokens: ["a", " b"], predictions: [{ position: 1, original: " b", top: [{ token: " c", p: 0.5 }] }] }]);
    expect(examples.neighbours).toEqual([{ query: { text: "q", label: "3" }, neighbours: [{ text: "n", label: null, similarity: 0.5 }] }]);
    expect(warnings).toEqual(['text-examples.json: skipped 1 of 2 "masked" entries of the wrong shape']);
    expect(parseTextExamples({}).examples).toEqual({ masked: [], neighbours: [] });
    expect(parseTextExamples([1]).warnings).toHaveLength(1);
  });

  it("detects a text run by its tokenizer, finds neighbours from texts.json without text-examples.json, and warns on a misaligned texts.json", async () => {
    const dir = await writeTextRun(join(root, "simcse"), { method: "simcse", withExamples: false });
    const page = await buildReportPage(dir);
    expect(page.text?.neighboursSource).toBe("embeddings.safetensors and texts.json");
    // Six queries: one per class first, then others.
    expect(page.text?.neighbours.map((r) => r.query.label).slice(0, 4)).toEqual([...CLASSES]);
    expect(page.text?.neighbours).toHaveLength(6);
    for (const r of page.text?.neighbours ?? []) expect(r.neighbours).toHaveLength(5);
    expect(page.summary.map((s) => s.label)).toEqual(expect.arrayContaining(["tokenizer", "context", "transformer", "sequences / s"]));
    expect(page.charts.map?.classes.map((c) => c.name)).toEqual([...CLASSES]);
    expect(page.charts.map?.classes[0]?.texts?.[0]).toBe(testText(0).text.replace(/\s+/g, " "));

    // tokenizer.json alone marks a text run even with pretrain.tokenizer null; a texts.json of the wrong length is not used.
    await writeFile(join(dir, "config.json"), JSON.stringify({ pretrain: { method: "simcse", data: "fortunes", tokenizer: null } }));
    await writeFile(join(dir, "texts.json"), JSON.stringify(["only one"]));
    const again = await buildReportPage(dir);
    expect(again.text).not.toBeNull();
    expect(again.text?.neighbours).toEqual([]);
    expect(again.warnings).toEqual(["texts.json: 1 texts for 160 embeddings; not used"]);
    await rm(join(dir, "tokenizer.json"));
    expect((await buildReportPage(dir)).text).toBeNull();
  });

  it("says 'no validation' and 'no samples' for a language model that logged neither", async () => {
    const dir = await writeTextRun(join(root, "bare-clm"), { method: "clm", n: 0, withValidation: false, withSamples: false, withExamples: false });
    const html = await readFile(await writeReport(dir), "utf8");
    expect(html).toContain("No validation: metrics.jsonl has no validation lines.");
    expect(html).toContain("No samples: metrics.jsonl has no sample lines.");
    expect(html).not.toContain('id="chart-validation"');
    // A causal LM on a running text has no labels: no probe, map or neighbour cards, and no image cards.
    for (const absent of ["Accuracy vs labels per class", "Nearest neighbours", "Augmentation views", "Masked tokens", "Collapse diagnostic"]) expect(html).not.toContain(absent);
    expect(html).toContain("Held-out perplexity");
  });
});

interface Drawn {
  readonly id: string;
  readonly drawnFraction: number;
  readonly datasets: readonly { readonly label: string; readonly n: number }[];
}

/** Opens a report, waits for its charts and collects console errors, network requests and every canvas's drawn share. */
async function openReport(browser: Browser, path: string): Promise<{ page: Page; problems: string[]; charts: Drawn[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(m.text());
  });
  page.on("pageerror", (e) => problems.push(e.message));
  page.on("dialog", (d) => problems.push(`dialog: ${d.message()}`));
  page.on("request", (r) => {
    if (!r.url().startsWith("file:") && !r.url().startsWith("data:")) problems.push(`network request: ${r.url()}`);
  });
  await page.goto(pathToFileURL(path).href);
  await page.waitForFunction(() => document.documentElement.dataset.ready === "true", undefined, { timeout: 10_000 });
  const charts = await page.evaluate(() =>
    Array.from(document.querySelectorAll("canvas")).map((canvas) => {
      const pixels = canvas.getContext("2d")?.getImageData(0, 0, canvas.width, canvas.height).data ?? new Uint8ClampedArray(0);
      let drawn = 0;
      for (let i = 3; i < pixels.length; i += 4) if ((pixels[i] ?? 0) > 0) drawn++;
      type Chart = { data: { datasets: { label: string; data: unknown[] }[] } };
      const chart = (window as Window & { Chart?: { getChart(c: HTMLCanvasElement): Chart | undefined } }).Chart?.getChart(canvas);
      return { id: canvas.id, drawnFraction: drawn / Math.max(1, pixels.length / 4), datasets: chart?.data.datasets.map((d) => ({ label: d.label, n: d.data.length })) ?? [] };
    }),
  );
  return { page, problems, charts };
}

describe.skipIf(!hasChromium)("a text run's report.html in headless Chromium", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"],
    });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("MLM: validation chart, masked tokens, neighbours with label marks, probes with TF-IDF, a map with names and texts; data stays text", async () => {
    const dir = await writeTextRun(join(root, "mlm"), { method: "mlm" });
    const path = await writeReport(dir);
    const html = await readFile(path, "utf8");
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)="(https?:|\/\/)/);
    expect(html).not.toContain("<img src=x");
    const { page, problems, charts } = await openReport(browser, path);
    try {
      expect(charts.map((c) => c.id).sort()).toEqual(["chart-accuracy", "chart-map", "chart-training", "chart-validation"]);
      for (const c of charts) {
        expect(c.drawnFraction, c.id).toBeGreaterThan(0.01);
        for (const d of c.datasets) expect(d.n, `${c.id} ${d.label}`).toBeGreaterThan(0);
      }
      const byId = Object.fromEntries(charts.map((c) => [c.id, c.datasets]));
      expect(byId["chart-validation"]).toEqual([
        { label: "training loss", n: 400 },
        { label: "validation nats / token", n: 8 },
        { label: "validation bits / byte", n: 8 },
      ]);
      expect(byId["chart-map"]?.map((d) => d.label)).toEqual([...CLASSES]);
      expect(byId["chart-accuracy"]?.map((d) => d.label)).toContain("TF-IDF · linear");

      // Masked sentences: the highlighted originals, numbered, with their predictions; green when the top prediction is right.
      const masked = await page.evaluate(() =>
        Array.from(document.querySelectorAll(".masked")).map((m) => ({
          sentence: m.querySelector(".sentence")?.textContent ?? "",
          marks: Array.from(m.querySelectorAll(".sentence mark")).map((k) => `${k.className}:${k.textContent ?? ""}`),
          rows: Array.from(m.querySelectorAll(".preds li")).map((li) => li.textContent ?? ""),
          hits: m.querySelectorAll(".cand.hit").length,
        })),
      );
      expect(masked).toHaveLength(2);
      expect(masked[0]?.sentence).toBe("The whale1 rose slowly from the deep and the ship2 fell silent.");
      expect(masked[0]?.marks).toEqual(["hit:whale1", "miss:ship2"]);
      expect(masked[0]?.rows[0]).toBe("1·whale→·whale46%·ship21%·sun7.0%·captain4.0%s2.0%");
      expect(masked[0]?.hits).toBe(2);
      expect(masked[1]?.sentence).toContain('<script>window.__pwned = 1</script></pre><img src=x onerror="window.__pwned = 2"> & "quotes"');
      expect(masked[1]?.rows[0]).toContain("↵5.0%");

      // Neighbours: the query, then the neighbours with labels and similarities, same label marked.
      const nn = await page.evaluate(() =>
        Array.from(document.querySelectorAll(".nn")).map((q) => ({
          query: q.querySelector(".nn-q")?.textContent ?? "",
          rows: Array.from(q.querySelectorAll("li")).map((li) => `${li.className} ${li.querySelector(".sim")?.textContent ?? ""} ${li.querySelector(".badge")?.textContent ?? ""}`),
        })),
      );
      expect(nn).toHaveLength(4);
      expect(nn[0]?.query).toBe(`computers${testText(0).text}`);
      expect(nn[0]?.rows).toEqual(["same 0.93 computers", "same 0.86 computers", "other 0.79 linux", "other 0.72 linux", "other 0.65 science"]);

      // The probe table leaves the perplexity probe out; hovering a map point shows its label and text.
      expect(await page.locator("table tbody tr").count()).toBe(3 * 4 + 2);
      const tooltip = await page.evaluate(() => {
        type Chart = { getDatasetMeta(i: number): { data: { x: number; y: number }[] }; tooltip: { body?: { lines: string[] }[] }; canvas: HTMLCanvasElement };
        const canvas = document.getElementById("chart-map") as HTMLCanvasElement;
        canvas.scrollIntoView({ block: "center" });
        const chart = (window as Window & { Chart?: { getChart(c: HTMLCanvasElement): Chart | undefined } }).Chart?.getChart(canvas);
        const pt = chart?.getDatasetMeta(0).data[0];
        const box = canvas.getBoundingClientRect();
        return pt === undefined ? null : { x: box.left + pt.x, y: box.top + pt.y };
      });
      expect(tooltip).not.toBeNull();
      await page.mouse.move(tooltip?.x ?? 0, tooltip?.y ?? 0);
      const body = await page.waitForFunction(() => {
        type Chart = { tooltip: { body?: { lines: string[] }[] } };
        const canvas = document.getElementById("chart-map") as HTMLCanvasElement;
        const chart = (window as Window & { Chart?: { getChart(c: HTMLCanvasElement): Chart | undefined } }).Chart?.getChart(canvas);
        const lines = chart?.tooltip.body?.[0]?.lines;
        return lines !== undefined && lines.length > 0 ? lines : null;
      });
      const lines = (await body.jsonValue()) ?? [];
      // The first point under the cursor: a computers text (points of a cluster may overlap).
      expect(lines[0]).toBe("computers");
      const computers = Array.from({ length: 40 }, (_, i) => testText(i * 4).text.replace(/\s+/g, " "));
      expect(computers).toContain(lines.slice(1).join(" "));

      expect(await page.evaluate(() => (window as Window & { __pwned?: number }).__pwned)).toBeUndefined();
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it("CLM: samples in step order with prompts highlighted and newlines kept, the validation curve and the perplexity table", async () => {
    const dir = await writeTextRun(join(root, "clm"), { method: "clm", n: 0, withSamples: true, withExamples: false });
    const { page, problems, charts } = await openReport(browser, await writeReport(dir));
    try {
      expect(charts.map((c) => c.id).sort()).toEqual(["chart-training", "chart-validation"]);
      const samples = await page.evaluate(() =>
        Array.from(document.querySelectorAll(".ckpt")).map((c) => ({
          at: c.querySelector(".at")?.textContent ?? "",
          prompts: Array.from(c.querySelectorAll(".prompt")).map((p) => p.textContent ?? ""),
          texts: Array.from(c.querySelectorAll("pre.gen")).map((p) => p.textContent ?? ""),
          font: getComputedStyle(c.querySelector("pre.gen") ?? c).fontFamily,
        })),
      );
      expect(samples.map((s) => s.at)).toEqual(["step 0", "step 600", "step 1,800"]);
      expect(samples[0]?.prompts).toEqual(["Call me Ishmael.", "The whale"]);
      // A text that repeats its prompt shows it once.
      expect(samples[0]?.texts[0]).toBe("Call me Ishmael.th e wa se o thn tw ahe hed s t");
      expect(samples[1]?.texts[0]).toBe("Call me Ishmael. Some years ago the ship was a whale and the sea\nwas the sea of the whale, and I");
      expect(samples[2]?.texts[1]).toContain('<script>window.__pwned = 1</script></pre><img src=x onerror="window.__pwned = 2">');
      expect(samples[0]?.font).toMatch(/mono/i);
      const table = await page.evaluate(() => Array.from(document.querySelectorAll("table tr")).map((r) => Array.from(r.children).map((c) => c.textContent ?? "")));
      expect(table).toEqual([
        ["model", "nats / token", "perplexity", "bits / byte"],
        ["clm", "1.600", "4.95", "2.300"],
      ]);
      const tiles = await page.evaluate(() => Array.from(document.querySelectorAll(".stat")).map((s) => `${s.querySelector(".k")?.textContent}=${s.querySelector(".v")?.textContent}`));
      expect(tiles).toEqual(expect.arrayContaining(["tokenizer=bpe · 4096 ids", "context=128 tokens", "transformer=d 128 · 4 layers · 4 heads", "held-out perplexity=4.95", "held-out bits / byte=2.300"]));
      expect(await page.evaluate(() => (window as Window & { __pwned?: number }).__pwned)).toBeUndefined();
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
