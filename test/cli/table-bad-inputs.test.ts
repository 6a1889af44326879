import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runInProcess } from "./run-cli.js";

const dir = mkdtempSync(join(tmpdir(), "pretext-bad-table-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** `pretext pretrain --method scarf` on a file: exit code, stderr lines, and whether it left a run folder. */
async function pretrain(file: string, ...flags: string[]): Promise<{ code: number; lines: string[]; run: boolean }> {
  const out = join(dir, `run-${Math.random().toString(36).slice(2)}`);
  const r = await runInProcess(["pretrain", "--method", "scarf", "--data", file, "--epochs", "1", "--batch-size", "2", "--out", out, ...flags]);
  return { code: r.code, lines: r.stderr.split("\n").filter((l) => l.trim() !== ""), run: existsSync(out) };
}

/** A data error: exit 1, one line naming the file (and the line, when it has one), nothing left behind. */
async function expectDataError(file: string, flags: string[], pattern: RegExp): Promise<void> {
  const r = await pretrain(file, ...flags);
  expect(r.code, r.lines.join("\n")).toBe(1);
  expect(r.lines).toHaveLength(1);
  expect(r.lines[0]).toMatch(/^pretext pretrain: error: /);
  expect(r.lines[0]).toContain(file);
  expect(r.lines[0]).toMatch(pattern);
  expect(r.lines[0]).not.toMatch(/\n\s+at /);
  expect(r.run).toBe(false);
}

describe("bad tables through pretext pretrain", () => {
  it("a ragged row names its line and the expected fields", async () => {
    await expectDataError(write("ragged.csv", "a,b,y\n1,2,x\n3,4\n5,6,z\n"), ["--label-column", "y"], /ragged\.csv:3: ragged row: expected 3 fields \(columns are: a, b, y\), got 2/);
  });

  it("a label column that does not exist names the header line and lists the columns", async () => {
    await expectDataError(write("no-label.csv", "a,b,y\n1,2,x\n3,4,z\n"), ["--label-column", "class"], /no-label\.csv:1: no label column "class"; columns are: a, b, y/);
  });

  it("a header-only file says it has no rows", async () => {
    await expectDataError(write("header.csv", "a,b,y\n"), ["--label-column", "y"], /header\.csv: no data rows after the header/);
  });

  it("an all-missing column is left out and a constant one encodes as zeros, each with a warning naming it; training goes on", async () => {
    const file = write("holes.csv", "a,b,c,y\n1,,5,x\n2,NA,5,z\n3,?,5,x\n4,,5,z\n");
    const r = await pretrain(file, "--label-column", "y");
    expect(r.code, r.lines.join("\n")).toBe(0);
    expect(r.lines).toContain(`warning: ${file}: column "b" is missing in every row; it is left out`);
    expect(r.lines).toContain(`warning: ${file}: column "c" is constant (5) in the training rows; it encodes as zeros`);
    expect(r.lines.some((l) => /mean loss (NaN|Infinity)/.test(l))).toBe(false);
  });

  it("a categorical column of 10^5 levels is refused at the line of the 1,001st, naming the column", async () => {
    const rows = Array.from({ length: 100_000 }, (_, i) => `user${i},${i % 7},${i % 2 === 0 ? "a" : "b"}`);
    await expectDataError(write("levels.csv", `id,v,y\n${rows.join("\n")}\n`), ["--label-column", "y"], /levels\.csv:1002: column "id" has more than 1000 distinct levels.*ignore it/);
  });

  it("a header of 10^6 columns is refused in one line naming the header line and the first column past the limit", async () => {
    const names = Array.from({ length: 1_000_000 }, (_, i) => `c${i}`);
    const file = write("wide.csv", `${names.join(",")}\n${names.map(() => "1").join(",")}\n${names.map(() => "2").join(",")}\n`);
    await expectDataError(file, [], /wide\.csv:1: 1000000 features, more than 65536 \(the 65537th is "c65536"\)/);
  }, 60_000);
});
