// ChunkedRows: rows of `width` T values in chunks of a power of two rows (at
// least 16 MiB, a whole number of 2 MiB huge pages), for the per-node arrays
// of a graph that grows by batches: growing never moves or copies a row, and
// at most one chunk is partly used. Chunks are anonymous mappings, filled
// with zeros by the kernel only where they are touched; once an array
// outgrows its first chunk, every chunk asks for transparent huge pages
// (huge_pages.h), so that a search's scattered reads miss the TLB less.
// T must be trivially copyable (a zero-filled row is a valid value).
#ifndef METRICDB_ENGINE_INDEX_CHUNKED_ROWS_H_
#define METRICDB_ENGINE_INDEX_CHUNKED_ROWS_H_

#include <sys/mman.h>

#include <algorithm>
#include <cstddef>
#include <new>
#include <type_traits>
#include <vector>

#include "engine/index/huge_pages.h"

namespace metricdb {

template <typename T>
class ChunkedRows {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  explicit ChunkedRows(size_t width) : width_(width) {
    // The fewest rows (a power of two) that take kChunkBytes: rounding the
    // chunk up to whole huge pages then wastes at most 1/8 of it.
    const size_t row_bytes = width * sizeof(T);
    while ((size_t(1) << shift_) * row_bytes < kChunkBytes) ++shift_;
    chunk_bytes_ = ((size_t(1) << shift_) * row_bytes + kHugePageBytes - 1) & ~(kHugePageBytes - 1);
  }
  ~ChunkedRows() {
    for (T* c : chunks_) munmap(c, chunk_bytes_);
  }
  ChunkedRows(const ChunkedRows&) = delete;
  ChunkedRows& operator=(const ChunkedRows&) = delete;

  // Makes rows [0, rows) addressable; new rows are zero. Throws
  // std::bad_alloc when memory runs out.
  void Grow(size_t rows) {
    while (capacity() < rows) {
      T* chunk = static_cast<T*>(MapHugeAligned(chunk_bytes_));
      if (chunk == nullptr) throw std::bad_alloc();
      chunks_.push_back(chunk);
      if (chunks_.size() == 2) PreferHugePages(chunks_[0], chunk_bytes_, chunk_bytes_);
      if (chunks_.size() >= 2) PreferHugePages(chunk, chunk_bytes_, 0);
    }
  }
  T* row(size_t i) { return chunks_[i >> shift_] + (i & mask()) * width_; }
  const T* row(size_t i) const { return chunks_[i >> shift_] + (i & mask()) * width_; }
  size_t capacity() const { return chunks_.size() << shift_; }
  size_t width() const { return width_; }
  // Memory rows [0, rows) take: whole chunks before the last, and the last
  // one's touched pages (2 MiB ones where huge pages were asked for).
  size_t bytes(size_t rows) const {
    if (rows == 0) return 0;
    const size_t full = (rows - 1) >> shift_;
    const size_t tail = (rows - (full << shift_)) * width_ * sizeof(T);
    const size_t page = chunks_.size() >= 2 ? kHugePageBytes : 4096;
    return full * chunk_bytes_ + std::min(chunk_bytes_, (tail + page - 1) / page * page) +
           chunks_.capacity() * sizeof(T*);
  }
  // Calls f(first row's data, rows) for the contiguous runs covering rows
  // [0, rows).
  template <typename F>
  void ForEachRun(size_t rows, F&& f) const {
    const size_t per_chunk = size_t(1) << shift_;
    for (size_t at = 0; at < rows; at += per_chunk) f(row(at), std::min(per_chunk, rows - at));
  }

 private:
  static constexpr size_t kChunkBytes = 8 * kHugePageBytes;

  size_t mask() const { return (size_t(1) << shift_) - 1; }

  size_t width_;
  int shift_ = 0;
  size_t chunk_bytes_ = 0;
  std::vector<T*> chunks_;
};

}  // namespace metricdb

#endif  // METRICDB_ENGINE_INDEX_CHUNKED_ROWS_H_
