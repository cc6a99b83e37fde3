// FlatVectorIndex: exact search over every vector (faiss::IndexFlat).
//
// FAISS's flat index addresses vectors by position ("slot"); this class maps
// record ids to slots and deletes by moving the last vector into the freed
// slot, so a delete costs O(dim) rather than FAISS's O(n) shift.
#ifndef METRICDB_ENGINE_FLAT_VECTOR_INDEX_H_
#define METRICDB_ENGINE_FLAT_VECTOR_INDEX_H_

#include <faiss/IndexFlat.h>

#include <unordered_map>

#include "engine/metric.h"
#include "engine/vector_index.h"

namespace metricdb {

class FlatVectorIndex final : public VectorIndex {
 public:
  FlatVectorIndex(int dim, Metric metric);

  absl::Status Add(absl::Span<const int64_t> ids, const float* vectors) override;
  absl::Status Remove(absl::Span<const int64_t> ids) override;
  absl::Status Search(const float* queries, int64_t n, int k,
                      const IdFilter* filter, std::vector<float>* distances,
                      std::vector<int64_t>* ids) const override;
  int64_t size() const override { return index_.ntotal; }
  size_t MemoryBytes() const override;

 private:
  faiss::IndexFlat index_;
  std::vector<int64_t> slot_ids_;                  // slot -> record id
  std::unordered_map<int64_t, int64_t> id_slots_;  // record id -> slot
};

}  // namespace metricdb

#endif  // METRICDB_ENGINE_FLAT_VECTOR_INDEX_H_
