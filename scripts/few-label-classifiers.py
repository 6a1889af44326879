"""Is the 10-label probe the limit, or the features? Few-label classifiers on frozen Fashion-MNIST
embeddings (written by scripts/save-fashion-embeddings.mts) and on raw pixels, 3 seeded draws of
10 labels per class, scored on the 10,000 test images (scikit-learn; a research check, not a probe
pretext ships). Prints one line per classifier: the protocol's (StandardScaler fitted on the whole
pool + LogisticRegression C=1) and others at several strengths, including SimpleShot's nearest
class mean on centred, L2-normalized features and PCA-whitened variants.

/usr/bin/python3 scripts/few-label-classifiers.py [/tmp/fm]"""
import gzip
import sys

import numpy as np
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

FASHION = "/usr/share/datasets/fashion-mnist/"


def idx(path):
    with gzip.open(path) as f:
        data = f.read()
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(data[3])]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * len(dims)).reshape(dims)


raw_train = idx(FASHION + "train-images-idx3-ubyte.gz").reshape(60000, -1).astype(np.float32) / 255
raw_test = idx(FASHION + "t10k-images-idx3-ubyte.gz").reshape(10000, -1).astype(np.float32) / 255
y_train = idx(FASHION + "train-labels-idx1-ubyte.gz").astype(int)
y_test = idx(FASHION + "t10k-labels-idx1-ubyte.gz").astype(int)
prefix = sys.argv[1] if len(sys.argv) > 1 else "/tmp/fm"
feat_train = np.fromfile(prefix + "-train.f32", dtype=np.float32).reshape(60000, -1)
feat_test = np.fromfile(prefix + "-test.f32", dtype=np.float32).reshape(10000, -1)
assert (np.fromfile(prefix + "-train.labels", dtype=np.int32) == y_train).all(), "embeddings are not in the IDX order"

rng = np.random.default_rng(0)
draws = [np.concatenate([rng.choice(np.where(y_train == c)[0], 10, replace=False) for c in range(10)]) for _ in range(3)]


def logistic(x, y, x_test, c):
    return (LogisticRegression(C=c, max_iter=3000).fit(x, y).predict(x_test) == y_test).mean()


def nearest_class_mean(x, y, x_test):
    means = np.stack([x[y == c].mean(0) for c in range(10)])
    means /= np.linalg.norm(means, axis=1, keepdims=True)
    return ((x_test @ means.T).argmax(1) == y_test).mean()


def unit(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


for name, (train, test) in {"raw pixels": (raw_train, raw_test), "embeddings": (feat_train, feat_test)}.items():
    results = {}
    scaler = StandardScaler().fit(train)
    s_train, s_test = scaler.transform(train), scaler.transform(test)
    mean = train.mean(0)
    n_train, n_test = unit(train - mean), unit(test - mean)
    for c in [0.01, 0.1, 1]:
        results[f"standardized + logistic C={c}"] = [logistic(s_train[d], y_train[d], s_test, c) for d in draws]
    for c in [1, 10, 100]:
        results[f"centred L2 + logistic C={c}"] = [logistic(n_train[d], y_train[d], n_test, c) for d in draws]
    results["centred L2 + nearest class mean"] = [nearest_class_mean(n_train[d], y_train[d], n_test) for d in draws]
    for k in [32, 64, 128]:
        pca = PCA(k, whiten=True, random_state=0).fit(train)
        p_train, p_test = pca.transform(train), pca.transform(test)
        results[f"PCA-whitened {k} + L2 + nearest class mean"] = [nearest_class_mean(unit(p_train[d]), y_train[d], unit(p_test)) for d in draws]
        results[f"PCA-whitened {k} + logistic C=0.1"] = [logistic(p_train[d], y_train[d], p_test, 0.1) for d in draws]
    for label, accuracies in results.items():
        print(f"{name}: {label}: {100 * np.mean(accuracies):.1f} ± {100 * np.std(accuracies):.1f}", flush=True)
