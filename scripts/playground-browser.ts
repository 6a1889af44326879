import { type Browser, type Page, chromium } from "playwright-core";
import type {} from "../playground/src/page-state.js"; // window.pretextPlayground
import { type PlaygroundSettings, settingsToHash } from "../playground/src/settings.js";

/** Debian's Chromium binary (`/usr/bin/chromium` is a wrapper script playwright cannot drive). */
export const CHROMIUM = "/usr/lib/chromium/chromium";

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"],
  });
}

/** What `window.pretextPlayground` holds once a run ends (the fields these scripts read). */
export interface FinishedRun {
  readonly phase: string;
  readonly threads: number | null;
  readonly losses: number[];
  readonly elapsed: number[];
  readonly errors: string[];
  readonly evaluations: { step: number; trained: { linear: number; knn: number } | null }[];
  readonly untrained: { linear: number; knn: number } | null;
}

/** Opens the playground with `settings` in the hash, presses Start and waits for the run to end. */
export async function runInPage(page: Page, url: string, settings: PlaygroundSettings, timeoutMs = 600_000): Promise<FinishedRun> {
  await page.goto(`${url}${settingsToHash(settings)}`);
  await page.waitForFunction(() => document.documentElement.dataset.phase === "ready", undefined, { timeout: 30_000 });
  await page.click("#start");
  await page.waitForFunction(() => ["done", "error"].includes(document.documentElement.dataset.phase ?? ""), undefined, { timeout: timeoutMs });
  const run = await page.evaluate(() => {
    const s = window.pretextPlayground;
    if (s === undefined) throw new Error("the page has no pretextPlayground state");
    return { phase: s.phase, threads: s.threads, losses: s.losses, elapsed: s.elapsed, errors: s.errors, evaluations: s.evaluations.map((e) => ({ step: e.step, trained: e.trained })), untrained: s.untrained };
  });
  if (run.phase !== "done") throw new Error(`the playground stopped: ${run.errors.join("; ")}`);
  return run;
}

/**
 * Seconds per step over steps `warmup`..n-2, from the wall clock at each step: the first steps
 * (session start, the time-budget calibration) and the last (an evaluation point) are left out.
 */
export function secondsPerStep(elapsed: readonly number[], warmup: number): number {
  const end = elapsed.length - 2;
  if (end - warmup < 2) throw new Error(`secondsPerStep: ${elapsed.length} steps leave too few after ${warmup} warmup steps`);
  return ((elapsed[end] ?? 0) - (elapsed[warmup - 1] ?? 0)) / (end - warmup + 1);
}
