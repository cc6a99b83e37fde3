#include "engine/metric.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

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

std::optional<Metric> ParseMetric(std::string_view name) {
  const std::string lower = absl::AsciiStrToLower(std::string(name));
  if (lower == "l2" || lower == "euclidean") return Metric::kL2;
  if (lower == "cosine") return Metric::kCosine;
  if (lower == "inner_product" || lower == "ip") return Metric::kInnerProduct;
  return std::nullopt;
}

bool UsesInnerProduct(Metric metric) { return metric != Metric::kL2; }

absl::Status PrepareVector(Metric metric, float* vector, size_t dim,
                           std::string_view field) {
  if (metric != Metric::kCosine) return absl::OkStatus();
  double norm2 = 0;
  for (size_t i = 0; i < dim; ++i) norm2 += double(vector[i]) * vector[i];
  if (!(norm2 > 0) || !std::isfinite(norm2)) {
    return absl::InvalidArgumentError(absl::StrCat(
        std::string(field), ": a zero vector has no direction under the cosine metric"));
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
