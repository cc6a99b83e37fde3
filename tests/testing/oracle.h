// Test data and the brute-force oracle that every search is compared with.
// The oracle computes distances in double precision straight from the
// definitions in engine/base/metric.h, independently of FAISS.
#ifndef METRICDB_TESTS_TESTING_ORACLE_H_
#define METRICDB_TESTS_TESTING_ORACLE_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace metricdb::testing {

enum class OracleMetric { kL2, kCosine, kInnerProduct };

// n x dim standard normal values, row-major, from `seed`.
inline std::vector<float> RandomVectors(int64_t n, int dim, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(n * dim);
  for (float& x : v) x = dist(rng);
  return v;
}

inline double OracleDistance(OracleMetric metric, const float* a, const float* b, int dim) {
  double dot = 0, na = 0, nb = 0, l2 = 0;
  for (int i = 0; i < dim; ++i) {
    dot += double(a[i]) * b[i];
    na += double(a[i]) * a[i];
    nb += double(b[i]) * b[i];
    l2 += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
  }
  switch (metric) {
    case OracleMetric::kL2:
      return std::sqrt(l2);
    case OracleMetric::kCosine:
      return 1.0 - dot / std::sqrt(na * nb);
    case OracleMetric::kInnerProduct:
      return -dot;
  }
  return 0;
}

// Indices of the k rows of `base` nearest to `query`, with their distances,
// closest first (ties by index). Rows with allowed[i] == false are skipped.
inline std::vector<std::pair<double, int64_t>> OracleKnn(
    OracleMetric metric, const std::vector<float>& base, int dim, const float* query, int k,
    const std::vector<bool>* allowed = nullptr) {
  std::vector<std::pair<double, int64_t>> all;
  const int64_t n = int64_t(base.size()) / dim;
  for (int64_t i = 0; i < n; ++i) {
    if (allowed && !(*allowed)[i]) continue;
    all.emplace_back(OracleDistance(metric, query, base.data() + i * dim, dim), i);
  }
  const size_t kk = std::min<size_t>(k, all.size());
  std::partial_sort(all.begin(), all.begin() + kk, all.end());
  all.resize(kk);
  return all;
}

}  // namespace metricdb::testing

#endif  // METRICDB_TESTS_TESTING_ORACLE_H_
