// RowBuffer: appends across many growths keep every float; truncation and
// clearing; a grown block keeps its huge pages where the kernel offers them.
#include "engine/index/row_buffer.h"

#include <gtest/gtest.h>

#include <vector>

#include "tests/testing/huge_pages.h"
#include "tests/testing/status_matchers.h"

namespace metricdb {
namespace {

using testing::HugeKiBIn;
using testing::ThpAvailable;

std::vector<float> Ramp(size_t n, float start) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = start + float(i);
  return v;
}

TEST(RowBufferTest, AppendsAcrossGrowthsKeepEveryValue) {
  RowBuffer rows;
  EXPECT_EQ(rows.size(), 0u);
  EXPECT_EQ(rows.capacity_bytes(), 0u);
  // 1, 2, 3, ... floats at a time: small-page growths, then past 2 MiB into
  // huge-page growths (about 24 MiB in all).
  size_t total = 0, step = 1;
  std::vector<size_t> capacities;
  while (total < (size_t(6) << 20)) {
    const auto part = Ramp(step, float(total));
    ASSERT_OK(rows.Append(part.data(), part.size()));
    total += step;
    step = step * 3 / 2 + 1;
    if (capacities.empty() || capacities.back() != rows.capacity_bytes()) {
      capacities.push_back(rows.capacity_bytes());
    }
  }
  ASSERT_EQ(rows.size(), total);
  for (size_t i = 0; i < total; ++i) ASSERT_EQ(rows.data()[i], float(i)) << i;
  EXPECT_GE(rows.capacity_bytes(), total * sizeof(float));
  EXPECT_GT(capacities.size(), 5u);
  for (size_t c : capacities) {
    EXPECT_EQ(c % (c < (size_t(2) << 20) ? 4096 : size_t(2) << 20), 0u) << c;
  }

  rows.Truncate(10);
  EXPECT_EQ(rows.size(), 10u);
  const auto more = Ramp(5, 100);
  ASSERT_OK(rows.Append(more.data(), more.size()));
  EXPECT_EQ(rows.data()[9], 9.0f);
  EXPECT_EQ(rows.data()[10], 100.0f);
  EXPECT_EQ(rows.data()[14], 104.0f);

  rows.Clear();
  EXPECT_EQ(rows.size(), 0u);
  EXPECT_EQ(rows.capacity_bytes(), 0u);
  ASSERT_OK(rows.Append(more.data(), 1));
  EXPECT_EQ(rows.data()[0], 100.0f);
}

TEST(RowBufferTest, GrowingKeepsHugePagesWhole) {
  RowBuffer rows;
  const size_t chunk = size_t(1) << 20;  // 4 MiB of floats
  for (int i = 0; i < 12; ++i) {         // 48 MiB: several growths by moving
    const auto part = Ramp(chunk, float(i * chunk));
    ASSERT_OK(rows.Append(part.data(), part.size()));
  }
  for (size_t i = 0; i < rows.size(); ++i) ASSERT_EQ(rows.data()[i], float(i)) << i;
  if (ThpAvailable()) {
    const size_t used = rows.size() * sizeof(float);
    // All of it but the first 2 MiB, which began in small pages.
    EXPECT_GE(HugeKiBIn(rows.data(), used), long((used >> 10) - 2048));
  }
}

}  // namespace
}  // namespace metricdb
