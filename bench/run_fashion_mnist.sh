#!/usr/bin/env bash
# The foundation benchmark on Fashion-MNIST (60k train as records with their
# class as label, 10k test as queries). Prints a markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --bench
scripts/build.sh > /dev/null
[[ -f bench/data/train.npy ]] || /usr/bin/python3 bench/prepare_fashion_mnist.py bench/data
# The same malloc settings as metricdb-server, so the in-process references
# (raw RocksDB, faiss) run under the same conditions.
export GLIBC_TUNABLES=glibc.malloc.hugetlb=1
# OpenMP threads that spin after a parallel region steal the second core from
# the other process; both sides sleep instead (issue #8 measures this).
export OMP_WAIT_POLICY=PASSIVE
build/bench/server_bench --data bench/data --cli build/client/metricdb "$@"
