import { Command } from "commander";
import type { Method } from "../methods/method.js";
import { MODALITIES } from "../data/sample.js";
import { imageRecipe, recipeDefaults } from "../methods/recipes.js";
import { methods, methodsFor } from "../methods/registry.js";
import { CliError, type ExitCodeValue, ExitCode, suggest } from "./errors.js";
import type { Io } from "./progress.js";

/** The method called `name`, or a one-line error listing the names there are. */
export function findMethod(name: string): Method {
  const method = methods[name];
  if (method !== undefined) return method;
  const names = Object.keys(methods);
  throw new CliError(`unknown method "${name}"${suggest(name, names)}; choose one of: ${names.join(", ")} (see \`pretext methods\`)`);
}

export function methodsCommand(io: Io, done: (code: ExitCodeValue) => void): Command {
  return new Command("methods")
    .description("list the self-supervised methods by modality, with a one-line description and their paper")
    .option("--json", "one JSON object per method (name, modalities, family, description, paper, defaults as run, the paper's settings, the image recipe)")
    .action((flags: { json?: boolean }) => {
      const all = Object.values(methods);
      if (flags.json) {
        for (const m of all) {
          const modality = m.modalities[0] ?? "image";
          const recipe = modality === "image" ? { recipe: imageRecipe(m.name) } : {};
          io.stdout.write(`${JSON.stringify({ name: m.name, modalities: m.modalities, family: m.family, description: m.description, paper: m.paper, defaults: recipeDefaults(m, modality), paperDefaults: m.defaults, ...recipe })}\n`);
        }
      } else {
        const width = Math.max(...all.map((m) => m.name.length));
        for (const modality of MODALITIES) {
          const listed = methodsFor(modality);
          if (listed.length === 0) continue;
          io.stdout.write(`${modality}\n`);
          for (const family of [...new Set(listed.map((m) => m.family))]) {
            io.stdout.write(`  ${family}\n`);
            for (const m of listed.filter((x) => x.family === family)) {
              io.stdout.write(`    ${m.name.padEnd(width)}  ${m.description}\n    ${" ".repeat(width)}  ${m.paper}\n`);
              if (modality === "image") io.stdout.write(`    ${" ".repeat(width)}  recipe: ${describeRecipe(m.name)}\n`);
            }
          }
        }
        io.stdout.write("\nOptions of a method go in the `method` section of --config (defaults: pretext methods --json).\n");
        io.stdout.write("An image method's recipe is what it runs by default where that differs from its paper (src/methods/recipes.ts).\n");
      }
      done(ExitCode.ok);
    });
}

/** `batch 128, small-cnn, temperature 1 (measured: …)`: an image recipe on one line. */
function describeRecipe(method: string): string {
  const { batchSize, encoder, options, evidence } = imageRecipe(method);
  const set = Object.entries(options).map(([k, v]) => `${k} ${typeof v === "object" ? JSON.stringify(v) : String(v)}`);
  return `${[`batch ${batchSize}`, encoder, ...set].join(", ")} (${evidence})`;
}
