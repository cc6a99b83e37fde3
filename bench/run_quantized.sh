#!/usr/bin/env bash
# Quantised HNSW (issue #23), one run: in-process recall/QPS curves of float
# HNSW, sq8 and sq4 (same M, ef_construction) on Fashion-MNIST beside
# python3-hnswlib's, the same on a RECORDS x 128 synthetic embedding set,
# then the three indexes through the server (batched queries, RSS).
#   bench/run_quantized.sh [RECORDS]   (default 1000000)
set -euo pipefail
source "$(dirname "$0")/prepare.sh"
n=${1:-1000000}
build/bench/quantized_bench --data bench/data --ef 10 12 16 24 32 64 --rerank 10 16 32
build/bench/quantized_bench --data bench/data --ef 10 12 16 --rerank 12 14 16 --filters 0
/usr/bin/python3 bench/hnswlib_reference.py bench/data 1000 10,12,16,24,32,64
# Codes of principal axes (index.hnsw.code_dims): 96 and 128 of the 784.
build/bench/quantized_bench --data bench/data --ef 10 12 16 24 32 64 --rerank 16 24 32 \
  --code-dims 128
build/bench/quantized_bench --data bench/data --ef 10 12 16 24 --rerank 20 24 \
  --code-dims 96 128 --filters 0
build/bench/quantized_bench --synthetic "$n" --m 16 --ef-construction 100 \
  --ef 16 24 32 48 64 --rerank 20 30 40
# Through the server: 4 clients keep the server busy (one leaves it idle ~40%
# of the time between RPCs).
build/bench/quantized_server_bench --data bench/data --queries 5000 --clients 4 \
  --ef 10 12 16 24 32 64 --rerank 12
build/bench/quantized_server_bench --data bench/data --queries 5000 --clients 4 \
  --ef 10 12 16 24 32 --rerank 24 --code-dims 128 --only sq8-p128 sq4
build/bench/quantized_server_bench --synthetic "$n" --m 16 --ef-construction 100 \
  --queries 5000 --clients 4 --ef 16 24 32 48 64 --rerank 30
