#!/usr/bin/python3
"""scikit-learn's HistGradientBoostingClassifier on small fixed data sets, as a test fixture.

Regenerate from the repository root (numpy and scikit-learn only, one thread so the sums add up
in one order):
    OMP_NUM_THREADS=1 /usr/bin/python3 scripts/sklearn-gbdt.py > test/fixtures/sklearn/gbdt.json

Why: test/eval/gradient-boosting.test.ts checks pretext's gradient boosting
(src/eval/gradient-boosting.ts), written after this estimator (Debian's scikit-learn 1.2 and
numpy 1.24, /usr/bin/python3), against these numbers: the same defaults, early stopping off as
scripts/table-baselines.py runs it.

The data sets (make_classification, fixed seeds), each split into train and test rows:
  multiclass  4 classes, 8 features, 400 train / 200 test rows: 4 trees per iteration;
  binary      2 classes, 6 features, 700 train / 300 test rows; its continuous features have more
              than 255 distinct values, so their thresholds are quantiles rather than midpoints;
  few_rows    5 classes, 60 train / 200 test rows, as a 1% label draw is: most trees stop at
              a few leaves (min_samples_leaf 20), some at the root;
  coarse      letter-like features: integers 0..15 (so at most 16 bins), 3 classes with one of
              them a single row, 300 train / 150 test rows.
Features are float32 (pretext's dtype), written as the shortest decimal that rounds back to the
same float32, and fitted as float64 of those float32 values, as scripts/table-baselines.py does.

Per data set the fixture holds the rows and labels, test accuracy, every predicted test label,
predict_proba of the first 10 test rows, the bin thresholds of feature 0, and the first
iteration's trees: leaf count and leaf values (sorted; they already include the learning rate).
"""
import json
import sys

import numpy as np
import sklearn
from sklearn.datasets import make_classification
from sklearn.ensemble import HistGradientBoostingClassifier


def float32_list(a):
    return [float(repr(v)) for v in np.asarray(a, dtype=np.float32).ravel()]


def case(x, y, n_train):
    x = np.asarray(x, dtype=np.float32)
    # The float32 values as the fixture stores them (the shortest decimal of each), back in float64.
    x = np.asarray(float32_list(x), dtype=np.float32).astype(np.float64).reshape(x.shape)
    y = np.asarray(y, dtype=np.int64)
    xs, ys, xt, yt = x[:n_train], y[:n_train], x[n_train:], y[n_train:]
    gb = HistGradientBoostingClassifier(early_stopping=False, random_state=0).fit(xs, ys)
    first = []
    for predictor in gb._predictors[0]:
        leaves = predictor.nodes[predictor.nodes["is_leaf"] == 1]["value"]
        first.append({"leaves": int(len(leaves)), "values": sorted(float(v) for v in leaves)})
    return {
        "dim": int(x.shape[1]),
        "numClasses": int(y.max()) + 1,
        "train": {"x": float32_list(xs), "y": [int(v) for v in ys]},
        "test": {"x": float32_list(xt), "y": [int(v) for v in yt]},
        "accuracy": float(gb.score(xt, yt)),
        "predicted": [int(v) for v in gb.predict(xt)],
        "probabilities": [[float(p) for p in row] for row in gb.predict_proba(xt[:10])],
        "thresholds0": [float(t) for t in gb._bin_mapper.bin_thresholds_[0]],
        "firstIteration": first,
    }


def coarse():
    rng = np.random.RandomState(3)
    n = 450
    x = rng.randint(0, 16, size=(n, 6)).astype(np.float64)
    # class 1 when features 0 and 1 are both high, class 0 otherwise; one row of class 2
    y = ((x[:, 0] > 7) & (x[:, 1] > 5)).astype(np.int64)
    flip = rng.uniform(size=n) < 0.1
    y[flip] = 1 - y[flip]
    y[17] = 2
    return x, y


def main():
    x, y = make_classification(n_samples=600, n_features=8, n_informative=5, n_redundant=1, n_classes=4, n_clusters_per_class=2, class_sep=1.0, random_state=0)
    multiclass = case(x, y, 400)
    x, y = make_classification(n_samples=1000, n_features=6, n_informative=3, n_redundant=1, n_classes=2, flip_y=0.05, random_state=1)
    binary = case(x, y, 700)
    x, y = make_classification(n_samples=260, n_features=6, n_informative=4, n_redundant=0, n_classes=5, n_clusters_per_class=1, random_state=2)
    few_rows = case(x, y, 60)
    x, y = coarse()
    coarse_case = case(x, y, 300)
    versions = {"sklearn": sklearn.__version__, "numpy": np.__version__, "python": sys.version.split()[0]}
    json.dump({"versions": versions, "cases": {"multiclass": multiclass, "binary": binary, "few_rows": few_rows, "coarse": coarse_case}}, sys.stdout)


if __name__ == "__main__":
    main()
