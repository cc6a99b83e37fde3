// The hot-loop kernels (issue #8) against double-precision oracles: every
// SIMD level this CPU can run gives the same distances, and ExactScan gives
// brute force's neighbours for every batch size, filter, metric and split.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <vector>

#include "engine/index/distance_kernels.h"
#include "engine/index/exact_scan.h"
#include "tests/testing/oracle.h"

namespace metricdb {
namespace {

using testing::OracleKnn;
using testing::OracleMetric;
using testing::RandomVectors;

std::vector<const DistanceKernels*> Levels() {
  std::vector<const DistanceKernels*> levels;
  for (const char* name : {"generic", "avx2", "avx512"}) {
    if (const DistanceKernels* k = KernelsFor(name)) levels.push_back(k);
  }
  return levels;
}

TEST(DistanceKernelsTest, EveryLevelMatchesDoublePrecisionAtEveryLength) {
  ASSERT_NE(KernelsFor("generic"), nullptr);
  std::printf("kernels in use: %s; levels tested:", Kernels().name);
  for (const DistanceKernels* k : Levels()) std::printf(" %s", k->name);
  std::printf("\n");
  // Lengths around every vector width and its remainders.
  for (size_t dim : {1, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 64, 100, 128, 784}) {
    const auto a = RandomVectors(1, int(dim), uint32_t(dim));
    const auto b = RandomVectors(1, int(dim), uint32_t(dim) + 1000);
    double l2 = 0, dot = 0, scale = 0;
    for (size_t i = 0; i < dim; ++i) {
      l2 += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
      dot += double(a[i]) * b[i];
      scale += std::fabs(double(a[i]) * b[i]);
    }
    for (const DistanceKernels* k : Levels()) {
      SCOPED_TRACE(std::string(k->name) + " dim " + std::to_string(dim));
      EXPECT_NEAR(k->l2sqr(a.data(), b.data(), dim), l2, 1e-5 * l2 + 1e-6);
      EXPECT_NEAR(k->dot(a.data(), b.data(), dim), dot, 1e-5 * scale + 1e-6);
      EXPECT_NEAR(k->l2sqr_by_ref(a.data(), b.data(), &dim), l2, 1e-5 * l2 + 1e-6);
      EXPECT_NEAR(k->one_minus_dot_by_ref(a.data(), b.data(), &dim), 1 - dot, 1e-5 * scale + 1e-6);
    }
  }
}

struct ScanCase {
  int64_t rows;
  int dim;
  size_t queries;
  size_t k;
  bool inner_product;
  bool filtered;
  int max_threads;
};

class ExactScanTest : public ::testing::TestWithParam<ScanCase> {};

TEST_P(ExactScanTest, EqualsBruteForce) {
  const ScanCase c = GetParam();
  const auto base = RandomVectors(c.rows, c.dim, 7);
  const auto queries = RandomVectors(int64_t(c.queries), c.dim, 8);
  std::vector<bool> allowed(size_t(c.rows), true);
  if (c.filtered) {
    for (int64_t i = 0; i < c.rows; ++i) allowed[size_t(i)] = i % 3 == 1;
  }
  const std::function<bool(size_t)> allow = [&](size_t row) { return bool(allowed[row]); };
  ScanOptions options;
  options.max_threads = c.max_threads;
  if (c.filtered) options.allow = &allow;
  std::vector<float> d(c.queries * c.k);
  std::vector<int64_t> rows(c.queries * c.k);
  ExactScan({base.data(), size_t(c.rows), size_t(c.dim), c.inner_product}, queries.data(),
            c.queries, c.k, options, d.data(), rows.data());
  const OracleMetric metric = c.inner_product ? OracleMetric::kInnerProduct : OracleMetric::kL2;
  for (size_t q = 0; q < c.queries; ++q) {
    const auto truth =
        OracleKnn(metric, base, c.dim, queries.data() + q * c.dim, int(c.k), &allowed);
    for (size_t j = 0; j < c.k; ++j) {
      SCOPED_TRACE("query " + std::to_string(q) + " rank " + std::to_string(j));
      if (j >= truth.size()) {
        EXPECT_EQ(rows[q * c.k + j], -1);
        continue;
      }
      EXPECT_EQ(rows[q * c.k + j], truth[j].second);
      // The oracle gives sqrt(l2) or -dot; the scan squared L2 or dot.
      const double want = c.inner_product ? -truth[j].first : truth[j].first * truth[j].first;
      EXPECT_NEAR(d[q * c.k + j], want, 1e-4 * std::fabs(want) + 1e-4);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ExactScanTest,
    ::testing::Values(
        ScanCase{1000, 37, 1, 10, false, false, 1}, ScanCase{1000, 37, 5, 1, false, true, 1},
        ScanCase{1000, 37, 16, 10, true, false, 1}, ScanCase{1000, 37, 3, 10, true, true, 1},
        ScanCase{5, 8, 2, 10, false, false, 1},  // fewer rows than k
        // Large enough to split across threads (>= kMinSplitFloats).
        ScanCase{20000, 64, 1, 10, false, false, 2}, ScanCase{20000, 64, 7, 5, true, true, 2},
        ScanCase{20000, 64, 16, 10, false, true, 3}));

}  // namespace
}  // namespace metricdb
