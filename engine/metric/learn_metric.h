// LearnMetric and UploadMetric: make a new metric version of a collection,
// evaluate it against the metric in force, store it, and optionally put it
// in force. The metric in force is unchanged by any failure.
#ifndef METRICDB_ENGINE_METRIC_LEARN_METRIC_H_
#define METRICDB_ENGINE_METRIC_LEARN_METRIC_H_

#include "absl/status/statusor.h"
#include "engine/base/progress.h"
#include "engine/collection/record_source.h"
#include "engine/metric/labelled_data.h"
#include "engine/metric/learn_options.h"
#include "engine/metric/metric_version.h"

namespace metricdb {

// Runs `method`'s learner on `train` (options resolved); iterative methods
// report each epoch through `progress` (may be empty).
absl::StatusOr<LinearMap> LearnLinearMap(LearnMethod method, const LabelledData& train,
                                         const LearnOptions& options, const ProgressFn& progress);

// Learns L from the collection's labelled records (a seeded sample of at most
// options.max_records): identities are split into training and hold-out
// (options.holdout_fraction, options.split); the method learns on the
// training part; both the metric in force ("before") and the new one
// ("after") are evaluated on the hold-out (at most options.max_eval_records
// of it). Progress goes to `progress` (may be empty).
// INVALID_ARGUMENT for options out of range; FAILED_PRECONDITION when the
// labels cannot support learning or evaluation (fewer than 2 identities, no
// identity with two records, an empty side of the split) or the result is
// not finite; CANCELLED when `progress` returns false.
absl::StatusOr<MetricVersion> LearnMetric(RecordSource& collection, LearnMethod method,
                                          LearnOptions options, bool activate,
                                          const ProgressFn& progress);

// Stores a map learned elsewhere (INVALID_ARGUMENT naming "map" if its shape
// does not fit the collection or it is not finite). When the collection has
// labelled records of 2+ identities, the report evaluates before/after on a
// sample of at most 2000 of them.
absl::StatusOr<MetricVersion> UploadMetric(RecordSource& collection, LinearMap map, bool activate);

// The collection's metric versions, oldest first, their reports decoded;
// maps left empty unless include_maps. DATA_LOSS for a malformed report.
absl::StatusOr<std::vector<MetricVersion>> ListMetricVersions(const RecordSource& collection,
                                                              bool include_maps);
// NOT_FOUND if the collection has no such version.
absl::StatusOr<MetricVersion> GetMetricVersion(const RecordSource& collection, int32_t version);

}  // namespace metricdb

#endif  // METRICDB_ENGINE_METRIC_LEARN_METRIC_H_
