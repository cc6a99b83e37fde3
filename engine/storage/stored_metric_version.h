// StoredMetricVersion: a metric version as the store keeps it — its number,
// when it was made, the map L, and the report of how it was made as bytes
// that the metric room writes and reads (opaque here, so storage does not
// depend on the learners' options or measures).
#ifndef METRICDB_ENGINE_STORAGE_STORED_METRIC_VERSION_H_
#define METRICDB_ENGINE_STORAGE_STORED_METRIC_VERSION_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "engine/base/linear_map.h"

namespace metricdb {

struct StoredMetricVersion {
  int32_t version = 0;  // 1, 2, ...; assigned by Store::AddMetricVersion
  int64_t created_unix_ms = 0;
  LinearMap map;
  // The report's encoding: its format number (which the report's reader
  // needs) and its bytes.
  uint8_t report_format = 0;
  std::string report;
};

// Layout: format (u8), version, created_unix_ms, map d_out, dim, rows, then
// the report's bytes. (Unchanged since metric versions were first stored:
// the format byte was always the report's.)
std::string EncodeStoredMetricVersion(const StoredMetricVersion& version);
// DATA_LOSS on malformed bytes or a format other than 1 or 2.
absl::StatusOr<StoredMetricVersion> DecodeStoredMetricVersion(std::string_view bytes);

}  // namespace metricdb

#endif  // METRICDB_ENGINE_STORAGE_STORED_METRIC_VERSION_H_
