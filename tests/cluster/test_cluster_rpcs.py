"""The rest of the API across shards, against a single node holding the same
records: deletes by key and label, label-filtered search, attribute filters
(search, count, delete), k-means clustering
(with label write-back), uploaded metrics, listing and dropping, errors."""
import numpy as np
import pytest

import metricdb
from cluster_harness import Cluster


@pytest.fixture(scope="module")
def pair():
    cluster = Cluster(3, single=True)
    rng = np.random.default_rng(3)
    centers = rng.standard_normal((20, 16)).astype(np.float32) * 4
    labels = [f"id{i % 20:02d}" for i in range(2000)]
    x = centers[np.arange(2000) % 20] + rng.standard_normal((2000, 16)).astype(np.float32)
    keys = [f"k{i:05d}" for i in range(2000)]
    db = cluster.nodes[0].client()
    single = cluster.single.client()
    for client, shards in ((db, 3), (single, 1)):
        client.create_collection("g", 16, shards=shards)
        client.upsert("g", keys, x, labels=labels)
    yield cluster, db, single, x, keys, labels
    cluster.close()


def test_deletes_by_key_and_label_match_a_single_node(pair):
    cluster, db, single, x, keys, labels = pair
    for client in (db, single):
        assert client.delete("g", keys=keys[:30]) == 30
        assert client.delete("g", labels=["id05", "id06"]) == 200 - 4  # 4 were in keys[:30]
    assert db.get_collection("g").records == single.get_collection("g").records == 2000 - 30 - 196
    got = cluster.nodes[1].client().search("g", x[:50], k=7, labels=["id01", "id02"])
    want = single.search("g", x[:50], k=7, labels=["id01", "id02"])
    for a, b in zip(got, want):
        assert a.keys == b.keys and a.labels == b.labels
    with pytest.raises(metricdb.MetricDBError) as e:
        db.delete("g")
    assert e.value.code.name == "INVALID_ARGUMENT" and "nothing to delete" in str(e.value)


