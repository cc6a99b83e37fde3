#include "client/loaders/byte_file.h"

#include "absl/strings/str_cat.h"

namespace metricdb {

absl::Status ByteFile::Open(const std::string& path) {
  path_ = path;
  in_.open(path, std::ios::binary | std::ios::ate);
  if (!in_) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  const std::streamoff size = in_.tellg();
  if (size < 0) return absl::DataLossError(absl::StrCat(path, ": cannot size"));
  size_ = uint64_t(size);
  return absl::OkStatus();
}

absl::Status ByteFile::ReadAt(uint64_t offset, size_t n, char* out) {
  in_.clear();
  in_.seekg(std::streamoff(offset));
  if (!in_.read(out, std::streamsize(n))) {
    return absl::DataLossError(absl::StrCat(path_, ": read error at byte ", offset));
  }
  return absl::OkStatus();
}

}  // namespace metricdb
