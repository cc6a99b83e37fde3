#!/usr/bin/env bash
# Speed benchmark (issue #8), one run: exact search (metricdb vs faiss
# IndexFlatL2 vs OpenBLAS sgemv), HNSW in-process (metricdb vs faiss vs
# python3-hnswlib, one query at a time on one thread, build times), then the
# approximate-index curves through the server (bench/run_ann.sh's first
# part). Prints markdown.
#   bench/run_speed.sh
set -euo pipefail
source "$(dirname "$0")/prepare.sh"
build/bench/speed_bench --mode all --data bench/data --queries 1000
/usr/bin/python3 bench/hnswlib_reference.py bench/data 1000
build/bench/ann_bench --mode curves --data bench/data
build/bench/ann_bench --mode rpc --data bench/data --queries 4000
