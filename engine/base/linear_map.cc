#include "engine/base/linear_map.h"

#include <Eigen/Dense>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace metricdb {

absl::Status LinearMap::Validate(int32_t expected_dim, const char* field) const {
  if (dim != expected_dim) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": maps vectors of dim ", dim,
                                                   ", the collection has dim ", expected_dim));
  }
  if (d_out < 1 || d_out > dim) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".d_out: must be in [1, dim = ", dim, "], got ", d_out));
  }
  if (rows.size() != size_t(d_out) * size_t(dim)) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": has ", rows.size(), " values, d_out x dim = ", int64_t(d_out) * dim));
  }
  bool nonzero = false;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!std::isfinite(rows[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, "[", i, "]: ", rows[i], " is not a finite number"));
    }
    nonzero |= rows[i] != 0;
  }
  if (!nonzero) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": is all zeros (every distance would be 0)"));
  }
  return absl::OkStatus();
}

void LinearMap::Apply(const float* in, int64_t n, float* out) const {
  using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  Eigen::Map<const RowMajor> x(in, n, dim);
  Eigen::Map<const RowMajor> l(rows.data(), d_out, dim);
  Eigen::Map<RowMajor> y(out, n, d_out);
  y.noalias() = x * l.transpose();
}

}  // namespace metricdb
