import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ortNode from "onnxruntime-node";
import { type Browser, chromium } from "playwright-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeDigits } from "../../playground/src/digits-format.js";
import type {} from "../../playground/src/page-state.js"; // window.pretextPlayground
import type { ProbeScores } from "../../playground/src/session.js";
import { digitDataset, makeEncoder, runSession } from "../../playground/src/session.js";
import { DEFAULT_SETTINGS, type PlaygroundSettings, settingsToHash } from "../../playground/src/settings.js";
import { buildPlayground, servePlayground } from "../../scripts/playground-server.js";
import { droppedFolderCase, outOfMemoryCase } from "./folder-cases.js";
import { unnamedControls } from "./page-helpers.js";
import { pastedTextCase } from "./text-cases.js";
import { loadEncoder } from "../../src/cli/encoder.js";
import { embedDataset } from "../../src/eval/embed.js";
import { pretrain } from "../../src/methods/pretrain.js";
import { simclr } from "../../src/methods/simclr.js";
import { nodeBackend } from "../../src/runtime/node-backend.js";
import { webBackend } from "../../src/runtime/web-backend.js";
import { readSafetensors } from "../../src/train/safetensors.js";

// NOTE: the binary itself: /usr/bin/chromium is a shell wrapper that playwright cannot drive.
const CHROMIUM = "/usr/lib/chromium/chromium";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`playground test: ${CHROMIUM} is missing, so the browser check is skipped; install it with \`apt-get install -y chromium\``);

/** SimCLR on the fast encoder for a fixed number of steps: a run the test can repeat in Node. */
const SETTINGS: PlaygroundSettings = { ...DEFAULT_SETTINGS, method: "simclr", encoder: "mlp", steps: 60, batchSize: 64, evalPoints: 2, threads: 2, seed: 0 };


let dir = "";
let server: Server | undefined;
let url = "";
let browser: Browser | undefined;

