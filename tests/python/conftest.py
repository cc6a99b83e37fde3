"""A real metricdb server on 127.0.0.1 for the Python client's tests."""
import os
import subprocess
import tempfile
import time

import pytest

import metricdb


@pytest.fixture(scope="module")
def server():
    binary = os.environ["METRICDB_SERVER_BIN"]
    with tempfile.TemporaryDirectory() as tmp:
        port_file = os.path.join(tmp, "port")
        proc = subprocess.Popen(
            [binary, "--listen", "127.0.0.1:0", "--data-dir", os.path.join(tmp, "data"),
             "--port-file", port_file, "--log-level", "warn", "--shutdown-grace-ms", "500",
             "--no-auth"])
        deadline = time.time() + 30
        while not (os.path.exists(port_file) and open(port_file).read().strip()):
            assert proc.poll() is None, "server exited"
            assert time.time() < deadline, "server did not start"
            time.sleep(0.02)
        yield "127.0.0.1:" + open(port_file).read().strip()
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture
def db(server):
    with metricdb.Client(server, timeout=60) as client:
        yield client
