#include "engine/base/metric.h"

#include <algorithm>
#include <cmath>

namespace metricdb {

std::string_view MetricName(Metric metric) {
  switch (metric) {
    case Metric::kL2:
      return "l2";
    case Metric::kCosine:
      return "cosine";
    case Metric::kInnerProduct:
      return "inner_product";
  }
  return "unknown";
}

bool UsesInnerProduct(Metric metric) { return metric != Metric::kL2; }

absl::Status PrepareVector(Metric metric, float* vector, size_t dim) {
  if (metric != Metric::kCosine) return absl::OkStatus();
  double norm2 = 0;
  for (size_t i = 0; i < dim; ++i) norm2 += double(vector[i]) * vector[i];
  if (!(norm2 > 0) || !std::isfinite(norm2)) {
    return absl::InvalidArgumentError("a zero vector has no direction under the cosine metric");
  }
  const float inv = float(1.0 / std::sqrt(norm2));
  for (size_t i = 0; i < dim; ++i) vector[i] *= inv;
  return absl::OkStatus();
}

float ToApiDistance(Metric metric, float raw) {
  switch (metric) {
    case Metric::kL2:
      return std::sqrt(std::max(raw, 0.0f));
    case Metric::kCosine:
      return 1.0f - raw;
    case Metric::kInnerProduct:
      return -raw;
  }
  return raw;
}

}  // namespace metricdb
