#!/usr/bin/python3
"""Cost of fan-out in cluster mode (issue #18), on Fashion-MNIST (FLAT).

1. Per-shard scan time: one server pinned to one core (taskset -c 0,
   OMP_NUM_THREADS=1) holds the whole collection and, beside it, each of the S
   shards as its own collection (the records ShardOfKey puts there); a batch of
   Q queries is timed on each (best of 3). Each shard's time is compared with
   the single-node time / S.
2. Fan-out latency: p50/p95 of one-query Search on an S-shard collection of
   3 nodes (etcd + nodes on this machine) vs a single node over the same data,
   queried alternately.
Prints a Markdown table for bench/RESULTS.md.

    PYTHONPATH=build/python METRICDB_SERVER_BIN=build/server/metricdb-server \\
        bench/cluster_fanout.py [--records 60000] [--shards 4]
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "cluster"))
from cluster_harness import Cluster, Node, fashion_mnist  # noqa: E402


def shard_of(key: str, shards: int) -> int:
    h = 14695981039346656037
    for c in key.encode():
        h ^= c
        h = (h * 1099511628211) % (1 << 64)
    return h % shards


def best_of(n, fn):
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=60000)
    ap.add_argument("--shards", type=int, default=4)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--latency-queries", type=int, default=300)
    a = ap.parse_args()
    x, labels, q = fashion_mnist(a.records, a.batch)
    keys = [f"r{i:06d}" for i in range(len(x))]
    S = a.shards

    # 1. Scan time per shard, one core.
    cluster = Cluster(3)
    try:
        pinned = Node(cluster.root, "pinned", extra=["--search-threads", "1"],
                      wrapper=["taskset", "-c", "0"], env={"OMP_NUM_THREADS": "1"})
        db = pinned.client(timeout=3600)
        db.create_collection("full", 784)
        db.upsert("full", keys, x, labels=labels)
        part = [shard_of(k, S) for k in keys]
        for s in range(S):
            idx = [i for i, p in enumerate(part) if p == s]
            db.create_collection(f"shard{s}", 784)
            db.upsert(f"shard{s}", [keys[i] for i in idx], x[idx])
        t_full = best_of(3, lambda: db.search("full", q, k=10))
        t_shard = [best_of(3, lambda s=s: db.search(f"shard{s}", q, k=10)) for s in range(S)]
        sizes = [part.count(s) for s in range(S)]
        pinned.stop()

        # 2. Fan-out latency.
        single = Node(cluster.root, "single")
        sdb = single.client(timeout=3600)
        sdb.create_collection("full", 784)
        sdb.upsert("full", keys, x, labels=labels)
        cdb = cluster.nodes[0].client(timeout=3600)
        cdb.create_collection("fm", 784, shards=S)
        cdb.upsert("fm", keys, x, labels=labels)
        lat_single, lat_cluster = [], []
        for i in range(a.latency_queries):
            for client, name, out in ((sdb, "full", lat_single), (cdb, "fm", lat_cluster)):
                t0 = time.perf_counter()
                client.search(name, q[i % len(q)][None, :], k=10)
                out.append(time.perf_counter() - t0)
        t_batch_single = best_of(3, lambda: sdb.search("full", q, k=10))
        t_batch_cluster = best_of(3, lambda: cdb.search("fm", q, k=10))
        single.stop()
    finally:
        cluster.close()

    def ms(v):
        return f"{1000 * v:.2f}"

    per_q = t_full / len(q)
    print(f"\n{len(x)} records x 784, FLAT, k=10, {S} shards, {len(q)}-query batches\n")
    print("| measure | value |")
    print("| --- | --- |")
    print(f"| single node, one core: batch time | {ms(t_full)} ms ({ms(per_q)} ms/query) |")
    for s in range(S):
        ratio = t_shard[s] / (t_full / S)
        print(f"| shard {s} ({sizes[s]} records), one core: batch time | {ms(t_shard[s])} ms "
              f"= {ratio:.3f} x (single / {S}) |")
    p50s, p95s = statistics.median(lat_single), np.percentile(lat_single, 95)
    p50c, p95c = statistics.median(lat_cluster), np.percentile(lat_cluster, 95)
    print(f"| one-query Search p50 / p95, single node | {ms(p50s)} / {ms(p95s)} ms |")
    print(f"| one-query Search p50 / p95, {S} shards on 3 nodes (this 2-core box) | "
          f"{ms(p50c)} / {ms(p95c)} ms ({p50c / p50s:.2f} x) |")
    print(f"| {len(q)}-query batch, single node / cluster | {ms(t_batch_single)} / "
          f"{ms(t_batch_cluster)} ms ({t_batch_cluster / t_batch_single:.2f} x) |")
    # Model for S machines (one shard each, queries spread over coordinators):
    # a query's latency is its slowest shard's scan plus the fan-out overhead
    # measured here (cluster p50 minus the shards' scans run on this box);
    # throughput is S machines' cores divided by the CPU a query costs in all.
    scan = max(t_shard) / len(q)
    overhead = max(0.0, p50c - p50s)
    print(f"\nModel for {S} machines: latency ~ max shard scan {ms(scan)} ms + fan-out "
          f"overhead <= {ms(overhead)} ms; each machine scans 1/{S} of the data per query, "
          f"so QPS ~ {S} x single-node QPS less the per-shard-call cost.")


if __name__ == "__main__":
    main()
