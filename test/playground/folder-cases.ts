import { join } from "node:path";
import type { Browser } from "playwright-core";
import { expect } from "vitest";
import { dropPath, pageState, waitForPhase, writeBroken, writeShapes } from "./page-helpers.js";

const errorsShown = () => document.getElementById("errors")?.hidden === false;

/**
 * A folder of 300 PNGs in three class subfolders (and a broken file, a hidden one) dropped on the
 * page as a file manager drops it: read with its labels, and a short run scores the probe on
 * those three classes; then a dropped folder with one image, and a dropped unreadable file, each
 * an error in the page.
 */
export async function droppedFolderCase(browser: Browser, url: string, dir: string): Promise<void> {
  const shapes = join(dir, "drop", "shapes");
  for (const shape of ["horizontal", "square", "vertical"] as const) await writeShapes(join(shapes, shape), shape, 100);
  await writeBroken(join(shapes, "square", "torn.png"));
  await writeBroken(join(shapes, "vertical", ".DS_Store")); // hidden: skipped, as the CLI's reader does
  await writeShapes(join(dir, "drop", "one", "only"), "square", 1);
  await writeBroken(join(dir, "drop", "junk.png"));

  const page = await browser.newPage();
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(e.message));
  await page.goto(`${url}#encoder=mlp&steps=8&batchSize=32&evalPoints=2&map=pca`);
  await waitForPhase(page, ["ready"], 20_000);

  const started = Date.now();
  await dropPath(page, "#drop-zone", shapes);
  await page.waitForFunction(() => window.pretextPlayground?.data?.source.startsWith("dropped folder") === true, undefined, { timeout: 20_000 });
  const readSeconds = (Date.now() - started) / 1000;
  const state = await pageState(page);
  expect(state.data).toEqual({
    kind: "images",
    count: 300,
    source: "dropped folder shapes/ (300 images, 3 classes)",
    classNames: ["horizontal", "square", "vertical"],
    // Every fifth image of a class (by path) is held out.
    poolPerClass: [80, 80, 80],
    testPerClass: [20, 20, 20],
  });
  expect(await page.locator("#data-source").innerText()).toBe("dropped folder shapes/ (300 images, 3 classes)");
  expect(await page.locator("#errors").innerText()).toBe("shapes/square/torn.png: not an image this browser can decode (skipped)");

  // The labels reach the evaluation: the probe and kNN score the three classes.
  await page.click("#start");
  await waitForPhase(page, ["done", "error"], 60_000);
  const run = await pageState(page);
  expect(run.errors).toEqual([]);
  expect(run.losses).toHaveLength(8);
  const last = run.evaluations.at(-1)?.trained;
  // Three balanced classes: chance is 1/3, and bars against squares are easy even for raw pixels.
  expect(run.rawPixels?.linear ?? 0).toBeGreaterThan(0.6);
  expect(last?.linear ?? 0).toBeGreaterThan(0.6);
  expect(run.maps.at(-1)).toMatchObject({ step: 8, method: "pca", points: 60 });
  console.log(JSON.stringify({ droppedImages: 300, readSeconds, rawPixels: run.rawPixels, trained: last }));

  await dropPath(page, "#drop-zone", join(dir, "drop", "one"));
  await page.waitForFunction(errorsShown, undefined, { timeout: 10_000 });
  expect(await page.locator("#errors").innerText()).toMatch(/^one: 1 image in one class; put them in at least two class subfolders/);
  // The data in use is still the shapes.
  expect(await page.locator("#data-source").innerText()).toBe("dropped folder shapes/ (300 images, 3 classes)");

  await dropPath(page, "#drop-zone", join(dir, "drop", "junk.png"));
  await page.waitForFunction(() => (document.getElementById("errors")?.textContent ?? "").includes("junk.png"), undefined, { timeout: 10_000 });
  expect(await page.locator("#errors").innerText()).toBe("junk.png: no readable images (1 unreadable files)");
  expect(problems).toEqual([]);
  await page.close();
}

/**
 * Out of wasm memory, for real: the page's `?wasmMemoryMB=48` lowers the ceiling of ORT's heap,
 * and a batch of 1,024 makes ORT's own allocation fail (std::bad_alloc from its session or run);
 * the page names the batch size to lower. The same ceiling with a batch of 64 trains.
 */
export async function outOfMemoryCase(browser: Browser, url: string): Promise<void> {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(e.message));
  await page.goto(`${url}?wasmMemoryMB=48#encoder=mlp&steps=3&batchSize=1024&evalPoints=2&map=pca`);
  await waitForPhase(page, ["ready"], 20_000);
  await page.click("#start");
  await waitForPhase(page, ["done", "error"], 60_000);
  const errors = await page.locator("#errors").innerText();
  expect(await page.evaluate(() => document.documentElement.dataset.phase)).toBe("error");
  expect(errors).toMatch(/^onnxruntime-web ran out of wasm memory \(48 MB here, set by \?wasmMemoryMB=; 4 GiB at most\) at batch size 1024: lower the batch size \(try 512\)\. ORT said: .*(bad_alloc|failed to allocate)/i);
  console.log(JSON.stringify({ outOfMemoryMessage: errors }));

  await page.fill("#batchSize", "64");
  await page.click("#start");
  await waitForPhase(page, ["done", "error"], 60_000);
  const run = await pageState(page);
  expect(run.errors).toEqual([]);
  expect(run.losses).toHaveLength(3);
  expect(problems).toEqual([]);
  await page.close();
}
