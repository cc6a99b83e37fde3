// HnswVectorIndex: approximate search on an HNSW graph built by hnswlib
// (Debian's libhnswlib-dev, header-only, compiled with our flags), with the
// distance computed by DistanceKernels (SIMD chosen at run time).
//
// Why hnswlib rather than FAISS's IndexHNSWFlat: measured on Fashion-MNIST
// (bench/speed_bench, bench/RESULTS.md), it builds and answers single
// queries several times faster with our kernels than FAISS 1.7.3's generic
// build.
//
// The graph is hnswlib's; the search is ours, over hnswlib's public graph
// layout (upper layers greedy, base layer beam search as searchBaseLayerST),
// so that the beam width (ef_search) is a per-call argument instead of
// shared mutable state, an IdFilter applies to results while every node
// still routes, and no shared counters are touched per query.
//
// Removing an id marks it deleted (hnswlib's markDelete): it stays in the
// graph, still routing searches, but never appears in a result. Once
// tombstones exceed kRebuildFraction of the graph, NeedsRebuild() says so and
// the owning Collection rebuilds the index in the background.
//
// Inner-product metrics (cosine, on normalised vectors) are searched with the
// distance 1 - <x, y>; Search converts it back to the inner product, the
// VectorIndex convention.
#ifndef METRICDB_ENGINE_INDEX_HNSW_VECTOR_INDEX_H_
#define METRICDB_ENGINE_INDEX_HNSW_VECTOR_INDEX_H_

#include <memory>

#include "engine/base/collection_schema.h"
#include "engine/index/vector_index.h"

namespace hnswlib {
template <typename dist_t>
class HierarchicalNSW;
}  // namespace hnswlib

namespace metricdb {

class HnswVectorIndex final : public VectorIndex {
 public:
  static constexpr double kRebuildFraction = 0.3;

  // `spec` is resolved (ResolveIndexSpec).
  HnswVectorIndex(int dim, Metric metric, const IndexSpec& spec);
  ~HnswVectorIndex() override;

  // Batches of more than a few hundred vectors are inserted by all cores.
  absl::Status Add(absl::Span<const int64_t> ids, const float* vectors) override;
  absl::Status Remove(absl::Span<const int64_t> ids) override;
  absl::Status Search(const float* queries, int64_t n, int k, const IdFilter* filter,
                      const SearchTuning& tuning, std::vector<float>* distances,
                      std::vector<int64_t>* ids) const override;
  bool CopyVectors(absl::Span<const int64_t> ids, float* out) const override;
  int64_t size() const override;
  size_t MemoryBytes() const override;
  IndexMemory Memory() const override;
  absl::Status Serialize(std::string* out) const override;
  absl::Status Deserialize(std::string_view bytes) override;
  std::vector<int64_t> Ids() const override;
  IndexStatus status() const override;
  bool NeedsRebuild() const override;

 private:
  class Space;
  using Graph = hnswlib::HierarchicalNSW<float>;

  absl::Status Reserve(size_t elements);
  // One query: fills k (distance, id) slots.
  void SearchOne(const float* query, int k, size_t ef, const IdFilter* filter, float* distances,
                 int64_t* ids) const;

  const int dim_;
  const bool inner_product_;
  const IndexSpec spec_;
  std::unique_ptr<Space> space_;
  std::unique_ptr<Graph> graph_;
};

}  // namespace metricdb

#endif  // METRICDB_ENGINE_INDEX_HNSW_VECTOR_INDEX_H_
