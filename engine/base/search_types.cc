#include "engine/base/search_types.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace metricdb {

absl::StatusOr<int64_t> ResolveSampleSize(int64_t requested, int64_t default_records, int32_t dim,
                                          const char* field) {
  const int64_t fits = std::max<int64_t>(1, kMaxSampleValues / std::max(1, dim));
  if (requested == 0) return std::min(default_records, fits);
  if (requested < 0 || requested > fits) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": must be in [1, ", fits, "] for vectors of dim ", dim, " (at most ",
                     kMaxSampleValues, " values in memory), got ", requested));
  }
  return requested;
}

double MetricSpace::Distance(const float* a, const float* b) const {
  double dot = 0, l2 = 0;
  for (int32_t i = 0; i < dim; ++i) {
    dot += double(a[i]) * b[i];
    l2 += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
  }
  switch (metric) {
    case Metric::kCosine:
      return 1 - dot;
    case Metric::kInnerProduct:
      return -dot;
    case Metric::kL2:
      break;
  }
  return std::sqrt(l2);
}

}  // namespace metricdb
