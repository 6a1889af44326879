/**
 * The long fuzzing run of the parsers (the same targets and invariant as test/fuzz, many more
 * cases): `npx tsx scripts/fuzz.ts [--runs 20000] [--seed 1] [--only idx,wav] [--case-timeout 10000]`.
 * Prints each target's cases and any failure (shrunk) or hang with its input; exits 1 on either.
 */
import { parseArgs } from "node:util";
import { runFuzz } from "../test/fuzz/run-fuzz.js";

const { values } = parseArgs({
  options: { runs: { type: "string", default: "20000" }, seed: { type: "string", default: "1" }, only: { type: "string" }, "case-timeout": { type: "string", default: "10000" } },
});
const numRuns = Number(values.runs);
const seed = Number(values.seed);
const caseTimeoutMs = Number(values["case-timeout"]);
if (!Number.isSafeInteger(numRuns) || numRuns < 1 || !Number.isSafeInteger(seed) || !(caseTimeoutMs > 0)) {
  throw new Error("usage: npx tsx scripts/fuzz.ts [--runs N] [--seed N] [--only idx,safetensors,wav,tokenizer,config,csv] [--case-timeout MS]");
}
const started = Date.now();
let cases = 0;
let bad = 0;
await runFuzz({
  ...(values.only === undefined ? {} : { targets: values.only.split(",") }),
  seed,
  numRuns,
  caseTimeoutMs,
  onReport: (r) => {
    cases += r.cases;
    const verdict = r.hang !== undefined ? `HUNG on ${r.hang}` : r.failure !== null ? `FAILED: ${r.failure.error}\n  input: ${r.failure.input}` : "ok";
    if (verdict !== "ok") bad++;
    console.log(`${r.target.padEnd(12)} ${String(r.cases).padStart(7)} cases  ${verdict}`);
  },
});
console.log(`${cases} cases in ${((Date.now() - started) / 1000).toFixed(1)} s (seed ${seed}); ${bad} target${bad === 1 ? "" : "s"} failed`);
process.exitCode = bad > 0 ? 1 : 0;
