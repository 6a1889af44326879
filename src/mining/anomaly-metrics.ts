/**
 * Detection metrics for anomaly scores (higher = more anomalous) against `[n]` truth flags
 * (1 = anomaly, the positive class), as scikit-learn's `roc_auc_score` and
 * `average_precision_score`.
 */

/**
 * Area under the ROC curve: the probability that a random anomaly scores above a random normal
 * item, a tie counting one half (the Mann–Whitney U statistic over n₊·n₋, with mid-ranks).
 */
export function rocAuc(scores: ArrayLike<number>, isAnomaly: ArrayLike<number>): number {
  const order = sortedByScore("rocAuc", scores, isAnomaly, true);
  let positives = 0;
  let rankSum = 0;
  // Walk ascending scores; a run of equal scores shares the mean of its ranks.
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && scores[order[end + 1] as number] === scores[order[start] as number]) end++;
    const midRank = (start + end) / 2 + 1;
    for (let j = start; j <= end; j++) {
      if (isAnomaly[order[j] as number] === 1) {
        positives++;
        rankSum += midRank;
      }
    }
    start = end + 1;
  }
  const negatives = order.length - positives;
  if (positives === 0 || negatives === 0) throw new Error(`rocAuc: needs both classes, got ${positives} anomalies and ${negatives} normal items`);
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/**
 * Average precision, the area under the precision–recall curve as a step function:
 *   AP = Σ_t (R_t − R_{t−1}) · P_t
 * over the distinct score thresholds t from the highest down (all items scoring ≥ t flagged),
 * scikit-learn's definition (no interpolation). Its chance level is the share of anomalies.
 */
export function averagePrecision(scores: ArrayLike<number>, isAnomaly: ArrayLike<number>): number {
  const order = sortedByScore("averagePrecision", scores, isAnomaly, false);
  let total = 0;
  for (let i = 0; i < order.length; i++) total += isAnomaly[order[i] as number] === 1 ? 1 : 0;
  if (total === 0) throw new Error("averagePrecision: no anomalies among the items");
  let truePositives = 0;
  let previousRecall = 0;
  let ap = 0;
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && scores[order[end + 1] as number] === scores[order[start] as number]) end++;
    for (let j = start; j <= end; j++) if (isAnomaly[order[j] as number] === 1) truePositives++;
    const recall = truePositives / total;
    ap += (recall - previousRecall) * (truePositives / (end + 1));
    previousRecall = recall;
    start = end + 1;
  }
  return ap;
}

function sortedByScore(where: string, scores: ArrayLike<number>, isAnomaly: ArrayLike<number>, ascending: boolean): Int32Array {
  if (scores.length !== isAnomaly.length) throw new Error(`${where}: ${scores.length} scores for ${isAnomaly.length} truth flags`);
  for (let i = 0; i < scores.length; i++) {
    if (!Number.isFinite(scores[i] as number)) throw new Error(`${where}: score [${i}] is ${scores[i]}`);
    if (isAnomaly[i] !== 0 && isAnomaly[i] !== 1) throw new Error(`${where}: truth flag [${i}] is ${isAnomaly[i]}, not 0 or 1`);
  }
  const order = Int32Array.from({ length: scores.length }, (_, i) => i);
  return order.sort((a, b) => (ascending ? (scores[a] as number) - (scores[b] as number) : (scores[b] as number) - (scores[a] as number)));
}
