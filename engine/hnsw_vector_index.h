// HnswVectorIndex: approximate search on a FAISS HNSW graph (IndexHNSWFlat).
//
// FAISS's HNSW cannot remove entries, so a removed id becomes a tombstone:
// it stays in the graph (still routing searches) but a selector hides it
// from every result. Once tombstones exceed kRebuildFraction of the graph,
// NeedsRebuild() says so and the owning Collection rebuilds the index in the
// background (Collection::BuildIndex).
#ifndef METRICDB_ENGINE_HNSW_VECTOR_INDEX_H_
#define METRICDB_ENGINE_HNSW_VECTOR_INDEX_H_

#include <faiss/IndexHNSW.h>

#include <memory>
#include <shared_mutex>
#include <unordered_map>

#include "engine/collection_schema.h"
#include "engine/vector_index.h"
#include "engine/writer_priority_mutex.h"

namespace metricdb {

class HnswVectorIndex final : public VectorIndex {
 public:
  static constexpr double kRebuildFraction = 0.3;

  // `spec` is resolved (ResolveIndexSpec).
  HnswVectorIndex(int dim, Metric metric, const IndexSpec& spec);

  absl::Status Add(absl::Span<const int64_t> ids, const float* vectors) override;
  absl::Status Remove(absl::Span<const int64_t> ids) override;
  absl::Status Search(const float* queries, int64_t n, int k, const IdFilter* filter,
                      const SearchTuning& tuning, std::vector<float>* distances,
                      std::vector<int64_t>* ids) const override;
  int64_t size() const override { return int64_t(id_slots_.size()); }
  size_t MemoryBytes() const override;
  absl::Status Serialize(std::string* out) const override;
  absl::Status Deserialize(std::string_view bytes) override;
  std::vector<int64_t> Ids() const override;
  IndexStatus status() const override;
  bool NeedsRebuild() const override;

 private:
  std::unique_ptr<faiss::IndexHNSWFlat> NewGraph() const;

  const int dim_;
  const Metric metric_;
  const IndexSpec spec_;
  std::unique_ptr<faiss::IndexHNSWFlat> graph_;
  // Shared by searches using the graph's current efSearch; exclusive to
  // change it (see Search).
  mutable WriterPriorityMutex ef_mu_;
  std::vector<int64_t> slot_ids_;                  // slot -> record id, -1 = tombstone
  std::unordered_map<int64_t, int64_t> id_slots_;  // live record id -> slot
};

}  // namespace metricdb

#endif  // METRICDB_ENGINE_HNSW_VECTOR_INDEX_H_
