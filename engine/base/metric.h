// Metrics a collection can use, and the one distance convention of metricdb.
//
// Distances returned anywhere (search, and every later query type) are in the
// metric's own units, smaller is closer:
//   kL2            Euclidean distance ||x - y||, not squared;
//   kCosine        1 - cos(x, y), in [0, 2]; vectors are normalised to unit
//                  length before indexing, so zero vectors are rejected;
//   kInnerProduct  -<x, y>, negated so that smaller is closer.
#ifndef METRICDB_ENGINE_BASE_METRIC_H_
#define METRICDB_ENGINE_BASE_METRIC_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace metricdb {

enum class Metric { kL2 = 1, kCosine = 2, kInnerProduct = 3 };

// "l2", "cosine", "inner_product".
std::string_view MetricName(Metric metric);

// True when the index compares vectors by inner product (cosine, inner
// product), false when by squared L2.
bool UsesInnerProduct(Metric metric);

// Puts a vector of `dim` values into the form the index holds: unit length
// for kCosine, unchanged otherwise. INVALID_ARGUMENT for a zero vector under
// kCosine (the caller prefixes the field name).
absl::Status PrepareVector(Metric metric, float* vector, size_t dim);

// Converts a raw FAISS distance (squared L2, or inner product) into the
// convention above.
float ToApiDistance(Metric metric, float raw);

}  // namespace metricdb

#endif  // METRICDB_ENGINE_BASE_METRIC_H_
