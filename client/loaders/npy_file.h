// NumPy .npy files (format versions 1-3): 2-D arrays of little-endian
// float32 ('<f4') or float64 ('<f8', converted to float32), C or Fortran
// order. Anything else is INVALID_ARGUMENT naming what was found; a file
// shorter than its header promises is DATA_LOSS.
#ifndef METRICDB_CLIENT_LOADERS_NPY_FILE_H_
#define METRICDB_CLIENT_LOADERS_NPY_FILE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "client/loaders/matrix.h"

namespace metricdb {

// Where a .npy file's values are: what its header says, checked against the
// file's size.
struct NpyLayout {
  int64_t rows = 0;
  int64_t cols = 0;
  size_t item = 4;            // bytes per value: 4 (float32) or 8 (float64)
  bool column_major = false;  // fortran_order
  size_t data_offset = 0;     // where the values start
};

// `prefix` is the start of the file, at least its header; `file_size` the
// size of the whole file (DATA_LOSS if it is too short for the shape).
absl::StatusOr<NpyLayout> ParseNpyHeader(std::string_view prefix, uint64_t file_size);

// `count` values of the layout's type stored at `data`, as floats into `out`
// (in the order stored).
void CopyNpyValues(const NpyLayout& layout, const char* data, size_t count, float* out);

absl::StatusOr<Matrix> ParseNpy(std::string_view bytes);
absl::StatusOr<Matrix> ReadNpy(const std::string& path);

}  // namespace metricdb

#endif  // METRICDB_CLIENT_LOADERS_NPY_FILE_H_
