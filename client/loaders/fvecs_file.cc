#include "client/loaders/fvecs_file.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "client/loaders/matrix_file.h"

namespace metricdb {

absl::StatusOr<FvecsLayout> ParseFvecsLayout(std::string_view bytes, uint64_t file_size) {
  if (bytes.size() < 4 || file_size < 4) {
    return absl::InvalidArgumentError(".fvecs file is empty or shorter than one row");
  }
  FvecsLayout layout;
  std::memcpy(&layout.dim, bytes.data(), 4);
  if (layout.dim < 1 || layout.dim > (1 << 20)) {
    return absl::InvalidArgumentError(absl::StrCat(".fvecs row 0 declares dimension ", layout.dim));
  }
  if (file_size % layout.row_bytes() != 0) {
    return absl::DataLossError(absl::StrCat("truncated .fvecs: ", file_size,
                                            " bytes is not a whole number of ", layout.row_bytes(),
                                            "-byte rows of dimension ", layout.dim));
  }
  layout.rows = int64_t(file_size / layout.row_bytes());
  return layout;
}

absl::Status CopyFvecsRows(const FvecsLayout& layout, std::string_view bytes, int64_t first,
                           int64_t count, float* out) {
  const size_t dim = size_t(layout.dim);
  for (int64_t r = 0; r < count; ++r) {
    const char* row = bytes.data() + r * layout.row_bytes();
    int32_t d;
    std::memcpy(&d, row, 4);
    if (d != layout.dim) {
      return absl::InvalidArgumentError(absl::StrCat(
          ".fvecs row ", first + r, " declares dimension ", d, ", row 0 declared ", layout.dim));
    }
    std::memcpy(out + r * dim, row + 4, dim * 4);
  }
  return absl::OkStatus();
}

absl::StatusOr<Matrix> ParseFvecs(std::string_view bytes) {
  auto layout = ParseFvecsLayout(bytes, bytes.size());
  if (!layout.ok()) return layout.status();
  Matrix m;
  m.rows = layout->rows;
  m.cols = layout->dim;
  m.values.resize(size_t(m.rows) * size_t(m.cols));
  if (auto s = CopyFvecsRows(*layout, bytes, 0, m.rows, m.values.data()); !s.ok()) return s;
  return m;
}

absl::StatusOr<Matrix> ReadFvecs(const std::string& path) {
  auto bytes = ReadFileBytes(path);
  if (!bytes.ok()) return bytes.status();
  return ParseFvecs(*bytes);
}

}  // namespace metricdb
