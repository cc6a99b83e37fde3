// CSV files of vectors: one row per record, comma-separated numbers (a tab or
// semicolon delimiter is detected from the first line). A first line with a
// non-numeric vector field is a header. One column may hold labels: chosen by
// header name or by 0-based index; it is then not part of the vector.
#ifndef METRICDB_CLIENT_LOADERS_CSV_FILE_H_
#define METRICDB_CLIENT_LOADERS_CSV_FILE_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "client/loaders/matrix.h"

namespace metricdb {

struct CsvOptions {
  // Header name or 0-based index of the label column; empty = none.
  std::string label_column;
};

absl::StatusOr<Matrix> ParseCsv(std::string_view text, const CsvOptions& options);
absl::StatusOr<Matrix> ReadCsv(const std::string& path, const CsvOptions& options);

}  // namespace metricdb

#endif  // METRICDB_CLIENT_LOADERS_CSV_FILE_H_
