// ChunkedRows: rows of `width` T values in fixed chunks of kChunkRows rows,
// for per-node arrays that grow by small batches: growing never moves a row
// (no copy, no doubling), and at most one chunk is allocated but unused.
#ifndef METRICDB_ENGINE_INDEX_CHUNKED_ROWS_H_
#define METRICDB_ENGINE_INDEX_CHUNKED_ROWS_H_

#include <algorithm>
#include <cstddef>
#include <memory>
#include <vector>

namespace metricdb {

template <typename T>
class ChunkedRows {
 public:
  static constexpr size_t kChunkRows = 1024;

  explicit ChunkedRows(size_t width) : width_(width) {}

  // Makes rows [0, rows) addressable; new rows are value-initialised (zero).
  // Throws std::bad_alloc when memory runs out.
  void Grow(size_t rows) {
    while (capacity() < rows) chunks_.emplace_back(new T[kChunkRows * width_]());
  }
  T* row(size_t i) { return chunks_[i / kChunkRows].get() + (i % kChunkRows) * width_; }
  const T* row(size_t i) const {
    return chunks_[i / kChunkRows].get() + (i % kChunkRows) * width_;
  }
  size_t capacity() const { return chunks_.size() * kChunkRows; }
  size_t width() const { return width_; }
  size_t bytes() const {
    return capacity() * width_ * sizeof(T) + chunks_.capacity() * sizeof(chunks_[0]);
  }
  // Calls f(first row's data, rows) for the contiguous runs covering rows
  // [0, rows).
  template <typename F>
  void ForEachRun(size_t rows, F&& f) const {
    for (size_t at = 0; at < rows; at += kChunkRows) {
      f(row(at), std::min(kChunkRows, rows - at));
    }
  }

 private:
  size_t width_;
  std::vector<std::unique_ptr<T[]>> chunks_;
};

}  // namespace metricdb

#endif  // METRICDB_ENGINE_INDEX_CHUNKED_ROWS_H_
