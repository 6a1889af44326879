/**
 * Screenshots of the running playground for the docs: `npx tsx scripts/playground-screenshots.ts`
 * builds and serves the app, trains SimCLR on small-cnn for 60 steps in headless Chromium, draws a
 * digit and asks for its neighbours, then writes docs/playground.png (1280 wide) and
 * docs/playground-phone.png (a 390×844 window).
 */
import { DEFAULT_SETTINGS } from "../playground/src/settings.js";
import { launchChromium, runInPage } from "./playground-browser.js";
import { buildPlayground, servePlayground } from "./playground-server.js";

const settings = { ...DEFAULT_SETTINGS, method: "simclr", encoder: "small-cnn" as const, steps: 60, batchSize: 64, evalPoints: 4, threads: 2 };
const dir = await buildPlayground();
const { url, server } = await servePlayground(dir, 0);
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const run = await runInPage(page, url, settings);
  console.error(`trained ${run.losses.length} steps: loss ${run.losses[0]?.toFixed(3)} → ${run.losses.at(-1)?.toFixed(3)}; probe ${run.evaluations.at(-1)?.trained.linear} vs untrained ${run.untrained?.linear}`);
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
  await page.screenshot({ path: "docs/playground.png", fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(500); // the charts resize to the new width
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (overflow > 0) throw new Error(`at 390 px the page is ${overflow} px wider than the window`);
  await page.screenshot({ path: "docs/playground-phone.png", fullPage: false });
  console.log("wrote docs/playground.png and docs/playground-phone.png");
} finally {
  await browser.close();
  server.close();
}
