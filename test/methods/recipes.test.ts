import { afterAll, expect, it } from "vitest";
import { makeEncoder } from "../../src/cli/encoder.js";
import { mnistSplit } from "../../src/data/image/mnist.js";
import { releaseLinearProbes } from "../../src/eval/linear-probe.js";
import type { Method } from "../../src/methods/method.js";
import { pretrain } from "../../src/methods/pretrain.js";
import { IMAGE_RECIPES, imageRecipe, recipeDefaults } from "../../src/methods/recipes.js";
import { methods, methodsFor } from "../../src/methods/registry.js";
import { Rng } from "../../src/random/rng.js";

afterAll(() => releaseLinearProbes());

/**
 * What `pretext pretrain --method M --data mnist` builds by default must train: a recipe's
 * encoder has to fit the method's input (jigsaw's 10×10 tiles are too small for the grid
 * encoder's 3×3 pooling; that recipe once failed before its first step).
 */
it("every image method takes a step with its recipe's encoder and options", async () => {
  const digits = mnistSplit().train.subset(Int32Array.from({ length: 32 }, (_, i) => i));
  const failures: string[] = [];
  for (const method of methodsFor("image") as Method[]) {
    const recipe = imageRecipe(method.name);
    const encoder = makeEncoder(recipe.encoder, digits.spec, new Rng(0));
    try {
      const r = await pretrain({ method, encoder, dataset: digits, batchSize: 16, epochs: 1, maxSteps: 1, seed: 0, methodOptions: recipeDefaults(method, "image") });
      await r.step.release();
      if (!(r.fit.steps === 1)) failures.push(`${method.name}: ${r.fit.steps} steps`);
    } catch (e) {
      failures.push(`${method.name} on ${recipe.encoder}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  expect(failures).toEqual([]);
}, 120_000);

it("every recipe names an image method and overrides only its options", () => {
  for (const [name, recipe] of Object.entries(IMAGE_RECIPES)) {
    const method = methods[name];
    expect(method?.modalities, name).toContain("image");
    expect(() => recipeDefaults(method as Method, "image"), name).not.toThrow();
    expect(recipe.evidence.length, name).toBeGreaterThan(20);
  }
});
