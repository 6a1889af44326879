import { describe, expect, it } from "vitest";
import { runFuzz } from "./run-fuzz.js";
import { FUZZ_TARGETS } from "./targets/index.js";

// Property-based fuzzing of every parser with a fixed seed: each returns a value or throws the
// project's typed error with one line naming the file, never another exception, never a hang
// (a case still running after 5 s is stopped by the watchdog and reported). scripts/fuzz.ts
// runs the same targets far longer.
const SEED = 20_261_207;
const RUNS = 600;

describe("fuzzing the parsers", () => {
  it(`${FUZZ_TARGETS.length} targets, ${RUNS} cases each: the invariant holds`, async () => {
    const reports = await runFuzz({ seed: SEED, numRuns: RUNS, caseTimeoutMs: 5_000 });
    expect(reports.map((r) => r.target).sort()).toEqual(FUZZ_TARGETS.map((t) => t.name).sort());
    for (const r of reports) {
      expect(r.hang ?? null, `${r.target} hung on ${r.hang ?? ""}`).toBeNull();
      expect(r.failure, `${r.target}: ${r.failure?.error ?? ""}\ninput: ${r.failure?.input ?? ""}`).toBeNull();
      expect(r.cases).toBeGreaterThanOrEqual(RUNS);
    }
  }, 120_000);

  it("reports a parser that hangs (stopped by the watchdog), throws a TypeError, or does not name its file", async () => {
    const reports = await runFuzz({ module: new URL("./fixtures/broken-targets.ts", import.meta.url), seed: 1, numRuns: 200, caseTimeoutMs: 1_000 });
    const byName = new Map(reports.map((r) => [r.target, r]));
    expect(Number(byName.get("loops-on-big-counts")?.hang)).toBeGreaterThan(900);
    expect(byName.get("type-error-on-empty")?.failure).toMatchObject({ input: '""', error: expect.stringMatching(/^threw a TypeError/) });
    expect(byName.get("error-without-the-file")?.failure?.error).toMatch(/does not name data\.bin/);
  }, 60_000);
});
