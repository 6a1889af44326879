import type { SampleSpec } from "../data/sample.js";
import type { Encoder } from "../methods/method.js";
import { type ConfigObject, type ConfigValue, type RunConfig, resolveEval, resolvePretrain } from "./config.js";
import { loadEncoder } from "./encoder.js";
import { RunFolder } from "./run-folder.js";

function section(saved: { [key: string]: ConfigValue }, name: string): ConfigObject | undefined {
  const v = saved[name];
  return typeof v === "object" && v !== null && !Array.isArray(v) ? v : undefined;
}

/** A finished run's folder, its config (validated again, since the file may have been edited) and its trained encoder. */
export async function loadRunEncoder(dir: string): Promise<{ run: RunFolder; config: RunConfig; encoder: Encoder; spec: SampleSpec }> {
  const run = RunFolder.open(dir);
  const saved = run.readConfig();
  const pretrain = resolvePretrain(section(saved, "pretrain"), {}, run.configPath);
  const config: RunConfig = { pretrain, method: section(saved, "method") ?? {}, eval: resolveEval(section(saved, "eval"), {}, run.configPath) };
  const { encoder, spec } = await loadEncoder(run.encoderWeightsPath, pretrain.encoder, pretrain.seed);
  return { run, config, encoder, spec };
}

/** The saved sections of a run's config.json, for commands that layer their own options on top. */
export function savedSection(run: RunFolder, name: string): ConfigObject | undefined {
  return section(run.readConfig(), name);
}
