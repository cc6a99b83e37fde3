// QuantizedHnswIndex: an HNSW graph traversed with distances on scalar codes
// (8 or 4 bits per dimension, ScalarQuantizer), whose best candidates are
// re-ranked with exact distances on the full vectors.
//
// Memory: the graph (base-layer links in one block, upper layers per node),
// the codes, the record ids and the id map are process memory; the full
// vectors, read only for the few candidates a query re-ranks, are kept in an
// unlinked file in the collection's data directory (MappedRows), i.e. in the
// page cache, which the kernel may reclaim. Memory() reports each part.
//
// With spec.code_dims set, the codes are of the vectors' projections on that
// many principal axes (CodeProjection), trained with them: the walk costs
// less per step and re-ranking restores the full distances.
//
// Codes are trained on the vectors the index holds: on the first Add, then
// again (with every code re-encoded) each time the index has doubled since
// the last training, so an index built by BuildIndex is trained on all of its
// records. Values outside a trained range clamp to its ends.
//
// The graph is built as hnswlib builds one (Malkov & Yashunin's heuristic
// neighbour selection, 2M links on the base layer, M above), with the new
// vector's distances taken to the codes of the nodes it meets. Deleted ids
// stay in the graph, routing searches, until kRebuildFraction of it is
// deleted (NeedsRebuild). Inner-product metrics re-rank with 1 - <x, y>.
//
// Search: beam width ef (per-call ef_search, else the spec's) on codes;
// then the best max(k, rerank) live candidates the filter allows are
// re-ranked exactly (rerank: per call, else the spec's; a rerank above ef
// widens the beam to it).
#ifndef METRICDB_ENGINE_INDEX_QUANTIZED_HNSW_INDEX_H_
#define METRICDB_ENGINE_INDEX_QUANTIZED_HNSW_INDEX_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "engine/base/collection_schema.h"
#include "engine/index/chunked_rows.h"
#include "engine/index/code_projection.h"
#include "engine/index/mapped_rows.h"
#include "engine/index/scalar_quantizer.h"
#include "engine/index/vector_index.h"

namespace metricdb {

class VisitedMarks;

class QuantizedHnswIndex final : public VectorIndex {
 public:
  static constexpr double kRebuildFraction = 0.3;

  // `spec` is resolved and quantised; the full vectors go to an unlinked
  // file in `vectors_dir` (anonymous memory when it is empty).
  QuantizedHnswIndex(int dim, Metric metric, const IndexSpec& spec, std::string vectors_dir);
  ~QuantizedHnswIndex() override;

  absl::Status Add(absl::Span<const int64_t> ids, const float* vectors) override;
  absl::Status Remove(absl::Span<const int64_t> ids) override;
  absl::Status Search(const float* queries, int64_t n, int k, const IdFilter* filter,
                      const SearchTuning& tuning, std::vector<float>* distances,
                      std::vector<int64_t>* ids) const override;
  bool CopyVectors(absl::Span<const int64_t> ids, float* out) const override;
  int64_t size() const override { return int64_t(count_) - deleted_count_; }
  size_t MemoryBytes() const override;
  IndexMemory Memory() const override;
  absl::Status Serialize(std::string* out) const override;
  absl::Status Deserialize(std::string_view bytes) override;
  std::vector<int64_t> Ids() const override;
  IndexStatus status() const override;
  bool NeedsRebuild() const override;

 private:
  using Query = ScalarQuantizer::Query;
  using Candidate = std::pair<float, uint32_t>;  // (distance, node)
  static constexpr uint32_t kNoNode = 0xFFFFFFFFu;
  static constexpr size_t kLockStripes = 4096;

  absl::Status Reserve(size_t nodes);
  // Trains the codes on every vector held and re-encodes them all.
  void Retrain();
  // Writes the code of `node` from its full vector.
  void EncodeNode(uint32_t node);
  const float* vector(uint32_t node) const {
    return reinterpret_cast<const float*>(vectors_.row(node));
  }
  const uint8_t* code(uint32_t node) const { return codes_.row(node); }
  // The link list of `node` at `level`: [count, ids...].
  uint32_t* links(uint32_t node, int level);
  const uint32_t* links(uint32_t node, int level) const;
  std::mutex& lock_of(uint32_t node) const { return locks_[node % kLockStripes]; }
  void Prepare(const float* x, Query* q) const;
  // A stored node as the query (its code, exactly).
  void PrepareFromNode(uint32_t node, Query* q) const;
  float CodeDistance(const Query& q, uint32_t node) const;
  float ExactDistance(const float* x, uint32_t node) const;