beforeAll(async () => {
  if (!hasChromium) return;
  dir = await mkdtemp(join(tmpdir(), "pretext-playground-"));
  await buildPlayground(join(dir, "app"));
  ({ url, server } = await servePlayground(join(dir, "app"), 0));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  server?.close();
  if (dir !== "") await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!hasChromium)("the playground in Chromium", () => {
  it("trains SimCLR in a worker on 2 wasm threads: the loss falls and equals the Node library's, the probe beats the untrained encoder, the exported .onnx gives the page's embeddings, nothing leaves the origin", async () => {
    const context = await (browser as Browser).newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    context.on("request", (r) => requests.push(r.url()));
    const page = await context.newPage();
    const problems: string[] = [];
    page.on("pageerror", (e) => problems.push(e.message));
    await page.goto(`${url}${settingsToHash(SETTINGS)}`);
    await page.waitForFunction(() => document.documentElement.dataset.phase === "ready", undefined, { timeout: 20_000 });
    expect(await page.evaluate(() => self.crossOriginIsolated && typeof SharedArrayBuffer === "function")).toBe(true);

    await page.click("#start");
    await page.waitForFunction(() => ["done", "error"].includes(document.documentElement.dataset.phase ?? ""), undefined, { timeout: 90_000 });
    const state = await page.evaluate(() => {
      const s = window.pretextPlayground;
      if (s === undefined) throw new Error("the page has no pretextPlayground state");
      return { ...s, sampleEmbeddings: Array.from(s.sampleEmbeddings ?? []) };
    });
    expect(state.errors).toEqual([]);
    expect(state.phase).toBe("done");
    expect(state.threads).toBe(2);
    // ORT runs its extra wasm thread as a worker of its own, beside the training worker.
    expect(page.workers().length).toBeGreaterThanOrEqual(2);

    const losses = state.losses;
    expect(losses).toHaveLength(SETTINGS.steps);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(losses.slice(-5))).toBeLessThan(mean(losses.slice(0, 5)) - 0.3);

    // The same run in Node: the same session code, seed and digits file, on onnxruntime-web's wasm.
    const digits = decodeDigits(await readFile(join(dir, "app", "digits.bin")));
    const reference = await runSession({ ...SETTINGS, threads: 1 }, digitDataset(digits.train), digitDataset(digits.test), { backend: webBackend, threads: 1 });
    expect(reference.losses).toHaveLength(losses.length);
    const worst = Math.max(...losses.map((l, i) => Math.abs(l - (reference.losses[i] ?? Number.NaN))));
    console.log(JSON.stringify({ steps: losses.length, firstLoss: losses[0], lastLoss: losses.at(-1), worstLossDifference: worst, untrained: state.untrained, trained: state.evaluations.at(-1)?.trained }));
    expect(worst).toBeLessThanOrEqual(1e-5);
    // And the first step (the same initial weights) on native onnxruntime-node, whose kernels sum in another order.
    const native: number[] = [];
    const first = await pretrain({
      method: simclr,
      encoder: makeEncoder("mlp", SETTINGS.seed),
      dataset: digitDataset(digits.train),
      batchSize: SETTINGS.batchSize,
      epochs: Number.POSITIVE_INFINITY,
      maxSteps: 1,
      seed: SETTINGS.seed,
      compile: { backend: nodeBackend },
      callbacks: [{ onStep: (e) => void native.push(e.loss) }],
    });
    await first.step.release();
    expect(Math.abs((native[0] ?? Number.NaN) - (losses[0] ?? Number.NaN))).toBeLessThanOrEqual(1e-5);

    const last = state.evaluations.at(-1);
    expect(last?.step).toBe(SETTINGS.steps);
    expect(last?.trained?.linear).toBeGreaterThan((state.untrained as ProbeScores).linear);

    // The map: PCA at each evaluation point at once, then UMAP of the 500 test embeddings from the map worker.
    await page.waitForFunction((steps) => window.pretextPlayground?.maps.some((m) => m.step === steps && m.method === "umap") === true, SETTINGS.steps, { timeout: 30_000 });
    const map = await page.evaluate(() => ({ maps: window.pretextPlayground?.maps ?? [], xy: window.pretextPlayground?.mapXY ?? [], caption: document.getElementById("map-caption")?.textContent ?? "" }));
    expect(map.maps.filter((m) => m.step === SETTINGS.steps).map((m) => [m.method, m.points])).toEqual([["pca", 500], ["umap", 500]]);
    expect(map.xy).toHaveLength(1000);
    expect(map.xy.every(Number.isFinite)).toBe(true);
    expect(Math.max(...map.xy) - Math.min(...map.xy)).toBeGreaterThan(0);
    expect(map.caption).toMatch(/^Embedding map of the test images at step 60 \(UMAP of 500 points, \d+\.\d s in its own worker\), coloured by label\.$/);
    console.log(JSON.stringify({ umapSeconds: map.maps.at(-1)?.seconds }));

    // The downloads: the .onnx runs in onnxruntime-node and gives the page's embeddings; the weights rebuild the CLI's encoder.
    const saved: Record<string, string> = {};
    for (const [button, name] of [["#download-onnx", "encoder.onnx"], ["#download-weights", "encoder.safetensors"], ["#download-config", "config.json"]] as const) {
      const [download] = await Promise.all([page.waitForEvent("download"), page.click(button)]);
      expect(download.suggestedFilename()).toBe(name);
      saved[name] = join(dir, name);
      await download.saveAs(saved[name]);
    }
    const session = await ortNode.InferenceSession.create(saved["encoder.onnx"] as string);
    const n = state.sampleEmbeddings.length / state.dim;
    expect(n).toBe(16);
    const onnxEmbeddings = new Float32Array(n * state.dim);
    for (let i = 0; i < n; i++) {
      const input = new ortNode.Tensor("float32", digits.test.images.slice(i * 784, (i + 1) * 784), [1, 1, 28, 28]);
      const out = await session.run({ input });
      onnxEmbeddings.set(out.embedding?.data as Float32Array, i * state.dim);
    }
    await session.release();
    const scale = Math.max(...state.sampleEmbeddings.map(Math.abs));
    const gap = (a: ArrayLike<number>) => Math.max(...Array.from(a, (v, i) => Math.abs(v - (state.sampleEmbeddings[i] ?? Number.NaN))));
    expect(gap(onnxEmbeddings) / scale).toBeLessThan(1e-4);

    const weights = await readSafetensors(saved["encoder.safetensors"] as string);
    expect(weights.metadata).toMatchObject({ format: "pretext-encoder", encoder: "mlp" });
    const { encoder } = await loadEncoder(saved["encoder.safetensors"] as string, "mlp", 0);
    const rebuilt = await embedDataset(encoder, digitDataset({ images: digits.test.images.slice(0, n * 784), labels: digits.test.labels.slice(0, n) }));
    expect(gap(rebuilt.data) / scale).toBeLessThan(1e-4);
    expect(JSON.parse(await readFile(saved["config.json"] as string, "utf8"))).toMatchObject({ pretrain: { method: "simclr", encoder: "mlp", data: "mnist", seed: 0 } });

    // Privacy, tested: every request the page and its workers made went to the page's own origin.
    const origin = new URL(url).origin;
    expect(requests.some((r) => r.endsWith("/ort/ort-wasm-simd-threaded.wasm"))).toBe(true);
    expect(requests.filter((r) => !r.startsWith(`${origin}/`) && !r.startsWith("blob:") && !r.startsWith("data:"))).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  }, 120_000);
});

