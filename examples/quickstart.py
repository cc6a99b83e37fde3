#!/usr/bin/python3
"""metricdb from Python, end to end: a newcomer's first run.

Start the server first (`./run.sh`), then:

    PYTHONPATH=build/python /usr/bin/python3 examples/quickstart.py

(or install the client once with scripts/install-python-client.sh and drop
PYTHONPATH). It loads generated identities (or Fashion-MNIST with
--fashion-mnist), learns a metric from the labels, calibrates a threshold,
identifies known people and strangers, verifies pairs, clusters newcomers,
prints a short report and saves the ROC curves before and after metric
learning as roc.png.
"""
import argparse
import os
import sys

import numpy as np

import metricdb


def generated_identities(n_ids, per, seed):
    """Face-embedding-like data: identity lives in 16 of 64 dims, the rest is
    nuisance (pose, lighting) that Euclidean distance is fooled by."""
    rng = np.random.default_rng(seed)
    centres = np.zeros((n_ids, 64), np.float32)
    centres[:, :16] = rng.normal(0, 1, (n_ids, 16))
    sigma = np.r_[np.full(16, 0.25), np.full(48, 0.7)]
    x = np.repeat(centres, per, axis=0) + rng.normal(0, 1, (n_ids * per, 64)) * sigma
    return x.astype(np.float32), np.repeat(np.arange(n_ids), per), centres, sigma


def fashion_mnist(limit):
    path = "/usr/share/datasets/fashion-mnist"  # Debian: dataset-fashion-mnist
    import gzip
    with gzip.open(os.path.join(path, "train-images-idx3-ubyte.gz")) as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784)[:limit]
    with gzip.open(os.path.join(path, "train-labels-idx1-ubyte.gz")) as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8)[:limit]
    return x.astype(np.float32) / 255, y.astype(int)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--addr", default="127.0.0.1:50051")
    ap.add_argument("--collection", default="quickstart")
    ap.add_argument("--identities", type=int, default=300)
    ap.add_argument("--fashion-mnist", action="store_true",
                    help="use 10000 Fashion-MNIST images, classes as identities")
    ap.add_argument("--out", default=".", help="where roc.png goes")
    args = ap.parse_args()

    db = metricdb.Client(args.addr, timeout=600)
    if args.collection in [c.name for c in db.list_collections()]:
        db.drop_collection(args.collection)
    if args.fashion_mnist:
        x, y = fashion_mnist(10000)
        method = "triplet"
        strangers = None
    else:
        x, y, centres, sigma = generated_identities(args.identities, 5, seed=1)
        method = "kissme"
        rng = np.random.default_rng(2)
        strangers = np.zeros((50, 64), np.float32)
        strangers[:, :16] = rng.normal(0, 1, (50, 16))
        strangers += rng.normal(0, 1, strangers.shape) * sigma
    labels = ["person%d" % c for c in y]
    keys = ["img%d" % i for i in range(len(x))]
    db.create_collection(args.collection, dim=x.shape[1])
    inserted, _ = db.upsert(args.collection, keys, x, labels=labels)
    print("loaded %d records of %d identities (dim %d)" % (inserted, len(set(labels)),
                                                         x.shape[1]))

    # 1. Thresholds under Euclidean distance.
    before = db.calibrate(args.collection, fars=[1e-3, 1e-2, 1e-5])
    # 2. Learn a metric from the labels (identities held out for evaluation).
    version = None
    # Ten classes are too few to hold whole identities out: split by record.
    split = "BY_RECORD" if args.fashion_mnist else "BY_IDENTITY"
    for event in db.learn_metric(args.collection, method, activate=True,
                                 holdout_fraction=0.2, split=split):
        if isinstance(event, metricdb.Progress):
            print("\r  learning: %-10s %3d/%-3d %.1fs" % (event.phase, event.iteration,
                                                         event.iterations,
                                                         event.elapsed_seconds), end="")
        else:
            version = event
    print()
    # 3. Thresholds again, under the learned metric.
    after = db.calibrate(args.collection, fars=[1e-3, 1e-2, 1e-5])

    print("\n%-32s %12s %12s" % ("", "euclidean", method))
    print("%-32s %12.3f %12.3f" % ("held-out P@1", version.before["precision_at_1"],
                                   version.after["precision_at_1"]))
    print("%-32s %12.3f %12.3f" % ("held-out MAP@R", version.before["map_at_r"],
                                   version.after["map_at_r"]))
    print("%-32s %12.4f %12.4f" % ("EER (all labelled pairs)", before.eer, after.eer))
    print("%-32s %12.4f %12.4f" % ("TAR at FAR = 1e-3", before.tars[0], after.tars[0]))

    # 4. Identify: a known person (by a stored record) and, if any, strangers.
    known = db.identify(args.collection, keys=[keys[7]], far=1e-3)[0]
    print("\nidentify %s (a %s record): %s" % (keys[7], labels[7],
                                              "unknown" if known.unknown
                                              else known.identities[0].label))
    if strangers is not None:
        # A stranger meets every template: open-set answers need a FAR far
        # below 1 / (records in the gallery).
        for far in (1e-3, 1e-5):
            unknown = sum(r.unknown for r in db.identify(args.collection, strangers, far=far))
            print("strangers answered unknown at FAR %g: %d of %d" % (far, unknown,
                                                                      len(strangers)))
    # 5. Verify pairs: same person, different people, a record against an identity.
    v = db.verify(args.collection, [(("key", keys[0]), ("key", keys[1])),
                                    (("key", keys[0]), ("key", keys[-1])),
                                    (x[2], ("label", labels[2]))], far=1e-3)
    print("verify same / different / vs own identity:", list(v.same))
    # 6. Cluster: k-means over everything, scored against the labels.
    km = db.cluster(args.collection, method="kmeans", k=len(set(labels)))
    print("k-means into %d clusters: NMI %.3f, BCubed F %.3f" % (
        km.clusters, km.quality["nmi"], km.quality["bcubed_f"]))

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.plot(before.curve_far, before.curve_tar, label="euclidean (EER %.3f)" % before.eer)
    ax.plot(after.curve_far, after.curve_tar, label="%s (EER %.3f)" % (method, after.eer))
    ax.set_xscale("log")
    ax.set_xlabel("false accept rate")
    ax.set_ylabel("true accept rate")
    ax.set_title("Verification ROC, %s" % args.collection)
    ax.legend(loc="lower right")
    fig.tight_layout()
    out = os.path.join(args.out, "roc.png")
    fig.savefig(out, dpi=100)
    print("\nROC curves saved to", out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
