// absl::Status <-> grpc::Status. The codes are the same numbers, so the
// conversion keeps the code and the message and nothing else.
#ifndef METRICDB_SERVER_STATUS_UTIL_H_
#define METRICDB_SERVER_STATUS_UTIL_H_

#include <grpcpp/support/status.h>

#include <string>

#include "absl/status/status.h"

namespace metricdb {

inline grpc::Status ToGrpcStatus(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

// The reply of a handler: logs a failed call without request data (keys and
// labels stay out of logs; client errors at debug level, others as errors)
// and converts its status.
grpc::Status Reply(const char* method, const absl::Status& s);

}  // namespace metricdb

#endif  // METRICDB_SERVER_STATUS_UTIL_H_
