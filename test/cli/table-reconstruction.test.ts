import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import type { ReconstructionFile } from "../../src/cli/table-reconstruction.js";
import { Rng } from "../../src/random/rng.js";
import { runInProcess } from "./run-cli.js";

/** A CSV whose columns a..e repeat one value (with a little noise), z is noise, and y is the sign of the value. */
function csv(n: number, seed: number): string {
  const rng = new Rng(seed);
  const lines = ["a,b,c,d,e,z,y"];
  for (let i = 0; i < n; i++) {
    const v = rng.normal();
    const copies = Array.from({ length: 5 }, () => (10 * (v + 0.1 * rng.normal())).toFixed(3));
    lines.push([...copies, rng.normal().toFixed(3), v > 0 ? "pos" : "neg"].join(","));
  }
  return `${lines.join("\n")}\n`;
}

const root = mkdtempSync(join(tmpdir(), "pretext-vime-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

it("eval of a vime run writes the per-feature reconstruction error, and the report shows it", async () => {
  const [train, test, run] = ["train.csv", "test.csv", "vime"].map((f) => join(root, f)) as [string, string, string];
  writeFileSync(train, csv(640, 1));
  writeFileSync(test, csv(400, 2));
  const p = await runInProcess(["pretrain", "--method", "vime", "--data", train, "--label-column", "y", "--batch-size", "64", "--epochs", "30", "--out", run, "--quiet"]);
  expect(p.code, p.stderr).toBe(0);
  const e = await runInProcess(["eval", run, "--test-data", test, "--label-fractions", "1", "--probes", "linear", "--baselines", "none", "--json"]);
  expect(e.code, e.stderr).toBe(0);
  const file = JSON.parse(readFileSync(join(run, "reconstruction.json"), "utf8")) as ReconstructionFile;
  expect(file).toMatchObject({ method: "vime", rows: 400, mask_probability: 0.3 });
  expect(file.features.map((f) => f.feature)).toEqual(["a", "b", "c", "d", "e", "z"]);
  const ratio = (name: string) => {
    const f = file.features.find((x) => x.feature === name);
    return (f?.mse ?? Number.NaN) / (f?.meanImputationMse ?? Number.NaN);
  };
  for (const name of ["a", "b", "c", "d", "e"]) expect(ratio(name), name).toBeLessThan(0.6);
  expect(ratio("z")).toBeGreaterThan(0.8);
  const r = await runInProcess(["report", run]);
  expect(r.code, r.stderr).toBe(0);
  const html = readFileSync(join(run, "report.html"), "utf8");
  expect(html).toContain("Per-feature reconstruction error");
  expect(html).toMatch(/<td>z<\/td>/);
}, 120_000);

it("a scarf run writes no reconstruction file (its heads restore nothing)", async () => {
  const [train, test, run] = ["train2.csv", "test2.csv", "scarf"].map((f) => join(root, f)) as [string, string, string];
  writeFileSync(train, csv(128, 3));
  writeFileSync(test, csv(64, 4));
  expect((await runInProcess(["pretrain", "--method", "scarf", "--data", train, "--label-column", "y", "--batch-size", "64", "--epochs", "1", "--out", run, "--quiet"])).code).toBe(0);
  expect((await runInProcess(["eval", run, "--test-data", test, "--label-fractions", "1", "--probes", "linear", "--baselines", "none", "--json"])).code).toBe(0);
  expect(() => readFileSync(join(run, "reconstruction.json"))).toThrow(/ENOENT/);
}, 60_000);
