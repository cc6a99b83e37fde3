#!/usr/bin/env bash
# Approximate-index benchmark (issue #3): recall/QPS curves on Fashion-MNIST
# (server, faiss in-process, hnswlib) and snapshot restart of an N x 128 HNSW
# collection (default 1M). Prints markdown.
#   bench/run_ann.sh [records-for-restart]
set -euo pipefail
source "$(dirname "$0")/prepare.sh"
build/bench/ann_bench --mode curves --data bench/data
/usr/bin/python3 bench/hnswlib_reference.py bench/data 1000
build/bench/ann_bench --mode restart --records "${1:-1000000}"
