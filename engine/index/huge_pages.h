// Transparent huge pages for large index blocks.
//
// A search visits vectors scattered over hundreds of MiB, so with 4 KiB
// pages nearly every visit misses the TLB; 2 MiB pages make HNSW searches
// about 2x faster (bench/RESULTS.md, "Speed"). glibc backs large
// allocations with huge pages (GLIBC_TUNABLES, common/process_setup.h), but
// growing a block with realloc moves it with mremap, which splits every huge
// page whose 2 MiB alignment the move changes back into 4 KiB mappings.
#ifndef METRICDB_ENGINE_INDEX_HUGE_PAGES_H_
#define METRICDB_ENGINE_INDEX_HUGE_PAGES_H_

#include <cstddef>

namespace metricdb {

// The transparent huge page size on x86-64.
inline constexpr size_t kHugePageBytes = size_t(2) << 20;

// For the block [data, data + bytes) of which the first `used` bytes hold
// data: asks for huge pages on the whole block (pages faulted later come
// huge) and rebuilds the used part's huge pages now (MADV_COLLAPSE, Linux
// 6.1+). Best effort: where the kernel cannot or will not, nothing changes
// (the memory's contents never do).
void PreferHugePages(void* data, size_t bytes, size_t used);

// An anonymous mapping of `bytes` (a multiple of kHugePageBytes) aligned to
// kHugePageBytes, zero-filled lazily; nullptr if the system refuses it.
// Release it with munmap(data, bytes).
void* MapHugeAligned(size_t bytes);

}  // namespace metricdb

#endif  // METRICDB_ENGINE_INDEX_HUGE_PAGES_H_
