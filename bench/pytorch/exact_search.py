#!/usr/bin/python3
"""PyTorch's side of the search rows of `npm run bench` (bench/mining.ts --search N --keep).

Brute-force cosine top-k as one would write it in PyTorch: the vectors scaled to unit length
once, then per query one matrix-vector product and `topk`, one query at a time (the latency a
user sees), 2 threads, OMP_WAIT_POLICY=PASSIVE (../shared/anchors/pytorch/README.md). Reads the
very vectors and queries bench/mining.ts wrote, and checks its top 10 of the first query against
the one pretext's exact search found.

Usage: /usr/bin/python3 bench/pytorch/exact_search.py VECTORS.f32 QUERIES.f32 DIM [TRUTH_IDS_JSON]
Prints one JSON object: {"p50_ms", "p99_ms", "queries", "vectors", "matches_truth"}.
"""
import json
import os
import sys
import time

os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')
import numpy as np  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(2)
vectors_file, queries_file, dim = sys.argv[1], sys.argv[2], int(sys.argv[3])
truth = json.loads(sys.argv[4]) if len(sys.argv) > 4 else None
x = torch.from_numpy(np.fromfile(vectors_file, dtype=np.float32).reshape(-1, dim))
q = torch.from_numpy(np.fromfile(queries_file, dtype=np.float32).reshape(-1, dim))
with torch.inference_mode():
    unit = torch.nn.functional.normalize(x, dim=1).contiguous()

    def search(v):
        s = unit @ torch.nn.functional.normalize(v, dim=0)
        return torch.topk(s, 10).indices

    first = search(q[0])
    times = []
    for i in range(q.shape[0]):
        t0 = time.perf_counter()
        search(q[i])
        times.append((time.perf_counter() - t0) * 1000)
times.sort()
print(json.dumps({
    'p50_ms': times[len(times) // 2],
    'p99_ms': times[min(len(times) - 1, int(0.99 * len(times)))],
    'queries': q.shape[0],
    'vectors': x.shape[0],
    'matches_truth': None if truth is None else sorted(first.tolist()) == sorted(truth),
}))
