// Conversions between the metricdb.v1 identity messages (identify, verify,
// calibrate, cluster) and engine types.
#ifndef METRICDB_SERVER_IDENTITY_CONVERT_H_
#define METRICDB_SERVER_IDENTITY_CONVERT_H_

#include "absl/status/statusor.h"
#include "engine/clustering/cluster.h"
#include "engine/identity/calibrate.h"
#include "engine/identity/identify.h"
#include "engine/identity/verify.h"
#include "metricdb/v1/metricdb.pb.h"

namespace metricdb {

// INVALID_ARGUMENT naming `field` for an unknown value.
absl::StatusOr<Aggregation> FromProto(v1::Aggregation aggregation, const char* field);
absl::StatusOr<IdentifyOptions> FromProto(const v1::IdentifyRequest& request);
absl::StatusOr<std::vector<VerifyPair>> PairsFromProto(const v1::VerifyRequest& request);
absl::StatusOr<VerifyOptions> FromProto(const v1::VerifyRequest& request);
CalibrateOptions FromProto(const v1::CalibrateRequest& request);
absl::StatusOr<ClusterOptions> FromProto(const v1::ClusterRequest& request);

void ToProto(const IdentifyResponse& response, v1::IdentifyResponse* proto);
void ToProto(const Calibration& calibration, bool stale, v1::Calibration* proto);
void ToProto(const ClusterResult& result, bool include_centroids, v1::ClusterResult* proto);

}  // namespace metricdb

#endif  // METRICDB_SERVER_IDENTITY_CONVERT_H_
