// PreferHugePages: a block grown by realloc keeps its contents and, where the
// kernel offers transparent huge pages, its used part ends up in 2 MiB pages.
#include "engine/index/huge_pages.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "tests/testing/huge_pages.h"

namespace metricdb {
namespace {

using testing::HugeKiBIn;
using testing::ThpAvailable;
using testing::ThpMode;

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
  if (ThpAvailable()) {
    // All whole 2 MiB pages of the used part (the 4 MiB at its two ends may
    // straddle the block's edges).
    EXPECT_GE(HugeKiBIn(block, kUsed), long((kUsed >> 10) - 4096)) << "THP mode " << mode;
  }
  std::free(block);
}

}  // namespace
}  // namespace metricdb
