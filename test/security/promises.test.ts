import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dataSlug, defaultRunDir } from "../../src/cli/run-folder.js";
import { loadLatestCheckpoint, readCheckpoint, saveCheckpoint } from "../../src/train/checkpoint.js";
import { ROOT, runInProcess } from "../cli/run-cli.js";
import { inside, sandbox } from "./sandbox.js";

// The promises docs/security.md makes, tested: no network at run time, writes only inside the
// run folder, data strings escaped in the report, only data formats loaded.
const root = mkdtempSync(join(tmpdir(), "pretext-security-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Class folder names and a data path that are HTML (and a `</script>` that would end a script element). */
const HOSTILE_CLASSES = ["<img src=x onerror=alert(1)>", `"quoted" & 'apos'`];
const data = join(root, "<script>alert(1)</script>");

beforeAll(async () => {
  for (const [c, name] of HOSTILE_CLASSES.entries()) {
    const dir = join(data, name);
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < 16; i++) {
      const pixels = Buffer.alloc(28 * 28, (i * 13 + c * 101) % 256);
      await sharp(pixels, { raw: { width: 28, height: 28, channels: 1 } }).png().toFile(join(dir, `${i}.png`));
    }
  }
});

describe("a pretrain, eval, export and report in a sandboxed process", () => {
  it("opens no connection, writes only inside the run folder, and escapes every data string in report.html", async () => {
    const run = join(root, "run");
    const { log, restore } = sandbox();
    const results: { argv: string[]; code: number; stderr: string }[] = [];
    try {
      // The sandbox works: a connection attempt is refused and logged.
      await expect(fetch("http://127.0.0.1:9/")).rejects.toThrow(/refused by the test sandbox/);
      for (const argv of [
        ["pretrain", "--method", "simclr", "--data", data, "--batch-size", "8", "--epochs", "1", "--out", run, "--quiet"],
        ["eval", run, "--test-data", data, "--probes", "knn,linear", "--labels-per-class", "1", "--draws", "1", "--baselines", "random", "--quiet"],
        ["export", run],
        ["report", run],
      ]) {
        const r = await runInProcess(argv);
        results.push({ argv, code: r.code, stderr: r.stderr });
      }
    } finally {
      restore();
    }
    for (const r of results) expect(r.code, `${r.argv.join(" ")}: ${r.stderr}`).toBe(0);
    expect(log.network).toEqual(["fetch"]);
    const outside = log.writes.filter((p) => !inside(p, run));
    expect(outside).toEqual([]);
    expect(log.writes.length).toBeGreaterThan(5);

    const html = readFileSync(join(run, "report.html"), "utf8");
    // Only the report's own three script elements, each closed once: no data string made or ended an element.
    // (Assertions on counts and booleans: a failing toContain would print the whole page.)
    expect([html.match(/<script\b/g)?.length, html.match(/<\/script>/g)?.length]).toEqual([3, 3]);
    expect({ rawImg: html.includes("<img src=x"), rawScript: html.includes("<script>alert(1)") }).toEqual({ rawImg: false, rawScript: false });
    // The data path as HTML text, escaped; the class names as chart data, JSON with "<" as \u003c (drawn on a canvas, never as HTML).
    expect(html.includes("/&lt;script&gt;alert(1)&lt;/script&gt;")).toBe(true);
    expect(html.includes('"name":"\\u003cimg src=x onerror=alert(1)>"')).toBe(true);
  }, 180_000);
});

/** Source files of src/, recursively. */
function sources(dir = join(ROOT, "src")): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : name.endsWith(".ts") ? [path] : [];
  });
}

