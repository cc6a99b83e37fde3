#!/usr/bin/python3
"""hnswlib's side of the HNSW curve in bench/RESULTS.md: Fashion-MNIST, M=32,
ef_construction=200, the same ef_search sweep, exact ground truth from numpy.
Build with all cores; queries one at a time on one thread.

    bench/hnswlib_reference.py [DATA_DIR [QUERIES [EF,EF,...]]]"""
import sys
import time

import hnswlib
import numpy as np

data = sys.argv[1] if len(sys.argv) > 1 else "bench/data"
nq = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
efs = [int(e) for e in sys.argv[3].split(",")] if len(sys.argv) > 3 else [12, 16, 24, 32, 64, 128]
train = np.load(f"{data}/train.npy")
test = np.load(f"{data}/test.npy")[:nq]
# exact ground truth, squared L2 via the expansion
d2 = (test ** 2).sum(1)[:, None] - 2 * test @ train.T + (train ** 2).sum(1)[None, :]
truth = np.argsort(d2, axis=1)[:, :10]

index = hnswlib.Index(space="l2", dim=train.shape[1])
index.init_index(max_elements=train.shape[0], M=32, ef_construction=200, random_seed=1)
t0 = time.perf_counter()
index.add_items(train, np.arange(train.shape[0]))
print(f"hnswlib build: {time.perf_counter() - t0:.1f} s\n")
index.set_num_threads(1)
print("| ef_search | recall@10 hnswlib | hnswlib 1 thread 1 query q/s |")
print("|---|---|---|")
for ef in efs:
    index.set_ef(ef)
    t0 = time.perf_counter()
    labels = np.stack([index.knn_query(test[i:i + 1], k=10)[0][0] for i in range(nq)])
    qps = nq / (time.perf_counter() - t0)
    recall = np.mean([len(set(labels[i]) & set(truth[i])) / 10 for i in range(nq)])
    print(f"| {ef} | {recall:.4f} | {qps:.0f} |")
