"""A node killed with -9 and restarted: calls that need its shards fail fast
with UNAVAILABLE naming the shard and the node (never a partial answer, never
a hang past the deadline), the others go on, and after the restart every
acknowledged write is there."""
import time

import numpy as np
import pytest

import metricdb
from cluster_harness import Cluster


@pytest.fixture
def cluster():
    c = Cluster(3, lease_s=3)
    yield c
    c.close()


def wait_until(predicate, timeout=30.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("condition not reached")


def test_kill_and_restart_keeps_every_acknowledged_write(cluster):
    rng = np.random.default_rng(7)
    db = cluster.nodes[0].client(timeout=10)
    db.create_collection("g", 16, shards=4)
    placement = {s["shard"]: s["node"] for s in db.cluster_status()["shards"]}
    victim = next(n for n in cluster.nodes[1:] if n.name in placement.values())
    acked, failed = {}, []
    batch = 0

    def write(n=50):
        nonlocal batch
        keys = [f"b{batch:04d}-{i:03d}" for i in range(n)]
        x = rng.standard_normal((n, 16)).astype(np.float32)
        batch += 1
        try:
            db.upsert("g", keys, x, labels=[f"p{i % 7}" for i in range(n)])
            acked.update(zip(keys, x))
        except metricdb.MetricDBError as e:
            failed.append(e)

    for _ in range(20):
        write()
    assert not failed

    victim.kill()
    # Writes touching the dead node's shards fail fast, naming shard and node.
    start = time.time()
    for _ in range(5):
        write()
    assert time.time() - start < 8  # five calls, each far below its deadline
    assert failed and all(e.code.name == "UNAVAILABLE" for e in failed)
    assert all(victim.name in str(e) and "shard" in str(e) for e in failed)
    # A search needs every shard: UNAVAILABLE, not a partial answer.
    with pytest.raises(metricdb.MetricDBError) as e:
        cluster.nodes[2 if victim is cluster.nodes[1] else 1].client(timeout=10).search(
            "g", rng.standard_normal((1, 16)), k=5)
    assert e.value.code.name == "UNAVAILABLE" and victim.name in str(e.value)
    # A metric cannot be put in force while a shard is missing: nothing flips.
    with pytest.raises(metricdb.MetricDBError) as e:
        db.set_metric("g", np.eye(16, dtype=np.float32)[:8], activate=True)
    assert e.value.code.name == "UNAVAILABLE" and victim.name in str(e.value)
    # Keys on live shards stay readable meanwhile.
    live_keys = [k for k in list(acked)[:200]
                 if placement[_shard_of(k, 4)] != victim.name][:20]
    found, missing = db.get("g", live_keys)
    assert len(found) == len(live_keys) and not missing
    # Once its lease expires, the node is reported down.
    wait_until(lambda: victim.name not in [n["id"] for n in db.cluster_status()["nodes"]])
    with pytest.raises(metricdb.MetricDBError) as e:
        db.search("g", rng.standard_normal((1, 16)), k=5)
    assert e.value.code.name == "UNAVAILABLE" and "down" in str(e.value)

    victim.start()
    wait_until(lambda: victim.name in [n["id"] for n in db.cluster_status()["nodes"]])
    wait_until(lambda: _search_ok(db))
    keys = list(acked)
    found, missing = db.get("g", keys, include_vectors=True)
    assert not missing and len(found) == len(keys)
    for key, (_, vector) in found.items():
        np.testing.assert_array_equal(vector, acked[key])
    assert db.get_collection("g").records >= len(acked)
    for _ in range(3):
        write()
    assert len(failed) == 5
    assert db.get_collection("g").metric_version == 0
    # The failed attempt stored nothing anywhere; now the version is stored on
    # every shard under one number and goes in force.
    v = db.set_metric("g", np.eye(16, dtype=np.float32)[:8], activate=True)
    assert v.version == 1
    assert cluster.nodes[2].client().get_collection("g").metric_version == 1
    assert [m.version for m in cluster.nodes[1].client().list_metrics("g")[0]] == [1]
    assert _search_ok(db)


def _search_ok(db):
    try:
        db.search("g", np.zeros((1, 16), np.float32) + 0.1, k=1)
        return True
    except metricdb.MetricDBError:
        return False


def _shard_of(key: str, shards: int) -> int:
    """The server's ShardOfKey: FNV-1a 64 of the key's bytes, modulo shards."""
    h = 14695981039346656037
    for c in key.encode():
        h ^= c
        h = (h * 1099511628211) % (1 << 64)
    return h % shards


def test_a_hung_node_holds_a_search_no_longer_than_its_deadline():
    import signal as sig
    from cluster_harness import Node
    c = Cluster(0, lease_s=30)
    try:
        # The coordinator has one search thread: a search stuck on a hung node
        # past its deadline would block the next one.
        coordinator = Node(c.root, "n0", c.etcd, 30, extra=["--search-threads", "1"])
        hung = Node(c.root, "n1", c.etcd, 30)
        c.nodes += [coordinator, hung]
        db = coordinator.client(timeout=30)
        db.create_collection("h", 4, shards=2)
        db.upsert("h", [f"k{i}" for i in range(100)], np.ones((100, 4), np.float32))
        # A one-shard collection on the coordinator itself, which needs no other node.
        for i in range(20):
            db.create_collection(f"own{i}", 4)
            if [s["node"] for s in db.cluster_status()["shards"]
                    if s["collection"] == f"own{i}"] == ["n0"]:
                own = f"own{i}"
                break
        db.upsert(own, ["a", "b"], np.ones((2, 4), np.float32))
        hung.proc.send_signal(sig.SIGSTOP)
        start = time.time()
        with pytest.raises(metricdb.MetricDBError) as e:
            coordinator.client(timeout=1.5).search("h", np.ones((1, 4), np.float32), k=3)
        assert e.value.code.name in ("DEADLINE_EXCEEDED", "UNAVAILABLE")
        assert time.time() - start < 5
        time.sleep(0.5)
        # The search thread is free again: a search on the coordinator's own
        # shard is answered while the other node still hangs.
        assert len(coordinator.client(timeout=5).search(own, np.ones((1, 4), np.float32),
                                                         k=2)[0].keys) == 2
    finally:
        for node in c.nodes:
            if node.proc.poll() is None:
                node.proc.send_signal(sig.SIGCONT)
        c.close()
