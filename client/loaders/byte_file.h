// ByteFile: a file opened for reading byte ranges at any offset, its size
// known from the start.
#ifndef METRICDB_CLIENT_LOADERS_BYTE_FILE_H_
#define METRICDB_CLIENT_LOADERS_BYTE_FILE_H_

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>

#include "absl/status/status.h"

namespace metricdb {

class ByteFile {
 public:
  // NOT_FOUND "PATH: cannot open" if it cannot be opened.
  absl::Status Open(const std::string& path);
  const std::string& path() const { return path_; }
  uint64_t size() const { return size_; }
  // Exactly `n` bytes from `offset`; DATA_LOSS naming the path and offset if
  // the file ends first (it changed since it was opened) or cannot be read.
  absl::Status ReadAt(uint64_t offset, size_t n, char* out);

 private:
  std::string path_;
  std::ifstream in_;
  uint64_t size_ = 0;
};

}  // namespace metricdb

#endif  // METRICDB_CLIENT_LOADERS_BYTE_FILE_H_
