// MappedRows: a growable array of fixed-size rows kept in an unlinked file
// (O_TMPFILE) in a directory, mapped into memory. The rows are then page
// cache, not process heap: the kernel keeps the pages that are read and may
// drop the others under memory pressure, to read them back on the next
// access. The quantised HNSW keeps its full vectors here for the few
// candidates it re-ranks. The file is gone when the process ends, so it
// holds no state a restart could see.
//
// With an empty directory, or one that cannot hold such a file (read-only),
// the rows are anonymous memory instead, and file_backed() is false.
//
// Not thread-safe for Reserve; row() may be read concurrently otherwise.
#ifndef METRICDB_ENGINE_INDEX_MAPPED_ROWS_H_
#define METRICDB_ENGINE_INDEX_MAPPED_ROWS_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"

namespace metricdb {

class MappedRows {
 public:
  MappedRows(size_t row_bytes, std::string dir);
  ~MappedRows();
  MappedRows(const MappedRows&) = delete;
  MappedRows& operator=(const MappedRows&) = delete;

  // Makes room for `rows` rows (existing rows keep their contents);
  // RESOURCE_EXHAUSTED if the file or mapping cannot grow.
  absl::Status Reserve(size_t rows);
  char* row(size_t i) { return base_ + i * row_bytes_; }
  const char* row(size_t i) const { return base_ + i * row_bytes_; }
  size_t capacity() const { return capacity_; }
  // True when the rows live in a file (page cache), false for anonymous
  // memory.
  bool file_backed() const { return fd_ >= 0; }
  // Bytes of the mapping (capacity * row size).
  size_t mapped_bytes() const { return capacity_ * row_bytes_; }

 private:
  const size_t row_bytes_;
  const std::string dir_;
  int fd_ = -1;
  char* base_ = nullptr;
  size_t capacity_ = 0;
};

}  // namespace metricdb

#endif  // METRICDB_ENGINE_INDEX_MAPPED_ROWS_H_
