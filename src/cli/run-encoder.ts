import { existsSync } from "node:fs";
import { join } from "node:path";
import type { SampleSpec } from "../data/sample.js";
import type { Encoder } from "../methods/method.js";
import { type ConfigObject, type ConfigValue, type RunConfig, resolveEval, resolvePretrain } from "./config.js";
import { type TextEncoderSettings, loadEncoder, loadModuleWeights } from "./encoder.js";
import { CliError } from "./errors.js";
import { type ResolvedPretrain, savedRunDefaults } from "./run-defaults.js";
import { RunFolder } from "./run-folder.js";

function section(saved: { [key: string]: ConfigValue }, name: string): ConfigObject | undefined {
  const v = saved[name];
  return typeof v === "object" && v !== null && !Array.isArray(v) ? v : undefined;
}

/** A finished run: its folder, its config (validated again, since the file may have been edited) and its trained encoder. */
export interface RunEncoder {
  readonly run: RunFolder;
  readonly config: RunConfig;
  /** The pretrain section as run, every default filled in. */
  readonly pretrain: ResolvedPretrain;
  readonly encoder: Encoder;
  readonly spec: SampleSpec;
  /** A text encoder's settings (vocabulary, context, sizes), or null. */
  readonly text: TextEncoderSettings | null;
  /** The method's other modules (a language model's head), of the same weights as the encoder. */
  readonly headsPath: string;
}

/** Which weights of a run: those it ended with, or those with the lowest validation loss (`best/`). */
export type RunWeights = "last" | "best";

/** Opens a finished run folder and rebuilds its trained encoder (its last weights, or the best validated ones). */
export async function loadRunEncoder(dir: string, weights: RunWeights = "last"): Promise<RunEncoder> {
  const run = RunFolder.open(dir);
  const saved = run.readConfig();
  const pretrain = savedRunDefaults(resolvePretrain(section(saved, "pretrain"), {}, run.configPath), run.configPath);
  const config: RunConfig = { pretrain, method: section(saved, "method") ?? {}, eval: resolveEval(section(saved, "eval"), {}, run.configPath) };
  const { encoder, spec, text } = await loadEncoder(run.encoderWeightsPath, pretrain.encoder, pretrain.seed);
  if (weights === "last") return { run, config, pretrain, encoder, spec, text, headsPath: run.headsPath };
  const best = join(run.bestDir, "encoder.safetensors");
  if (!existsSync(best)) throw new CliError(`${best}: missing; --weights best needs a run validated during training (a text run with a held-out split)`);
  await loadModuleWeights(best, encoder);
  return { run, config, pretrain, encoder, spec, text, headsPath: join(run.bestDir, "heads.safetensors") };
}

/** The saved sections of a run's config.json, for commands that layer their own options on top. */
export function savedSection(run: RunFolder, name: string): ConfigObject | undefined {
  return section(run.readConfig(), name);
}
