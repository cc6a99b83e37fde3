// Process start-up helper shared by the metricdb binaries.
#ifndef METRICDB_COMMON_HUGE_PAGES_H_
#define METRICDB_COMMON_HUGE_PAGES_H_

namespace metricdb {

// glibc backs large allocations (index vectors, RocksDB memtables, request
// buffers) with 4 KiB pages, and touching fresh memory then costs one page
// fault per 4 KiB; with the glibc >= 2.35 tunable glibc.malloc.hugetlb=1 it
// asks for transparent huge pages instead. Bulk loads measured 1.5-2x faster
// with it (bench/RESULTS.md). Tunables are read when a process starts, so
// this re-executes the program once with the tunable set. It does nothing
// when GLIBC_TUNABLES is already set or METRICDB_NO_HUGEPAGES is; if exec
// fails the program simply continues. Call first thing in main().
void ReexecWithHugePages(char** argv);

}  // namespace metricdb

#endif  // METRICDB_COMMON_HUGE_PAGES_H_
