# Sourced by the bench/run_*.sh scripts: installs the benchmark's packages,
# builds, prepares Fashion-MNIST in bench/data, and sets the same process
# environment the server gives itself (common/process_setup.h), so that the
# in-process references (raw RocksDB, faiss, sgemv, hnswlib) run under the
# same conditions as metricdb.
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/install-deps.sh --bench
scripts/build.sh > /dev/null
[[ -f bench/data/train.npy ]] || /usr/bin/python3 bench/prepare_fashion_mnist.py bench/data
export GLIBC_TUNABLES=glibc.malloc.hugetlb=1:glibc.malloc.arena_max=1 OMP_WAIT_POLICY=PASSIVE
