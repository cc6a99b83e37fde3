// Shard: one shard of a cluster collection as its coordinator sees it — the
// local collection that holds it on this node (LocalShard), or the same
// calls made to the node that holds it (RemoteShard, cluster/remote_shard.h).
// Methods have the contracts of the Collection methods of the same name;
// RemoteShard adds UNAVAILABLE naming the shard and its node when that node
// cannot be reached.
#ifndef METRICDB_CLUSTER_SHARD_H_
#define METRICDB_CLUSTER_SHARD_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/collection/collection.h"
#include "engine/collection/engine.h"

namespace metricdb {

class Shard {
 public:
  virtual ~Shard() = default;
  virtual absl::StatusOr<CollectionSchema> ReadSchema() const = 0;
  virtual absl::StatusOr<CollectionStats> ReadStats() const = 0;
  virtual absl::StatusOr<SearchResults> Search(absl::Span<const absl::Span<const float>> queries,
                                               const SearchOptions& options) const = 0;
  virtual absl::StatusOr<GetResult> Get(absl::Span<const std::string> keys,
                                        bool include_vectors) const = 0;
  virtual GroupUpsertResult UpsertGroup(std::vector<std::vector<Record>> batches) = 0;
  virtual absl::StatusOr<int64_t> Delete(absl::Span<const std::string> keys,
                                         absl::Span<const std::string> labels,
                                         const std::string& filter) = 0;
  virtual absl::StatusOr<int64_t> Count(const std::string& filter) const = 0;
  virtual absl::StatusOr<RecordPage> Scan(const RecordSelection& which, const std::string& after,
                                          int64_t limit, bool include_vectors) const = 0;
  virtual absl::StatusOr<LabelPage> ListLabels(const std::string& filter, const std::string& after,
                                               int64_t limit) const = 0;
  virtual absl::StatusOr<int64_t> Relabel(absl::Span<const std::string> from,
                                          const std::string& to) = 0;
  virtual absl::Status BuildIndex(const std::optional<IndexSpec>& spec) = 0;
  // The records of the shard's deterministic seeded sample (as
  // Collection::SampleRecords with `max`) at positions [offset, offset +
  // limit): a caller pages through a large sample.
  virtual absl::StatusOr<RecordSample> SampleRecords(const RecordSelection& which, int64_t max,
                                                     uint64_t seed, int64_t offset,
                                                     int64_t limit) const = 0;
  // Stores `version` under its own number (version.version > 0, assigned by
  // the coordinator), idempotently.
  virtual absl::StatusOr<int32_t> AddMetricVersion(StoredMetricVersion version) = 0;
  virtual absl::StatusOr<std::vector<StoredMetricVersion>> ListMetricVersions(
      bool include_maps) const = 0;
  virtual absl::StatusOr<StoredMetricVersion> GetMetricVersion(int32_t version) const = 0;
  virtual absl::Status PrepareMetric(int32_t version) = 0;
  virtual absl::Status ActivateMetric(int32_t version) = 0;
  virtual absl::Status DiscardStagedMetric() = 0;
};

// A shard held by this node: a collection of its Engine.
class LocalShard final : public Shard {
 public:
  explicit LocalShard(std::shared_ptr<Collection> collection) : c_(std::move(collection)) {}

  absl::StatusOr<CollectionSchema> ReadSchema() const override { return c_->schema(); }
  absl::StatusOr<CollectionStats> ReadStats() const override { return c_->Stats(); }
  absl::StatusOr<SearchResults> Search(absl::Span<const absl::Span<const float>> queries,
                                       const SearchOptions& options) const override {
    return c_->Search(queries, options);
  }
  absl::StatusOr<GetResult> Get(absl::Span<const std::string> keys,
                                bool include_vectors) const override {
    return c_->Get(keys, include_vectors);
  }
  GroupUpsertResult UpsertGroup(std::vector<std::vector<Record>> batches) override {
    return c_->UpsertGroup(std::move(batches));
  }
  absl::StatusOr<int64_t> Delete(absl::Span<const std::string> keys,
                                 absl::Span<const std::string> labels,
                                 const std::string& filter) override {
    return c_->Delete(keys, labels, filter);
  }
  absl::StatusOr<int64_t> Count(const std::string& filter) const override {
    return c_->Count(filter);
  }
  absl::StatusOr<RecordPage> Scan(const RecordSelection& which, const std::string& after,
                                  int64_t limit, bool include_vectors) const override {
    return c_->Scan(which, after, limit, include_vectors);
  }
  absl::StatusOr<LabelPage> ListLabels(const std::string& filter, const std::string& after,
                                       int64_t limit) const override {
    return c_->ListLabels(filter, after, limit);
  }
  absl::StatusOr<int64_t> Relabel(absl::Span<const std::string> from,
                                  const std::string& to) override {
    return c_->Relabel(from, to);
  }
  absl::Status BuildIndex(const std::optional<IndexSpec>& spec) override {
    return c_->BuildIndex(spec);
  }
  absl::StatusOr<RecordSample> SampleRecords(const RecordSelection& which, int64_t max,
                                             uint64_t seed, int64_t offset,
                                             int64_t limit) const override;
  absl::StatusOr<int32_t> AddMetricVersion(StoredMetricVersion version) override {
    const int32_t number = version.version;
    return c_->AddMetricVersionAt(std::move(version), number);
  }
  absl::StatusOr<std::vector<StoredMetricVersion>> ListMetricVersions(
      bool include_maps) const override {
    return c_->ListMetricVersions(include_maps);
  }
  absl::StatusOr<StoredMetricVersion> GetMetricVersion(int32_t version) const override {
    return c_->GetMetricVersion(version);
  }
  absl::Status PrepareMetric(int32_t version) override { return c_->PrepareMetric(version); }
  absl::Status ActivateMetric(int32_t version) override { return c_->ActivateMetric(version); }
  absl::Status DiscardStagedMetric() override {
    c_->DiscardStagedMetric();
    return absl::OkStatus();
  }

 private:
  const std::shared_ptr<Collection> c_;
};

}  // namespace metricdb

#endif  // METRICDB_CLUSTER_SHARD_H_
