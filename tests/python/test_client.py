"""The Python client against a real server, with NumPy as the oracle."""
import os

import grpc
import numpy as np
import pytest

import metricdb


def identities(n_ids, per, dim, seed, spread=3.0, noise=0.4):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, spread, (n_ids, dim)).astype(np.float32)
    x = np.repeat(centres, per, axis=0) + rng.normal(0, noise, (n_ids * per, dim))
    labels = ["id%d" % (i // per) for i in range(n_ids * per)]
    return x.astype(np.float32), labels


def test_upsert_and_search_equal_brute_force(db):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(500, 16)).astype(np.float32)
    keys = ["k%d" % i for i in range(500)]
    info = db.create_collection("plain", dim=16)
    assert (info.dim, info.metric, info.index) == (16, "l2", "flat")
    assert db.upsert("plain", keys, x, labels=["a" if i % 2 else "b" for i in range(500)],
                     batch_size=64) == (500, 0)
    assert db.upsert("plain", keys[:3], x[:3]) == (0, 3)
    q = rng.normal(size=(5, 16)).astype(np.float32)
    results = db.search("plain", q, k=7)
    d = np.sqrt(((q[:, None, :] - x[None, :, :]) ** 2).sum(-1))
    for r, row in zip(results, d):
        order = np.argsort(row)[:7]
        assert r.keys == [keys[i] for i in order]
        np.testing.assert_allclose(r.distances, row[order], rtol=1e-4, atol=1e-4)
    only_a = db.search("plain", q[0], k=5, labels=["a"])[0]
    assert all(label == "a" for label in only_a.labels)
    found, missing = db.get("plain", ["k1", "nope"], include_vectors=True)
    np.testing.assert_array_equal(found["k1"][1], x[1])
    assert missing == ["nope"]
    assert db.delete("plain", keys=["k1"]) == 1
    assert db.get_collection("plain").records == 499


def test_quantised_hnsw_reranks_to_exact_distances(db):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(3000, 32)).astype(np.float32)
    keys = ["q%d" % i for i in range(3000)]
    info = db.create_collection("sq8", dim=32,
                                index={"hnsw": {"m": 16, "quantization": "sq8", "rerank": 40}})
    assert info.index == "hnsw"
    db.upsert("sq8", keys, x)
    info = db.get_collection("sq8")
    # The full vectors live in a file of the data directory, not in the
    # process memory the index reports; the codes are a byte per dimension.
    assert info.index_vectors_mapped
    assert info.index_vector_bytes == 3000 * 32 * 4
    assert info.index_code_bytes >= 3000 * 32
    assert info.index_memory_bytes == info.index_graph_bytes + info.index_code_bytes
    q = rng.normal(size=(20, 32)).astype(np.float32)
    d = np.sqrt(((q[:, None, :] - x[None, :, :]) ** 2).sum(-1))
    found = 0
    for r, row in zip(db.search("sq8", q, k=10, ef_search=80, rerank=80), d):
        truth = set(np.argsort(row)[:10])
        found += sum(int(k[1:]) in truth for k in r.keys)
        # re-ranked: exact distances of the keys returned
        np.testing.assert_allclose(r.distances, [row[int(k[1:])] for k in r.keys], rtol=1e-4)
    assert found / 200 >= 0.95
    with pytest.raises(metricdb.MetricDBError) as e:
        db.search("sq8", q[0], k=5, rerank=40000)
    assert e.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert "params.rerank" in e.value.message
    # Codes of the 8 principal axes of embeddings with 6 latent factors:
    # a smaller walk, the same exact answers.
    w = rng.normal(size=(6, 32))
    y = (rng.normal(size=(3000, 6)) @ w + 0.05 * rng.normal(size=(3000, 32))).astype(np.float32)
    db.create_collection("pca", dim=32, index={"hnsw": {"quantization": "sq8", "code_dims": 8}})
    db.upsert("pca", keys, y)
    info = db.get_collection("pca")
    assert info.index_code_bytes < 3000 * 32
    qy = (rng.normal(size=(20, 6)) @ w).astype(np.float32)
    dy = np.sqrt(((qy[:, None, :] - y[None, :, :]) ** 2).sum(-1))
    found = 0
    for r, row in zip(db.search("pca", qy, k=10), dy):
        found += len(set(np.argsort(row)[:10]) & {int(k[1:]) for k in r.keys})
        np.testing.assert_allclose(r.distances, [row[int(k[1:])] for k in r.keys], rtol=1e-4)
    assert found / 200 >= 0.95


def test_aliases_and_backup(db):
    rng = np.random.default_rng(5)
    for name in ("v1", "v2"):
        db.create_collection(name, dim=4)
        db.upsert(name, [name + "-%d" % i for i in range(20)],
                  rng.normal(size=(20, 4)).astype(np.float32))
    db.create_alias("current", "v1")
    assert db.search("current", np.zeros(4, np.float32), k=3)[0].keys[0].startswith("v1-")
    db.switch_alias("current", "v2")
    assert db.search("current", np.zeros(4, np.float32), k=3)[0].keys[0].startswith("v2-")
    assert db.list_aliases() == {"current": "v2"}
    with pytest.raises(metricdb.MetricDBError) as e:
        db.drop_collection("v2")
    assert e.value.code == grpc.StatusCode.FAILED_PRECONDITION
    db.delete_alias("current")
    assert db.list_aliases() == {}
    taken = db.backup("py-backup")
    assert taken["files"] > 0 and os.path.isfile(os.path.join(taken["directory"],
                                                              "BACKUP-MANIFEST"))