describe("only data is loaded, nothing is run", () => {
  const files = sources().map((path) => ({ path: relative(ROOT, path), text: readFileSync(path, "utf8") }));
  it.each([
    ["eval or new Function", /\beval\(|new Function\(/],
    ["node:vm", /from "node:vm"|require\("vm"\)/],
    ["child processes", /from "node:child_process"/],
    ["network modules", /from "node:(http|https|net|tls|dgram|dns|http2)"/],
    ["fetch", /\bfetch\(/],
  ])("src/ has no %s", (_, pattern) => {
    expect(files.filter((f) => pattern.test(f.text)).map((f) => f.path)).toEqual([]);
  });

  it("dynamic imports of a computed specifier are the known ones: worker bootstraps of pretext's own modules, and the speech engines' packages by name", () => {
    const dynamic = files.filter((f) => /\bimport\((?!["'`])/.test(f.text)).map((f) => f.path);
    expect(dynamic.sort()).toEqual(["src/data/audio/featurize-pool.ts", "src/data/audio/synth/engine.ts", "src/data/audio/synth/worker-pool.ts", "src/eval/dtw.ts", "src/runtime/worker-backend.ts"]);
    for (const f of files.filter((x) => dynamic.includes(x.path) && x.path !== "src/data/audio/synth/engine.ts")) {
      for (const m of f.text.matchAll(/\bimport\((?!["'`])(.{0,60})/g)) expect(m[1], f.path).toMatch(/^\$\{JSON\.stringify\((tsxApi|workerUrl\.href|self|import\.meta\.resolve\("tsx\/esm\/api"\))\)\}\)/);
    }
  });

  it("the report's page script builds no HTML from data (no innerHTML, no document.write)", () => {
    const client = files.filter((f) => f.path.startsWith("src/report/") && /innerHTML|outerHTML|insertAdjacentHTML|document\.write/.test(f.text));
    expect(client.map((f) => f.path)).toEqual([]);
  });

  it("YAML is parsed in one place, config.ts, which refuses tags outside the core schema", () => {
    expect(files.filter((f) => /from "yaml"/.test(f.text)).map((f) => f.path)).toEqual(["src/cli/config.ts"]);
  });

  it("a PyTorch pickle is refused as data, and YAML's python tags as a config", async () => {
    // A pickle's protocol-2 header and a GLOBAL opcode naming os.system: never unpickled.
    const pickle = Buffer.concat([Buffer.from([0x80, 0x02]), Buffer.from("cos\nsystem\n(S'echo pwned'\ntR.")]);
    const file = join(root, "model.pt");
    writeFileSync(file, pickle);
    const asData = await runInProcess(["pretrain", "--method", "simclr", "--data", file, "--out", join(root, "never"), "--quiet"]);
    expect(asData.code).not.toBe(0);
    expect(asData.stderr.trim().split("\n")).toHaveLength(1);
    const yaml = join(root, "model.yaml");
    writeFileSync(yaml, "pretrain: !!python/object/apply:os.system ['echo pwned']\n");
    const asConfig = await runInProcess(["pretrain", "--config", yaml, "--quiet"]);
    expect(asConfig.stderr).toMatch(/tag "tag:yaml.org,2002:python\/object\/apply:os.system".* is not plain data/);
  });
});

describe("names from data never lead outside the run folder", () => {
  it("a run name from the data spec is a slug: no separators, no dots, so the default run folder stays under runs/", () => {
    for (const spec of ["../../etc/passwd", "/etc/shadow", "..", "a/../../b", "C:\\Windows\\x", "%2e%2e%2f"]) {
      expect(dataSlug(spec)).toMatch(/^[a-z0-9-]+$/);
      const dir = defaultRunDir("simclr", spec, new Date(2026, 0, 1), join(root, "runs"));
      expect(inside(join(dir), join(root, "runs")), dir).toBe(true);
    }
  });

  it("a checkpoint manifest naming a tensors file elsewhere is refused, and latest.json pointing outside is ignored", async () => {
    const dir = join(root, "checkpoints");
    await saveCheckpoint(dir, { tensors: new Map([["w", { shape: [1], data: Float32Array.of(1) }]]), metadata: null }, { step: 1 });
    const manifest = JSON.parse(readFileSync(join(dir, "checkpoint-1.json"), "utf8")) as { tensors: { file: string } };
    manifest.tensors.file = "../../outside.safetensors";
    writeFileSync(join(dir, "checkpoint-2.json"), JSON.stringify({ ...manifest, step: 2 }));
    await expect(readCheckpoint(join(dir, "checkpoint-2.json"))).rejects.toThrow(/checkpoint-2\.json: tensors file "\.\.\/\.\.\/outside\.safetensors" must be in the same directory/);
    writeFileSync(join(dir, "latest.json"), JSON.stringify({ checkpoint: "../../outside.json", step: 9 }));
    const loaded = await loadLatestCheckpoint(dir);
    expect(loaded?.step).toBe(1);
    expect(loaded?.warnings.join("\n")).toMatch(/latest\.json is unreadable \("checkpoint" is not a checkpoint file name\)/);
  });
});
