#!/usr/bin/env bash
# A/B speed check of two builds on one machine, in alternating rounds (so
# that the machine's drift hits both alike): load, exact search and HNSW.
#   bench/run_ab.sh OLD_DIR NEW_DIR [ROUNDS]
# Each DIR holds copies of speed_bench, server_bench, metricdb-server and
# metricdb from one build (copies, so that rebuilding does not change them
# mid-run). Prints each run's output under a "== ROUND SIDE" header.
set -euo pipefail
old=$1 new=$2 rounds=${3:-3}
cd "$(dirname "$0")/.."
[[ -f bench/data/train.npy ]] || /usr/bin/python3 bench/prepare_fashion_mnist.py bench/data
export GLIBC_TUNABLES=glibc.malloc.hugetlb=1:glibc.malloc.arena_max=1 OMP_WAIT_POLICY=PASSIVE
for r in $(seq 1 "$rounds"); do
  for side in old new; do
    dir=${!side}
    echo "== round $r $side ($dir)"
    "$dir/speed_bench" --mode all --data bench/data --queries 300 --rounds 2
    METRICDB_SERVER_BIN="$dir/metricdb-server" "$dir/server_bench" --data bench/data \
      --cli "$dir/metricdb" --repeats 1 --single-queries 300 --work /tmp/metricdb-ab
  done
done
