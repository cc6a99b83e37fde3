// VectorIndex: the narrow interface through which the engine uses a FAISS
// index, whatever kind is inside. The index is derived state: it can always
// be rebuilt from Store.
//
// Conventions: vectors are row-major n x dim float32, already prepared for
// the metric (PrepareVector); ids are the engine's int64 record ids (>= 0).
// Distances are FAISS's raw ones (squared L2, or inner product): callers
// convert them with ToApiDistance. Results are k slots per query, closest
// first, padded with id -1 when fewer than k records match.
//
// Thread-safety: const methods may run concurrently with each other; Add and
// Remove need exclusive access (the owning Collection's lock provides it).
#ifndef METRICDB_ENGINE_INDEX_VECTOR_INDEX_H_
#define METRICDB_ENGINE_INDEX_VECTOR_INDEX_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/base/collection_schema.h"
#include "engine/base/search_types.h"

namespace metricdb {

// Restricts a search to the ids it allows.
class IdFilter {
 public:
  virtual ~IdFilter() = default;
  virtual bool Allows(int64_t id) const = 0;
};

// What an index reports about itself.
struct IndexStatus {
  // False while an IVF index waits for enough records to train; it then
  // answers exactly.
  bool trained = true;
  int64_t trained_on = 0;  // records the quantiser was trained on (IVF)
  int64_t tombstones = 0;  // deleted entries still in the graph (HNSW)
};

// The memory an index holds, by part. Parts an index does not have are 0.
struct IndexMemory {
  size_t graph_bytes = 0;   // links, record ids, id maps
  size_t code_bytes = 0;    // compressed vectors (quantised HNSW, IVF-PQ)
  size_t vector_bytes = 0;  // full vectors
  // True when the full vectors are in a file mapped from the data directory
  // (page cache the kernel may reclaim) rather than in process memory.
  bool vectors_mapped = false;
};

class VectorIndex {
 public:
  virtual ~VectorIndex() = default;

  // Adds ids.size() vectors. Ids must not be present already.
  virtual absl::Status Add(absl::Span<const int64_t> ids, const float* vectors) = 0;
  // Removes the given ids; ids not present are ignored.
  virtual absl::Status Remove(absl::Span<const int64_t> ids) = 0;
  // Fills `distances` and `ids` with n * k entries.
  virtual absl::Status Search(const float* queries, int64_t n, int k, const IdFilter* filter,
                              const SearchTuning& tuning, std::vector<float>* distances,
                              std::vector<int64_t>* ids) const = 0;
  // Copies the vectors held for `ids` (as they were added: the index form)
  // into `out`, ids.size() x dim, and returns true; false when this index
  // keeps no full vectors it can look up by id, or an id is not held (then
  // `out` is unspecified). May run beside searches.
  virtual bool CopyVectors(absl::Span<const int64_t> ids, float* out) const { return false; }
  // Trains now on the vectors it holds (IVF; a no-op elsewhere).
  // FAILED_PRECONDITION when there are too few of them.
  virtual absl::Status Train() { return absl::OkStatus(); }
  virtual IndexStatus status() const { return IndexStatus(); }
  // True when deletions have degraded the index enough that it should be
  // rebuilt from the live records (HNSW tombstones).
  virtual bool NeedsRebuild() const { return false; }

  // Snapshot support. Serialize appends the whole state (vectors, graph or
  // lists, id maps) to *out; Deserialize restores it into an empty index of
  // the same schema (DATA_LOSS if the bytes do not parse). Ids lists the
  // record ids held, in no particular order.
  virtual absl::Status Serialize(std::string* out) const = 0;
  virtual absl::Status Deserialize(std::string_view bytes) = 0;
  virtual std::vector<int64_t> Ids() const = 0;
  virtual int64_t size() const = 0;
  // Bytes of process memory the index holds (vectors and id maps; not the
  // mapped full vectors of IndexMemory::vectors_mapped).
  virtual size_t MemoryBytes() const = 0;
  // The same by part; by default all of it counted as full vectors.
  virtual IndexMemory Memory() const {
    IndexMemory m;
    m.vector_bytes = MemoryBytes();
    return m;
  }
};

// Where an index may keep files: the full vectors of a quantised HNSW go to
// an unlinked file in `scratch_dir` (anonymous memory when empty).
struct IndexPlace {
  std::string scratch_dir;
};

// Builds an empty index for a schema whose index spec went through
// ResolveIndexSpec.
absl::StatusOr<std::unique_ptr<VectorIndex>> MakeVectorIndex(const CollectionSchema& schema,
                                                             const IndexPlace& place = {});

}  // namespace metricdb

#endif  // METRICDB_ENGINE_INDEX_VECTOR_INDEX_H_
