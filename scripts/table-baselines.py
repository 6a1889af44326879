"""Baselines on a table benchmark's fixed split, on the exact rows and label draws pretext uses.

Reads the JSON that scripts/table-splits.ts writes (the encoded train/test rows, class ids, and
the stratified draws of every label fraction and seed) and scores, per fraction, mean and
population sd over the draws:
  - gbdt:     scikit-learn's HistGradientBoostingClassifier (defaults; early stopping off so a
              1% draw is not split further), the reference of pretext's `gbdt` (src/eval/gradient-
              boosting.ts; scripts/table-gbdt.ts runs it on the same file), with the CPU and wall
              seconds of fitting and scoring every draw (CPU: the machine is shared);
  - logreg:   LogisticRegression(C=1) on features standardized with the whole training pool, a
              cross-check of pretext's `logreg` (its probe picks the L2 weight on a held-out 20%
              when a draw has >= 50 labels per class, so figures may differ by a point or so);
  - knn_raw:  KNeighborsClassifier(k = min(20, labels), cosine), each neighbour voting
              exp(cos / 0.07) as pretext's `knn_raw` (InstDisc's weighting), a cross-check of it;
  - knn_uniform: the same with one vote per neighbour (scikit-learn's default), for contrast:
              with a handful of rows per class, 20 uniform votes drown the nearest ones.

  OMP_NUM_THREADS=1 /usr/bin/python3 scripts/table-baselines.py /tmp/letter-split.json [--json] [--only gbdt,logreg,knn_raw,knn_uniform]

(One OpenMP thread: on a loaded 2-core machine HistGradientBoosting's threads spin against each other.)
"""
import json
import sys
import time

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier


def temperature_votes(distances):
    # NOTE: scikit-learn's cosine distance is 1 - cos; pretext's kNN votes exp(cos / T), T = 0.07.
    return np.exp((1.0 - distances) / 0.07)


def scores(split, only):
    x = np.asarray(split["train"]["x"], dtype=np.float64).reshape(len(split["train"]["y"]), -1)
    y = np.asarray(split["train"]["y"])
    xt = np.asarray(split["test"]["x"], dtype=np.float64).reshape(len(split["test"]["y"]), -1)
    yt = np.asarray(split["test"]["y"])
    mean, std = x.mean(0), x.std(0)
    std[std == 0] = 1
    zs, zts = (x - mean) / std, (xt - mean) / std
    out = []
    for fraction, draws in split["draws"].items():
        acc = {name: [] for name in only}
        seconds = {name: 0.0 for name in only}
        cpu_seconds = {name: 0.0 for name in only}
        for idx in draws:
            idx = np.asarray(idx)
            k = min(20, len(idx))
            if "gbdt" in only:
                started, cpu_started = time.perf_counter(), time.process_time()
                gb = HistGradientBoostingClassifier(early_stopping=False, random_state=0).fit(x[idx], y[idx])
                acc["gbdt"].append(gb.score(xt, yt))
                seconds["gbdt"] += time.perf_counter() - started
                cpu_seconds["gbdt"] += time.process_time() - cpu_started
            if "logreg" in only:
                lr = LogisticRegression(C=1.0, max_iter=5000).fit(zs[idx], y[idx])
                acc["logreg"].append(lr.score(zts, yt))
            if "knn_raw" in only:
                knn = KNeighborsClassifier(n_neighbors=k, metric="cosine", weights=temperature_votes).fit(x[idx], y[idx])
                acc["knn_raw"].append(knn.score(xt, yt))
            if "knn_uniform" in only:
                knn = KNeighborsClassifier(n_neighbors=k, metric="cosine").fit(x[idx], y[idx])
                acc["knn_uniform"].append(knn.score(xt, yt))
        for name, values in acc.items():
            v = np.asarray(values)
            out.append({"encoder": name, "label_fraction": float(fraction), "labels": len(draws[0]), "accuracy": float(v.mean()), "sd": float(v.std()) if len(v) > 1 else None, "draws": len(v), "seconds": seconds[name] if name == "gbdt" else None, "cpu_seconds": cpu_seconds[name] if name == "gbdt" else None})
    return out


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: table-baselines.py <split.json> [--json] [--only gbdt,logreg,knn_raw,knn_uniform]")
    with open(sys.argv[1]) as f:
        split = json.load(f)
    only = sys.argv[sys.argv.index("--only") + 1].split(",") if "--only" in sys.argv else ["gbdt", "logreg", "knn_raw", "knn_uniform"]
    lines = scores(split, only)
    if "--json" in sys.argv:
        for line in lines:
            print(json.dumps(line))
        return
    print(f"{split['name']}: {len(split['train']['y'])} train / {len(split['test']['y'])} test rows")
    for line in sorted(lines, key=lambda l: (l["encoder"], l["label_fraction"])):
        sd = "" if line["sd"] is None else f" ± {100 * line['sd']:.1f}"
        took = "" if line["seconds"] is None else f"  {line['cpu_seconds']:.2f} s CPU ({line['seconds']:.2f} s wall)"
        print(f"{line['encoder']:11s} {100 * line['label_fraction']:5.0f}% ({line['labels']:5d} rows)  {100 * line['accuracy']:.1f}%{sd}{took}")


if __name__ == "__main__":
    main()
