#include "engine/collection/record_source.h"

#include "absl/strings/str_cat.h"
#include "engine/collection/vector_form.h"

namespace metricdb {

absl::StatusOr<std::vector<float>> RecordSource::ToMetricSpace(
    absl::Span<const absl::Span<const float>> vectors, const std::string& field,
    MetricSpace* space) const {
  std::vector<float> raw;
  if (auto s = CheckVectors(schema(), vectors, field, &raw); !s.ok()) return s;
  return RowsToMetricSpace(raw, space);
}

absl::StatusOr<std::vector<std::vector<float>>> RecordSource::StoredVectors(
    absl::Span<const std::string> keys, const std::string& field) const {
  auto got = Get(keys, true);
  if (!got.ok()) return got.status();
  if (!got->missing_keys.empty()) {
    for (size_t i = 0; i < keys.size(); ++i) {
      if (keys[i] == got->missing_keys.front()) {
        return absl::NotFoundError(
            absl::StrCat(field, "[", i, "]: key \"", keys[i], "\" does not exist"));
      }
    }
  }
  std::vector<std::vector<float>> out;
  for (auto& r : got->records) out.push_back(std::move(r.vector));
  return out;
}

}  // namespace metricdb
