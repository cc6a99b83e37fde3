// .fvecs files (TEXMEX / ann benchmarks): each row is an int32 dimension d
// followed by d float32 values, little-endian; every row has the same d.
#ifndef METRICDB_CLIENT_LOADERS_FVECS_FILE_H_
#define METRICDB_CLIENT_LOADERS_FVECS_FILE_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "client/loaders/matrix.h"

namespace metricdb {

absl::StatusOr<Matrix> ParseFvecs(std::string_view bytes);
absl::StatusOr<Matrix> ReadFvecs(const std::string& path);

}  // namespace metricdb

#endif  // METRICDB_CLIENT_LOADERS_FVECS_FILE_H_
