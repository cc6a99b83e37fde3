#include "client/loaders/matrix_file.h"

#include <filesystem>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/loaders/byte_file.h"
#include "client/loaders/fvecs_file.h"
#include "client/loaders/hdf5_file.h"
#include "client/loaders/npy_file.h"

namespace metricdb {

absl::StatusOr<std::string> ReadFileBytes(const std::string& path) {
  ByteFile file;
  if (auto s = file.Open(path); !s.ok()) return s;
  std::string bytes(size_t(file.size()), '\0');
  if (auto s = file.ReadAt(0, bytes.size(), bytes.data()); !s.ok()) return s;
  return bytes;
}

absl::StatusOr<std::string> MatrixFileFormat(const std::string& path,
                                             const MatrixFileOptions& options) {
  std::string format = absl::AsciiStrToLower(options.format);
  if (!format.empty()) return format;
  const std::string ext = absl::AsciiStrToLower(std::filesystem::path(path).extension().string());
  if (ext == ".npy") return std::string("npy");
  if (ext == ".fvecs") return std::string("fvecs");
  if (ext == ".csv" || ext == ".tsv" || ext == ".txt") return std::string("csv");
  if (ext == ".hdf5" || ext == ".h5") return std::string("hdf5");
  return absl::InvalidArgumentError(
      absl::StrCat(path, ": unknown extension \"", ext,
                   "\"; use .npy, .fvecs, .csv or .hdf5, or give --format"));
}

absl::StatusOr<Matrix> ReadMatrixFile(const std::string& path, const MatrixFileOptions& options) {
  auto known = MatrixFileFormat(path, options);
  if (!known.ok()) return known.status();
  const std::string& format = *known;
  absl::StatusOr<Matrix> m;
  if (format == "npy")
    m = ReadNpy(path);
  else if (format == "fvecs")
    m = ReadFvecs(path);
  else if (format == "csv")
    m = ReadCsv(path, options.csv);
  else if (format == "hdf5")
    m = ReadHdf5(path, options.hdf5_dataset);
  else
    return absl::InvalidArgumentError("unknown format \"" + format + "\"");
  if (!m.ok() && !absl::StartsWith(m.status().message(), path)) {
    return absl::Status(m.status().code(), absl::StrCat(path, ": ", m.status().message()));
  }
  return m;
}

absl::StatusOr<std::vector<std::string>> ReadLines(const std::string& path) {
  auto bytes = ReadFileBytes(path);
  if (!bytes.ok()) return bytes.status();
  std::vector<std::string> lines;
  std::istringstream in(*bytes);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].empty()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": line ", i + 1, " is empty"));
    }
  }
  return lines;
}

}  // namespace metricdb
