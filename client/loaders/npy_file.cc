#include "client/loaders/npy_file.h"

#include <algorithm>
#include <cstring>
#include <regex>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/loaders/matrix_file.h"

namespace metricdb {
namespace {

// Value of `key` in the header dict, as written by numpy ("'<f4'", "False",
// "(3, 4)"); empty if absent.
std::string HeaderField(const std::string& header, const std::string& key) {
  const std::regex re("'" + key + "'\\s*:\\s*('[^']*'|True|False|\\([^)]*\\))");
  std::smatch m;
  if (!std::regex_search(header, m, re)) return "";
  return m[1];
}

}  // namespace

absl::StatusOr<NpyLayout> ParseNpyHeader(std::string_view bytes, uint64_t file_size) {
  static constexpr char kMagic[] = "\x93NUMPY";
  if (bytes.size() < 10 || std::memcmp(bytes.data(), kMagic, 6) != 0) {
    return absl::InvalidArgumentError("not a .npy file (no \\x93NUMPY magic)");
  }
  const uint8_t major = static_cast<uint8_t>(bytes[6]);
  size_t header_len, header_start;
  if (major == 1) {
    header_len = uint8_t(bytes[8]) | (size_t(uint8_t(bytes[9])) << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) return absl::DataLossError("truncated .npy header");
    uint32_t len;
    std::memcpy(&len, bytes.data() + 8, 4);
    header_len = len;
    header_start = 12;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("unsupported .npy format version ", int(major)));
  }
  if (bytes.size() < header_start + header_len) {
    return absl::DataLossError("truncated .npy header");
  }
  const std::string header(bytes.substr(header_start, header_len));
  const std::string descr = HeaderField(header, "descr");
  const std::string fortran = HeaderField(header, "fortran_order");
  const std::string shape = HeaderField(header, "shape");
  if (descr.empty() || fortran.empty() || shape.empty()) {
    return absl::InvalidArgumentError("malformed .npy header: " + header);
  }
  NpyLayout layout;
  if (descr == "'<f4'") {
    layout.item = 4;
  } else if (descr == "'<f8'") {
    layout.item = 8;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat(".npy dtype ", descr, " is not supported: use float32 or float64"));
  }
  std::vector<int64_t> dims;
  const std::regex num("\\d+");
  for (auto it = std::sregex_iterator(shape.begin(), shape.end(), num);
       it != std::sregex_iterator(); ++it) {
    dims.push_back(std::stoll(it->str()));
  }
  if (dims.size() != 2) {
    return absl::InvalidArgumentError(
        absl::StrCat(".npy array has shape ", shape, ": a 2-D array (rows, dim) is needed"));
  }
  layout.rows = dims[0];
  layout.cols = dims[1];
  if (layout.cols < 1 || layout.rows < 1 || layout.rows > (int64_t(1) << 40) / layout.cols) {
    return absl::InvalidArgumentError(absl::StrCat(".npy shape ", shape, " is empty or too large"));
  }
  layout.column_major = fortran == "True";
  layout.data_offset = header_start + header_len;
  const uint64_t needed = uint64_t(layout.rows) * uint64_t(layout.cols) * layout.item;
  const uint64_t data = file_size - std::min<uint64_t>(file_size, layout.data_offset);
  if (data < needed) {
    return absl::DataLossError(absl::StrCat("truncated .npy: shape ", shape, " needs ", needed,
                                            " bytes of data, the file has ", data));
  }
  return layout;
}

void CopyNpyValues(const NpyLayout& layout, const char* data, size_t count, float* out) {
  if (layout.item == 4) {
    std::memcpy(out, data, count * 4);
    return;
  }
  for (size_t i = 0; i < count; ++i) {
    double d;
    std::memcpy(&d, data + i * 8, 8);
    out[i] = static_cast<float>(d);
  }
}

absl::StatusOr<Matrix> ParseNpy(std::string_view bytes) {
  auto layout = ParseNpyHeader(bytes, bytes.size());
  if (!layout.ok()) return layout.status();
  Matrix m;
  m.rows = layout->rows;
  m.cols = layout->cols;
  const size_t count = size_t(m.rows) * size_t(m.cols);
  m.values.resize(count);
  CopyNpyValues(*layout, bytes.data() + layout->data_offset, count, m.values.data());
  if (layout->column_major) {  // stored column by column
    std::vector<float> by_row(count);
    for (size_t i = 0; i < count; ++i) {
      by_row[(i % size_t(m.rows)) * size_t(m.cols) + i / size_t(m.rows)] = m.values[i];
    }
    m.values = std::move(by_row);
  }
  return m;
}

absl::StatusOr<Matrix> ReadNpy(const std::string& path) {
  auto bytes = ReadFileBytes(path);
  if (!bytes.ok()) return bytes.status();
  return ParseNpy(*bytes);
}

}  // namespace metricdb