def test_attribute_filters_across_shards_match_a_single_node():
    cluster = Cluster(2, single=True)
    try:
        rng = np.random.default_rng(4)
        x = rng.standard_normal((3000, 8)).astype(np.float32)
        keys = [f"r{i:05d}" for i in range(3000)]
        attrs = [{"camera": f"c{i % 10}", "ts": 1700000000 + i, "vip": i % 3 == 0}
                 for i in range(3000)]
        db, single = cluster.nodes[0].client(), cluster.single.client()
        for client, shards in ((db, 2), (single, 1)):
            client.create_collection("f", 8, shards=shards, attributes={
                "camera": "string", "ts": "timestamp", "vip": "bool"})
            client.upsert("f", keys, x, labels=[f"id{i % 7}" for i in range(3000)],
                          attributes=attrs)
        filters = ['camera IN ("c1", "c7") AND ts >= 1700001000',
                   'vip = true AND NOT label = "id3"',
                   "ts >= 1700002990"]
        for f in filters:
            want = sum(1 for i, a in enumerate(attrs) if eval_filter(f, i, a))
            assert db.count("f", filter=f) == single.count("f", filter=f) == want, f
            got = cluster.nodes[1].client().search("f", x[:20], k=5, filter=f)
            ref = single.search("f", x[:20], k=5, filter=f)
            for a, b in zip(got, ref):
                assert a.keys == b.keys, f
                assert all(eval_filter(f, int(k[1:]), attrs[int(k[1:])]) for k in a.keys)
        # Identities and records: the same pages from two shards as from one.
        sizes = [(f"id{j}", sum(1 for i in range(3000) if i % 7 == j)) for j in range(7)]
        assert db.labels("f", page_size=3) == single.labels("f") == sizes
        f = filters[0]
        assert db.labels("f", filter=f, page_size=2) == single.labels("f", filter=f)
        scanned = [(r.key, r.label, r.attributes) for r in db.scan("f", filter=f, page_size=37)]
        assert scanned == [(r.key, r.label, r.attributes) for r in single.scan("f", filter=f)]
        assert [k for k, *_ in scanned] == [k for i, k in enumerate(keys)
                                            if eval_filter(f, i, attrs[i])]
        for r in db.scan("f", labels=["id2"], include_vectors=True, page_size=100):
            assert np.array_equal(r.vector, x[int(r.key[1:])]) and r.label == "id2"
        assert [i.label for r in db.identify("f", x[:10], filter=f) for i in r.identities] == \
            [i.label for r in single.identify("f", x[:10], filter=f) for i in r.identities]
        near = [[h for h in r.keys] for r in db.search("f", x[:10], k=500, max_distance=2.5)]
        assert near == [r.keys for r in single.search("f", x[:10], k=500, max_distance=2.5)]
        assert all(np.linalg.norm(x[int(k[1:])] - x[q]) <= 2.5 + 1e-5
                   for q, keys_q in enumerate(near) for k in keys_q)
        assert sum(map(len, near)) > 10 * 32  # more than the first widening step
        for client in (db, single):
            assert client.relabel("f", ["id1", "id2"], "id12") == sizes[1][1] + sizes[2][1]
        assert db.labels("f") == single.labels("f")
        assert db.count("f", filter='label = "id12"') == sizes[1][1] + sizes[2][1]
        with pytest.raises(metricdb.MetricDBError) as e:
            db.search("f", x[:1], filter="camera IN (")
        assert e.value.code.name == "INVALID_ARGUMENT" and "at character 12" in str(e.value)
        with pytest.raises(metricdb.MetricDBError):
            db.delete("f", filter="ts >>= 3")
        # Typed: the declarations reached every shard through etcd.
        with pytest.raises(metricdb.MetricDBError) as e:
            db.count("f", filter='ts = "noon"')
        assert "at character 6: type mismatch" in str(e.value)
        with pytest.raises(metricdb.MetricDBError) as e:
            db.upsert("f", ["bad"], x[:1], attributes=[{"ts": "noon"}])
        assert e.value.code.name == "INVALID_ARGUMENT" and "attributes.ts" in str(e.value)
        assert db.get_collection("f").attributes == {"camera": "string", "ts": "timestamp",
                                                     "vip": "bool"}
        assert db.count("f") == 3000
        for client in (db, single):
            assert client.delete("f", filter='camera = "c3"') == 300
        assert db.count("f") == single.count("f") == 2700
    finally:
        cluster.close()


def eval_filter(f, i, a):
    """The three filters above, read by hand (the oracle)."""
    if f.startswith("camera IN"):
        return a["camera"] in ("c1", "c7") and a["ts"] >= 1700001000
    if f.startswith("vip"):
        return a["vip"] and i % 7 != 3
    return a["ts"] >= 1700002990


def test_kmeans_through_the_cluster_equals_a_single_node(pair):
    cluster, db, single, *_ = pair
    got = db.cluster("g", method="kmeans", k=20, seed=5)
    want = single.cluster("g", method="kmeans", k=20, seed=5)
    assert got.keys == want.keys
    assert list(got.assignment) == list(want.assignment)
    assert got.inertia == pytest.approx(want.inertia, rel=1e-5)
    assert got.quality["nmi"] == pytest.approx(want.quality["nmi"], abs=1e-9)


def test_uploaded_metric_is_stored_on_every_shard_and_activated(pair):
    cluster, db, single, x, *_ = pair
    l_map = np.random.default_rng(9).standard_normal((8, 16)).astype(np.float32)
    for client in (db, single):
        v = client.set_metric("g", l_map, activate=True)
        assert v.version == 1 and v.active
    versions, active = cluster.nodes[2].client().list_metrics("g")
    assert active == 1 and [v.version for v in versions] == [1]
    np.testing.assert_allclose(db.get_metric("g", 1).map, l_map)
    for a, b in zip(db.search("g", x[:40], k=5), single.search("g", x[:40], k=5)):
        assert a.keys == b.keys
        np.testing.assert_allclose(a.distances, b.distances, rtol=1e-5, atol=1e-5)
    # Back to the creation metric, in two phases as well.
    assert db.activate_metric("g", 0).metric_version == 0
    with pytest.raises(metricdb.MetricDBError) as e:
        db.activate_metric("g", 7)
    assert e.value.code.name == "NOT_FOUND"


