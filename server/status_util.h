// The replies of the server's handlers (ToGrpcStatus: proto/convert).
#ifndef METRICDB_SERVER_STATUS_UTIL_H_
#define METRICDB_SERVER_STATUS_UTIL_H_

#include <grpcpp/support/status.h>

#include <string>

#include "absl/status/status.h"
#include "proto/convert/status_convert.h"

namespace metricdb {

// The reply of a handler: logs a failed call without request data (keys and
// labels stay out of logs; client errors at debug level, others as errors)
// and converts its status.
grpc::Status Reply(const char* method, const absl::Status& s);

// "INVALID_ARGUMENT" for grpc::StatusCode::INVALID_ARGUMENT (gRPC's codes
// are absl's, number for number).
std::string GrpcCodeName(grpc::StatusCode code);

}  // namespace metricdb

#endif  // METRICDB_SERVER_STATUS_UTIL_H_
