// NumPy .npy files (format versions 1-3): 2-D arrays of little-endian
// float32 ('<f4') or float64 ('<f8', converted to float32), C or Fortran
// order. Anything else is INVALID_ARGUMENT naming what was found; a file
// shorter than its header promises is DATA_LOSS.
#ifndef METRICDB_CLIENT_LOADERS_NPY_FILE_H_
#define METRICDB_CLIENT_LOADERS_NPY_FILE_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "client/loaders/matrix.h"

namespace metricdb {

absl::StatusOr<Matrix> ParseNpy(std::string_view bytes);
absl::StatusOr<Matrix> ReadNpy(const std::string& path);

}  // namespace metricdb

#endif  // METRICDB_CLIENT_LOADERS_NPY_FILE_H_
