// Collection: checking input vectors and batches (vector_form.h), and mapping
// vectors into the metric space in force.
#include "absl/strings/str_cat.h"
#include "engine/collection/collection.h"
#include "engine/collection/vector_form.h"

namespace metricdb {

void Collection::ToIndexForm(const LinearMap* map, std::vector<float>* rows) const {
  metricdb::ToIndexForm(schema_, map, rows);
}

std::vector<float> Collection::RowsToMetricSpace(const std::vector<float>& rows,
                                                 MetricSpace* space) const {
  std::shared_ptr<const LinearMap> map;
  {
    std::shared_lock<WriterPriorityMutex> lock(mu_);
    map = map_;
  }
  std::vector<float> out = rows;
  ToIndexForm(map.get(), &out);
  *space = SpaceOf(schema_, map.get());
  return out;
}

absl::StatusOr<std::vector<float>> Collection::ToMetricSpace(
    absl::Span<const absl::Span<const float>> vectors, const std::string& field,
    MetricSpace* space) const {
  const size_t dim = schema_.dim;
  std::vector<float> raw(vectors.size() * dim);
  for (size_t i = 0; i < vectors.size(); ++i) {
    if (auto s = CheckInput(vectors[i], raw.data() + i * dim,
                            [&] { return absl::StrCat(field, "[", i, "]"); });
        !s.ok()) {
      return s;
    }
  }
  return RowsToMetricSpace(raw, space);
}

absl::Status Collection::CheckInput(absl::Span<const float> v, float* out,
                                    absl::FunctionRef<std::string()> field) const {
  return CheckVector(schema_, v, out, field);
}

absl::Status Collection::ValidateBatch(const std::vector<Record>& records,
                                       std::vector<float>* prepared) const {
  return CheckBatch(schema_, limits_, records, prepared);
}

}  // namespace metricdb
