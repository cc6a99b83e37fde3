#include "engine/index/huge_pages.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdint>

namespace metricdb {
namespace {

#ifndef MADV_COLLAPSE
constexpr int MADV_COLLAPSE = 25;  // Linux 6.1 uapi; older headers lack it
#endif

// Calls madvise on the whole huge pages inside [begin, end), if any.
void AdviseHugeAligned(uintptr_t begin, uintptr_t end, int advice) {
  begin = (begin + kHugePageBytes - 1) & ~(kHugePageBytes - 1);
  end &= ~(kHugePageBytes - 1);
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, advice);
}

}  // namespace

void* MapHugeAligned(size_t bytes) {
  const size_t padded = bytes + kHugePageBytes;
  void* p = mmap(nullptr, padded, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  const uintptr_t raw = reinterpret_cast<uintptr_t>(p);
  const uintptr_t begin = (raw + kHugePageBytes - 1) & ~(kHugePageBytes - 1);
  if (begin > raw) munmap(p, begin - raw);
  const uintptr_t end = begin + bytes;
  if (raw + padded > end) munmap(reinterpret_cast<void*>(end), raw + padded - end);
  return reinterpret_cast<void*>(begin);
}

void PreferHugePages(void* data, size_t bytes, size_t used) {
  const uintptr_t begin = reinterpret_cast<uintptr_t>(data);
  AdviseHugeAligned(begin, begin + bytes, MADV_HUGEPAGE);
  AdviseHugeAligned(begin, begin + std::min(used, bytes), MADV_COLLAPSE);
}

}  // namespace metricdb
