#include "client/loaders/csv_file.h"

#include <cerrno>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/loaders/matrix_file.h"

namespace metricdb {
namespace {

char DetectDelimiter(std::string_view first_line) {
  for (char c : {',', '\t', ';'}) {
    if (first_line.find(c) != std::string_view::npos) return c;
  }
  return ',';
}

std::vector<std::string> SplitFields(std::string_view line, char delim) {
  std::vector<std::string> out;
  for (absl::string_view f : absl::StrSplit(absl::string_view(line.data(), line.size()), delim)) {
    absl::string_view t = absl::StripAsciiWhitespace(f);
    if (t.size() >= 2 && t.front() == '"' && t.back() == '"') t = t.substr(1, t.size() - 2);
    out.emplace_back(t);
  }
  return out;
}

bool ParseFloat(const std::string& s, float* out) { return absl::SimpleAtof(s, out); }

}  // namespace

absl::StatusOr<Matrix> ParseCsv(std::string_view text, const CsvOptions& options) {
  std::vector<std::string_view> lines;
  for (absl::string_view l : absl::StrSplit(absl::string_view(text.data(), text.size()), '\n')) {
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    if (absl::StripAsciiWhitespace(l).empty()) continue;
    lines.emplace_back(l.data(), l.size());
  }
  if (lines.empty()) return absl::InvalidArgumentError("empty CSV file");
  const char delim = DetectDelimiter(lines[0]);
  std::vector<std::string> first = SplitFields(lines[0], delim);
  const int64_t ncols = int64_t(first.size());

  // Resolve the label column by index, or by name once we know the header.
  int64_t label_col = -1;
  bool label_by_index = false;
  if (!options.label_column.empty()) {
    int64_t idx;
    if (absl::SimpleAtoi(options.label_column, &idx)) {
      if (idx < 0 || idx >= ncols) {
        return absl::InvalidArgumentError(absl::StrCat(
            "label column ", idx, " is out of range: the CSV has ", ncols, " columns"));
      }
      label_col = idx;
      label_by_index = true;
    }
  }
  bool header = false;
  for (int64_t c = 0; c < ncols; ++c) {
    float v;
    if (c != label_col && !ParseFloat(first[c], &v)) header = true;
  }
  // Attribute columns, by header name.
  std::vector<int64_t> attribute_col(size_t(ncols), -1);  // column -> attribute number
  int64_t n_attribute_cols = 0;
  for (size_t a = 0; a < options.attribute_columns.size(); ++a) {
    const std::string& name = options.attribute_columns[a];
    int64_t found = -1;
    for (int64_t c = 0; header && c < ncols; ++c) {
      if (first[c] == name) found = c;
    }
    if (found < 0 || found == label_col || attribute_col[size_t(found)] >= 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "attribute column \"", name, "\" is not a header column of the CSV (or used twice)"));
    }
    attribute_col[size_t(found)] = int64_t(a);
    ++n_attribute_cols;
  }
  if (!options.label_column.empty() && !label_by_index) {
    if (!header) {
      return absl::InvalidArgumentError(absl::StrCat("label column \"", options.label_column,
                                                     "\" named, but the CSV has no header line"));
    }
    for (int64_t c = 0; c < ncols; ++c) {
      if (first[c] == options.label_column) label_col = c;
    }
    if (label_col < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("label column \"", options.label_column, "\" is not in the CSV header"));
    }
  }
  Matrix m;
  m.cols = ncols - (label_col >= 0 ? 1 : 0) - n_attribute_cols;
  if (m.cols < 1) return absl::InvalidArgumentError("CSV has no vector columns");
  if (label_col >= 0) m.labels.emplace();
  if (n_attribute_cols > 0) m.attributes.emplace();
  for (size_t li = header ? 1 : 0; li < lines.size(); ++li) {
    std::vector<std::string> fields = SplitFields(lines[li], delim);
    if (int64_t(fields.size()) != ncols) {
      return absl::InvalidArgumentError(
          absl::StrCat("CSV line ", li + 1, " has ", fields.size(), " fields, expected ", ncols));
    }
    if (m.attributes) m.attributes->emplace_back();
    for (int64_t c = 0; c < ncols; ++c) {
      if (c == label_col) {
        m.labels->push_back(fields[c]);
        continue;
      }
      if (const int64_t a = attribute_col[size_t(c)]; a >= 0) {
        if (!fields[c].empty()) m.attributes->back()[first[c]] = fields[c];
        continue;
      }
      float v;
      if (!ParseFloat(fields[c], &v)) {
        return absl::InvalidArgumentError(absl::StrCat("CSV line ", li + 1, " column ", c + 1,
                                                       ": \"", fields[c], "\" is not a number"));
      }
      m.values.push_back(v);
    }
    ++m.rows;
  }
  if (m.rows == 0) return absl::InvalidArgumentError("CSV has a header but no rows");
  return m;
}

absl::StatusOr<Matrix> ReadCsv(const std::string& path, const CsvOptions& options) {
  auto bytes = ReadFileBytes(path);
  if (!bytes.ok()) return bytes.status();
  return ParseCsv(*bytes, options);
}

}  // namespace metricdb
