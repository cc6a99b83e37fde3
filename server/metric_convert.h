// Conversions between the metricdb.v1 learned-metric messages and engine
// types.
#ifndef METRICDB_SERVER_METRIC_CONVERT_H_
#define METRICDB_SERVER_METRIC_CONVERT_H_

#include "absl/status/statusor.h"
#include "engine/base/progress.h"
#include "engine/metric/learn_options.h"
#include "engine/metric/metric_version.h"
#include "metricdb/v1/metricdb.pb.h"

namespace metricdb {

// INVALID_ARGUMENT naming "method" for METHOD_UNSPECIFIED or an unknown value.
absl::StatusOr<LearnMethod> FromProto(v1::MetricLearningMethod method);
// INVALID_ARGUMENT naming "options.split" for an unknown value; ranges are
// checked by the engine.
absl::StatusOr<LearnOptions> FromProto(const v1::LearnOptions& proto);
void ToProto(const LearnOptions& options, v1::LearnOptions* proto);
void ToProto(const RetrievalQuality& quality, v1::RetrievalQuality* proto);
void ToProto(const MetricVersion& version, bool active, bool include_map, v1::MetricVersion* proto);
void ToProto(const LearnProgress& progress, v1::LearnProgress* proto);

}  // namespace metricdb

#endif  // METRICDB_SERVER_METRIC_CONVERT_H_
