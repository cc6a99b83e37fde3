#!/usr/bin/python3
"""Exports scikit-learn's bundled datasets for the tests and benchmarks.

    export_sklearn.py OUT_DIR [NAME ...]   (default: iris wine digits)

Writes OUT_DIR/NAME.npy (float32, n x d, raw features) and
OUT_DIR/NAME_labels.txt (one class name per line, "c0", "c1", ...).
"""
import os
import sys

import numpy as np
from sklearn import datasets

LOADERS = {
    "iris": datasets.load_iris,
    "wine": datasets.load_wine,
    "digits": datasets.load_digits,
}


def main():
    out = sys.argv[1]
    names = sys.argv[2:] or list(LOADERS)
    os.makedirs(out, exist_ok=True)
    for name in names:
        x, y = LOADERS[name](return_X_y=True)
        np.save(os.path.join(out, name + ".npy"), x.astype(np.float32))
        with open(os.path.join(out, name + "_labels.txt"), "w") as f:
            f.writelines("c%d\n" % c for c in y)


if __name__ == "__main__":
    main()
