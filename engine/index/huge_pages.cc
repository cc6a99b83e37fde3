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

void PreferHugePages(void* data, size_t bytes, size_t used) {
  const uintptr_t begin = reinterpret_cast<uintptr_t>(data);
  AdviseHugeAligned(begin, begin + bytes, MADV_HUGEPAGE);
  AdviseHugeAligned(begin, begin + std::min(used, bytes), MADV_COLLAPSE);
}

}  // namespace metricdb
