import { writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { stringify } from "yaml";
import { resolveRunConfig } from "../../../src/cli/pretrain.js";
import type { FuzzTarget } from "../fuzz-target.js";
import { mutatedText } from "../mutate.js";

const PRETRAIN_KEYS = ["method", "data", "labels", "encoder", "batchSize", "epochs", "seed", "timeBudgetSeconds", "checkpointEverySteps", "logEverySteps", "tokenizer", "vocabSize", "context", "layers", "heads", "dModel", "dropout", "textColumn", "limit", "epoch"];
const EVAL_KEYS = ["probes", "baselines", "labelsPerClass", "draws", "labelDraws", "testData", "testLabels", "effectiveRankPoints", "validationPoints"];
const METHOD_KEYS = ["temperature", "learningRate", "momentum", "projectionDim", "lambda", "temprature"];
const value = fc.oneof(
  fc.constantFrom("simclr", "byol", "mnist", "small-cnn", "resnet18", "gpt", "char", "bpe", "linear", "knn", "random", "5m", "1h30m", "soon", "", "../../x"),
  fc.constantFrom(0, 1, 2, -4, 1.5, 256, 1e9, 2 ** 53, Number.MAX_VALUE),
  fc.jsonValue({ maxDepth: 2 }),
);
const section = (keys: readonly string[]) => fc.dictionary(fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...keys) }, fc.string({ maxLength: 6 })), value, { maxKeys: 5 });
const config = fc.record(
  { pretrain: section(PRETRAIN_KEYS), method: section(METHOD_KEYS), eval: section(EVAL_KEYS), other: fc.dictionary(fc.string({ maxLength: 6 }), value, { maxKeys: 1 }) },
  { requiredKeys: [] },
).map(({ other, ...sections }) => ({ ...sections, ...other }));

/** YAML that other loaders turn into code, objects or huge expansions: tags, merges, anchors, documents. */
const YAML_SNIPPETS = ["!!js/function 'function(){}'", "!!python/object:os.system [ls]", "!!binary aGk=", "!!set {a, b}", "!!omap [a: 1]", "!!timestamp 2001-12-14", "!custom x", "&a [1, 2]", "*a", "<<: *a", "--- \n", "...\n", "%YAML 1.1\n", "? complex key\n", "|\n  block", ">-\n  folded", "'", '"', "{", "[", "\t", ": ", "- ", "#"];
const yamlText = fc.oneof(
  { weight: 3, arbitrary: config.map((c) => stringify(c)) },
  mutatedText(config.map((c) => stringify(c)), YAML_SNIPPETS),
  fc.array(fc.constantFrom(...YAML_SNIPPETS, "pretrain:\n", "  method: simclr\n", "  data: mnist\n", "eval:\n"), { maxLength: 8 }).map((parts) => parts.join("")),
);
const jsonText = fc.oneof({ weight: 3, arbitrary: config.map((c) => JSON.stringify(c)) }, mutatedText(config.map((c) => JSON.stringify(c)), ['"', "{", "}", "[", ",", ":", "\\u0000", "-", "e"]));

/** Config files (YAML and JSON) through `resolveRunConfig`, as `pretrain --config` reads them: nothing runs. */
export const configTarget: FuzzTarget<{ yaml: boolean; text: string }> = {
  name: "config",
  arbitrary: fc.oneof(yamlText.map((text) => ({ yaml: true, text })), jsonText.map((text) => ({ yaml: false, text }))),
  prepare: ({ yaml, text }, dir) => {
    const file = join(dir, yaml ? "fuzz.yaml" : "fuzz.json");
    writeFileSync(file, text);
    return { source: file, read: () => resolveRunConfig({ config: file, out: join(dir, "run") }) };
  },
};