def test_retention_ttl_and_per_record_expiry(db):
    import time
    rng = np.random.default_rng(6)
    info = db.create_collection("ttl", dim=4, ttl_seconds=1)
    assert info.ttl_seconds == 1
    x = rng.normal(size=(30, 4)).astype(np.float32)
    far = int(time.time() * 1000) + 600_000
    db.upsert("ttl", ["t%d" % i for i in range(30)], x,
              expires_unix_ms=[far if i < 10 else 0 for i in range(30)])
    assert db.count("ttl") == 30
    time.sleep(1.3)
    assert sorted(db.search("ttl", x[0], k=30)[0].keys) == sorted("t%d" % i for i in range(10))
    assert db.count("ttl") == 10 and db.get_collection("ttl").expired_records == 20
    with pytest.raises(metricdb.MetricDBError) as e:
        db.upsert("ttl", ["old"], x[:1], expires_unix_ms=[1000])
    assert "expires_unix_ms" in str(e.value)


def test_errors_raise_with_the_server_message(db):
    with pytest.raises(metricdb.MetricDBError) as e:
        db.search("nosuch", np.zeros(4), k=1)
    assert e.value.code == grpc.StatusCode.NOT_FOUND
    db.create_collection("small", dim=4)
    with pytest.raises(metricdb.MetricDBError) as e:
        db.upsert("small", ["a"], np.zeros((1, 5)))
    assert e.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert "dim 4" in e.value.message
    with pytest.raises(metricdb.MetricDBError) as e:
        db.create_collection("small", dim=4)
    assert e.value.code == grpc.StatusCode.ALREADY_EXISTS


def test_learn_metric_yields_progress_then_the_version(db):
    x, labels = identities(40, 5, 8, seed=2)
    x[:, 4:] += np.random.default_rng(3).normal(0, 6, (len(x), 4))  # nuisance dims
    db.create_collection("learn", dim=8)
    db.upsert("learn", ["r%d" % i for i in range(len(x))], x, labels=labels)
    events = list(db.learn_metric("learn", "triplet", activate=True, epochs=4,
                                  holdout_fraction=0.25))
    progress, version = events[:-1], events[-1]
    assert isinstance(version, metricdb.MetricVersion)
    assert [p.iteration for p in progress if p.phase == "training" and p.iteration > 0] == \
        [1, 2, 3, 4]
    assert version.active and version.version == 1
    assert version.after["precision_at_1"] > version.before["precision_at_1"]
    info = db.get_collection("learn")
    assert (info.active_metric, info.metric_version) == ("mahalanobis", 1)
    # Search distance = ||L (x - y)|| with the stored L.
    l_map = db.get_metric("learn", 1).map
    hit = db.search("learn", x[0], k=3)[0]
    for key, dist in zip(hit.keys, hit.distances):
        y = x[int(key[1:])]
        assert dist == pytest.approx(np.linalg.norm(l_map @ (x[0] - y)), rel=1e-3, abs=1e-3)
    versions, active = db.list_metrics("learn")
    assert active == 1 and len(versions) == 1
    assert db.activate_metric("learn", 0).active_metric == "l2"
    # LMNN with its own option (target_neighbors), stored, not activated.
    lmnn = list(db.learn_metric("learn", "lmnn", target_neighbors=2, holdout_fraction=0.25))[-1]
    assert (lmnn.method, lmnn.version, lmnn.active) == ("lmnn", 2, False)
    assert lmnn.after["precision_at_1"] > lmnn.before["precision_at_1"]


def test_calibrate_identify_verify_cluster(db):
    x, labels = identities(30, 5, 8, seed=4)
    keys = ["p%d" % i for i in range(len(x))]
    db.create_collection("people", dim=8)
    db.upsert("people", keys, x, labels=labels)
    with pytest.raises(metricdb.MetricDBError) as e:
        db.verify("people", [(("key", "p0"), ("key", "p1"))])
    assert e.value.code == grpc.StatusCode.FAILED_PRECONDITION
    cal = db.calibrate("people", fars=[1e-3, 1e-2])
    assert cal.thresholds[0] <= cal.thresholds[1] and cal.roc_auc > 0.99
    assert len(cal.curve_far) >= 2 and not cal.stale
    res = db.identify("people", keys=["p5", "p11"], far=1e-3)
    assert [r.identities[0].label for r in res] == ["id1", "id2"]
    stranger = np.full(8, 100.0, dtype=np.float32)
    assert db.identify("people", stranger, far=1e-3)[0].unknown
    v = db.verify("people", [(("key", "p0"), ("key", "p1")), (x[0], ("label", "id3")),
                             (("key", "p0"), x[1])], far=1e-3)
    assert list(v.same) == [True, False, True]
    assert v.distances[0] == pytest.approx(np.linalg.norm(x[0] - x[1]), rel=1e-4)
    km = db.cluster("people", method="kmeans", k=30, include_centroids=True)
    assert km.clusters == 30 and km.centroids.shape == (30, 8)
    assert km.quality["nmi"] > 0.9
    # A threshold between the farthest same-identity pair and the closest
    # different-identity pair (numpy) recovers the identities exactly.
    d = np.sqrt(((x[:, None, :] - x[None, :, :]) ** 2).sum(-1))
    same = np.array(labels)[:, None] == np.array(labels)[None, :]
    gap = (d[same].max(), d[~same].min())
    assert gap[0] < gap[1]
    th = db.cluster("people", method="threshold", threshold=float(sum(gap) / 2))
    assert th.clusters == 30
    assert th.quality["nmi"] == pytest.approx(1.0)


def test_the_quickstart_example_runs(server, tmp_path):
    import os
    import subprocess
    import sys
    example = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "quickstart.py")
    run = subprocess.run([sys.executable, example, "--addr", server, "--identities", "100",
                          "--out", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "strangers answered unknown at FAR 1e-05" in run.stdout
    assert (tmp_path / "roc.png").stat().st_size > 1000