/** Writes `count` 28×28 PNGs of a bar (horizontal or vertical) into `folder`. */
async function writeBars(folder: string, count: number, vertical: boolean): Promise<void> {
  await mkdir(folder, { recursive: true });
  for (let i = 0; i < count; i++) {
    const pixels = Buffer.alloc(28 * 28);
    for (let a = 4; a < 24; a++) for (let b = 10 + (i % 4); b < 16 + (i % 4); b++) pixels[vertical ? a * 28 + b : b * 28 + a] = 255;
    await sharp(pixels, { raw: { width: 28, height: 28, channels: 1 } }).png().toFile(join(folder, `${i}.png`));
  }
}

describe.skipIf(!hasChromium)("the playground's errors are shown in the page", () => {
  it("a folder with one image, an undecodable file, a batch larger than the data, and a host without cross-origin isolation (one thread, said so)", async () => {
    const folders = join(dir, "folders");
    await writeBars(join(folders, "one", "only"), 1, false);
    await writeBars(join(folders, "bars", "horizontal"), 12, false);
    await writeBars(join(folders, "bars", "vertical"), 13, true);
    await writeFile(join(folders, "bars", "vertical", "broken.png"), "not a png");

    const page = await (browser as Browser).newPage();
    await page.goto(`${url}#encoder=mlp&steps=4&batchSize=64&evalPoints=2`);
    await page.waitForFunction(() => document.documentElement.dataset.phase === "ready", undefined, { timeout: 20_000 });
    const errors = () => page.locator("#errors").innerText();

    await page.setInputFiles("#folder", join(folders, "one"));
    await page.waitForFunction(() => document.getElementById("errors")?.hidden === false, undefined, { timeout: 10_000 });
    expect(await errors()).toMatch(/^one: 1 image in one class; put them in at least two class subfolders/);

    await page.setInputFiles("#folder", join(folders, "bars"));
    await page.waitForFunction(() => document.getElementById("data-source")?.textContent?.startsWith("dropped folder bars/") === true, undefined, { timeout: 10_000 });
    expect(await page.locator("#data-source").innerText()).toBe("dropped folder bars/ (25 images, 2 classes)");
    expect(await errors()).toBe("bars/vertical/broken.png: not an image this browser can decode (skipped)");
    // Every fifth image of a class is held out (2 of 12, 2 of 13), so 21 are for pretraining: too few for a batch of 64.
    await page.click("#start");
    await page.waitForFunction(() => document.documentElement.dataset.phase === "error", undefined, { timeout: 20_000 });
    expect(await errors()).toMatch(/batch size 64 is more than the 21 images to pretrain on: lower it to 16 or less$/);
    await page.close();

    const plain = await servePlayground(join(dir, "app"), 0, { isolated: false });
    try {
      const unisolated = await (browser as Browser).newPage();
      await unisolated.goto(`${plain.url}#encoder=mlp&steps=8&batchSize=32&evalPoints=2&threads=2`);
      await unisolated.waitForFunction(() => document.documentElement.dataset.phase === "ready", undefined, { timeout: 20_000 });
      expect(await unisolated.evaluate(() => self.crossOriginIsolated)).toBe(false);
      expect(await unisolated.locator("#errors").innerText()).toMatch(/not cross-origin isolated \(no SharedArrayBuffer\), so training runs on one wasm thread/);
      await unisolated.click("#start");
      await unisolated.waitForFunction(() => document.documentElement.dataset.phase === "done", undefined, { timeout: 60_000 });
      expect(await unisolated.evaluate(() => window.pretextPlayground?.threads)).toBe(1);
      expect(await unisolated.locator("#status").innerText()).toContain("not cross-origin isolated: one thread only · 1 wasm thread");
      await unisolated.close();
    } finally {
      plain.server.close();
    }
  }, 120_000);
});

