// absl::Status <-> grpc::Status. The codes are the same numbers, so the
// conversion keeps the code and the message and nothing else.
#ifndef METRICDB_PROTO_CONVERT_STATUS_CONVERT_H_
#define METRICDB_PROTO_CONVERT_STATUS_CONVERT_H_

#include <grpcpp/support/status.h>

#include <string>

#include "absl/status/status.h"

namespace metricdb {

inline grpc::Status ToGrpcStatus(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

inline absl::Status FromGrpcStatus(const grpc::Status& s) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

}  // namespace metricdb

#endif  // METRICDB_PROTO_CONVERT_STATUS_CONVERT_H_
