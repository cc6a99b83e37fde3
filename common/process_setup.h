// Process start-up helper shared by the metricdb binaries.
#ifndef METRICDB_COMMON_PROCESS_SETUP_H_
#define METRICDB_COMMON_PROCESS_SETUP_H_

namespace metricdb {

// Settings that libraries read from the environment when the process starts,
// chosen by measurement (bench/RESULTS.md), applied by re-executing the
// program once with them set:
// - GLIBC_TUNABLES=glibc.malloc.hugetlb=1:glibc.malloc.arena_max=1: glibc
//   backs the heap with transparent huge pages instead of faulting 4 KiB at a
//   time; bulk loads ran 1.5-2x faster. It does so only for the main arena
//   (and for mmap'd chunks): the per-thread arenas glibc gives other threads
//   grow 4 KiB at a time, and the server's threads (the upsert worker filling
//   RocksDB's memtable, gRPC's receive buffers) took ~60,000 page faults per
//   180 MiB loaded; with one arena, ~3,000, and loads ran 1.2-1.5x faster.
//   Small allocations still come from per-thread caches without the lock.
// - OMP_WAIT_POLICY=PASSIVE: OpenMP threads (FAISS, batched HNSW search,
//   parallel HNSW inserts, split exact scans) sleep when idle instead of
//   spinning, so they do not steal the cores that concurrent RPCs and
//   OpenBLAS threads need; 1.8-2.3x on small batches with two threads.
// A variable the user already set is left alone; METRICDB_NO_REEXEC skips
// the whole step. If exec fails the program simply continues. Call first
// thing in main().
void ReexecWithTunedEnvironment(char** argv);

}  // namespace metricdb

#endif  // METRICDB_COMMON_PROCESS_SETUP_H_
