// CollectionHandle and CollectionDirectory: what the server asks of
// collections, narrow enough that two kinds implement it — the local
// Collection over this node's store (through LocalDirectory), and a
// cluster's sharded collection (cluster/), which scatters each call over the
// shards' nodes and merges the answers with single-node semantics.
//
// Every method has the contract of the local Collection method of the same
// name (collection.h). A sharded implementation adds UNAVAILABLE (naming the
// shard and its node) when a node that holds a needed shard cannot be reached.
#ifndef METRICDB_ENGINE_COLLECTION_COLLECTION_HANDLE_H_
#define METRICDB_ENGINE_COLLECTION_COLLECTION_HANDLE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/base/collection_schema.h"
#include "engine/base/record.h"
#include "engine/base/search_types.h"
#include "engine/collection/record_source.h"
#include "engine/index/vector_index.h"

namespace metricdb {

struct CollectionStats {
  int64_t record_count = 0;
  // Distinct labels. Summed over shards in a cluster: an identity whose
  // records lie on several shards counts once per shard.
  int64_t label_count = 0;
  int64_t index_memory_bytes = 0;  // process memory (IndexMemory)
  // By part, as VectorIndex::Memory() (in a cluster: summed, mapped if any
  // shard's are).
  int64_t index_graph_bytes = 0;
  int64_t index_code_bytes = 0;
  int64_t index_vector_bytes = 0;
  bool index_vectors_mapped = false;
  IndexStatus index;
  bool index_building = false;  // a BuildIndex (or tombstone rebuild) is running
  // Wall time of the last index build: at open (snapshot restore + replay,
  // or a rebuild from the store), BuildIndex, a tombstone rebuild, or a
  // metric activation. The longest shard's in a cluster.
  double last_index_build_seconds = 0;
  // Records deleted because they expired, since the collection was opened.
  int64_t expired_records = 0;
};

class CollectionHandle : public RecordSource {
 public:
  // One atomic batch on a single node; atomic per shard in a cluster
  // (UpsertGroup of one batch).
  absl::StatusOr<UpsertResult> Upsert(std::vector<Record> records);
  // Deletes the records with one of `keys` or `labels`, narrowed to those
  // matching `filter` (filter_expression.h) when it is not empty; with only
  // a filter, every record matching it. A bad filter deletes nothing.
  virtual absl::StatusOr<int64_t> Delete(absl::Span<const std::string> keys,
                                         absl::Span<const std::string> labels,
                                         const std::string& filter) = 0;
  // The records matching `filter` (every record when it is empty).
  virtual absl::StatusOr<int64_t> Count(const std::string& filter) const = 0;
  // The records `which` selects whose keys follow `after` (from the first
  // when empty), in key order, at most `limit` (1..kMaxPageSize), with their
  // vectors if asked. Each page is read from one consistent view; paging on
  // `next` returns every record that exists throughout exactly once, and no
  // record twice, whatever is written meanwhile.
  virtual absl::StatusOr<RecordPage> Scan(const RecordSelection& which, const std::string& after,
                                          int64_t limit, bool include_vectors) const = 0;
  // The identities (labels) of the records matching `filter` (every record
  // when blank), with their numbers of such records, those after `after` in
  // label order, at most `limit` (1..kMaxPageSize).
  virtual absl::StatusOr<LabelPage> ListLabels(const std::string& filter, const std::string& after,
                                               int64_t limit) const = 0;
  // Gives every record labelled one of `from` the label `to` (a rename, or
  // a merge of several identities into one, which may be one of them) in
  // one atomic, durable write; returns the number of records relabelled.
  // Vectors, keys and attributes are unchanged. In a cluster: atomic on
  // each shard.
  virtual absl::StatusOr<int64_t> Relabel(absl::Span<const std::string> from,
                                          const std::string& to) = 0;
  virtual absl::StatusOr<CollectionStats> ReadStats() const = 0;
  virtual absl::Status BuildIndex(const std::optional<IndexSpec>& spec) = 0;
  // Whether a server may answer a search of `queries` vectors on the thread
  // that received it (it is expected to take well under a millisecond).
  virtual bool IsQuickSearch(int64_t queries) const = 0;
};

// An alias: another name of a collection, switched atomically.
struct CollectionAlias {
  std::string alias;
  std::string collection;
  bool operator==(const CollectionAlias& o) const {
    return alias == o.alias && collection == o.collection;
  }
};

// Collections and aliases share one namespace: a name is one or the other.
// Every method taking a collection name also takes an alias of one, except
// DropCollection (the real name only); each call resolves it once, so a
// switch is atomic for the calls in flight (each sees one collection).
class CollectionDirectory {
 public:
  virtual ~CollectionDirectory() = default;
  // ALREADY_EXISTS if the name is taken; INVALID_ARGUMENT naming the field.
  virtual absl::StatusOr<std::shared_ptr<CollectionHandle>> CreateCollection(
      const CollectionSchema& schema) = 0;
  // NOT_FOUND if there is no such collection.
  virtual absl::StatusOr<std::shared_ptr<CollectionHandle>> GetCollection(
      std::string_view name) const = 0;
  // Sorted by name.
  virtual absl::StatusOr<std::vector<std::shared_ptr<CollectionHandle>>> ListCollections()
      const = 0;
  // FAILED_PRECONDITION while an alias points to it, or if `name` is an
  // alias.
  virtual absl::Status DropCollection(std::string_view name) = 0;

  // ALREADY_EXISTS if `alias` names a collection or an alias; NOT_FOUND if
  // `collection` is not a collection (an alias of an alias is refused too).
  virtual absl::Status CreateAlias(std::string_view alias, std::string_view collection) = 0;
  // Points an existing alias at `collection`: NOT_FOUND if either is missing.
  virtual absl::Status SwitchAlias(std::string_view alias, std::string_view collection) = 0;
  virtual absl::Status DeleteAlias(std::string_view alias) = 0;  // NOT_FOUND if missing
  // Sorted by alias.
  virtual absl::StatusOr<std::vector<CollectionAlias>> ListAliases() const = 0;
};

}  // namespace metricdb

#endif  // METRICDB_ENGINE_COLLECTION_COLLECTION_HANDLE_H_
