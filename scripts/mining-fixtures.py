#!/usr/bin/python3
"""Golden values for src/mining (test/mining/*.test.ts), from scikit-learn and numpy.

Run from the repository root:
    /usr/bin/python3 scripts/mining-fixtures.py
Writes test/mining/fixtures/mining-golden.json. Every input is drawn here, cast to float32 (the
precision pretext computes in) and stored beside the values computed from it, so the tests read
the same numbers the references saw.
"""
import json

import numpy as np
import sklearn
from sklearn.metrics import average_precision_score, roc_auc_score, silhouette_score
from sklearn.neighbors import LocalOutlierFactor, NearestNeighbors

rng = np.random.RandomState(0)


def f32(a):
    return np.asarray(a, dtype=np.float32)


# Four blobs in 16 dimensions, plus a few points far from all of them: neighbours, LOF, retrieval.
dim = 16
centres = rng.normal(0, 3, size=(4, dim))
labels = np.repeat(np.arange(4), 40)
x = f32(centres[labels] + rng.normal(size=(160, dim)))
outliers = f32(rng.normal(0, 6, size=(8, dim)))
x = np.concatenate([x, outliers])
labels = np.concatenate([labels, np.full(8, 4)])
n = len(x)
k = 10

# Exact cosine neighbours excluding self: sklearn's kneighbors() without X leaves each point out.
nn = NearestNeighbors(n_neighbors=k, metric='cosine', algorithm='brute').fit(x.astype(np.float64))
distances, indices = nn.kneighbors()

lof = LocalOutlierFactor(n_neighbors=k, metric='cosine', algorithm='brute').fit(x.astype(np.float64))

# Full rankings (cosine similarity, ties to the lower index) for precision@k and MAP@R.
unit = x.astype(np.float64) / np.linalg.norm(x.astype(np.float64), axis=1, keepdims=True)
sims = unit @ unit.T
np.fill_diagonal(sims, -np.inf)
ranking = np.argsort(-sims, axis=1, kind='stable')[:, :n - 1]


def precision_at_k(kk):
    return float(np.mean([(labels[ranking[i, :kk]] == labels[i]).mean() for i in range(n)]))


def map_at_r():
    values = []
    for i in range(n):
        r = int((labels == labels[i]).sum()) - 1
        if r == 0:
            continue
        rel = labels[ranking[i, :r]] == labels[i]
        precision = np.cumsum(rel) / np.arange(1, r + 1)
        values.append(float((precision * rel).sum() / r))
    return float(np.mean(values))


# Anomaly metrics: scores rounded to one decimal so that ties occur, and anomalies score higher.
truth = (rng.uniform(size=300) < 0.2).astype(np.int64)
scores = np.round(rng.normal(size=300) + truth * 1.2, 1)

# Silhouette (Euclidean) of a fixed labelling of 120 points.
sil_x = f32(rng.normal(size=(120, 5)) + np.repeat(rng.normal(0, 2, size=(3, 5)), 40, axis=0))
sil_labels = np.repeat(np.arange(3), 40)
flipped = rng.choice(120, 15, replace=False)
sil_labels[flipped] = rng.randint(0, 3, size=15)


def k_center(points, count, selected):
    """Greedy k-center in cosine distance, ties to the lower index."""
    u = points.astype(np.float64) / np.linalg.norm(points.astype(np.float64), axis=1, keepdims=True)
    nearest = np.full(len(points), np.inf)
    taken = np.zeros(len(points), dtype=bool)
    for s in selected:
        taken[s] = True
        nearest = np.minimum(nearest, 1 - u @ u[s])
    picks = []
    for _ in range(count):
        d = np.where(taken, -np.inf, nearest)
        p = int(np.argmax(d))
        picks.append(p)
        taken[p] = True
        nearest = np.minimum(nearest, 1 - u @ u[p])
    return picks


golden = {
    'sklearn': sklearn.__version__,
    'dim': dim,
    'x': x.ravel().tolist(),
    'labels': labels.tolist(),
    'k': k,
    'neighbour_indices': indices.ravel().tolist(),
    'neighbour_distances': distances.ravel().tolist(),
    'lof': (-lof.negative_outlier_factor_).tolist(),
    'precision_at': {str(kk): precision_at_k(kk) for kk in (1, 5, 10)},
    'map_at_r': map_at_r(),
    'anomaly_scores': scores.tolist(),
    'anomaly_truth': truth.tolist(),
    'roc_auc': float(roc_auc_score(truth, scores)),
    'average_precision': float(average_precision_score(truth, scores)),
    'silhouette_x': sil_x.ravel().tolist(),
    'silhouette_labels': sil_labels.tolist(),
    'silhouette': float(silhouette_score(sil_x.astype(np.float64), sil_labels)),
    'k_center_selected': [3, 100],
    'k_center_picks': k_center(x, 12, [3, 100]),
}
with open('test/mining/fixtures/mining-golden.json', 'w') as f:
    json.dump(golden, f)
print(f"wrote test/mining/fixtures/mining-golden.json (sklearn {sklearn.__version__})")