describe.skipIf(!hasChromium)("the playground's controls", () => {
  it("pause holds the step count, resume continues, stop ends the run with its weights scored and exported; a drawn digit finds its neighbours", async () => {
    const page = await (browser as Browser).newPage();
    await page.goto(`${url}#encoder=mlp&steps=100000&batchSize=32&evalPoints=2`);
    await page.waitForFunction(() => document.documentElement.dataset.phase === "ready", undefined, { timeout: 20_000 });
    const steps = () => page.evaluate(() => (window.pretextPlayground?.losses.length ?? 0));
    await page.click("#start");
    await page.waitForFunction(() => (window.pretextPlayground?.losses.length ?? 0) >= 10, undefined, { timeout: 30_000 });
    await page.click("#pause");
    expect(await page.locator("#pause").innerText()).toBe("Resume");
    await page.waitForTimeout(1000); // a call of grouped steps in flight finishes first
    const held = await steps();
    await page.waitForTimeout(1000);
    expect(await steps()).toBe(held);
    await page.click("#pause");
    await page.waitForFunction((n) => (window.pretextPlayground?.losses.length ?? 0) > n + 8, held, { timeout: 30_000 });
    await page.click("#stop");
    await page.waitForFunction(() => document.documentElement.dataset.phase === "done", undefined, { timeout: 30_000 });
    const state = await page.evaluate(() => {
      const s = window.pretextPlayground;
      if (s === undefined) throw new Error("the page has no pretextPlayground state");
      return { losses: s.losses, evaluations: s.evaluations.map((e) => ({ step: e.step })) };
    });
    expect(state.losses.length).toBeLessThan(100_000);
    // The stopped weights are scored (the planned last evaluation never came) and are what the downloads hold.
    expect(state.evaluations.at(-1)?.step).toBe(state.losses.length);
    expect(await page.locator("#download-onnx").isEnabled()).toBe(true);

    // A "1": one stroke down the middle of the pad.
    const pad = await page.locator("#draw").boundingBox();
    if (pad === null) throw new Error("no drawing pad");
    await page.mouse.move(pad.x + pad.width / 2, pad.y + pad.height * 0.15);
    await page.mouse.down();
    await page.mouse.move(pad.x + pad.width / 2, pad.y + pad.height * 0.85, { steps: 10 });
    await page.mouse.up();
    await page.click("#find");
    await page.waitForFunction(() => (document.getElementById("neighbours-caption")?.textContent ?? "") !== "", undefined, { timeout: 20_000 });
    const caption = await page.locator("#neighbours-caption").innerText();
    expect(caption.match(/\d \((0|1)\.\d\d\)/g)).toHaveLength(8);
    console.log(JSON.stringify({ stoppedAt: state.losses.length, neighboursOfADrawnOne: caption }));
    await page.close();
  }, 90_000);
});

describe.skipIf(!hasChromium)("the playground's data and memory", () => {
  it("a folder of 300 PNGs in 3 class subfolders dropped on the page is read with its labels and trains; a dropped one-image folder and a dropped unreadable file are errors in the page", () => droppedFolderCase(browser as Browser, url, dir), 90_000);
  it("out of wasm memory (ORT's heap capped by ?wasmMemoryMB=48, batch 1024): the page names the batch size to lower; batch 64 then trains", () => outOfMemoryCase(browser as Browser, url), 90_000);
});

describe.skipIf(!hasChromium)("the playground on text", () => {
  it("a binary text file is refused and a chapter file read; pasted text (Moby Dick's first two chapters), MLM for 30 steps: the loss falls, the UMAP map is finite, a typed sentence finds itself first, encoder.onnx and the safetensors give the page's embeddings in Node", () => pastedTextCase(browser as Browser, url, dir), 120_000);
});

describe.skipIf(!hasChromium)("the playground's accessibility", () => {
  it("every button, text box, number box and select has an accessible name, at a desktop and a phone-sized window, with images and with text", async () => {
    for (const viewport of [{ width: 1280, height: 900 }, { width: 390, height: 844 }]) {
      const page = await (browser as Browser).newPage({ viewport });
      await page.goto(url);
      await page.waitForFunction(() => document.documentElement.dataset.phase === "ready", undefined, { timeout: 20_000 });
      const images = await unnamedControls(page);
      expect(images.unnamed).toEqual([]);
      expect(images.checked).toBeGreaterThan(20);
      expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
      // Text data shows the search box and the tokenizer download instead of the drawing pad.
      await page.fill("#text-input", Array.from({ length: 12 }, (_, i) => `Sentence number ${i} is here.`).join(" "));
      await page.click("#use-text");
      await page.waitForFunction(() => window.pretextPlayground?.data?.kind === "text", undefined, { timeout: 10_000 });
      const text = await unnamedControls(page);
      expect(text.unnamed).toEqual([]);
      expect(text.checked).toBeGreaterThan(images.checked - 4);
      // The check itself finds a control without a name.
      await page.evaluate(() => document.body.append(Object.assign(document.createElement("input"), { id: "unlabelled-probe" })));
      expect((await unnamedControls(page)).unnamed).toEqual(["textbox #unlabelled-probe"]);
      await page.close();
    }
  }, 60_000);
});
