// PreferHugePages: a block grown by realloc keeps its contents and, where the
// kernel offers transparent huge pages, its used part ends up in 2 MiB pages.
#include "engine/huge_pages.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

namespace metricdb {
namespace {

// KiB of AnonHugePages in the mappings of this process that overlap
// [begin, begin + bytes) (madvise splits a block into several).
long HugeKiBIn(const void* begin, size_t bytes) {
  std::ifstream smaps("/proc/self/smaps");
  const auto lo = reinterpret_cast<uintptr_t>(begin), hi = lo + bytes;
  bool overlaps = false;
  long kib = 0;
  for (std::string line; std::getline(smaps, line);) {
    uintptr_t first = 0, last = 0;
    char dash = 0;
    std::istringstream range(line);
    if (range >> std::hex >> first >> dash >> last && dash == '-') {
      overlaps = first < hi && lo < last;
    } else if (overlaps && line.rfind("AnonHugePages:", 0) == 0) {
      kib += std::stol(line.substr(14));
    }
  }
  return kib;
}

// The kernel's THP mode, e.g. "madvise" (the bracketed word of the sysfs file).
std::string ThpMode() {
  std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t open = all.find('['), close = all.find(']');
  return open == std::string::npos ? "" : all.substr(open + 1, close - open - 1);
}

TEST(HugePagesTest, GrownBlockKeepsItsContentsAndGetsHugePages) {
  constexpr size_t kUsed = size_t(48) << 20, kGrown = size_t(160) << 20;
  auto* block = static_cast<uint32_t*>(std::malloc(size_t(64) << 20));
  ASSERT_NE(block, nullptr);
  for (size_t i = 0; i < kUsed / 4; ++i) block[i] = uint32_t(i * 2654435761u);
  block = static_cast<uint32_t*>(std::realloc(block, kGrown));  // as hnswlib grows
  ASSERT_NE(block, nullptr);

  PreferHugePages(block, kGrown, kUsed);

  for (size_t i = 0; i < kUsed / 4; ++i) {
    ASSERT_EQ(block[i], uint32_t(i * 2654435761u)) << "word " << i;
  }
  const std::string mode = ThpMode();
  RecordProperty("thp_mode", mode);
  if (mode == "always" || mode == "madvise") {
    // All whole 2 MiB pages of the used part (the 4 MiB at its two ends may
    // straddle the block's edges).
    EXPECT_GE(HugeKiBIn(block, kUsed), long((kUsed >> 10) - 4096)) << "THP mode " << mode;
  }
  std::free(block);
}

}  // namespace
}  // namespace metricdb
