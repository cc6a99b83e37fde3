#!/usr/bin/python3
"""Converts Debian's dataset-fashion-mnist (idx.gz) into the files the
benchmark and `metricdb load` read: train.npy (60000 x 784 float32),
train_labels.txt (class names, one per line), test.npy (10000 x 784) and
test_labels.txt. Pixel values are scaled to [0, 1]."""
import gzip
import pathlib
import sys

import numpy as np

SRC = pathlib.Path("/usr/share/datasets/fashion-mnist")
CLASSES = ["tshirt", "trouser", "pullover", "dress", "coat",
           "sandal", "shirt", "sneaker", "bag", "boot"]


def images(path):
    with gzip.open(path, "rb") as f:
        data = np.frombuffer(f.read(), dtype=np.uint8, offset=16)
    return (data.reshape(-1, 784).astype(np.float32) / 255.0)


def labels(path):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=8)


def main(out_dir):
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for split, prefix in (("train", "train"), ("test", "t10k")):
        x = images(SRC / f"{prefix}-images-idx3-ubyte.gz")
        y = labels(SRC / f"{prefix}-labels-idx1-ubyte.gz")
        np.save(out / f"{split}.npy", x)
        (out / f"{split}_labels.txt").write_text("".join(CLASSES[c] + "\n" for c in y))
        print(f"{split}: {x.shape[0]} x {x.shape[1]} -> {out}/{split}.npy")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "bench/data")
