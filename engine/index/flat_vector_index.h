// FlatVectorIndex: exact search over every vector held here. Single queries
// and small batches (up to kMaxScanQueries) go through ExactScan (one pass
// over the rows at memory bandwidth, run-time SIMD kernels); larger batches
// through FAISS's BLAS kernels (faiss::knn_L2sqr / knn_inner_product), whose
// best k + 16 per query are then re-measured with the scan's kernels and the
// best k kept: a query gets the same answer alone or in a batch.
//
// Storage is one row-major block (RowBuffer: grows without copying and keeps
// its huge pages whole). Squared norms of the rows
// are kept up to date for the L2 kernel, so batched searches do not
// recompute them. Rows are addressed by slot; a delete moves the last row
// into the freed slot (O(dim)).
#ifndef METRICDB_ENGINE_INDEX_FLAT_VECTOR_INDEX_H_
#define METRICDB_ENGINE_INDEX_FLAT_VECTOR_INDEX_H_

#include <unordered_map>

#include "engine/base/metric.h"
#include "engine/index/row_buffer.h"
#include "engine/index/vector_index.h"

namespace metricdb {

class FlatVectorIndex final : public VectorIndex {
 public:
  FlatVectorIndex(int dim, Metric metric);

  absl::Status Add(absl::Span<const int64_t> ids, const float* vectors) override;
  absl::Status Remove(absl::Span<const int64_t> ids) override;
  absl::Status Search(const float* queries, int64_t n, int k, const IdFilter* filter,
                      const SearchTuning& tuning, std::vector<float>* distances,
                      std::vector<int64_t>* ids) const override;
  // Copies out every (id, vector) held, in slot order.
  void Export(std::vector<int64_t>* ids, std::vector<float>* vectors) const;
  int64_t size() const override { return int64_t(slot_ids_.size()); }
  size_t MemoryBytes() const override;
  absl::Status Serialize(std::string* out) const override;
  absl::Status Deserialize(std::string_view bytes) override;
  std::vector<int64_t> Ids() const override;

 private:
  const size_t dim_;
  const bool inner_product_;
  RowBuffer rows_;                                 // size() x dim_ floats
  std::vector<float> norms_;                       // squared L2 norm per slot (L2 only)
  std::vector<int64_t> slot_ids_;                  // slot -> record id
  std::unordered_map<int64_t, int64_t> id_slots_;  // record id -> slot
};

}  // namespace metricdb

#endif  // METRICDB_ENGINE_INDEX_FLAT_VECTOR_INDEX_H_
