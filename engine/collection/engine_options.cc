#include "engine/collection/engine_options.h"

#include "absl/strings/str_cat.h"

namespace metricdb {

absl::Status EngineOptions::Validate() const {
  if (data_dir.empty()) {
    return absl::InvalidArgumentError("data_dir: must not be empty");
  }
  const std::pair<const char*, int32_t> positive[] = {
      {"max_k", limits.max_k},
      {"max_queries", limits.max_queries},
      {"max_batch_records", limits.max_batch_records},
      {"max_keys", limits.max_keys}};
  for (const auto& [name, value] : positive) {
    if (value < 1) {
      return absl::InvalidArgumentError(absl::StrCat(name, ": must be at least 1, got ", value));
    }
  }
  if (snapshot_interval_seconds < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("snapshot_interval_seconds: must be >= 0, got ", snapshot_interval_seconds));
  }
  if (expiry_sweep_ms < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("expiry_sweep_ms: must be >= 0, got ", expiry_sweep_ms));
  }
  return absl::OkStatus();
}

}  // namespace metricdb
