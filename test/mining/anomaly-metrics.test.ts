import { describe, expect, it } from "vitest";
import { averagePrecision, rocAuc } from "../../src/mining/index.js";
import { golden } from "./golden.js";

describe("anomaly metrics", () => {
  it("match scikit-learn's roc_auc_score and average_precision_score on tied scores", () => {
    expect(rocAuc(golden.anomaly_scores, golden.anomaly_truth)).toBeCloseTo(golden.roc_auc, 12);
    expect(averagePrecision(golden.anomaly_scores, golden.anomaly_truth)).toBeCloseTo(golden.average_precision, 12);
  });

  it("count a tie half and give AP as the step-wise area", () => {
    expect(rocAuc([0.5, 0.5], [0, 1])).toBe(0.5);
    expect(rocAuc([0.1, 0.2, 0.9, 0.8], [0, 0, 1, 1])).toBe(1);
    expect(rocAuc([0.9, 0.8, 0.1, 0.2], [0, 0, 1, 1])).toBe(0);
    // ranking: 1 (+), 2 (−), 3 (+): AP = ½·1 + ½·(2/3)
    expect(averagePrecision([0.9, 0.5, 0.1], [1, 0, 1])).toBeCloseTo(0.5 + 1 / 3, 12);
    // all tied: one threshold, precision = the share of anomalies
    expect(averagePrecision([1, 1, 1, 1], [1, 0, 0, 0])).toBe(0.25);
  });

  it("refuse one-class truth and bad flags", () => {
    expect(() => rocAuc([1, 2], [1, 1])).toThrow("needs both classes");
    expect(() => averagePrecision([1, 2], [0, 0])).toThrow("no anomalies");
    expect(() => rocAuc([1, Number.NaN], [0, 1])).toThrow("score [1] is NaN");
    expect(() => rocAuc([1, 2], [0, 2])).toThrow("truth flag [1] is 2");
  });
});
