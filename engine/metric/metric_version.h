// MetricVersion: one learned (or uploaded) map L of a collection, numbered
// 1, 2, ... in the order they were made, with the report of how it was
// learned and how it evaluated. Stored in Store as a StoredMetricVersion
// (the report encoded); activated by number.
#ifndef METRICDB_ENGINE_METRIC_METRIC_VERSION_H_
#define METRICDB_ENGINE_METRIC_METRIC_VERSION_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "engine/base/linear_map.h"
#include "engine/metric/learn_options.h"
#include "engine/metric/retrieval_quality.h"
#include "engine/storage/stored_metric_version.h"

namespace metricdb {

struct MetricReport {
  std::string method;    // LearnMethodName, or "uploaded" (SetMetric)
  LearnOptions options;  // as resolved; defaults for an uploaded map
  double training_seconds = 0;
  int64_t train_records = 0;
  int64_t train_identities = 0;
  int64_t eval_identities = 0;
  // The metric in force when the version was made ("l2", "mahalanobis v2"),
  // evaluated as `before`; `after` is this version, on the same records.
  std::string before_metric;
  RetrievalQuality before;
  RetrievalQuality after;
};

struct MetricVersion {
  int32_t version = 0;
  int64_t created_unix_ms = 0;
  LinearMap map;
  MetricReport report;
};

// The version as the store keeps it (its report encoded), and back;
// DATA_LOSS when the report's bytes are malformed.
StoredMetricVersion ToStored(const MetricVersion& version);
absl::StatusOr<MetricVersion> FromStored(StoredMetricVersion stored);

// The whole version as stored bytes (EncodeStoredMetricVersion of ToStored),
// and back; DATA_LOSS on malformed bytes.
std::string EncodeMetricVersion(const MetricVersion& version);
absl::StatusOr<MetricVersion> DecodeMetricVersion(std::string_view bytes);

}  // namespace metricdb

#endif  // METRICDB_ENGINE_METRIC_METRIC_VERSION_H_
