#include "engine/index/mapped_rows.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace metricdb {

MappedRows::MappedRows(size_t row_bytes, std::string dir)
    : row_bytes_(row_bytes), dir_(std::move(dir)) {}

MappedRows::~MappedRows() {
  if (base_ != nullptr) munmap(base_, mapped_bytes());
  if (fd_ >= 0) close(fd_);
}

absl::Status MappedRows::Reserve(size_t rows) {
  if (rows <= capacity_) return absl::OkStatus();
  const size_t capacity = std::max({rows, capacity_ * 2, size_t(1024)});
  const size_t bytes = capacity * row_bytes_;
  auto failed = [&](const char* what) {
    return absl::ResourceExhaustedError(
        absl::StrCat("full-vector rows: ", what, " ", bytes, " bytes: ", std::strerror(errno)));
  };
  if (!dir_.empty() && fd_ < 0 && base_ == nullptr) {
    // Where the directory cannot take one (a read-only data directory, a
    // file system without O_TMPFILE), anonymous memory; file_backed() says so.
    fd_ = open(dir_.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  }
  if (fd_ >= 0 && ftruncate(fd_, off_t(bytes)) != 0) return failed("growing the file to");
  void* p;
  if (base_ == nullptr) {
    p = fd_ >= 0 ? mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0)
                 : mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  } else {
    p = mremap(base_, mapped_bytes(), bytes, MREMAP_MAYMOVE);
  }
  if (p == MAP_FAILED) return failed("mapping");
  base_ = static_cast<char*>(p);
  capacity_ = capacity;
  return absl::OkStatus();
}

}  // namespace metricdb
