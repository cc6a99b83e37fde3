// HDF5 files in the ann-benchmarks layout: a 2-D numeric dataset (default
// "train"; "test" holds the queries) read as float32.
#ifndef METRICDB_CLIENT_LOADERS_HDF5_FILE_H_
#define METRICDB_CLIENT_LOADERS_HDF5_FILE_H_

#include <string>

#include "absl/status/statusor.h"
#include "client/loaders/matrix.h"

namespace metricdb {

absl::StatusOr<Matrix> ReadHdf5(const std::string& path, const std::string& dataset = "train");

}  // namespace metricdb

#endif  // METRICDB_CLIENT_LOADERS_HDF5_FILE_H_
