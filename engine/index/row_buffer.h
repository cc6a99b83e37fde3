// RowBuffer: the growable float array that holds a flat index's rows, in
// memory mapped for it alone.
//
// Growing never copies and never splits huge pages: the pages are moved
// (mremap) to a 2 MiB-aligned address with room for twice as many rows, and
// the move carries 2 MiB pages whole. A std::vector instead copies all rows
// into fresh memory at each doubling (a load touches twice the final size
// and copies it once: loads ran ~12% slower); realloc moves them to any page
// boundary, which splits the huge pages that the kernel then collapses in
// the background, stalling searches. Blocks under 2 MiB use small pages, so
// a small collection costs little memory; a block that reaches 2 MiB gets
// huge pages (PreferHugePages, huge_pages.h).
#ifndef METRICDB_ENGINE_INDEX_ROW_BUFFER_H_
#define METRICDB_ENGINE_INDEX_ROW_BUFFER_H_

#include <cstddef>

#include "absl/status/status.h"

namespace metricdb {

class RowBuffer {
 public:
  RowBuffer() = default;
  ~RowBuffer();
  RowBuffer(const RowBuffer&) = delete;
  RowBuffer& operator=(const RowBuffer&) = delete;

  float* data() { return data_; }
  const float* data() const { return data_; }
  size_t size() const { return size_; }  // floats held
  size_t capacity_bytes() const { return bytes_; }

  // Appends `n` floats. RESOURCE_EXHAUSTED if the memory cannot be mapped;
  // the buffer is then unchanged.
  absl::Status Append(const float* values, size_t n);
  // Keeps the first `n` floats (n <= size()); the memory stays mapped.
  void Truncate(size_t n);
  // Empties the buffer and unmaps its memory.
  void Clear();

 private:
  float* data_ = nullptr;
  size_t size_ = 0;
  size_t bytes_ = 0;  // mapped at data_
};

}  // namespace metricdb

#endif  // METRICDB_ENGINE_INDEX_ROW_BUFFER_H_
