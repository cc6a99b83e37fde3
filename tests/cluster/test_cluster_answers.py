"""Same answers as one node: on Fashion-MNIST with 3 nodes and S in {1, 2, 4},
Search (FLAT) returns the single node's keys and distances, HNSW recall@10 at a
given ef is at least the single node's, Identify/Verify answers are equal, and
KISSME learned through the cluster with a sample covering every record equals
the single node's map; then the learned metric is put in force in two phases
and searches under it still agree."""
import os

import numpy as np
import pytest

import metricdb
from cluster_harness import Cluster, fashion_mnist

RECORDS = int(os.environ.get("METRICDB_CLUSTER_RECORDS", "20000"))
QUERIES = 1000


@pytest.fixture(scope="module")
def env():
    cluster = Cluster(3, single=True)
    x, labels, q = fashion_mnist(RECORDS, QUERIES)
    keys = [f"r{i:06d}" for i in range(len(x))]  # written in key order
    single = cluster.single.client(timeout=600)
    single.create_collection("fm", 784)
    single.upsert("fm", keys, x, labels=labels)
    yield cluster, x, labels, q, keys, single
    cluster.close()


def same_hits(a, b, tol=1e-5):
    """Equal keys and distances (1e-5); keys may differ only within a tie."""
    assert len(a.keys) == len(b.keys)
    np.testing.assert_allclose(a.distances, b.distances, rtol=tol, atol=tol)
    for i, (ka, kb) in enumerate(zip(a.keys, b.keys)):
        if ka != kb:
            tied = np.abs(b.distances - b.distances[i]) <= tol
            assert ka in np.array(b.keys)[tied] or i >= len(a.keys) - np.sum(tied), (i, ka, kb)


def test_single_node_refuses_shards(env):
    single = env[5]
    with pytest.raises(metricdb.MetricDBError) as e:
        single.create_collection("sharded", 4, shards=2)
    assert e.value.code.name == "INVALID_ARGUMENT"
    assert "schema.shards" in str(e.value) and "--cluster-etcd" in str(e.value)
    assert single.cluster_status()["cluster"] is False


@pytest.mark.parametrize("shards", [1, 2, 4])
def test_flat_search_identify_verify_equal(env, shards):
    cluster, x, labels, q, keys, single = env
    name = f"fm{shards}"
    db = cluster.nodes[0].client(timeout=600)
    info = db.create_collection(name, 784, shards=shards)
    assert info.shards == shards
    db.upsert(name, keys, x, labels=labels)
    # Any node coordinates; the collection sums its shards.
    info = cluster.nodes[1].client().get_collection(name)
    assert info.records == len(x)
    status = db.cluster_status()
    placed = [s for s in status["shards"] if s["collection"] == name]
    assert len(placed) == shards and all(s["node_alive"] for s in placed)

    other = cluster.nodes[2].client(timeout=600)
    got = other.search(name, q, k=10)
    want = single.search("fm", q, k=10)
    for a, b in zip(got, want):
        same_hits(a, b)

    ids_got = other.identify(name, q[:200], top=3, depth=50)
    ids_want = single.identify("fm", q[:200], top=3, depth=50)
    for a, b in zip(ids_got, ids_want):
        assert [i.label for i in a.identities] == [i.label for i in b.identities]
        np.testing.assert_allclose([i.distance for i in a.identities],
                                   [i.distance for i in b.identities], rtol=1e-5, atol=1e-5)
    pairs = [(("key", keys[i]), ("key", keys[i + 1])) for i in range(0, 200, 2)]
    pairs += [(q[i], ("label", labels[i])) for i in range(50)]
    v_got = db.verify(name, pairs, threshold=7.0)
    v_want = single.verify("fm", pairs, threshold=7.0)
    np.testing.assert_allclose(v_got.distances, v_want.distances, rtol=1e-5, atol=1e-5)
    assert list(v_got.same) == list(v_want.same)


def recall(results, truth, k=10):
    return np.mean([len(set(r.keys[:k]) & set(t[:k])) / k for r, t in zip(results, truth)])


