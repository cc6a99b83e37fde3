// Collection: checking input vectors and batches, and mapping vectors into
// the metric space in force.
#include <cmath>
#include <cstring>
#include <unordered_set>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "engine/collection/collection.h"
#include "engine/collection/vector_checks.h"
#include "engine/index/distance_kernels.h"

namespace metricdb {

void Collection::ToIndexForm(const LinearMap* map, std::vector<float>* rows) const {
  const size_t dim = schema_.dim;
  if (map != nullptr) {
    const int64_t n = int64_t(rows->size() / dim);
    std::vector<float> out(size_t(n) * map->d_out);
    map->Apply(rows->data(), n, out.data());
    *rows = std::move(out);
  } else if (schema_.metric == Metric::kCosine) {
    // Cannot fail: CheckInput rejected zero vectors.
    for (size_t at = 0; at < rows->size(); at += dim) {
      PrepareVector(schema_.metric, rows->data() + at, dim).IgnoreError();
    }
  }
}

absl::StatusOr<std::vector<std::vector<float>>> Collection::StoredVectors(
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

std::vector<float> Collection::RowsToMetricSpace(const std::vector<float>& rows,
                                                 MetricSpace* space) const {
  std::shared_ptr<const LinearMap> map;
  {
    std::shared_lock<WriterPriorityMutex> lock(mu_);
    map = map_;
  }
  std::vector<float> out = rows;
  ToIndexForm(map.get(), &out);
  space->dim = map ? map->d_out : schema_.dim;
  space->metric = map ? Metric::kL2 : schema_.metric;
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
  if (v.size() != size_t(schema_.dim)) {
    return absl::InvalidArgumentError(absl::StrCat(field(), ": has ", v.size(),
                                                   " values, collection \"", schema_.name,
                                                   "\" has dim ", schema_.dim));
  }
  // One SIMD pass settles every ordinary vector: a NaN or an infinity makes
  // the float sum of squares non-finite, and a sum near the limit (float
  // rounding) is rechecked exactly below.
  const float fast_norm = Kernels().dot(v.data(), v.data(), v.size());
  if (!(std::isfinite(fast_norm) && fast_norm <= float(0.999 * kMaxSquaredNorm))) {
    for (size_t i = 0; i < v.size(); ++i) {
      if (!std::isfinite(v[i])) {
        return absl::InvalidArgumentError(
            absl::StrCat(field(), "[", i, "]: ", v[i], " is not a finite number"));
      }
    }
    if (const double norm = SquaredNorm(v.data(), v.size()); norm > kMaxSquaredNorm) {
      return absl::InvalidArgumentError(
          absl::StrCat(field(), ": squared norm ", norm, " exceeds ", kMaxSquaredNorm,
                       " (distances between such vectors overflow float)"));
    }
  }
  std::memcpy(out, v.data(), v.size() * sizeof(float));
  if (schema_.metric == Metric::kCosine && AllZero(v)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field(), ": a zero vector has no direction under the cosine metric"));
  }
  return absl::OkStatus();
}

absl::Status Collection::ValidateBatch(const std::vector<Record>& records,
                                       std::vector<float>* prepared) const {
  if (records.empty()) {
    return absl::InvalidArgumentError("records: the batch is empty");
  }
  if (records.size() > size_t(limits_.max_batch_records)) {
    return absl::InvalidArgumentError(absl::StrCat("records: ", records.size(),
                                                   " records in one batch, at most ",
                                                   limits_.max_batch_records, " allowed"));
  }
  const size_t dim = schema_.dim;
  prepared->resize(records.size() * dim);
  std::unordered_set<std::string_view> batch_keys;
  batch_keys.reserve(records.size());
  auto field = [](size_t i) { return absl::StrCat("records[", i, "]"); };
  for (size_t i = 0; i < records.size(); ++i) {
    const Record& r = records[i];
    if (r.key.empty() || r.key.size() > kMaxKeyBytes) {
      return absl::InvalidArgumentError(absl::StrCat(field(i), ".key: must be 1 to ", kMaxKeyBytes,
                                                     " bytes, got ", r.key.size()));
    }
    if (!batch_keys.insert(r.key).second) {
      return absl::InvalidArgumentError(absl::StrCat(field(i), ".key: \"",
                                                     absl::CHexEscape(std::string(r.key)),
                                                     "\" appears twice in the batch"));
    }
    if (r.label && r.label->empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(field(i), ".label: must not be empty (omit it for an unlabelled record)"));
    }
    if (auto s =
            CheckInput(r.vector, prepared->data() + i * dim, [&] { return field(i) + ".vector"; });
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace metricdb
