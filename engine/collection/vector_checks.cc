#include "engine/collection/vector_checks.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace metricdb {

bool AllZero(absl::Span<const float> v) {
  return std::all_of(v.begin(), v.end(), [](float x) { return x == 0; });
}

double SquaredNorm(const float* v, size_t n) {
  double sum = 0;
  for (size_t i = 0; i < n; ++i) sum += double(v[i]) * v[i];
  return sum;
}

std::optional<Overflow> FirstOverflow(const float* rows, int64_t n, size_t row_dim) {
  for (int64_t i = 0; i < n; ++i) {
    const double norm = SquaredNorm(rows + size_t(i) * row_dim, row_dim);
    if (!(norm <= kMaxSquaredNorm)) return Overflow{i, norm};
  }
  return std::nullopt;
}

std::string OverflowMessage(const std::string& subject, const char* map_name, double norm) {
  return absl::StrCat(subject, ": ", map_name, " sends it to squared norm ", norm, ", beyond ",
                      kMaxSquaredNorm, " (distances would overflow float)");
}

}  // namespace metricdb