def test_names_errors_listing_and_drop(pair):
    cluster, db, *_ = pair
    with pytest.raises(metricdb.MetricDBError) as e:
        db.create_collection("g", 16, shards=2)
    assert e.value.code.name == "ALREADY_EXISTS"
    with pytest.raises(metricdb.MetricDBError) as e:
        db.create_collection("bad.name", 16, shards=2)
    assert e.value.code.name == "INVALID_ARGUMENT" and "schema.name" in str(e.value)
    with pytest.raises(metricdb.MetricDBError) as e:
        db.create_collection("many", 16, shards=5000)
    assert e.value.code.name == "INVALID_ARGUMENT" and "schema.shards" in str(e.value)
    with pytest.raises(metricdb.MetricDBError) as e:
        db.search("g", np.zeros((1, 15), np.float32), k=3)
    assert e.value.code.name == "INVALID_ARGUMENT" and "queries[0]" in str(e.value)
    db.create_collection("tmp", 4, shards=4)
    assert "tmp" in [c.name for c in cluster.nodes[1].client().list_collections()]
    db.drop_collection("tmp")
    for node in cluster.nodes:
        assert "tmp" not in [c.name for c in node.client().list_collections()]
        with pytest.raises(metricdb.MetricDBError) as e:
            node.client().get_collection("tmp")
        assert e.value.code.name == "NOT_FOUND"
    assert not [s for s in db.cluster_status()["shards"] if s["collection"] == "tmp"]


def test_aliases_are_kept_in_etcd_and_seen_by_every_node(pair):
    cluster, db, single, x, keys, labels = pair
    other = cluster.nodes[2].client()
    db.create_collection("g2", 16, shards=2)
    db.upsert("g2", ["z%d" % i for i in range(50)], x[:50] + 100)
    db.create_alias("live", "g")
    assert other.search("live", x[:3], k=5)[0].keys == db.search("g", x[:3], k=5)[0].keys
    other.switch_alias("live", "g2")  # through another node
    assert all(k.startswith("z") for k in db.search("live", x[:1] + 100, k=5)[0].keys)
    assert cluster.nodes[1].client().list_aliases() == {"live": "g2"}
    assert db.get_collection("live").name == "g2"
    for call, code in ((lambda: db.create_alias("live", "g"), "ALREADY_EXISTS"),
                       (lambda: db.create_alias("g", "g2"), "ALREADY_EXISTS"),
                       (lambda: db.create_collection("live", 16, shards=2), "ALREADY_EXISTS"),
                       (lambda: db.create_alias("a2", "live"), "NOT_FOUND"),
                       (lambda: db.switch_alias("nothing", "g"), "NOT_FOUND"),
                       (lambda: db.drop_collection("g2"), "FAILED_PRECONDITION"),
                       (lambda: db.drop_collection("live"), "FAILED_PRECONDITION")):
        with pytest.raises(metricdb.MetricDBError) as e:
            call()
        assert e.value.code.name == code
    other.delete_alias("live")
    assert db.list_aliases() == {}
    db.drop_collection("g2")


def test_retention_expires_records_on_every_shard(pair):
    import time
    cluster, db, *_ = pair
    db.create_collection("short", 4, shards=3, ttl_seconds=1)
    assert cluster.nodes[1].client().get_collection("short").ttl_seconds == 1
    x = np.random.default_rng(8).standard_normal((60, 4)).astype(np.float32)
    db.upsert("short", ["s%d" % i for i in range(60)], x)
    assert db.count("short") == 60
    time.sleep(1.3)
    assert db.count("short") == 0 and db.search("short", x[:2], k=10)[0].keys == []
    assert db.get_collection("short").expired_records == 60
    db.drop_collection("short")
