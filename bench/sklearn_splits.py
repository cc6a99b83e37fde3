#!/usr/bin/python3
"""How much of a P@1 difference on scikit-learn's small datasets is the split?
Hold-out P@1 over 10 stratified 70/30 splits (seeds 1-10; leave-one-out among
the 30%, as bench/metric_eval.py evaluates) of Euclidean, metricdb's LMNN
(build/bench/metric_eval, the engine's defaults), scikit-learn's NCA (as
metric_eval.py runs it) and two maps that change Euclidean least: a PCA
projection onto k directions and within-class whitening shrunk towards the
identity (S = (1 - a) S_w + a tr(S_w)/d I). Prints one line per dataset and
method: the mean, the splits on which it is below / above Euclidean, and each
split's P@1.

    /usr/bin/python3 bench/sklearn_splits.py [digits wine iris]
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from sklearn import datasets
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split
from sklearn.neighbors import NeighborhoodComponentsAnalysis

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from metric_eval import BINARY, quality, save_split  # noqa: E402

LOADERS = {"digits": datasets.load_digits, "wine": datasets.load_wine,
           "iris": datasets.load_iris}


def p_at_1(x, y):
    return quality(x, y)["p_at_1"]


def lmnn(dirname, xt, yt, xe, ye):
    save_split(dirname, "split", "train", xt, yt)
    save_split(dirname, "split", "eval", xe, ye)
    run = subprocess.run([BINARY, "--dir", dirname, "--dataset", "split", "--methods", "lmnn"],
                         check=True, capture_output=True, text=True)
    return [json.loads(line) for line in run.stdout.splitlines()][-1]["quality"]["p_at_1"]


def main():
    names = sys.argv[1:] or list(LOADERS)
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            x_all, y_all = LOADERS[name](return_X_y=True)
            scores = {}
            for seed in range(1, 11):
                xt, xe, yt, ye = train_test_split(x_all, y_all, test_size=0.3, stratify=y_all,
                                                  random_state=seed)
                scores.setdefault("euclidean", []).append(p_at_1(xe, ye))
                scores.setdefault("metricdb lmnn", []).append(lmnn(tmp, xt, yt, xe, ye))
                nca = NeighborhoodComponentsAnalysis(random_state=0).fit(xt, yt)
                scores.setdefault("scikit-learn NCA", []).append(p_at_1(nca.transform(xe), ye))
                dim = xt.shape[1]
                for k in (20, 30, 40):
                    if k < dim:
                        pca = PCA(k, random_state=1).fit(xt)
                        scores.setdefault(f"pca {k}", []).append(p_at_1(pca.transform(xe), ye))
                sw = np.zeros((dim, dim))
                for c in np.unique(yt):
                    z = xt[yt == c] - xt[yt == c].mean(0)
                    sw += z.T @ z
                sw /= len(xt)
                for a in (0.3, 0.6, 0.9):
                    s = (1 - a) * sw + a * np.trace(sw) / dim * np.eye(dim)
                    w, v = np.linalg.eigh(s)
                    l = (v / np.sqrt(w)).T
                    scores.setdefault(f"within-class, shrinkage {a}", []).append(
                        p_at_1(xe @ l.T, ye))
            base = np.array(scores["euclidean"])
            for method, s in scores.items():
                s = np.array(s)
                below, above = int((s < base - 1e-9).sum()), int((s > base + 1e-9).sum())
                print(f"{name:6s} {method:28s} mean {s.mean():.4f}  below/above Euclidean "
                      f"{below:2d}/{above:2d}   " + " ".join(f"{v:.3f}" for v in s), flush=True)


if __name__ == "__main__":
    main()
