/**
 * Every registered image method under one wall-time budget, as one table, on the bundled MNIST
 * or on Fashion-MNIST: each pretrains a fresh encoder with its recipe (src/methods/recipes.ts:
 * the batch, encoder and options the CLI runs by default; every encoder of a kind starts from the
 * same initialization) on the unlabeled train images, then the frozen encoder goes through
 * src/eval's protocol on the test images — linear probe with 10 labels per class (mean ± sd over
 * 5 draws: on MNIST the PyTorch anchor's own, src/data/image/mnist-anchor-draws.ts, unless
 * `--draws seeded`), linear probe with all train labels, kNN (k = 20, all labels), k-means NMI —
 * beside the baselines on the same protocol: raw pixels, each recipe encoder untrained, and the
 * first recipe's encoder trained supervised on the same 10-per-class labels.
 *
 * Run: `npx tsx examples/methods-table.ts [--data mnist|fashion-mnist] [--budget 60] [--methods simclr,byol] [--draws anchor|seeded] [--out docs/methods-table.md]`
 * Progress on stderr; one JSON line per row and the markdown table on stdout; the table to --out.
 */
import { writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import type { ArrayDataset } from "../src/data/dataset.js";
import { fashionMnistSplit } from "../src/data/image/fashion-mnist.js";
import { mnistSplit } from "../src/data/image/mnist.js";
import { makeEncoder } from "../src/cli/encoder.js";
import type { Encoder } from "../src/methods/method.js";
import { imageRecipe } from "../src/methods/recipes.js";
import { type EvaluationResult, type MeanSd, type ProtocolOptions, baselines, embedDataset, evaluateEncoder } from "../src/eval/index.js";
import { mnistAnchorLabelDraws } from "../src/eval/mnist-anchor-draws.js";
import { effectiveRank } from "../src/methods/collapse.js";
import { pretrain } from "../src/methods/pretrain.js";
import { methods, methodsFor } from "../src/methods/registry.js";
import { Rng } from "../src/random/rng.js";
import { workerBackend } from "../src/runtime/worker-backend.js";

export interface MethodsTableOptions {
  readonly methodNames: readonly string[];
  readonly budgetSeconds: number;
  /** One batch for every method instead of each recipe's. */
  readonly batchSize?: number;
  /** One encoder for every method instead of each recipe's. */
  readonly encoder?: RecipeEncoder;
  /** The benchmark when `data` is not given: the bundled MNIST's fixed split (default) or Fashion-MNIST's own. */
  readonly dataName?: "mnist" | "fashion-mnist";
  /** Caps the steps too (the smoke test); the budget alone decides in the real run. */
  readonly maxSteps?: number;
  /** Draws of the supervised-on-10-labels baseline (each trains a network), or 0 to skip it. */
  readonly supervisedDraws?: number;
  readonly seed?: number;
  /** Other train/test data than the fixed split (the smoke test); its label draws are then seeded. */
  readonly data?: { readonly train: ArrayDataset; readonly test: ArrayDataset };
  /**
   * The 10-label draws of the probes and the supervised baseline: "anchor" (the PyTorch anchor's
   * five, the default on the fixed split) or "seeded" (ours, seeds 0..4; the default with `data`).
   */
  readonly labelDraws?: LabelDrawsChoice;
  /** Called with each row as soon as it is measured. */
  readonly onRow?: (row: Row) => void;
}

export type LabelDrawsChoice = "anchor" | "seeded";

type RecipeEncoder = ReturnType<typeof imageRecipe>["encoder"];

/** One line of the table: a baseline or a pretrained method, with its figures from this run. */
export interface Row {
  readonly name: string;
  readonly kind: "baseline" | "method";
  /** The method's encoder and batch (null for raw pixels). */
  readonly encoder: string | null;
  readonly batchSize: number | null;
  readonly linear10: MeanSd | null;
  /** Whose label draws `linear10` is over. */
  readonly labelDraws: LabelDrawsChoice;
  readonly linearAll: number | null;
  readonly knn: number | null;
  readonly nmi: number | null;
  readonly pretrainSeconds: number | null;
  readonly steps: number | null;
  /** Effective rank of the test embeddings (≤ 128; ~1 when collapsed). */
  readonly effectiveRank: number | null;
  /** The method's own loss: first step and mean of the last 20 steps. */
  readonly loss: { readonly first: number; readonly last: number } | null;
  /** collapse_std of the last step (SimSiam's diagnostic; 1/√128 ≈ 0.088 when spread, 0 when collapsed). */
  readonly collapseStd: number | null;
  readonly evalSeconds: number | null;
  readonly error?: string;
}

const EPOCHS = 1000; // "epochs large": the budget plans every run's steps (timed before training) and ends it

export async function methodsTable(options: MethodsTableOptions): Promise<Row[]> {
  const { budgetSeconds, supervisedDraws = 3, seed = 0, onRow = () => {} } = options;
  const fixedMnist = options.data === undefined && (options.dataName ?? "mnist") === "mnist";
  // MNIST: 9,000 pretraining digits (labels unused until eval), 1,000 test; Fashion-MNIST: 60,000 and 10,000.
  const data = options.data ?? (fixedMnist ? mnistSplit() : fashionMnistSplit());
  const labelDraws = options.labelDraws ?? (fixedMnist ? "anchor" : "seeded");
  const protocol = protocolFor(labelDraws, fixedMnist);
  const recipeOf = (name: string) => ({ encoder: options.encoder ?? imageRecipe(name).encoder, batchSize: options.batchSize ?? imageRecipe(name).batchSize });
  const encoders = [...new Set(options.methodNames.map((name) => recipeOf(name).encoder))];
  const build = (name: RecipeEncoder) => (rng: Rng): Encoder => makeEncoder(name, data.train.spec, rng);
  const rows: Row[] = [];
  const add = (row: Row) => {
    rows.push(row);
    onRow(row);
  };

  const first = encoders[0] ?? "small-cnn";
  const t0 = performance.now();
  console.error(`baselines: raw pixels, random ${encoders.join(", ")}${supervisedDraws > 0 ? `, supervised ${first} on 10/class (${supervisedDraws} draws)` : ""}…`);
  // encoderSeed = seed: the random baseline is exactly the initialization every method starts from.
  const base = await baselines(data, {
    ...protocol,
    makeEncoder: build(first),
    encoderSeed: seed,
    supervised: supervisedDraws > 0 ? { perClass: [10], draws: supervisedDraws } : false,
  });
  const baselineSeconds = (performance.now() - t0) / 1000;
  const raw = base.rawFeatures;
  if (raw === null) throw new Error("methods-table: baselines() left out raw pixels");
  add({ ...evaluated("raw pixels", "baseline", labelDraws, raw), encoder: null });
  add({ ...evaluated(`random ${first}`, "baseline", labelDraws, base.randomEncoder), encoder: first, effectiveRank: await rankOf(build(first)(new Rng(seed)), data.test) });
  for (const other of encoders.slice(1)) {
    const random = build(other)(new Rng(seed));
    add({ ...evaluated(`random ${other}`, "baseline", labelDraws, await evaluateEncoder(random, data, protocol)), encoder: other, effectiveRank: await rankOf(build(other)(new Rng(seed)), data.test) });
  }
  const supervised = base.supervised[0];
  if (supervised !== undefined) {
    const trainSeconds = baselineSeconds - raw.seconds.total - base.randomEncoder.seconds.total;
    add({ ...empty(`supervised ${first} on 10/class`, "baseline", labelDraws), encoder: first, linear10: supervised.accuracy, pretrainSeconds: trainSeconds / supervisedDraws });
  }

  for (const name of options.methodNames) {
    const method = methods[name];
    if (method === undefined) throw new Error(`no method "${name}"; known: ${Object.keys(methods).join(", ")}`);
    const recipe = recipeOf(name);
    const { batchSize } = recipe;
    const encoder = build(recipe.encoder)(new Rng(seed));
    const losses: number[] = [];
    let collapseStd: number | null = null;
    let steps = 0;
    try {
      const { fit, step } = await pretrain({
        method,
        encoder,
        dataset: data.train,
        batchSize,
        epochs: EPOCHS,
        seed,
        timeBudgetSeconds: budgetSeconds,
        ...(options.maxSteps === undefined ? {} : { maxSteps: options.maxSteps }),
        // The step runs in a worker thread, so the loader augments the next batch meanwhile.
        compile: { backend: workerBackend },
        callbacks: [
          {
            onStep: (e) => {
              losses.push(e.loss);
              collapseStd = e.metrics.collapse_std ?? null;
              steps = e.step + 1; // e.step counts from 0
              if (steps % 25 === 0) {
                const std = collapseStd === null ? "" : `  collapse_std ${collapseStd.toFixed(4)}`;
                console.error(`[${name}] step ${steps}  loss ${e.loss.toFixed(4)}${std}  ${e.elapsedSeconds.toFixed(0)}/${budgetSeconds}s`);
              }
            },
          },
        ],
      });
      await step.release();
      const plan = fit.plan;
      const timed = plan.secondsPerStep === null ? "" : `, ${plan.secondsPerStep.toFixed(2)} s a step`;
      console.error(`[${name}] ${fit.steps} of ${plan.totalSteps} planned steps (${plan.from}${timed}) in ${fit.elapsedSeconds.toFixed(1)}s (${fit.stoppedBy}); evaluating…`);
      const result = await evaluateEncoder(encoder, data, protocol);
      const tail = losses.slice(-20);
      add({
        ...evaluated(name, "method", labelDraws, result),
        ...recipe,
        pretrainSeconds: fit.elapsedSeconds,
        steps: fit.steps,
        effectiveRank: await rankOf(encoder, data.test),
        loss: { first: losses[0] ?? Number.NaN, last: tail.reduce((s, v) => s + v, 0) / tail.length },
        collapseStd,
      });
    } catch (error) {
      // A diverged method (NonFiniteLossError) is a row of the table too, not the end of the run.
      const message = error instanceof Error ? error.message : String(error);
      console.error(`[${name}] failed after ${steps} steps: ${message}`);
      add({ ...empty(name, "method", labelDraws), ...recipe, steps, error: message });
    }
  }
  return rows;
}

/** 10/class × 5 draws; the anchor's draws are indices into loadMnist(), mapped to positions in the fixed split's train set. */
function protocolFor(labelDraws: LabelDrawsChoice, fixedSplit: boolean): ProtocolOptions {
  const seeded = { perClass: [10], draws: 5, seed: 0 } as const;
  if (labelDraws === "seeded") return seeded;
  if (!fixedSplit) throw new Error("methodsTable: the anchor's label draws are digits of the fixed MNIST split; with other data use labelDraws: \"seeded\"");
  return { ...seeded, labelDraws: [mnistAnchorLabelDraws()] };
}

function empty(name: string, kind: Row["kind"], labelDraws: LabelDrawsChoice): Row {
  return { name, kind, encoder: null, batchSize: null, linear10: null, labelDraws, linearAll: null, knn: null, nmi: null, pretrainSeconds: null, steps: null, effectiveRank: null, loss: null, collapseStd: null, evalSeconds: null };
}

function evaluated(name: string, kind: Row["kind"], labelDraws: LabelDrawsChoice, r: EvaluationResult): Row {
  return {
    ...empty(name, kind, labelDraws),
    linear10: r.linearPerClass[0]?.accuracy ?? null,
    linearAll: r.linearAll?.accuracy ?? null,
    knn: r.knn,
    nmi: r.clustering?.nmi ?? null,
    evalSeconds: r.seconds.total,
  };
}

/** Effective rank of the frozen encoder's test embeddings (exp of the covariance spectrum's entropy). */
async function rankOf(encoder: Encoder, test: ArrayDataset): Promise<number> {
  // NOTE: at most 1,000 evenly spaced test images (all of MNIST's): the spectrum of a 1,152-d
  // grid encoder's covariance over Fashion-MNIST's 10,000 would take minutes on the host.
  const n = Math.min(test.length, 1000);
  const e = await embedDataset(encoder, test.subset(Int32Array.from({ length: n }, (_, i) => Math.floor((i * test.length) / n))), { bind: "constant" });
  return effectiveRank(e.data, e.length, e.dim);
}

/** The rows as a markdown table, baselines first. */
export function markdownTable(rows: readonly Row[]): string {
  const pct = (x: number | null) => (x === null ? "—" : `${(100 * x).toFixed(1)}`);
  const lines = [
    "| | encoder, batch | linear 10/class (%) | linear all (%) | kNN k=20 (%) | NMI | pretrain (s) | steps | eff. rank | loss first → last |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const r of rows) {
    const name = r.kind === "baseline" ? `*${r.name}*` : `**${r.name}**`;
    if (r.error !== undefined) {
      lines.push(`| ${name} | ${setup(r)} | failed after ${r.steps ?? 0} steps: ${r.error.replaceAll("|", "\\|")} | | | | | | | |`);
      continue;
    }
    const cells = [
      setup(r),
      r.linear10 === null ? "—" : `${pct(r.linear10.mean)} ± ${pct(r.linear10.sd)}`,
      pct(r.linearAll),
      pct(r.knn),
      r.nmi === null ? "—" : r.nmi.toFixed(3),
      r.pretrainSeconds === null ? "—" : r.pretrainSeconds.toFixed(0),
      r.steps === null ? "—" : String(r.steps),
      r.effectiveRank === null ? "—" : r.effectiveRank.toFixed(1),
      r.loss === null ? "—" : `${fmt(r.loss.first)} → ${fmt(r.loss.last)}`,
    ];
    lines.push(`| ${name} | ${cells.join(" | ")} |`);
  }
  return lines.join("\n");
}

const setup = (r: Row) => (r.encoder === null ? "—" : r.batchSize === null ? r.encoder : `${r.encoder}, ${r.batchSize}`);
const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 1 ? x.toFixed(2) : x.toFixed(4));

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values: args } = parseArgs({
    options: {
      budget: { type: "string", default: "60" },
      data: { type: "string", default: "mnist" },
      // The image methods: the others read text, audio or table rows.
      methods: { type: "string", default: methodsFor("image").map((m) => m.name).join(",") },
      out: { type: "string", default: "docs/methods-table.md" },
      // 3 draws: each trains a network for 300 steps (~2 min here under load).
      "supervised-draws": { type: "string", default: "3" },
      seed: { type: "string", default: "0" },
      // anchor: the PyTorch anchor's own 5 draws of 10 labels per class; seeded: ours (seeds 0..4)
      draws: { type: "string", default: "anchor" },
    },
  });
  const dataName = args.data;
  if (dataName !== "mnist" && dataName !== "fashion-mnist") throw new Error(`--data takes mnist or fashion-mnist, got ${dataName}`);
  const labelDraws = dataName === "mnist" ? args.draws : "seeded";
  if (labelDraws !== "anchor" && labelDraws !== "seeded") throw new Error(`--draws takes anchor or seeded, got ${labelDraws}`);
  const budgetSeconds = Number(args.budget);
  const supervisedDraws = Number(args["supervised-draws"]);
  const command = ["npx tsx examples/methods-table.ts", ...process.argv.slice(2)].join(" ");
  const started = new Date();
  const load = loadavg()[0] ?? 0;
  const rows = await methodsTable({
    methodNames: args.methods.split(",").map((s) => s.trim()).filter((s) => s.length > 0),
    budgetSeconds,
    supervisedDraws,
    seed: Number(args.seed),
    labelDraws,
    dataName,
    onRow: (row) => console.log(JSON.stringify(row)),
  });
  const wallMinutes = (Date.now() - started.getTime()) / 60_000;
  const markdown = [
    `# Every method on ${dataName === "mnist" ? "the bundled MNIST" : "Fashion-MNIST"}, one budget`,
    "",
    `Produced by \`${command}\` on ${started.toISOString().slice(0, 10)}: ${budgetSeconds} s of pretraining per method ` +
      `on a ${cpus().length}-core machine (load average ${load.toFixed(1)} at the start; ${wallMinutes.toFixed(0)} min in all). ` +
      (budgetSeconds < 300
        ? "The issue's protocol budget is 5 minutes (300 s) of pretraining; these runs are shorter."
        : "300 s is the issue's protocol budget; each method plans its schedules for the steps the budget allows."),
    "",
    "Each method runs its recipe (src/methods/recipes.ts: the encoder, batch and options `pretext pretrain` uses by default; " +
      "every encoder of a kind starts from the same random initialization, its untrained row), " +
      (dataName === "mnist"
        ? "9,000 unlabeled train digits; the frozen encoder is evaluated on the fixed stratified 1,000 test digits. "
        : "Fashion-MNIST's 60,000 unlabeled train images; the frozen encoder is evaluated on its 10,000 test images. ") +
      `Linear 10/class: mean ± sd over ${labelDraws === "anchor" ? "the PyTorch anchor's own 5 draws" : "5 seeded draws"} of 10 labels per class. Linear all and kNN (k = 20, cosine) ` +
      "use every train label. NMI: k-means (k = 10) on the test embeddings. Eff. rank: effective rank of the " +
      "test embeddings. The supervised baseline trains the first recipe's encoder from scratch for 300 steps on the first " +
      `${supervisedDraws} of the same 10/class draws (its time is per draw).`,
    "",
    markdownTable(rows),
    "",
  ].join("\n");
  console.log(markdown);
  writeFileSync(args.out, markdown);
  console.error(`wrote ${args.out} (${wallMinutes.toFixed(1)} min)`);
}