@pytest.mark.parametrize("shards", [2, 4])
def test_hnsw_recall_at_least_single_node(env, shards):
    cluster, x, labels, q, keys, single = env
    n, m = min(len(x), 10000), 300
    # Exact neighbours of the first m queries among the first n records.
    d = (q[:m] ** 2).sum(1)[:, None] - 2 * q[:m] @ x[:n].T + (x[:n] ** 2).sum(1)[None, :]
    truth = [[keys[j] for j in np.argsort(row, kind="stable")[:10]] for row in d]
    index = {"hnsw": {"m": 16, "ef_construction": 64}}
    single.create_collection(f"hnsw_single{shards}", 784, index=index)
    single.upsert(f"hnsw_single{shards}", keys[:n], x[:n])
    db = cluster.nodes[1].client(timeout=600)
    db.create_collection(f"hnsw{shards}", 784, index=index, shards=shards)
    db.upsert(f"hnsw{shards}", keys[:n], x[:n])
    for ef in (10, 16):
        r_single = recall(single.search(f"hnsw_single{shards}", q[:m], k=10, ef_search=ef), truth)
        r_cluster = recall(db.search(f"hnsw{shards}", q[:m], k=10, ef_search=ef), truth)
        print(f"S={shards} ef={ef}: recall@10 cluster {r_cluster:.4f}, single {r_single:.4f}")
        assert r_cluster >= r_single


def test_kissme_through_the_cluster_equals_single_node(env):
    cluster, x, labels, q, keys, single = env
    db = cluster.nodes[2].client(timeout=600)
    name = "fm4"  # made by the S = 4 case above
    db.get_collection(name)
    options = dict(max_records=len(x), holdout_fraction=0.2, regularization=0.1, d_out=64)
    got = [m for m in db.learn_metric(name, "kissme", **options)][-1]
    want = [m for m in single.learn_metric("fm", "kissme", **options)][-1]
    assert got.version == want.version == 1
    l_got = db.get_metric(name, 1).map
    l_want = single.get_metric("fm", 1).map
    np.testing.assert_allclose(l_got, l_want, rtol=1e-4, atol=1e-4)
    assert got.after["precision_at_1"] == pytest.approx(want.after["precision_at_1"], abs=1e-9)

    # Two-phase activation: every shard builds beside its index, one etcd
    # transaction flips the version; searches agree under the learned metric.
    info = cluster.nodes[0].client().activate_metric(name, 1)
    assert info.metric_version == 1 and info.active_metric == "mahalanobis"
    single.activate_metric("fm", 1)
    for node in cluster.nodes:
        assert node.client().get_collection(name).metric_version == 1
    for a, b in zip(cluster.nodes[1].client().search(name, q[:200], k=5),
                    single.search("fm", q[:200], k=5)):
        same_hits(a, b, tol=1e-4)
    # Calibration through the cluster lives in etcd; every node reads it.
    cal = db.calibrate(name, fars=[1e-2], max_records=len(x))
    cal_single = single.calibrate("fm", fars=[1e-2], max_records=len(x))
    np.testing.assert_allclose(cal.thresholds, cal_single.thresholds, rtol=1e-4)
    assert cluster.nodes[0].client().get_calibration(name).thresholds[0] == cal.thresholds[0]


def test_cli_create_with_shards_and_cluster_status(env):
    import json
    import subprocess
    cluster = env[0]
    cli = [os.environ["METRICDB_CLI_BIN"], "--addr", cluster.nodes[2].addr, "--json"]
    out = subprocess.run(cli + ["create", "cli3", "--dim", "4", "--shards", "3"],
                         check=True, capture_output=True, text=True).stdout
    assert json.loads(out)["shards"] == 3
    status = json.loads(subprocess.run(cli + ["cluster-status"], check=True,
                                       capture_output=True, text=True).stdout)
    assert status["cluster"] and status["node_id"] == "n2"
    assert sorted(n["id"] for n in status["nodes"]) == ["n0", "n1", "n2"]
    assert all(n["lease_ttl_seconds"] > 0 for n in status["nodes"])
    cli3 = sorted((s["shard"], s["node"]) for s in status["shards"] if s["collection"] == "cli3")
    assert [s for s, _ in cli3] == [0, 1, 2] and len({n for _, n in cli3}) == 3
    text = subprocess.run(cli[:-1] + ["cluster-status"], check=True, capture_output=True,
                          text=True).stdout
    assert "cli3/2" in text and "lease" in text
    single = subprocess.run([os.environ["METRICDB_CLI_BIN"], "--addr", cluster.single.addr,
                             "cluster-status"], check=True, capture_output=True, text=True)
    assert "not a cluster" in single.stdout
