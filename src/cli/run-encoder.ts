import type { SampleSpec } from "../data/sample.js";
import type { Encoder } from "../methods/method.js";
import { type ConfigObject, type ConfigValue, type RunConfig, resolveEval, resolvePretrain } from "./config.js";
import { type TextEncoderSettings, loadEncoder } from "./encoder.js";
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
}

/** Opens a finished run folder and rebuilds its trained encoder. */
export async function loadRunEncoder(dir: string): Promise<RunEncoder> {
  const run = RunFolder.open(dir);
  const saved = run.readConfig();
  const pretrain = savedRunDefaults(resolvePretrain(section(saved, "pretrain"), {}, run.configPath), run.configPath);
  const config: RunConfig = { pretrain, method: section(saved, "method") ?? {}, eval: resolveEval(section(saved, "eval"), {}, run.configPath) };
  const { encoder, spec, text } = await loadEncoder(run.encoderWeightsPath, pretrain.encoder, pretrain.seed);
  return { run, config, pretrain, encoder, spec, text };
}

/** The saved sections of a run's config.json, for commands that layer their own options on top. */
export function savedSection(run: RunFolder, name: string): ConfigObject | undefined {
  return section(run.readConfig(), name);
}
