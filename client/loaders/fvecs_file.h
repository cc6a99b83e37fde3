// .fvecs files (TEXMEX / ann benchmarks): each row is an int32 dimension d
// followed by d float32 values, little-endian; every row has the same d.
#ifndef METRICDB_CLIENT_LOADERS_FVECS_FILE_H_
#define METRICDB_CLIENT_LOADERS_FVECS_FILE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "client/loaders/matrix.h"

namespace metricdb {

// The shape of a .fvecs file of `file_size` bytes from its first 4 bytes
// (`first_bytes`: row 0's dimension); INVALID_ARGUMENT for an impossible
// dimension, DATA_LOSS when the size is not a whole number of rows.
struct FvecsLayout {
  int64_t rows = 0;
  int32_t dim = 0;
  size_t row_bytes() const { return 4 + size_t(dim) * 4; }
};
absl::StatusOr<FvecsLayout> ParseFvecsLayout(std::string_view first_bytes, uint64_t file_size);

// Copies `count` rows of the layout from `bytes` (whole rows; the first is
// row `first` of the file) into `out`; INVALID_ARGUMENT naming the row whose
// declared dimension differs.
absl::Status CopyFvecsRows(const FvecsLayout& layout, std::string_view bytes, int64_t first,
                           int64_t count, float* out);

absl::StatusOr<Matrix> ParseFvecs(std::string_view bytes);
absl::StatusOr<Matrix> ReadFvecs(const std::string& path);

}  // namespace metricdb

#endif  // METRICDB_CLIENT_LOADERS_FVECS_FILE_H_
