// Whole-buffer reads and writes on file descriptors: short transfers and
// EINTR are retried.
#ifndef METRICDB_COMMON_FD_IO_H_
#define METRICDB_COMMON_FD_IO_H_

#include <unistd.h>

#include <cerrno>
#include <cstddef>

namespace metricdb {

// Writes all `n` bytes; 0 on success, else the errno of the failing write
// (ENOSPC for a write that made no progress).
inline int WriteFully(int fd, const void* data, size_t n) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return errno;
    if (w == 0) return ENOSPC;
    p += w;
    n -= size_t(w);
  }
  return 0;
}

// Reads exactly `n` bytes; false at end of file or on an error.
inline bool ReadFully(int fd, void* data, size_t n) {
  char* p = static_cast<char*>(data);
  while (n > 0) {
    const ssize_t r = ::read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= size_t(r);
  }
  return true;
}

}  // namespace metricdb

#endif  // METRICDB_COMMON_FD_IO_H_
