// ShardedCollection: a cluster collection as one CollectionHandle — every
// call is split by shard or scattered over all shards and merged, with the
// single-node semantics (so the server, identity queries, metric learning,
// calibration and clustering run unchanged over it):
//   Upsert       the whole batch is checked, then split by ShardOfKey; atomic
//                per shard;
//   Get/Delete   routed by key; Delete by label goes to every shard;
//   Search       every shard answers the k nearest under the same metric
//                version (SearchOptions::metric_version), merged by distance
//                (then key): with FLAT exactly the single node's answer;
//   SampleRecords a seeded sample, each shard contributing in proportion to
//                its records in scope, merged in key order;
//   metric versions stored on every shard (the numbers must agree) and put
//                in force in two phases: every shard builds beside its index
//                (PrepareMetric), one etcd transaction flips the version in
//                force, then the shards swap.
// A shard whose node is down makes the calls that need it fail with
// UNAVAILABLE naming the shard and the node; never a partial answer.
#ifndef METRICDB_CLUSTER_SHARDED_COLLECTION_H_
#define METRICDB_CLUSTER_SHARDED_COLLECTION_H_

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cluster/cluster_catalog.h"
#include "cluster/shard.h"
#include "engine/collection/collection_handle.h"

namespace metricdb {

// What a sharded collection asks of the control plane (ClusterNode).
class ClusterControl {
 public:
  virtual ~ClusterControl() = default;
  // Holds the collection's lease-bound lock in etcd while the returned
  // object lives; FAILED_PRECONDITION while another job holds it.
  virtual absl::StatusOr<std::shared_ptr<void>> LockCollection(const std::string& name,
                                                               const std::string& job) = 0;
  // The metric version in force now, read from etcd.
  virtual absl::StatusOr<int32_t> ActiveMetricVersion(const std::string& name) const = 0;
  // Changes the collection's record in etcd with `change`, in a transaction
  // that compares the record's revision (re-read and retried on a race).
  virtual absl::Status UpdateCollection(const std::string& name,
                                        const std::function<void(ClusterCollection*)>& change) = 0;
  // Reserves the collection's next metric version number in etcd (one
  // transaction; numbers are never reused, even if storing on a shard fails).
  virtual absl::StatusOr<int32_t> ReserveMetricVersion(const std::string& name,
                                                       const StoredMetricVersion& version) = 0;
  virtual absl::Status PutEntry(const std::string& name, std::string_view entry,
                                std::string_view value) = 0;
  virtual absl::StatusOr<std::optional<std::string>> GetEntry(const std::string& name,
                                                              std::string_view entry) const = 0;
};

class ShardedCollection final : public CollectionHandle {
 public:
  // shards[i] is shard i, or why it cannot be reached. Under a learned
  // metric its map is read from the first shard that answers (UNAVAILABLE if
  // none does), so that vectors can be mapped here.
  static absl::StatusOr<std::shared_ptr<ShardedCollection>> Make(
      ClusterCollection record, std::vector<absl::StatusOr<std::shared_ptr<Shard>>> shards,
      const CollectionLimits& limits, ClusterControl* control);

  CollectionSchema schema() const override;
  // The etcd revision of the record this handle was made from.
  int64_t revision() const { return record_.revision; }
  const CollectionLimits& limits() const override { return limits_; }

  absl::StatusOr<SearchResults> Search(absl::Span<const absl::Span<const float>> queries,
                                       const SearchOptions& options) const override;
  absl::StatusOr<GetResult> Get(absl::Span<const std::string> keys,
                                bool include_vectors) const override;
  GroupUpsertResult UpsertGroup(std::vector<std::vector<Record>> batches) override;
  absl::StatusOr<int64_t> Delete(absl::Span<const std::string> keys,
                                 absl::Span<const std::string> labels,
                                 const std::string& filter) override;
  absl::StatusOr<int64_t> Count(const std::string& filter) const override;
  // Scan and ListLabels: every shard's page after the cursor, merged in key
  // (label) order, the first `limit` kept (label counts summed over the
  // shards); Relabel on every shard (atomic on each, not across them).
  absl::StatusOr<RecordPage> Scan(const RecordSelection& which, const std::string& after,
                                  int64_t limit, bool include_vectors) const override;
  absl::StatusOr<LabelPage> ListLabels(const std::string& filter, const std::string& after,
                                       int64_t limit) const override;
  absl::StatusOr<int64_t> Relabel(absl::Span<const std::string> from,
                                  const std::string& to) override;
  absl::StatusOr<CollectionStats> ReadStats() const override;
  absl::Status BuildIndex(const std::optional<IndexSpec>& spec) override;
  // Never: a fan-out waits on other nodes, so it does not belong on a
  // server's callback thread.
  bool IsQuickSearch(int64_t) const override { return false; }

