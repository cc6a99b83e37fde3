// RowReader: the rows of a matrix file, read a block at a time, so that a
// load holds one batch of a large file in memory instead of all of it.
// .npy in C order (float32 or float64) and .fvecs are read from the file as
// rows are asked for; the other formats (.npy in Fortran order, CSV, HDF5)
// are read whole by ReadMatrixFile and served from memory.
#ifndef METRICDB_CLIENT_LOADERS_ROW_READER_H_
#define METRICDB_CLIENT_LOADERS_ROW_READER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/loaders/matrix_file.h"

namespace metricdb {

class RowReader {
 public:
  virtual ~RowReader() = default;
  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  // Rows [first, first + count) into `out` (count * cols() floats); calls may
  // come in any order. Errors start with the path: INVALID_ARGUMENT for a
  // malformed row (an .fvecs row declaring another dimension), DATA_LOSS if
  // the file can no longer be read as it was opened (it changed).
  virtual absl::Status Read(int64_t first, int64_t count, float* out) = 0;
  // Per-row labels the file itself carries (a CSV label column), moved out:
  // a second call returns nullopt.
  virtual std::optional<std::vector<std::string>> TakeLabels() { return std::nullopt; }
  // Per-row attributes the file carries (CSV attribute columns), moved out.
  virtual std::optional<std::vector<std::map<std::string, std::string>>> TakeAttributes() {
    return std::nullopt;
  }

 protected:
  RowReader(int64_t rows, int64_t cols) : rows_(rows), cols_(cols) {}
  const int64_t rows_;
  const int64_t cols_;
};

// Opens `path` as ReadMatrixFile would read it, with the same errors for a
// missing, malformed or truncated file.
absl::StatusOr<std::unique_ptr<RowReader>> OpenRowReader(const std::string& path,
                                                         const MatrixFileOptions& options);

}  // namespace metricdb

#endif  // METRICDB_CLIENT_LOADERS_ROW_READER_H_
