#!/usr/bin/env bash
# The sanitizer and fuzzing pass (issue #6), run by .ci/run after ./test.sh
# (~40 minutes on 2 cores, most of it the two clang builds):
#  1. build-asan: clang, AddressSanitizer + UBSan, the whole test suite, then
#     every libFuzzer target for FUZZ_SECONDS (default 20) from its seed
#     corpus in tests/fuzz/corpus/<target> (new inputs go to a temporary
#     directory; a crash fails the run and leaves its input in build-asan);
#  2. build-tsan: clang, ThreadSanitizer, the concurrency tests (batches under
#     searches, index swaps under searches, concurrent activation, the mixed
#     load, the search pool, rebuilds cancelled by drop and close, the etcd
#     client's watch thread, two-phase metric activation, a sharded
#     collection's scatter and merge, the expiry sweep beside reads),
#     run with OMP_NUM_THREADS=1 (libgomp is not instrumented) and ASLR off
#     (LLVM 14's TSan cannot map memory with a kernel's high mmap entropy);
#     reports from Debian's uninstrumented libraries (absl inside gRPC, whose
#     own atomics TSan cannot see) are ignored, suppressions in tests/tsan.supp.
#   scripts/check-sanitizers.sh [asan|tsan|fuzz ...]   (default: all three)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --sanitizers
steps=("$@")
((${#steps[@]})) || steps=(asan fuzz tsan)
fuzz_seconds=${FUZZ_SECONDS:-20}
jobs=$(nproc)

configure() {  # dir sanitizer [extra cmake args]
  cmake -S . -B "$1" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only -DNDEBUG" \
    -DCMAKE_CXX_COMPILER=clang++ -DMETRICDB_SANITIZE="$2" -DMETRICDB_BUILD_BENCH=OFF \
    "${@:3}" > /dev/null
}

for step in "${steps[@]}"; do
  case "$step" in
    asan)
      configure build-asan address -DMETRICDB_FUZZ=ON
      cmake --build build-asan -j"$jobs"
      (cd build-asan && ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1 \
        ctest --output-on-failure -j2 --timeout 1200 --repeat until-pass:2)
      ;;
    fuzz)
      configure build-asan address -DMETRICDB_FUZZ=ON
      cmake --build build-asan -j"$jobs" --target fuzz_npy fuzz_fvecs fuzz_csv fuzz_hdf5 \
        fuzz_requests
      for target in fuzz_npy fuzz_fvecs fuzz_csv fuzz_hdf5 fuzz_requests; do
        new=$(mktemp -d)
        mkdir -p "tests/fuzz/corpus/$target"
        echo "== $target: ${fuzz_seconds}s"
        # allocator_may_return_null: a huge malloc fails as it does in
        # production (libhdf5 handles that) instead of aborting the run.
        (cd build-asan && ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 \
          "tests/fuzz/$target" \
          -max_total_time="$fuzz_seconds" -timeout=20 -rss_limit_mb=2048 -max_len=4096 \
          -print_final_stats=1 "$new" "../tests/fuzz/corpus/$target" 2>&1 |
          grep -E "^(stat::number_of_executed_units|stat::new_units_added|==[0-9]+==ERROR|SUMMARY)|Done [0-9]+ runs")
        rm -rf "$new"
      done
      ;;
    tsan)
      configure build-tsan thread
      cmake --build build-tsan -j"$jobs" --target engine_test vector_index_test background_work_test \
        metric_learning_test server_e2e_test etcd_client_test two_phase_metric_test sharded_collection_test \
        gallery_test retention_test metricdb-server
      (cd build-tsan && OMP_NUM_THREADS=1 TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ignore_noninstrumented_modules=1 suppressions=$PWD/../tests/tsan.supp" \
        setarch "$(uname -m)" -R ctest --output-on-failure --timeout 1200 --repeat until-pass:2 \
        -R "ConcurrentSearchesNeverSeeHalfABatch|IndexChangesSwapAtomically|ActivationDuringConcurrentSearches|MixedLoad|LongSearchesAreBounded|HnswTombstones|BackgroundWork|EtcdClient|TwoPhase|ShardedCollection|GalleryTest|RetentionTest")
      ;;
    *) echo "unknown step $step" >&2; exit 2 ;;
  esac
done