  std::vector<float> RowsToMetricSpace(const std::vector<float>& rows,
                                       MetricSpace* space) const override;
  absl::StatusOr<RecordSample> SampleRecords(const RecordSelection& which, int64_t max,
                                             uint64_t seed) const override;

  absl::StatusOr<int32_t> AddMetricVersion(StoredMetricVersion version) override;
  absl::StatusOr<std::vector<StoredMetricVersion>> ListMetricVersions(
      bool include_maps) const override;
  absl::StatusOr<StoredMetricVersion> GetMetricVersion(int32_t version) const override;
  absl::Status ActivateMetric(int32_t version) override;
  absl::Status PutEntry(std::string_view name, std::string_view value) override;
  absl::StatusOr<std::optional<std::string>> GetEntry(std::string_view name) const override;

 private:
  // Shard `i`, or UNAVAILABLE naming it and its node.
  absl::StatusOr<Shard*> At(int32_t i) const;
  // Runs fn(i) for every i in `which` at once (the last on this thread) and
  // returns the first error in shard order.
  static absl::Status ForEach(const std::vector<int32_t>& which,
                              const std::function<absl::Status(int32_t)>& fn);
  // ForEach over the shards themselves: fn(i, shard i), or shard i's error
  // when it cannot be reached.
  // The sum of f over the shards `which` (counts), or the first error.
  absl::StatusOr<int64_t> SumOverShards(
      const std::vector<int32_t>& which,
      const std::function<absl::StatusOr<int64_t>(int32_t, Shard&)>& f) const;
  absl::Status ForEachShard(const std::vector<int32_t>& which,
                            const std::function<absl::Status(int32_t, Shard&)>& fn) const;
  // fn's answer from the first shard that gives one (an answer or an error
  // other than UNAVAILABLE), in shard order.
  template <typename T>
  absl::StatusOr<T> FirstAnswer(const std::function<absl::StatusOr<T>(Shard&)>& fn) const;
  // `keys` split by their shards, and the shards that got any.
  std::vector<std::vector<std::string>> KeysByShard(absl::Span<const std::string> keys,
                                                    std::vector<int32_t>* which) const;
  std::vector<int32_t> AllShards() const;
  ShardedCollection(ClusterCollection record,
                    std::vector<absl::StatusOr<std::shared_ptr<Shard>>> shards,
                    const CollectionLimits& limits, ClusterControl* control)
      : record_(std::move(record)),
        shards_(std::move(shards)),
        limits_(limits),
        control_(control) {}
  int32_t metric_version() const;
  // Every shard's k nearest under metric `version`, into parts[shard].
  absl::Status Scatter(absl::Span<const absl::Span<const float>> queries,
                       const SearchOptions& options, int32_t version,
                       std::vector<SearchResults>* parts) const;
  static bool IsVersionMismatch(const absl::Status& s);
  // Takes on the version in force in etcd (and its map) if it changed.
  absl::Status FollowActiveVersion() const;
  // The stored version from the first shard that answers.
  absl::StatusOr<StoredMetricVersion> AnyShardVersion(int32_t version) const;

  const ClusterCollection record_;
  const std::vector<absl::StatusOr<std::shared_ptr<Shard>>> shards_;
  const CollectionLimits limits_;
  ClusterControl* const control_;
  // Guards the two below (ActivateMetric and FollowActiveVersion change them).
  mutable std::mutex mu_;
  mutable int32_t metric_version_ = 0;            // the version in force, as last seen
  mutable std::shared_ptr<const LinearMap> map_;  // its map; null: the creation metric
};

}  // namespace metricdb

#endif  // METRICDB_CLUSTER_SHARDED_COLLECTION_H_
