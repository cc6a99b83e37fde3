// IvfVectorIndex: approximate search on a FAISS inverted-file index, with raw
// vectors (IVF_FLAT) or product-quantised codes (IVF_PQ).
//
// IVF needs training (k-means on the data). Until the collection holds
// IvfTrainingThreshold(spec) records, or Train() is called, vectors are kept
// in an exact FlatVectorIndex and searches are exact. The Add that reaches
// the threshold trains on everything held, synchronously, and moves it into
// the inverted lists. Removal is exact (faiss remove_ids). IVF_PQ distances
// are the quantised approximations FAISS computes. A filtered query that
// finds fewer than k allowed records in its nprobe lists is searched again
// with twice the lists, up to all of them.
#ifndef METRICDB_ENGINE_INDEX_IVF_VECTOR_INDEX_H_
#define METRICDB_ENGINE_INDEX_IVF_VECTOR_INDEX_H_

#include <faiss/IndexFlat.h>
#include <faiss/IndexIVF.h>

#include <memory>

#include "engine/base/collection_schema.h"
#include "engine/index/flat_vector_index.h"
#include "engine/index/vector_index.h"

namespace metricdb {

class IvfVectorIndex final : public VectorIndex {
 public:
  // `spec` is resolved (ResolveIndexSpec) and of kind IVF_FLAT or IVF_PQ.
  IvfVectorIndex(int dim, Metric metric, const IndexSpec& spec);
  ~IvfVectorIndex() override;

  absl::Status Add(absl::Span<const int64_t> ids, const float* vectors) override;
  absl::Status Remove(absl::Span<const int64_t> ids) override;
  absl::Status Search(const float* queries, int64_t n, int k, const IdFilter* filter,
                      const SearchTuning& tuning, std::vector<float>* distances,
                      std::vector<int64_t>* ids) const override;
  absl::Status Train() override;
  int64_t size() const override;
  size_t MemoryBytes() const override;
  absl::Status Serialize(std::string* out) const override;
  absl::Status Deserialize(std::string_view bytes) override;
  std::vector<int64_t> Ids() const override;
  IndexStatus status() const override;

 private:
  const int dim_;
  const Metric metric_;
  const IndexSpec spec_;
  std::unique_ptr<FlatVectorIndex> untrained_;  // until trained
  std::unique_ptr<faiss::IndexFlat> quantizer_;
  std::unique_ptr<faiss::IndexIVF> ivf_;  // once trained
  int64_t trained_on_ = 0;
};

}  // namespace metricdb

#endif  // METRICDB_ENGINE_INDEX_IVF_VECTOR_INDEX_H_
