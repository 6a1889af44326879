/**
 * Renders a run's report.html in Debian's headless Chromium and saves a full-page screenshot:
 * `npx tsx scripts/screenshot-report.ts <run-dir> [docs/report-screenshot.png]`.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";

const [runDir, out = "docs/report-screenshot.png"] = process.argv.slice(2);
if (runDir === undefined) throw new Error("usage: npx tsx scripts/screenshot-report.ts <run-dir> [out.png]");
const report = resolve(join(runDir, "report.html"));
if (!existsSync(report)) throw new Error(`${report} does not exist; write it with \`pretext report ${runDir}\``);

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(pathToFileURL(report).href);
  await page.waitForTimeout(1500); // charts animate in
  await page.screenshot({ path: out, fullPage: true });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
}
