import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readSafetensors } from "../../src/train/safetensors.js";
import { exited, expectOneLineError, runCli, runInProcess, spawnCli, waitFor } from "./run-cli.js";

// A tiny run: 256 digits in batches of 32 is 8 steps an epoch; 2 epochs take seconds on 2 cores.
const TINY = ["--method", "simclr", "--data", "mnist", "--limit", "256", "--batch-size", "32", "--epochs", "2", "--seed", "3", "--checkpoint-every", "2"];
const STEPS = 16;

interface StepLine {
  type: "step";
  step: number;
  epoch: number;
  loss: number;
  [key: string]: unknown;
}

function stepLines(runDir: string): StepLine[] {
  const path = join(runDir, "metrics.jsonl");
  if (!existsSync(path)) return [];
  const out: StepLine[] = [];
  for (const line of readFileSync(path, "utf8").split("\n")) {
    try {
      const r = JSON.parse(line) as { type?: string };
      if (r.type === "step") out.push(r as StepLine);
    } catch {
      // a torn last line of a killed run
    }
  }
  return out;
}

const checkpoints = (runDir: string) => (existsSync(join(runDir, "checkpoints")) ? readdirSync(join(runDir, "checkpoints")).filter((f) => f.endsWith(".safetensors")) : []);

describe("pretext pretrain", () => {
  const root = mkdtempSync(join(tmpdir(), "pretext-pretrain-"));
  const full = join(root, "full");
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("writes config.json, metrics.jsonl, checkpoints, the encoder and views.png; a SIGKILLed run resumes to the same final metrics", async () => {
    const killed = join(root, "killed");
    // The uninterrupted run and the one to kill run side by side.
    const reference = runCli(["pretrain", ...TINY, "--out", full, "--quiet"]);
    const victim = spawnCli(["pretrain", ...TINY, "--out", killed, "--json"]);
    // Kill mid-way through epoch 2, after at least one checkpoint in it.
    await waitFor(() => stepLines(killed).some((s) => s.step >= 11) || victim.exitCode !== null, 150_000, "step 11 of the run to kill");
    victim.kill("SIGKILL");
    expect((await exited(victim)).signal).toBe("SIGKILL");
    expect(existsSync(join(killed, "encoder.safetensors"))).toBe(false);
    expect(checkpoints(killed).length).toBeGreaterThan(0);

    const ref = await reference;
    expect(ref.code, ref.stderr).toBe(0);
    expect(ref.stdout.trim()).toBe(full);
    const config = JSON.parse(readFileSync(join(full, "config.json"), "utf8")) as { pretrain: Record<string, unknown>; method: Record<string, unknown> };
    expect(config.pretrain).toMatchObject({ method: "simclr", data: "mnist", epochs: 2, batchSize: 32, seed: 3, limit: 256 });
    expect(config.method.temperature).toBeTypeOf("number");
    const refSteps = stepLines(full);
    expect(refSteps.map((s) => s.step)).toEqual([...Array(STEPS).keys()]);
    for (const s of refSteps) {
      expect(Number.isFinite(s.loss)).toBe(true);
      for (const key of ["epoch", "samples_per_s", "elapsed_s", "collapse_std"]) expect(s[key], key).toBeTypeOf("number");
      expect(s.lr).toBeTypeOf("number");
    }
    // The effective rank is measured at 10 points of the run, its first and last step among them.
    const ranked = refSteps.filter((s) => s.effective_rank !== undefined);
    expect(ranked.map((s) => s.step)).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 15]);
    for (const s of ranked) expect(s.effective_rank, `step ${s.step}`).toBeGreaterThan(1);
    expect(checkpoints(full).length).toBeGreaterThan(0);
    for (const f of ["encoder.safetensors", "encoder.onnx", "views.png"]) expect(existsSync(join(full, f)), f).toBe(true);

    const resumed = await runCli(["pretrain", "--resume", killed, "--json"]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/"type":"resume","step":\d+/);
    const got = stepLines(killed);
    expect(got.map((s) => s.step)).toEqual(refSteps.map((s) => s.step));
    // Same seed, same batches, same augmentations, same weights: the same losses step for step.
    for (let i = 0; i < STEPS; i++) {
      const [a, b] = [got[i] as StepLine, refSteps[i] as StepLine];
      expect(a.loss, `step ${i}`).toBeCloseTo(b.loss, 5);
      expect(a.collapse_std as number, `step ${i}`).toBeCloseTo(b.collapse_std as number, 5);
      if (b.effective_rank !== undefined) expect(a.effective_rank as number, `step ${i}`).toBeCloseTo(b.effective_rank as number, 3);
    }
    const [wa, wb] = [(await readSafetensors(join(killed, "encoder.safetensors"))).tensors, (await readSafetensors(join(full, "encoder.safetensors"))).tensors];
    expect([...wa.keys()]).toEqual([...wb.keys()]);
    let maxDiff = 0;
    for (const [k, t] of wa) {
      const u = wb.get(k)?.data as Float32Array;
      t.data.forEach((v, i) => (maxDiff = Math.max(maxDiff, Math.abs(Number(v) - (u[i] as number)))));
    }
    expect(maxDiff).toBeLessThan(1e-5);
  }, 300_000);

  it("eval --json, embed, export and report work on the finished run", async () => {
    const ev = await runCli(["eval", full, "--labels-per-class", "1,all", "--draws", "2", "--baselines", "random", "--limit", "1000", "--json"]);
    expect(ev.code, ev.stderr).toBe(0);
    const lines = ev.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const linear1 = lines.find((l) => l.encoder === "simclr" && l.probe === "linear" && l.labels_per_class === 1);
    expect(linear1).toMatchObject({ type: "eval", probe: "linear", labels_per_class: 1 });
    expect(linear1?.accuracy).toBeGreaterThan(0.15);
    expect(linear1?.sd).toBeTypeOf("number");
    expect(lines.map((l) => `${l.encoder}/${l.probe}/${l.labels_per_class}`)).toEqual([
      "simclr/linear/1", "simclr/linear/all", "simclr/knn/all", "simclr/kmeans/null",
      "random/linear/1", "random/linear/all", "random/knn/all", "random/kmeans/null",
    ]);
    const metrics = readFileSync(join(full, "metrics.jsonl"), "utf8");
    expect(metrics.match(/"type":"eval"/g)).toHaveLength(lines.length);
    const emb = await readSafetensors(join(full, "embeddings.safetensors"));
    // simclr's recipe encoder, small-cnn-grid: 128 channels × a 3×3 grid.
    expect(emb.tensors.get("embeddings")?.shape).toEqual([1000, 1152]);
    expect(emb.tensors.get("labels")?.dtype).toBe("I64");
    expect(emb.tensors.get("images")?.shape).toEqual([1000, 1, 28, 28]);

    const rep = await runCli(["report", full]);
    expect(rep.code, rep.stderr).toBe(0);
    expect(rep.stdout.trim()).toBe(join(full, "report.html"));
    expect(readFileSync(join(full, "report.html"), "utf8")).toContain("<canvas");

    const onnx = join(root, "encoder-b4.onnx");
    const ex = await runCli(["export", full, "--out", onnx, "--batch-size", "4"]);
    expect(ex.code, ex.stderr).toBe(0);
    expect(ex.stderr).toContain("input float32[4, 1, 28, 28]");
    expect(existsSync(onnx)).toBe(true);

    const out = join(root, "some.safetensors");
    const em = await runCli(["embed", full, "--out", out, "--limit", "50"]);
    expect(em.code, em.stderr).toBe(0);
    expect((await readSafetensors(out)).tensors.get("embeddings")?.shape).toEqual([50, 1152]);
  }, 120_000);

  it("Ctrl-C writes a checkpoint, exits 130 and says how to resume", async () => {
    const dir = join(root, "interrupted");
    const child = spawnCli(["pretrain", ...TINY, "--epochs", "50", "--out", dir]);
    await waitFor(() => stepLines(dir).length >= 3 || child.exitCode !== null, 120_000, "step 3");
    child.kill("SIGINT");
    const { code } = await exited(child);
    expect(code, child.output.stderr).toBe(130);
    expect(child.output.stderr).toContain(`pretext pretrain --resume ${dir}`);
    expect(checkpoints(dir).length).toBeGreaterThan(0);
  }, 180_000);

  it("--time-budget plans the steps from the measured step time and ends pretraining cleanly within it", async () => {
    const dir = join(root, "budget");
    // NOTE: the anchor's small-cnn, whose 128-d effective rank after the last step costs little
    // beside an 8 s budget (the grid encoder's 1,152-d one takes a few tenths of a second).
    const r = await runCli(["pretrain", "--method", "rotation", "--data", "mnist", "--encoder", "small-cnn", "--limit", "256", "--batch-size", "32", "--epochs", "100", "--time-budget", "8s", "--json", "--out", dir]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    const plans = lines.filter((l) => l.type === "plan");
    expect(plans[0]).toMatchObject({ type: "plan", from: "time-budget", epochs: 100, time_budget_s: 8, calibration_steps: 3, start_step: 0, restored: false, replanned_at_step: null });
    // The plan is remade from the steps actually run as the step time drifts, at most once per
    // check (every 2% of the budget), each time where the run then was.
    expect(plans.length).toBeLessThanOrEqual(51);
    for (const p of plans.slice(1)) expect(p).toMatchObject({ type: "plan", restored: false, replanned_at_step: p.start_step });
    const done = lines[lines.length - 1] as { type: string; stopped_by: string; elapsed_s: number; steps: number; planned_steps: number };
    expect(done).toMatchObject({ type: "done", stopped_by: "time-budget", planned_from: "time-budget", planned_steps: plans[plans.length - 1]?.total_steps });
    expect(done.steps).toBeLessThanOrEqual(done.planned_steps);
    // The last plan fills the budget: training ends within 3% of it (the rule; another
    // test file shares the machine, so a step can run long), and not far short of it. The final
    // checkpoint (and the effective rank at the last step) come after the last step.
    const lastStep = lines.filter((l) => l.type === "step").pop() as { step: number; elapsed_s: number };
    expect(lastStep.step).toBe(done.steps - 1);
    expect(lastStep.elapsed_s).toBeGreaterThan(0.85 * 8);
    expect(lastStep.elapsed_s).toBeLessThanOrEqual(1.03 * 8);
    expect(done.elapsed_s).toBeLessThan(1.03 * 8 + 0.5);
    const metrics = readFileSync(join(dir, "metrics.jsonl"), "utf8");
    expect(metrics.startsWith('{"type":"plan"')).toBe(true);
    expect(metrics.split("\n").filter((l) => l.startsWith('{"type":"plan"'))).toHaveLength(plans.length);
    expect(existsSync(join(dir, "encoder.onnx"))).toBe(true);
  }, 60_000);

  it("eval --label-draws anchor probes 10/class on the PyTorch anchor's own draws, and says when it cannot", async () => {
    const ev = await runCli(["eval", full, "--labels-per-class", "10", "--probes", "linear", "--baselines", "none", "--label-draws", "anchor", "--json"]);
    expect(ev.code, ev.stderr).toBe(0);
    const [line, ...rest] = ev.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rest).toHaveLength(0);
    expect(line).toMatchObject({ encoder: "simclr", probe: "linear", labels_per_class: 10 });
    expect(line?.accuracy).toBeGreaterThan(0.3);
    const limited = await runInProcess(["eval", full, "--label-draws", "anchor", "--limit", "500"]);
    expectOneLineError(limited, "eval", /--label-draws anchor needs every train digit; drop --limit/);
    const noTen = await runInProcess(["eval", full, "--label-draws", "anchor", "--labels-per-class", "1,100"]);
    expectOneLineError(noTen, "eval", /the anchor drew 10 labels per class; add 10 to --labels-per-class \(now 1,100\)/);
    expectOneLineError(await runInProcess(["eval", full, "--label-draws", "pytorch"]), "eval", /--label-draws.*pytorch.*Allowed choices are seeded, anchor/);
  }, 120_000);

  it("eval --probes finetune fine-tunes the run's encoder on 10 labels per class, and asks for a count", async () => {
    const ev = await runCli(["eval", full, "--labels-per-class", "10", "--probes", "finetune", "--baselines", "none", "--draws", "1", "--limit", "1000", "--json"]);
    expect(ev.code, ev.stderr).toBe(0);
    const lines = ev.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ type: "eval", encoder: "simclr", probe: "finetune", labels_per_class: 10 });
    // 100 labelled digits, 1,000 test digits: far past chance (10%).
    expect(lines[0]?.accuracy).toBeGreaterThan(0.5);
    const noCount = await runInProcess(["eval", full, "--probes", "finetune", "--labels-per-class", "all"]);
    expectOneLineError(noCount, "eval", /--probes finetune fine-tunes on a few labels per class: give --labels-per-class a count, e\.g\. 10 \(now all\)/);
    // The recipe's 300 fine-tuning steps: ~40 s on one 2-core VM, 101 s alone on a slower one
    // (2026-12-08), and more with a second vitest worker beside it.
  }, 300_000);

  it("eval on data without a fixed split asks for --test-data", async () => {
    // A 64-image IDX file: magic 0x00000803 (uint8, 3 dims), then [64, 28, 28] big-endian.
    const header = Buffer.from([0, 0, 8, 3, 0, 0, 0, 64, 0, 0, 0, 28, 0, 0, 0, 28]);
    const file = join(root, "digits-idx3-ubyte");
    writeFileSync(file, Buffer.concat([header, Buffer.alloc(64 * 28 * 28)]));
    const r = await runInProcess(["eval", full, "--data", file]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^pretext eval: error: .*digits-idx3-ubyte has no fixed test split .*; give --test-data <spec> \(with --test-labels <file> for an IDX file\)$/);
  });

  it("--resume refuses to change what the run fixed", async () => {
    const r = await runCli(["pretrain", "--resume", full, "--method", "autoencoder"]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^pretext pretrain: error: --resume keeps the run's method; only --epochs and --time-budget may change$/);
  });
});
