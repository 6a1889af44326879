/**
 * SIGKILLs a small `pretext pretrain` at many seeded moments and resumes it each time; every
 * resumed run must end with the parameters of an uninterrupted one, byte for byte:
 * `npx tsx scripts/kill-resume.ts [--runs 5] [--kills-per-run 4] [--seed 1]`.
 * Prints each kill (when, the checkpoint it left, whether a checkpoint write was under way) and
 * exits 1 when any run's parameters differ or an attempt fails.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { runCli } from "../test/cli/run-cli.js";
import { KILL_RUN, killAndResume, sameParameters } from "../test/faults/kill-resume.js";

const { values } = parseArgs({ options: { runs: { type: "string", default: "5" }, "kills-per-run": { type: "string", default: "4" }, seed: { type: "string", default: "1" } } });
const [runs, killsPerRun, seed] = [Number(values.runs), Number(values["kills-per-run"]), Number(values.seed)];
if (![runs, killsPerRun, seed].every((n) => Number.isSafeInteger(n) && n >= 0) || runs < 1) throw new Error("usage: npx tsx scripts/kill-resume.ts [--runs N] [--kills-per-run N] [--seed N]");

const root = mkdtempSync(join(tmpdir(), "pretext-kill-resume-"));
try {
  const started = Date.now();
  const reference = join(root, "reference");
  const ref = await runCli(["pretrain", ...KILL_RUN, "--out", reference]);
  if (ref.code !== 0) throw new Error(`the uninterrupted run failed: ${ref.stderr}`);
  const spanMs = Date.now() - started;
  console.log(`uninterrupted run: ${spanMs} ms; kills spread over that span`);
  let kills = 0;
  let insideWrites = 0;
  let early = 0;
  let differing = 0;
  for (let r = 0; r < runs; r++) {
    const dir = join(root, `run-${r}`);
    const result = await killAndResume(dir, { kills: killsPerRun, seed: seed * 1000 + r, spanMs });
    const verdict = sameParameters(dir, reference);
    kills += result.kills.length;
    insideWrites += result.kills.filter((k) => k.insideWrite).length;
    early += result.finishedEarly;
    if (verdict !== null) differing++;
    const list = result.kills.map((k) => `${k.atMs} ms → checkpoint ${k.checkpointStep ?? "none"}${k.insideWrite ? " (inside a write)" : ""}`).join("; ");
    console.log(`run ${r}: ${result.kills.length} kills [${list}]${result.finishedEarly > 0 ? `, ${result.finishedEarly} finished first` : ""}: ${verdict ?? "parameters bit for bit equal"}`);
  }
  console.log(`${kills} kills (${insideWrites} inside a checkpoint write) over ${runs} runs in ${((Date.now() - started) / 1000).toFixed(0)} s; ${differing} runs differ`);
  process.exitCode = differing > 0 ? 1 : 0;
} finally {
  rmSync(root, { recursive: true, force: true });
}
