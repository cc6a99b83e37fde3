#include "server/status_util.h"

#include <spdlog/spdlog.h>

namespace metricdb {

grpc::Status Reply(const char* method, const absl::Status& s) {
  if (!s.ok()) {
    const bool client_error = s.code() == absl::StatusCode::kInvalidArgument ||
                              s.code() == absl::StatusCode::kNotFound ||
                              s.code() == absl::StatusCode::kAlreadyExists ||
                              s.code() == absl::StatusCode::kFailedPrecondition ||
                              s.code() == absl::StatusCode::kCancelled;
    if (client_error) {
      spdlog::debug("{} -> {}", method, absl::StatusCodeToString(s.code()));
    } else {
      spdlog::error("{} -> {}: {}", method, absl::StatusCodeToString(s.code()),
                    std::string(s.message()));
    }
  }
  return ToGrpcStatus(s);
}

std::string GrpcCodeName(grpc::StatusCode code) {
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

}  // namespace metricdb
