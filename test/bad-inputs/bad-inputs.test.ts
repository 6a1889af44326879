import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BadInput, type CaseContext, checkCli, checkLeftovers, checkLibrary } from "./bad-input.js";
import { ALL_CASES, makeGoodRuns } from "./cases/index.js";

// Every bad input pretext reads, through the CLI (in process) and the library: one line naming
// the file and the place, the right exit code, no stack trace, nothing left behind.
const root = mkdtempSync(join(tmpdir(), "pretext-bad-inputs-"));
// The audio cases featurize through a cache: keep it in the scratch folder, not the user's.
process.env.PRETEXT_CACHE_DIR = join(root, "cache");
let ctx: CaseContext = { goodRun: "", goodTextRun: "" };

beforeAll(async () => {
  ctx = await makeGoodRuns(join(root, "good"));
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

let serial = 0;
function caseDir(): string {
  const dir = join(root, `case-${serial++}`);
  mkdirSync(dir);
  return dir;
}

describe("the bad-input corpus", () => {
  it("has at least 80 cases, every one with a CLI or library side", () => {
    expect(ALL_CASES.length).toBeGreaterThanOrEqual(80);
    for (const c of ALL_CASES) expect(c.cli !== undefined || c.library !== undefined, c.name).toBe(true);
    expect(new Set(ALL_CASES.map((c) => `${c.reader}: ${c.name}`)).size).toBe(ALL_CASES.length);
  });
});

describe.each([...new Set(ALL_CASES.map((c) => c.reader))])("%s", (reader) => {
  const cases = ALL_CASES.filter((c) => c.reader === reader);
  it.each(cases.map((c) => [c.name, c] as [string, BadInput]))("%s", async (_, c) => {
    if (c.skip !== undefined) return;
    const context = ctx;
    if (c.cli !== undefined) {
      const dir = caseDir();
      await c.files(dir, context);
      await checkCli(c, dir, context);
      checkLeftovers(c, dir);
    }
    if (c.library !== undefined) {
      const dir = caseDir();
      await c.files(dir, context);
      await checkLibrary(c, dir, context);
    }
  });
});
