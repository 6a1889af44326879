import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { promisify } from "node:util";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Rolldown, build } from "vite";
import { afterAll, describe, expect, it } from "vitest";
import { type BrowserImport, STAND_INS, browserModules } from "../../playground/browser-modules.js";
import * as standIns from "../../src/browser-node-only.js";
import { NODE_ONLY_MODULES } from "../../src/browser-node-only.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const rel = (path: string) => path.replace(ROOT, "");

/** Bundles `entry` for the browser as the playground does (onnxruntime-web left out: it is the browser's own build). */
async function bundle(entry: string): Promise<{ imports: BrowserImport[]; code: string }> {
  const imports: BrowserImport[] = [];
  const result = await build({
    configFile: false,
    logLevel: "silent",
    root: ROOT,
    plugins: [browserModules({ record: (e) => imports.push(e) })],
    build: { write: false, minify: false, lib: { entry, formats: ["es"], fileName: "entry" }, rollupOptions: { external: ["onnxruntime-web"] } },
  });
  const outputs = (Array.isArray(result) ? result : [result]) as Rolldown.RolldownOutput[];
  const code = outputs.flatMap((o) => o.output).map((chunk) => (chunk.type === "chunk" ? chunk.code : "")).join("\n");
  return { imports, code };
}

let scratch: string | undefined;
afterAll(async () => {
  if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
});

describe("the browser entry (src/browser.ts)", () => {
  it("bundles with Vite without a Node builtin or a Node-only package: the four Node-only modules become their stand-ins", async () => {
    const { imports, code } = await bundle(join(ROOT, "src/browser.ts"));
    expect(imports.filter((i) => i.verdict === "forbidden")).toEqual([]);
    const replaced = new Set(imports.filter((i) => i.verdict === "replaced").map((i) => rel(i.source).replace(/^src\//, "")));
    expect([...replaced].sort()).toEqual(Object.keys(NODE_ONLY_MODULES).sort());
    // The only builtins met are dtw.ts's guarded dynamic imports (it recovers when they fail), and
    // the image methods never reach the functions holding them, so they are shaken out.
    const guarded = imports.filter((i) => i.verdict === "guarded");
    for (const g of guarded) expect(`${rel(g.importer)} → ${g.source}`).toMatch(/^src\/eval\/dtw\.ts → node:(os|worker_threads)$/);
    expect(code).not.toMatch(/from\s*["'](node:|fs["'/]|os["']|path["']|crypto["']|worker_threads["'])/);
    expect(code).not.toMatch(/(from\s*|import\(\s*|require\(\s*)["'](onnxruntime-node|sharp|mnist)["']/);
    expect(code).not.toMatch(/import\(\s*["']node:/);
    // What the playground uses is in the bundle: the web backend, pretrain, the exporters, the UMAP map, the text pieces.
    for (const name of ["webBackend", "pretrain", "exportOnnx", "encodeSafetensors", "linearProbe", "knnAccuracy", "embeddingMap", "trainCharTokenizer", "tokenizeDocuments", "TextTransformer"]) expect(code).toContain(name);
  }, 60_000);

  it("fails the build, naming the file, when a module on the path imports Node at top level", async () => {
    scratch = await mkdtemp(join(tmpdir(), "pretext-browser-entry-"));
    const entry = join(scratch, "entry.ts");
    // safetensors.ts (unlike safetensors-codec.ts) reads files with node:fs/promises.
    await writeFile(entry, `export { readSafetensors } from ${JSON.stringify(join(ROOT, "src/train/safetensors.ts"))};\n`);
    await expect(bundle(entry)).rejects.toThrow(/src\/train\/safetensors\.ts imports node:fs\/promises/);
  }, 60_000);

  it("each stand-in is an export of the module it replaces, and fails in one line when called", async () => {
    const real: Record<string, Record<string, unknown>> = {
      "runtime/node-backend.ts": await import("../../src/runtime/node-backend.js"),
      "runtime/worker-backend.ts": await import("../../src/runtime/worker-backend.js"),
      "io/write-atomic.ts": await import("../../src/io/write-atomic.js"),
      "train/checkpoint.ts": await import("../../src/train/checkpoint.js"),
    };
    const provided: Record<string, unknown> = { ...standIns };
    // An export the browser path needs but the stand-ins lack fails the bundle above (a missing export).
    for (const [path, names] of Object.entries(NODE_ONLY_MODULES)) {
      for (const name of names) {
        expect(typeof real[path]?.[name], `${path}: ${name}`).toBe(typeof provided[name]);
      }
    }
    await expect(standIns.nodeBackend.createSession(new Uint8Array(0))).rejects.toThrow(/^onnxruntime-node needs Node\.js; in a browser pass \{ backend: webBackend \}/);
    await expect(standIns.saveCheckpoint("runs/x", { tensors: new Map(), metadata: null }, { step: 1 })).rejects.toThrow(/checkpointing to runs\/x needs Node\.js/);
    expect(STAND_INS.endsWith("src/browser-node-only.ts")).toBe(true);
  });

  it("the playground's page and worker typecheck with the DOM and worker libraries (playground/tsconfig.json; the root tsconfig has neither)", async () => {
    const tsc = join(ROOT, "node_modules/typescript/bin/tsc");
    const run = await promisify(execFile)(process.execPath, [tsc, "-p", join(ROOT, "playground/tsconfig.json")], { cwd: ROOT }).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? String(e) }));
    expect(run.stdout).toBe("");
  }, 60_000);
});
