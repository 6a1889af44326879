import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Page } from "playwright-core";
import sharp from "sharp";
import type { PageState } from "../../playground/src/page-state.js";

/** The page's `window.pretextPlayground`, typed arrays as plain arrays. */
export async function pageState(page: Page): Promise<Omit<PageState, "sampleEmbeddings"> & { sampleEmbeddings: number[] }> {
  return page.evaluate(() => {
    const s = window.pretextPlayground;
    if (s === undefined) throw new Error("the page has no pretextPlayground state");
    return { ...s, sampleEmbeddings: Array.from(s.sampleEmbeddings ?? []) };
  });
}

export const waitForPhase = (page: Page, phases: readonly string[], timeout: number) =>
  page.waitForFunction((p) => p.includes(document.documentElement.dataset.phase ?? ""), phases, { timeout });

/**
 * Drops `path` (a folder or a file on disk) on `selector` as a file manager would: Chromium's
 * own drag events through the DevTools protocol, so the page's drop handler gets real entries
 * (`webkitGetAsEntry` walks a real directory) rather than a page-made DataTransfer.
 */
export async function dropPath(page: Page, selector: string, path: string): Promise<void> {
  // NOTE: the events go to viewport coordinates, so the target must be on screen.
  await page.locator(selector).scrollIntoViewIfNeeded();
  const box = await page.locator(selector).boundingBox();
  if (box === null) throw new Error(`${selector} is not on screen`);
  const cdp = await page.context().newCDPSession(page);
  const at = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  const data = { items: [], files: [path], dragOperationsMask: 1 };
  for (const type of ["dragEnter", "dragOver", "drop"] as const) await cdp.send("Input.dispatchDragEvent", { type, ...at, data });
  await cdp.detach();
}

/**
 * Writes `count` 28×28 PNGs of one shape into `folder`: "horizontal" and "vertical" bars, or a
 * hollow "square", each shifted a little per image so no two are equal.
 */
export async function writeShapes(folder: string, shape: "horizontal" | "vertical" | "square", count: number): Promise<void> {
  await mkdir(folder, { recursive: true });
  for (let i = 0; i < count; i++) {
    const pixels = Buffer.alloc(28 * 28);
    const shift = i % 5;
    for (let a = 0; a < 28; a++) {
      for (let b = 0; b < 28; b++) {
        const [r, c] = [a, b];
        const on =
          shape === "horizontal" ? r >= 10 + shift && r < 15 + shift && c >= 4 && c < 24
          : shape === "vertical" ? c >= 10 + shift && c < 15 + shift && r >= 4 && r < 24
          : Math.max(Math.abs(r - 13 - (shift % 3)), Math.abs(c - 13 - (i % 3))) === 7;
        if (on) pixels[r * 28 + c] = 255;
      }
    }
    await sharp(pixels, { raw: { width: 28, height: 28, channels: 1 } }).png().toFile(join(folder, `${String(i).padStart(3, "0")}.png`));
  }
}

export const writeBroken = (path: string) => writeFile(path, "not a png");

/**
 * The page's controls (button, text box, number box, select, checkbox, file chooser) whose
 * accessible name is empty, as Chromium's accessibility tree computes it (labels, aria-label,
 * the button's text), each as "role #id".
 */
export async function unnamedControls(page: Page): Promise<{ checked: number; unnamed: string[] }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Accessibility.enable");
  const { nodes } = (await cdp.send("Accessibility.getFullAXTree")) as { nodes: AxNode[] };
  const controls = new Set(["button", "textbox", "spinbutton", "combobox", "checkbox", "radio", "slider", "searchbox", "listbox"]);
  const found = nodes.filter((n) => !n.ignored && controls.has(String(n.role?.value ?? "")));
  const unnamed: string[] = [];
  for (const n of found) {
    if (String(n.name?.value ?? "").trim() !== "") continue;
    const described = n.backendDOMNodeId === undefined ? null : ((await cdp.send("DOM.describeNode", { backendNodeId: n.backendDOMNodeId })) as { node: { attributes?: string[] } });
    const attrs = described?.node.attributes ?? [];
    const idAt = attrs.indexOf("id");
    unnamed.push(`${String(n.role?.value)} #${idAt >= 0 ? attrs[idAt + 1] : "(no id)"}`);
  }
  await cdp.detach();
  return { checked: found.length, unnamed };
}

interface AxNode {
  readonly ignored: boolean;
  readonly role?: { readonly value?: unknown };
  readonly name?: { readonly value?: unknown };
  readonly backendDOMNodeId?: number;
}
