"""A cluster with TLS and tokens on every node: clients and nodes speak TLS,
nodes verify each other against the cluster CA and present the cluster token;
a client token without the admin role cannot reach the node-to-node service."""
import hashlib
import os
import subprocess

import grpc
import numpy as np
import pytest

import metricdb
from cluster_harness import Cluster, Node


def make_certs(root):
    k = "-newkey rsa:2048 -nodes"
    script = (
        f"openssl req -x509 {k} -keyout ca.key -out ca.pem -days 2 -subj /CN=test-ca && "
        f"openssl req {k} -keyout node.key -out node.csr -subj /CN=127.0.0.1 && "
        "printf 'subjectAltName=IP:127.0.0.1' > san.ext && "
        "openssl x509 -req -in node.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
        "-out node.pem -days 2 -extfile san.ext")
    subprocess.run(script, shell=True, cwd=root, check=True, capture_output=True)


@pytest.fixture(scope="module")
def secure():
    cluster = Cluster(0)
    root = cluster.root
    make_certs(root)
    tokens = {"admin": "admin-secret", "read": "read-secret", "node": "node-secret"}
    with open(os.path.join(root, "tokens"), "w") as f:
        for role, token in (("admin", tokens["admin"]), ("read", tokens["read"]),
                            ("admin", tokens["node"])):
            f.write(f"{role} {hashlib.sha256(token.encode()).hexdigest()} {role}\n")
    with open(os.path.join(root, "node-token"), "w") as f:
        f.write(tokens["node"] + "\n")
    extra = ["--tls-cert", os.path.join(root, "node.pem"), "--tls-key",
             os.path.join(root, "node.key"), "--cluster-tls-ca", os.path.join(root, "ca.pem"),
             "--auth-tokens", os.path.join(root, "tokens"), "--cluster-token-file",
             os.path.join(root, "node-token")]
    for i in range(2):
        cluster.nodes.append(Node(root, f"s{i}", cluster.etcd, 3, extra=extra, no_auth=False))
    yield cluster, tokens, os.path.join(root, "ca.pem")
    cluster.close()


def test_tls_and_tokens_across_nodes(secure):
    cluster, tokens, ca = secure
    admin = metricdb.Client(cluster.nodes[0].addr, token=tokens["admin"], tls=ca, timeout=30)
    admin.create_collection("t", 8, shards=4)
    x = np.random.default_rng(2).standard_normal((400, 8)).astype(np.float32)
    keys = [f"k{i:04d}" for i in range(400)]
    admin.upsert("t", keys, x)
    reader = metricdb.Client(cluster.nodes[1].addr, token=tokens["read"], tls=ca, timeout=30)
    hits = reader.search("t", x[:3], k=1)
    assert [h.keys[0] for h in hits] == keys[:3]
    assert reader.get_collection("t").records == 400
    with pytest.raises(metricdb.MetricDBError) as e:
        reader.create_collection("u", 8, shards=2)
    assert e.value.code.name == "PERMISSION_DENIED"
    # Plaintext is refused by a TLS node.
    with pytest.raises(metricdb.MetricDBError) as e:
        metricdb.Client(cluster.nodes[0].addr, token=tokens["admin"], timeout=5).list_collections()
    assert e.value.code.name == "UNAVAILABLE"


def test_node_to_node_service_needs_the_admin_role(secure):
    cluster, tokens, ca = secure
    creds = grpc.ssl_channel_credentials(open(ca, "rb").read())
    with grpc.secure_channel(cluster.nodes[0].addr, creds) as channel:
        # ShardNode.GetShard(ShardRef{collection: "t.0"}), as raw bytes.
        get_shard = channel.unary_unary("/metricdb.cluster.v1.ShardNode/GetShard")
        request = b"\x0a\x03t.0"
        with pytest.raises(grpc.RpcError) as e:
            get_shard(request, metadata=[("authorization", "Bearer " + tokens["read"])],
                      timeout=5)
        assert e.value.code() == grpc.StatusCode.PERMISSION_DENIED
        with pytest.raises(grpc.RpcError) as e:
            get_shard(request, timeout=5)
        assert e.value.code() == grpc.StatusCode.UNAUTHENTICATED
        shards = [s for s in metricdb.Client(cluster.nodes[0].addr, token=tokens["admin"], tls=ca,
                                             timeout=30).cluster_status()["shards"]
                  if s["node"] == "s0"]
        name = f"t.{shards[0]['shard']}".encode()
        reply = get_shard(b"\x0a" + bytes([len(name)]) + name,
                          metadata=[("authorization", "Bearer " + tokens["node"])], timeout=5)
        assert name in reply
