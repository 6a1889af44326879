import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { resolveRunConfig } from "../../../src/cli/pretrain.js";
import { type BadInput, OUT } from "../bad-input.js";

/** A config file refused before anything runs: exit 2, the file and the field named. */
function configCase(name: string, file: string, contents: string, message: RegExp): BadInput {
  return {
    reader: "config",
    name,
    files: (dir) => writeFileSync(join(dir, file), contents),
    cli: (dir) => ["pretrain", "--config", join(dir, file), "--out", join(dir, OUT), "--quiet"],
    library: (dir) => resolveRunConfig({ config: join(dir, file), out: join(dir, OUT) }),
    exit: 2,
    message: new RegExp(`${file.replace(".", "\\.")}: (not valid YAML: )?${message.source}`),
  };
}

const ok = "pretrain:\n  method: simclr\n  data: mnist\n";
/** A billion laughs: nine aliases of nine aliases … of a list, 9^8 entries if expanded. */
const laughs = ["a: &a [x, x, x, x, x, x, x, x, x]", ..."bcdefgh".split("").map((k, i) => `${k}: &${k} [${Array(9).fill(`*${"abcdefgh"[i]}`).join(", ")}]`), "pretrain: {method: simclr, data: mnist}"].join("\n");

export const configCases: readonly BadInput[] = [
  configCase("JSON that does not parse", "run.json", '{"pretrain": {"method": "simclr",}}', /not valid JSON/),
  configCase("YAML that does not parse", "run.yaml", "pretrain:\n  method: [simclr\n", /not valid YAML.*line \d+/),
  configCase("a top level that is a list", "run.yaml", "- pretrain\n- eval\n", /expected an object with sections pretrain, method, eval/),
  configCase("an unknown section", "run.yaml", `${ok}trainer:\n  epochs: 3\n`, /unknown section "trainer"/),
  configCase("a section that is not an object", "run.json", '{"pretrain": [1, 2]}', /section "pretrain" must be an object of options/),
  configCase("an unknown option, with a suggestion", "run.yaml", `${ok}  epoch: 3\n`, /pretrain\.epoch is not an option \(did you mean "epochs"\?\)/),
  configCase("a string where a number belongs", "run.yaml", `${ok}  batchSize: "256"\n`, /pretrain\.batchSize must be a positive integer, got "256"/),
  configCase("a negative batch size", "run.json", '{"pretrain": {"method": "simclr", "data": "mnist", "batchSize": -4}}', /pretrain\.batchSize must be a positive integer, got -4/),
  configCase("a fractional seed", "run.json", '{"pretrain": {"method": "simclr", "data": "mnist", "seed": 1.5}}', /pretrain\.seed must be a non-negative integer, got 1\.5/),
  configCase("an encoder that does not exist", "run.yaml", `${ok}  encoder: resnet1000\n`, /pretrain\.encoder must be one of/),
  configCase("a duration that is not one", "run.yaml", `${ok}  timeBudgetSeconds: soon\n`, /pretrain\.timeBudgetSeconds must be seconds or a duration/),
  configCase("an unknown method", "run.yaml", "pretrain:\n  method: simclear\n  data: mnist\n", /simclear|unknown method/),
  configCase("an unknown method option", "run.yaml", `${ok}method:\n  temprature: 0.5\n`, /method\.temprature is not an option of simclr/),
  configCase("a method option of the wrong type", "run.yaml", `${ok}method:\n  temperature: warm\n`, /method\.temperature must be a number/),
  configCase("an eval list that is empty", "run.yaml", `${ok}eval:\n  labelsPerClass: []\n`, /eval\.labelsPerClass must be a non-empty list/),
  configCase("a YAML tag for code (!!js/function)", "run.yaml", `${ok}  labels: !!js/function "function () { return 'mnist' }"\n`, /tag.*js\/function.*line 4/),
  configCase("a custom YAML tag", "run.yaml", `${ok}  seed: !env SEED\n`, /tag "!env".*line 4/),
  configCase("a YAML !!binary value", "run.yaml", `${ok}  labels: !!binary aGVsbG8=\n`, /tag.*binary.*line 4/),
  configCase("a YAML alias bomb (billion laughs)", "run.yaml", laughs, /Excessive alias count/),
  configCase("duplicate YAML keys", "run.yaml", `${ok}  method: byol\n`, /not valid YAML.*unique/),
  {
    reader: "config",
    name: "a config file that does not exist",
    files: () => undefined,
    cli: (dir) => ["pretrain", "--config", join(dir, "missing.yaml"), "--quiet"],
    library: (dir) => resolveRunConfig({ config: join(dir, "missing.yaml") }),
    exit: 2,
    message: /missing\.yaml: no such config file/,
  },
];
