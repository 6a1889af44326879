import { describe, expect, it } from "vitest";
import { dinoCenter, dinoLoss, dinoTargets } from "../../src/losses/dino.js";
import { float64 } from "../../src/runtime/index.js";
import { evaluate1 } from "../helpers/evaluate.js";
import { expectMatchesPytorch, pytorchCases } from "./pytorch-cases.js";

describe("dinoLoss", () => {
  it("matches DINO's reference loss for two crops (value, gradients into the student, zero into the teacher)", async () => {
    for (const c of pytorchCases("dino")) {
      const { student_temp, teacher_temp } = c.options as { student_temp: number; teacher_temp: number };
      await expectMatchesPytorch(c, (s0, s1, t0, t1, center) => dinoLoss(s0!, s1!, t0!, t1!, center!, { studentTemperature: student_temp, teacherTemperature: teacher_temp }));
    }
  });

  it("targets sharpen towards the teacher's top prototype after centring, and rows sum to 1", async () => {
    const t = await evaluate1((x, c) => dinoTargets(x!, c!, 0.04), [float64([1, 3], [1, 0.9, 0]), float64([1, 3], [0, 0.5, 0])]);
    // centred: [1, 0.4, 0]: prototype 0 wins by 0.6 / 0.04 = 15 nats
    expect(t.values[0]).toBeGreaterThan(0.999);
    expect(t.values.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
  });
});

describe("dinoCenter", () => {
  it("moves the centre a tenth of the way to the mean of both views' teacher scores", async () => {
    const c = await evaluate1((c0, a, b) => dinoCenter(c0!, a!, b!, 0.9), [float64([1, 2], [1, 1]), float64([1, 2], [3, 5]), float64([1, 2], [5, 7])]);
    // mean [4, 6]: 0.9·1 + 0.1·4, 0.9·1 + 0.1·6
    expect(c.values[0]).toBeCloseTo(1.3, 12);
    expect(c.values[1]).toBeCloseTo(1.5, 12);
  });
});
