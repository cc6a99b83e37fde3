#include "engine/storage/stored_metric_version.h"

#include "engine/base/bytes.h"

namespace metricdb {

std::string EncodeStoredMetricVersion(const StoredMetricVersion& v) {
  std::string out;
  PutPod<uint8_t>(&out, v.report_format);
  PutPod(&out, v.version);
  PutPod(&out, v.created_unix_ms);
  PutPod(&out, v.map.d_out);
  PutPod(&out, v.map.dim);
  PutArray(&out, v.map.rows);
  out += v.report;
  return out;
}

absl::StatusOr<StoredMetricVersion> DecodeStoredMetricVersion(std::string_view bytes) {
  ByteReader r(bytes);
  StoredMetricVersion v;
  const bool ok = r.U8(&v.report_format) && (v.report_format == 1 || v.report_format == 2) &&
                  r.Pod(&v.version) && r.Pod(&v.created_unix_ms) && r.Pod(&v.map.d_out) &&
                  r.Pod(&v.map.dim) && r.Array(&v.map.rows);
  if (!ok || v.map.d_out < 1 || v.map.dim < 1 ||
      v.map.rows.size() != size_t(v.map.d_out) * size_t(v.map.dim)) {
    return absl::DataLossError("corrupt stored metric version");
  }
  v.report = std::string(r.rest());
  return v;
}

}  // namespace metricdb
