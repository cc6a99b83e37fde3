// RecordSource: the narrow interface through which identity queries, metric
// learning, calibration and clustering reach a collection's records — search
// candidates, sampled and stored vectors, the metric space they are compared
// in, metric versions and named entries. The local Collection implements it;
// a sharded collection can implement it by scattering the calls and merging
// their answers, so none of that code knows which one it talks to.
//
// Every method has the contract of the Collection method of the same name
// (collection.h): arguments are validated there, with errors naming the
// field; NOT_FOUND once the collection has been dropped.
#ifndef METRICDB_ENGINE_COLLECTION_RECORD_SOURCE_H_
#define METRICDB_ENGINE_COLLECTION_RECORD_SOURCE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/base/collection_limits.h"
#include "engine/base/collection_schema.h"
#include "engine/base/search_types.h"
#include "engine/storage/stored_metric_version.h"

namespace metricdb {

class RecordSource {
 public:
  virtual ~RecordSource() = default;

  // The schema with the index spec and metric version in force now.
  virtual CollectionSchema schema() const = 0;
  virtual const CollectionLimits& limits() const = 0;

  // Candidates: the k nearest records of each query under the metric in force.
  virtual absl::StatusOr<SearchResults> Search(absl::Span<const absl::Span<const float>> queries,
                                               const SearchOptions& options) const = 0;

  // Records by key, and writes of whole batches (clustering writes labels).
  virtual absl::StatusOr<GetResult> Get(absl::Span<const std::string> keys,
                                        bool include_vectors) const = 0;
  virtual GroupUpsertResult UpsertGroup(std::vector<std::vector<Record>> batches) = 0;

  // Input vectors checked as a search checks queries (errors name
  // `field`[i]) and mapped into the metric space in force (RowsToMetricSpace).
  absl::StatusOr<std::vector<float>> ToMetricSpace(
      absl::Span<const absl::Span<const float>> vectors, const std::string& field,
      MetricSpace* space) const;
  // Stored raw vectors of `keys`, in order (through Get); NOT_FOUND naming
  // the first unknown key as `field`[i].
  absl::StatusOr<std::vector<std::vector<float>>> StoredVectors(absl::Span<const std::string> keys,
                                                                const std::string& field) const;
  // Stored (already checked) raw rows, n x dim, mapped into the metric space.
  virtual std::vector<float> RowsToMetricSpace(const std::vector<float>& rows,
                                               MetricSpace* space) const = 0;
  // A seeded uniform sample of records, from one consistent view.
  virtual absl::StatusOr<RecordSample> SampleRecords(const RecordSelection& which, int64_t max,
                                                     uint64_t seed) const = 0;

  // Metric versions: stored, listed, read, put in force.
  virtual absl::StatusOr<int32_t> AddMetricVersion(StoredMetricVersion version) = 0;
  virtual absl::StatusOr<std::vector<StoredMetricVersion>> ListMetricVersions(
      bool include_maps) const = 0;
  virtual absl::StatusOr<StoredMetricVersion> GetMetricVersion(int32_t version) const = 0;
  virtual absl::Status ActivateMetric(int32_t version) = 0;

  // Named entries kept with the collection (its calibration).
  virtual absl::Status PutEntry(std::string_view name, std::string_view value) = 0;
  virtual absl::StatusOr<std::optional<std::string>> GetEntry(std::string_view name) const = 0;
};

}  // namespace metricdb

#endif  // METRICDB_ENGINE_COLLECTION_RECORD_SOURCE_H_
