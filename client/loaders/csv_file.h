// CSV files of vectors: one row per record, comma-separated numbers (a tab or
// semicolon delimiter is detected from the first line). A first line with a
// non-numeric vector field is a header. One column may hold labels: chosen by
// header name or by 0-based index; it is then not part of the vector. Named
// columns may hold attributes (an empty cell: no attribute for that row).
#ifndef METRICDB_CLIENT_LOADERS_CSV_FILE_H_
#define METRICDB_CLIENT_LOADERS_CSV_FILE_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "client/loaders/matrix.h"

namespace metricdb {

struct CsvOptions {
  // Header name or 0-based index of the label column; empty = none.
  std::string label_column;
  // Header names of columns that hold attributes (each row's value, under
  // the column's name); they are not part of the vector either.
  std::vector<std::string> attribute_columns;
};

absl::StatusOr<Matrix> ParseCsv(std::string_view text, const CsvOptions& options);
absl::StatusOr<Matrix> ReadCsv(const std::string& path, const CsvOptions& options);

}  // namespace metricdb

#endif  // METRICDB_CLIENT_LOADERS_CSV_FILE_H_
