// Checks on vectors shared by the collection's write, search and index-build
// paths: zero vectors (no direction under cosine) and squared norms large
// enough that distances would overflow float.
#ifndef METRICDB_ENGINE_COLLECTION_VECTOR_CHECKS_H_
#define METRICDB_ENGINE_COLLECTION_VECTOR_CHECKS_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "absl/types/span.h"

namespace metricdb {

// Largest squared norm of a vector the index takes: the squared distance of
// two such vectors (at most 4x this) stays finite in float arithmetic.
inline constexpr double kMaxSquaredNorm = std::numeric_limits<float>::max() / 4.0;

// A zero vector has no direction: cosine collections refuse it.
bool AllZero(absl::Span<const float> v);

// Sum of squares in double precision.
double SquaredNorm(const float* v, size_t n);

// The first of `n` rows (row_dim floats each) whose squared norm is beyond
// kMaxSquaredNorm (or NaN), and that norm.
struct Overflow {
  int64_t row;
  double norm;
};
std::optional<Overflow> FirstOverflow(const float* rows, int64_t n, size_t row_dim);

// "SUBJECT: MAP_NAME sends it to squared norm N, beyond M (...)".
std::string OverflowMessage(const std::string& subject, const char* map_name, double norm);

}  // namespace metricdb

#endif  // METRICDB_ENGINE_COLLECTION_VECTOR_CHECKS_H_
