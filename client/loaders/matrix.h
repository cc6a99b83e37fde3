// A dense row-major float32 matrix read from a file: rows x cols values.
#ifndef METRICDB_CLIENT_LOADERS_MATRIX_H_
#define METRICDB_CLIENT_LOADERS_MATRIX_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace metricdb {

struct Matrix {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<float> values;  // rows * cols
  // Per-row labels, when the file carries them (a CSV label column).
  std::optional<std::vector<std::string>> labels;
  // Per-row attributes, when the file carries them (CSV attribute columns).
  std::optional<std::vector<std::map<std::string, std::string>>> attributes;

  const float* row(int64_t i) const { return values.data() + i * cols; }
};

}  // namespace metricdb

#endif  // METRICDB_CLIENT_LOADERS_MATRIX_H_
