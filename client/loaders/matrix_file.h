// Reads a matrix from any supported file, choosing the format by extension
// (.npy, .fvecs, .csv/.tsv/.txt, .hdf5/.h5) unless one is given; and reads
// text files of one item (label or key) per line.
#ifndef METRICDB_CLIENT_LOADERS_MATRIX_FILE_H_
#define METRICDB_CLIENT_LOADERS_MATRIX_FILE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/loaders/csv_file.h"
#include "client/loaders/matrix.h"

namespace metricdb {

struct MatrixFileOptions {
  // "npy", "fvecs", "csv", "hdf5", or empty to use the extension.
  std::string format;
  CsvOptions csv;
  // HDF5 dataset name. Default: "train".
  std::string hdf5_dataset = "train";
};

absl::StatusOr<Matrix> ReadMatrixFile(const std::string& path, const MatrixFileOptions& options);

// The format ReadMatrixFile reads `path` as: options.format, else the one the
// extension names ("npy", "fvecs", "csv", "hdf5"); INVALID_ARGUMENT if neither
// says.
absl::StatusOr<std::string> MatrixFileFormat(const std::string& path,
                                             const MatrixFileOptions& options);

// The whole file as bytes; NOT_FOUND if it does not exist.
absl::StatusOr<std::string> ReadFileBytes(const std::string& path);

// One entry per line (a trailing '\r' is dropped; a final empty line is
// ignored). Empty lines inside are INVALID_ARGUMENT: every record needs one.
absl::StatusOr<std::vector<std::string>> ReadLines(const std::string& path);

}  // namespace metricdb

#endif  // METRICDB_CLIENT_LOADERS_MATRIX_FILE_H_
