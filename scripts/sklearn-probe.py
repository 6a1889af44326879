#!/usr/bin/python3
"""The PyTorch anchor's probe (scikit-learn) on embeddings written by pretext.

Run from the repository root, after `npx tsx examples/simclr-mnist.ts --embeddings-out FILE`:
    /usr/bin/python3 scripts/sklearn-probe.py FILE.safetensors

Why: our 10-label probe (src/eval/linear-probe.ts, Adam on the sklearn-equivalent objective, our
own label draws) is compared with the anchor's (/work/shared/anchors/pytorch/simclr_mnist.py,
probe_suite). Running the anchor's protocol on our own embeddings says how much of a gap between
the two is the probe rather than the encoder.

The protocol, as the anchor's probe_suite and main() define it:
  pool order  the anchor keeps its 9,000 pool digits in the order
              train_test_split(np.arange(10000), test_size=1000, stratify=Y, random_state=0)
              returns them (as scripts/mnist-test-split.py reproduces). The file stores each row's
              index into loadMnist()'s 10,000 digits, and together the pool and test rows cover all
              10,000, so Y is rebuilt from the file and the split re-made here; the pool rows are
              then permuted into that order. Only the label draws depend on it.
  draws       for seed s in 0..4: np.random.RandomState(s), then for each class c = 0..9 in turn,
              rng.choice(pool positions of class c, 10, replace=False) from that one generator.
  linear      StandardScaler fit on all 9,000 pool embeddings, applied to pool and test;
              LogisticRegression(C=1.0, max_iter=2000) (lbfgs, multinomial) on all 9,000 labels and
              on each draw's 100; test accuracy; mean and population std over the draws.
  kNN         KNeighborsClassifier(n_neighbors=20, metric='cosine', algorithm='brute'), uniform
              votes, on the raw (unstandardized) embeddings: all 9,000 labels, and each draw's 100.

Prints one JSON line on stdout. numpy and scikit-learn only (the safetensors file is parsed here).
"""
import json
import struct
import sys
import warnings

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler

NUMPY_DTYPES = {'F64': '<f8', 'F32': '<f4', 'I64': '<i8', 'I32': '<i4', 'I16': '<i2', 'I8': 'i1',
                'U64': '<u8', 'U32': '<u4', 'U16': '<u2', 'U8': 'u1', 'BOOL': '?'}
SEEDS = range(5)  # the anchor's main(): label_subsets(y_pool, 10, range(5)), whatever --seed is
PER_CLASS = 10
CLASSES = 10


def read_safetensors(path):
    """(tensors by name, metadata): an 8-byte little-endian header length, that many bytes of JSON
    naming each tensor's dtype, shape and [begin, end) byte range in the data that follows."""
    with open(path, 'rb') as f:
        raw = f.read()
    (header_len,) = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + header_len].decode('utf-8'))
    data = memoryview(raw)[8 + header_len:]
    metadata = header.pop('__metadata__', {})
    tensors = {}
    for name, info in header.items():
        begin, end = info['data_offsets']
        dtype = np.dtype(NUMPY_DTYPES[info['dtype']])
        values = np.frombuffer(data[begin:end], dtype=dtype)
        tensors[name] = values.reshape(info['shape']).copy()
    return tensors, metadata


def anchor_pool_order(pool_idx, pool_y, test_idx, test_y):
    """Row permutation taking the file's pool rows into the anchor's pool order."""
    total = len(pool_idx) + len(test_idx)
    y_all = np.full(total, -1, dtype=np.int64)
    y_all[pool_idx] = pool_y
    y_all[test_idx] = test_y
    if (y_all < 0).any():
        sys.exit(f'the file\'s pool and test indices do not cover 0..{total - 1}')
    anchor_pool, anchor_test = train_test_split(np.arange(total), test_size=len(test_idx), stratify=y_all,
                                                random_state=0)
    if not np.array_equal(np.sort(anchor_test), np.sort(test_idx)):
        sys.exit('the file\'s test digits are not the anchor\'s test split')
    row_of = np.empty(total, dtype=np.int64)
    row_of[pool_idx] = np.arange(len(pool_idx))
    return row_of[anchor_pool]


def anchor_draws(y_pool):
    """The anchor's 5 label subsets: positions into the (anchor-ordered) pool."""
    draws = []
    for s in SEEDS:
        rng = np.random.RandomState(s)
        picked = [rng.choice(np.flatnonzero(y_pool == c), PER_CLASS, replace=False) for c in range(CLASSES)]
        draws.append(np.concatenate(picked))
    return draws


def logistic_accuracy(x, y, x_test, y_test):
    clf = LogisticRegression(C=1.0, max_iter=2000).fit(x, y)
    return float((clf.predict(x_test) == y_test).mean()), int(clf.n_iter_.max())


def knn_accuracy(x, y, x_test, y_test):
    knn = KNeighborsClassifier(n_neighbors=20, metric='cosine', algorithm='brute').fit(x, y)
    return float((knn.predict(x_test) == y_test).mean())


def main():
    if len(sys.argv) != 2:
        sys.exit('usage: /usr/bin/python3 scripts/sklearn-probe.py EMBEDDINGS.safetensors')
    path = sys.argv[1]
    t, metadata = read_safetensors(path)
    order = anchor_pool_order(t['pool_indices'], t['pool_labels'], t['test_indices'], t['test_labels'])
    f_pool, y_pool = t['pool_embeddings'][order], t['pool_labels'][order]
    f_test, y_test = t['test_embeddings'], t['test_labels']
    draws = anchor_draws(y_pool)

    scaler = StandardScaler().fit(f_pool)
    s_pool, s_test = scaler.transform(f_pool), scaler.transform(f_test)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always', ConvergenceWarning)
        linear_all, linear_all_iters = logistic_accuracy(s_pool, y_pool, s_test, y_test)
        linear_100 = [logistic_accuracy(s_pool[d], y_pool[d], s_test, y_test)[0] for d in draws]
    knn_100 = [knn_accuracy(f_pool[d], y_pool[d], f_test, y_test) for d in draws]
    print(json.dumps({
        'script': 'scripts/sklearn-probe.py',
        'file': path,
        'metadata': metadata,
        'sklearn': sklearn.__version__,
        'numpy': np.__version__,
        'n_pool': int(len(y_pool)),
        'n_test': int(len(y_test)),
        'dim': int(f_pool.shape[1]),
        'linear_all': linear_all,
        'linear_all_iters': linear_all_iters,
        'linear_100': linear_100,
        'linear_100_mean': float(np.mean(linear_100)),
        'linear_100_std': float(np.std(linear_100)),
        'convergence_warnings': sum(issubclass(w.category, ConvergenceWarning) for w in caught),
        'knn20_all': knn_accuracy(f_pool, y_pool, f_test, y_test),
        'knn20_100': knn_100,
        'knn20_100_mean': float(np.mean(knn_100)),
        # the draws as indices into loadMnist()'s 10,000 digits, so another probe can reuse them
        'draws_mnist_indices': [t['pool_indices'][order][d].tolist() for d in draws],
    }))


if __name__ == '__main__':
    main()
