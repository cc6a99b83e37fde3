// LinearMap: the learned map L (d_out x dim) of a MAHALANOBIS metric,
// d(x, y) = ||L (x - y)||. A collection under such a metric indexes L x and
// compares with Euclidean distance, so every query type works under it.
#ifndef METRICDB_ENGINE_BASE_LINEAR_MAP_H_
#define METRICDB_ENGINE_BASE_LINEAR_MAP_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"

namespace metricdb {

struct LinearMap {
  int32_t d_out = 0;
  int32_t dim = 0;
  std::vector<float> rows;  // d_out x dim, row-major

  // INVALID_ARGUMENT (naming `field`) unless 1 <= d_out <= dim ==
  // `expected_dim`, rows has d_out * dim values, all finite, not all zero.
  absl::Status Validate(int32_t expected_dim, const char* field) const;

  // out (n x d_out) = in (n x dim) * L^T. `out` must not alias `in`.
  void Apply(const float* in, int64_t n, float* out) const;
};

}  // namespace metricdb

#endif  // METRICDB_ENGINE_BASE_LINEAR_MAP_H_
