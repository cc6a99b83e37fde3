#include "client/loaders/fvecs_file.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "client/loaders/matrix_file.h"

namespace metricdb {

absl::StatusOr<Matrix> ParseFvecs(std::string_view bytes) {
  if (bytes.size() < 4) {
    return absl::InvalidArgumentError(".fvecs file is empty or shorter than one row");
  }
  int32_t dim;
  std::memcpy(&dim, bytes.data(), 4);
  if (dim < 1 || dim > (1 << 20)) {
    return absl::InvalidArgumentError(
        absl::StrCat(".fvecs row 0 declares dimension ", dim));
  }
  const size_t row_bytes = 4 + size_t(dim) * 4;
  if (bytes.size() % row_bytes != 0) {
    return absl::DataLossError(absl::StrCat(
        "truncated .fvecs: ", bytes.size(), " bytes is not a whole number of ",
        row_bytes, "-byte rows of dimension ", dim));
  }
  Matrix m;
  m.rows = int64_t(bytes.size() / row_bytes);
  m.cols = dim;
  m.values.resize(size_t(m.rows) * dim);
  for (int64_t r = 0; r < m.rows; ++r) {
    const char* row = bytes.data() + r * row_bytes;
    int32_t d;
    std::memcpy(&d, row, 4);
    if (d != dim) {
      return absl::InvalidArgumentError(absl::StrCat(
          ".fvecs row ", r, " declares dimension ", d, ", row 0 declared ", dim));
    }
    std::memcpy(m.values.data() + r * dim, row + 4, size_t(dim) * 4);
  }
  return m;
}

absl::StatusOr<Matrix> ReadFvecs(const std::string& path) {
  auto bytes = ReadFileBytes(path);
  if (!bytes.ok()) return bytes.status();
  return ParseFvecs(*bytes);
}

}  // namespace metricdb