  // Construction (quantized_hnsw_insert.cc).
  void Insert(uint32_t node, int level);
  uint32_t GreedyClosest(const Query& q, uint32_t start, int from_level, int to_level,
                         bool locked) const;
  std::vector<Candidate> SearchLayer(const Query& q, uint32_t start, int level, size_t ef) const;
  // Heuristic selection of at most `m` of `candidates` (sorted ascending).
  std::vector<Candidate> SelectNeighbors(const std::vector<Candidate>& candidates, size_t m) const;
  void Link(uint32_t from, uint32_t to, float distance, int level);

  // Search (quantized_hnsw_search.cc). One query: a beam search on codes,
  // re-ranking, k slots out.
  void SearchOne(const float* query, int k, size_t ef, size_t rerank, const IdFilter* filter,
                 float* distances, int64_t* ids) const;
  // Base-layer beam of width ef from `start`: up to ef (code distance, node),
  // closest first. Beam: every node may be a result (a sorted pool, no
  // heaps); BeamRestricted: only live nodes `filter` allows (every node
  // still routes), searching on until ef of them are found.
  std::vector<Candidate> Beam(const Query& q, uint32_t start, size_t ef) const;
  std::vector<Candidate> BeamRestricted(const Query& q, uint32_t start, size_t ef,
                                        const IdFilter* filter) const;
  // The neighbours of `node` not visited yet, marked visited, with their
  // codes' first lines requested; returns how many were written to `fresh`.
  size_t GatherFresh(uint32_t node, VisitedMarks* marks, uint32_t* fresh) const;
  void PrefetchLinks(uint32_t node) const;

  const int dim_;
  const bool inner_product_;
  // Graph walks compare codes by inner product (INNER_PRODUCT), else by L2
  // (L2, and COSINE, whose unit vectors L2 ranks as 1 - <x, y> does).
  const bool code_dot_;
  const IndexSpec spec_;
  const size_t max_m_, max_m0_;
  const double level_mult_;
  CodeProjection projection_;
  ScalarQuantizer quantizer_;  // of projection_.out_dim() dimensions
  int64_t trained_on_ = 0;

  size_t count_ = 0;
  size_t capacity_ = 0;
  // Per node, in chunks (no slack beyond one chunk, nothing moves as the
  // graph grows): base links [count, ids...], upper links (level x
  // (1 + max_m_), null at level 0), level, code, record id, deleted flag.
  ChunkedRows<uint32_t> links0_;
  ChunkedRows<uint32_t*> upper_{1};  // owned (new[]), freed by the destructor
  size_t upper_levels_ = 0;          // upper link lists allocated, for Memory()
  ChunkedRows<uint8_t> levels_{1};
  ChunkedRows<uint8_t> codes_;
  ChunkedRows<int64_t> labels_{1};
  ChunkedRows<uint8_t> deleted_{1};
  int64_t deleted_count_ = 0;
  // The live node of each record id: a set of node numbers hashed and
  // compared by their record id (4 bytes a slot, not a 16-byte pair).
  struct IdKey {
    int64_t id;
  };
  struct NodeHash {
    using is_transparent = void;
    const ChunkedRows<int64_t>* labels;
    size_t operator()(uint32_t node) const { return absl::HashOf(*labels->row(node)); }
    size_t operator()(IdKey key) const { return absl::HashOf(key.id); }
  };
  struct NodeEq {
    using is_transparent = void;
    const ChunkedRows<int64_t>* labels;
    bool operator()(uint32_t a, uint32_t b) const { return a == b; }
    bool operator()(IdKey k, uint32_t n) const { return *labels->row(n) == k.id; }
    bool operator()(uint32_t n, IdKey k) const { return *labels->row(n) == k.id; }
  };
  absl::flat_hash_set<uint32_t, NodeHash, NodeEq> node_of_{0, NodeHash{&labels_}, NodeEq{&labels_}};
  MappedRows vectors_;

  uint32_t entry_ = kNoNode;
  int max_level_ = -1;
  std::mutex entry_mu_;
  std::unique_ptr<std::mutex[]> locks_;
  std::mt19937_64 rng_{42};
};

}  // namespace metricdb

#endif  // METRICDB_ENGINE_INDEX_QUANTIZED_HNSW_INDEX_H_
