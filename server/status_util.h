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
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()),
                      std::string(s.message()));
}

}  // namespace metricdb

#endif  // METRICDB_SERVER_STATUS_UTIL_H_
