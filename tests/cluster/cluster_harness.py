"""Throwaway etcd and metricdb-server processes on free loopback ports, for
the cluster tests and benchmarks. Never touches a system etcd (2379)."""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import metricdb


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, what: str, timeout: float = 30.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on {port}")


class Etcd:
    """etcd on free loopback ports, its data in a temporary directory."""

    def __init__(self, root: str):
        binary = shutil.which("etcd") or "/usr/bin/etcd"
        self.client_port, peer_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.client_port}"
        self.log = open(os.path.join(root, "etcd.log"), "w")
        self.proc = subprocess.Popen(
            [binary, "--name", "test", "--data-dir", os.path.join(root, "etcd"),
             "--listen-client-urls", self.url, "--advertise-client-urls", self.url,
             "--listen-peer-urls", f"http://127.0.0.1:{peer_port}",
             "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer_port}",
             "--initial-cluster", f"test=http://127.0.0.1:{peer_port}"],
            stdout=self.log, stderr=subprocess.STDOUT)
        wait_port(self.client_port, self.proc, "etcd")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.close()


class Node:
    """One metricdb-server; in cluster mode when `etcd` is given."""

    def __init__(self, root: str, name: str, etcd: Etcd = None, lease_s: int = 3,
                 extra=(), wrapper=(), env=None, no_auth=True):
        """wrapper: a command the server runs under (e.g. taskset -c 0); env:
        variables added to its environment."""
        self.name, self.etcd, self.lease_s, self.extra = name, etcd, lease_s, list(extra)
        self.wrapper, self.env = list(wrapper), dict(os.environ, **(env or {}))
        self.no_auth = no_auth
        self.data = os.path.join(root, name)
        self.port = free_port()
        self.addr = f"127.0.0.1:{self.port}"
        self.log_path = os.path.join(root, name + ".log")
        self.proc = None
        self.start()

    def start(self):
        cmd = self.wrapper + [os.environ["METRICDB_SERVER_BIN"], "--listen", self.addr, "--data-dir", self.data,
               "--log-level", "info", "--shutdown-grace-ms", "500",
               "--snapshot-interval-s", "0"] + (["--no-auth"] if self.no_auth else []) + self.extra
        if self.etcd:
            cmd += ["--cluster-etcd", self.etcd.url, "--node-id", self.name,
                    "--cluster-lease-s", str(self.lease_s)]
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, env=self.env)
        wait_port(self.port, self.proc, f"node {self.name}", timeout=60)

    def kill(self):
        """kill -9: no shutdown, no lease revoke."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.log.close()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=60)
        self.log.close()

    def client(self, timeout=120) -> metricdb.Client:
        return metricdb.Client(self.addr, timeout=timeout)


class Cluster:
    """etcd plus `n` nodes, and optionally a single node beside them."""

    def __init__(self, n: int, lease_s: int = 3, single: bool = False):
        self.root = tempfile.mkdtemp(prefix="metricdb-cluster-")
        self.etcd = Etcd(self.root)
        self.nodes = [Node(self.root, f"n{i}", self.etcd, lease_s) for i in range(n)]
        self.single = Node(self.root, "single") if single else None

    def close(self):
        for node in self.nodes + ([self.single] if self.single else []):
            try:
                node.stop()
            except Exception:  # already dead
                pass
        self.etcd.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def fashion_mnist(records: int, queries: int):
    """The first `records` training images and `queries` test images of
    Debian's dataset-fashion-mnist, scaled to [0, 1], with class labels."""
    import gzip
    import numpy as np
    src = "/usr/share/datasets/fashion-mnist"

    def images(name, n):
        with gzip.open(os.path.join(src, name), "rb") as f:
            data = np.frombuffer(f.read(), dtype=np.uint8, offset=16)
        return data.reshape(-1, 784)[:n].astype(np.float32) / 255.0

    def labels(name, n):
        with gzip.open(os.path.join(src, name), "rb") as f:
            return np.frombuffer(f.read(), dtype=np.uint8, offset=8)[:n]

    x = images("train-images-idx3-ubyte.gz", records)
    y = labels("train-labels-idx1-ubyte.gz", records)
    q = images("t10k-images-idx3-ubyte.gz", queries)
    return x, [f"class{c}" for c in y], q
