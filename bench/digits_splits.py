#!/usr/bin/python3
"""Is digits' hold-out P@1 a measure a metric can beat? Euclidean 1-NN P@1
over 10 stratified 70/30 splits (seeds 1-10; leave-one-out among the 30%, as
bench/metric_eval.py evaluates), beside scikit-learn's NCA (as metric_eval
runs it) and maps that change Euclidean least: a
PCA projection onto k directions and within-class whitening shrunk towards
the identity (S = (1 - a) S_w + a tr(S_w)/d I). Prints one line per method:
the mean and each split's P@1.

    /usr/bin/python3 bench/digits_splits.py
"""
import numpy as np
from sklearn import datasets
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split
from sklearn.neighbors import NeighborhoodComponentsAnalysis


def p_at_1(x, y):
    x = x.astype(np.float64)
    sq = (x * x).sum(1)
    d = sq[:, None] + sq[None, :] - 2 * x @ x.T
    np.fill_diagonal(d, np.inf)
    return float((y[d.argmin(1)] == y).mean())


def main():
    x_all, y_all = datasets.load_digits(return_X_y=True)
    scores = {}
    for seed in range(1, 11):
        xt, xe, yt, ye = train_test_split(x_all, y_all, test_size=0.3, stratify=y_all,
                                          random_state=seed)
        scores.setdefault("euclidean", []).append(p_at_1(xe, ye))
        nca = NeighborhoodComponentsAnalysis(random_state=0).fit(xt, yt)
        scores.setdefault("scikit-learn NCA", []).append(p_at_1(nca.transform(xe), ye))
        for k in (20, 30, 40):
            pca = PCA(k).fit(xt)
            scores.setdefault(f"pca {k}", []).append(p_at_1(pca.transform(xe), ye))
        dim = xt.shape[1]
        sw = np.zeros((dim, dim))
        for c in np.unique(yt):
            z = xt[yt == c] - xt[yt == c].mean(0)
            sw += z.T @ z
        sw /= len(xt)
        for a in (0.3, 0.6, 0.9):
            s = (1 - a) * sw + a * np.trace(sw) / dim * np.eye(dim)
            w, v = np.linalg.eigh(s)
            l = (v / np.sqrt(w)).T
            scores.setdefault(f"within-class, shrinkage {a}", []).append(p_at_1(xe @ l.T, ye))
    for name, s in scores.items():
        print(f"{name:28s} mean {np.mean(s):.4f}   " + " ".join(f"{x:.3f}" for x in s))


if __name__ == "__main__":
    main()
