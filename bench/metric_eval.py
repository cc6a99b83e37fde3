#!/usr/bin/python3
"""Metric-learning evaluation (issue #4): metricdb's learners against
Euclidean and scikit-learn's NeighborhoodComponentsAnalysis, same run, same
splits. Prints a markdown table.

    bench/metric_eval.py [--eval-cap 2000] [--nca-cap 2000] [--no-fmnist] [--repeats 7]

Datasets: iris, wine, digits (scikit-learn; stratified 70/30 split by record,
seed 1), Fashion-MNIST 60k train / 10k test (bench/data, from
prepare_fashion_mnist.py) on raw 784-d pixels and on PCA-64 (fitted on the
training part). Evaluation: leave-one-out retrieval among at most --eval-cap
evaluation records (a seeded sample), the same file for every method.
NCA is O(n^2) in memory and time, so it trains on a stratified sample of at
most --nca-cap training records (all of iris, wine, digits); metricdb's
learners train on the whole training part. Times are learning only; on the
small datasets (<= 2000 training records, where a run takes milliseconds and
this machine's noise is of the same order) each is the median of --repeats
runs, for metricdb and NCA alike.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
from sklearn import datasets
from sklearn.decomposition import PCA
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.model_selection import train_test_split
from sklearn.neighbors import NeighborhoodComponentsAnalysis

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "bench", "data", "metric_eval")
BINARY = os.path.join(ROOT, "build", "bench", "metric_eval")


# Besides the engine's defaults: configurations a user would pick for large,
# high-dimensional data (a smaller map, a training sample; both are
# LearnMetric options: d_out, max_records).
CONFIGURED = {
    "fmnist784": [(" (d_out 64, 10000 records)",
                   ["--methods", "triplet", "--d-out", "64", "--max-records", "10000"])],
}


def quality(x, y):
    """P@1, R-Precision, MAP@R (leave-one-out), ROC AUC and EER over all pairs;
    numpy's own implementation, independent of the engine's."""
    x = x.astype(np.float64)
    sq = (x * x).sum(1)
    d = np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2 * x @ x.T, 0))
    np.fill_diagonal(d, np.inf)
    counts = {c: n for c, n in zip(*np.unique(y, return_counts=True))}
    p1 = rp = mapr = 0.0
    queries = 0
    for i in range(len(y)):
        r = counts[y[i]] - 1
        if r == 0:
            continue
        queries += 1
        order = np.argsort(d[i], kind="stable")[:r]
        rel = y[order] == y[i]
        p1 += rel[0]
        rp += rel.mean()
        mapr += (np.cumsum(rel) / np.arange(1, r + 1))[rel].sum() / r
    iu = np.triu_indices(len(y), 1)
    same = (y[:, None] == y[None, :])[iu]
    dist = d[iu]
    fpr, tpr, _ = roc_curve(same, -dist)
    k = np.argmin(np.abs(fpr - (1 - tpr)))
    return {"p_at_1": p1 / queries, "r_precision": rp / queries, "map_at_r": mapr / queries,
            "roc_auc": roc_auc_score(same, -dist), "eer": (fpr[k] + 1 - tpr[k]) / 2,
            "queries": queries}


def save_split(dirname, name, part, x, y):
    """Writes what build/bench/metric_eval reads: DIR/NAME_PART.npy and labels."""
    np.save(os.path.join(dirname, "%s_%s.npy" % (name, part)), x.astype(np.float32))
    with open(os.path.join(dirname, "%s_%s_labels.txt" % (name, part)), "w") as f:
        f.writelines("c%d\n" % c for c in y)


def sample(x, y, cap, seed=1):
    if len(y) <= cap:
        return x, y
    keep, _ = train_test_split(np.arange(len(y)), train_size=cap, stratify=y, random_state=seed)
    keep.sort()
    return x[keep], y[keep]


def load_datasets(args):
    out = []
    for name, loader in [("iris", datasets.load_iris), ("wine", datasets.load_wine),
                         ("digits", datasets.load_digits)]:
        x, y = loader(return_X_y=True)
        xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.3, stratify=y, random_state=1)
        out.append((name, xtr, ytr, xte, yte))
    if args.fmnist:
        data = os.path.join(ROOT, "bench", "data")
        if not os.path.exists(os.path.join(data, "train.npy")):
            subprocess.check_call([sys.executable, os.path.join(ROOT, "bench",
                                                                "prepare_fashion_mnist.py"), data])
        xtr = np.load(os.path.join(data, "train.npy"))
        xte = np.load(os.path.join(data, "test.npy"))
        names = {}
        ytr, yte = [np.array([names.setdefault(v.strip(), len(names))
                              for v in open(os.path.join(data, f))])
                    for f in ("train_labels.txt", "test_labels.txt")]
        out.append(("fmnist784", xtr, ytr, xte, yte))
        pca = PCA(64, random_state=1).fit(xtr)
        out.append(("fmnist_pca64", pca.transform(xtr), ytr, pca.transform(xte), yte))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--eval-cap", type=int, default=2000)
    ap.add_argument("--nca-cap", type=int, default=2000)
    ap.add_argument("--no-fmnist", dest="fmnist", action="store_false")
    ap.add_argument("--repeats", type=int, default=7,
                    help="learning times on datasets of at most 2000 training records are the "
                         "median of this many runs (metricdb's and NCA's alike)")
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    rows = []
    for name, xtr, ytr, xte, yte in load_datasets(args):
        xev, yev = sample(xte, yte, args.eval_cap)
        save_split(OUT, name, "train", xtr, ytr)
        save_split(OUT, name, "eval", xev, yev)
        repeats = args.repeats if len(ytr) <= 2000 else 1
        for label, extra in [("", [])] + CONFIGURED.get(name, []):
            extra = extra + ["--repeats", str(repeats)]
            run = subprocess.run([BINARY, "--dir", OUT, "--dataset", name] + extra, check=True,
                                 capture_output=True, text=True)
            for r in [json.loads(line) for line in run.stdout.splitlines()]:
                if label and r["method"] == "euclidean":
                    continue
                rows.append((name, "metricdb " + r["method"] + label, r.get("quality"),
                             r["seconds"], r["train"], r.get("error")))
        # Reference: numpy's Euclidean on the same file (cross-checks the engine's
        # evaluation), then scikit-learn NCA.
        xev32 = np.load(os.path.join(OUT, name + "_eval.npy"))
        rows.append((name, "numpy euclidean (check)", quality(xev32, yev), 0, 0, None))
        xn, yn = sample(xtr.astype(np.float32), ytr, args.nca_cap)
        times = []
        for _ in range(repeats):
            nca = NeighborhoodComponentsAnalysis(random_state=0)
            start = time.time()
            nca.fit(xn, yn)
            times.append(time.time() - start)
        seconds = float(np.median(times))
        rows.append((name, "sklearn NCA", quality(nca.transform(xev32), yev), seconds, len(yn),
                     None))
        print("done", name, file=sys.stderr, flush=True)

    print("| dataset | method | trained on | P@1 | MAP@R | EER | ROC AUC | learn s |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for name, method, q, seconds, n, err in rows:
        if q is None:
            print("| %s | %s | %d | error: %s | | | | %.3f |" % (name, method, n, err, seconds))
            continue
        print("| %s | %s | %s | %.3f | %.3f | %.3f | %.3f | %.3f |" % (
            name, method, n if n else "", q["p_at_1"], q["map_at_r"], q["eer"], q["roc_auc"],
            seconds))
    print()
    print("| dataset | best metricdb P@1 (method) | NCA P@1 | fastest metricdb method with "
          "P@1 >= NCA | its learn s | NCA learn s | speed-up |")
    print("|---|---|---:|---|---:|---:|---:|")
    for name in dict.fromkeys(r[0] for r in rows):
        mine = [r for r in rows if r[0] == name and r[1].startswith("metricdb ")
                and r[1] != "metricdb euclidean" and r[2] is not None]
        nca = [r for r in rows if r[0] == name and r[1] == "sklearn NCA"][0]
        best = max(mine, key=lambda r: (r[2]["p_at_1"], -r[3]))
        good = [r for r in mine if r[2]["p_at_1"] >= nca[2]["p_at_1"]]
        line = "| %s | %.3f (%s) | %.3f | " % (name, best[2]["p_at_1"], best[1][9:],
                                              nca[2]["p_at_1"])
        if good:
            fast = min(good, key=lambda r: r[3])
            line += "%s (%.3f) | %.3f | %.3f | %.0fx |" % (
                fast[1][9:], fast[2]["p_at_1"], fast[3], nca[3], nca[3] / max(fast[3], 1e-6))
        else:
            line += "none | | %.3f | |" % nca[3]
        print(line)

if __name__ == "__main__":
    main()
