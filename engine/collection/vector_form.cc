// Checking input vectors and batches against a schema, and mapping checked
// vectors into the space the index compares them in.
#include "engine/collection/vector_form.h"

#include <cmath>
#include <cstring>
#include <unordered_set>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "engine/base/attribute_types.h"
#include "engine/collection/vector_checks.h"
#include "engine/index/distance_kernels.h"

namespace metricdb {

absl::Status CheckVector(const CollectionSchema& schema, absl::Span<const float> v, float* out,
                         absl::FunctionRef<std::string()> field) {
  if (v.size() != size_t(schema.dim)) {
    return absl::InvalidArgumentError(absl::StrCat(field(), ": has ", v.size(),
                                                   " values, collection \"", schema.name,
                                                   "\" has dim ", schema.dim));
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
  if (schema.metric == Metric::kCosine && AllZero(v)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field(), ": a zero vector has no direction under the cosine metric"));
  }
  return absl::OkStatus();
}

absl::Status CheckVectors(const CollectionSchema& schema,
                          absl::Span<const absl::Span<const float>> vectors, std::string_view field,
                          std::vector<float>* raw) {
  const size_t dim = schema.dim;
  raw->resize(vectors.size() * dim);
  for (size_t i = 0; i < vectors.size(); ++i) {
    if (auto s = CheckVector(schema, vectors[i], raw->data() + i * dim,
                             [&] { return absl::StrCat(std::string(field), "[", i, "]"); });
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status CheckBatch(const CollectionSchema& schema, const CollectionLimits& limits,
                        const std::vector<Record>& records, std::vector<float>* prepared) {
  if (records.empty()) {
    return absl::InvalidArgumentError("records: the batch is empty");
  }
  if (records.size() > size_t(limits.max_batch_records)) {
    return absl::InvalidArgumentError(absl::StrCat("records: ", records.size(),
                                                   " records in one batch, at most ",
                                                   limits.max_batch_records, " allowed"));
  }
  const size_t dim = schema.dim;
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
    if (!schema.attributes.empty()) {
      for (const auto& [name, value] : r.attributes) {
        const AttributeField* declared = FindAttributeField(schema.attributes, name);
        if (declared == nullptr) continue;  // undeclared: a free string
        if (auto s = CheckAttributeValue(declared->type, value,
                                         absl::StrCat(field(i), ".attributes.", name));
            !s.ok()) {
          return s;
        }
      }
    }
    if (auto s = CheckVector(schema, r.vector, prepared->data() + i * dim,
                             [&] { return field(i) + ".vector"; });
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

void ToIndexForm(const CollectionSchema& schema, const LinearMap* map, std::vector<float>* rows) {
  const size_t dim = schema.dim;
  if (map != nullptr) {
    const int64_t n = int64_t(rows->size() / dim);
    std::vector<float> out(size_t(n) * map->d_out);
    map->Apply(rows->data(), n, out.data());
    *rows = std::move(out);
  } else if (schema.metric == Metric::kCosine) {
    // Cannot fail: CheckVector rejected zero vectors.
    for (size_t at = 0; at < rows->size(); at += dim) {
      PrepareVector(schema.metric, rows->data() + at, dim).IgnoreError();
    }
  }
}

absl::Status CheckSearchShape(const CollectionLimits& limits, size_t queries, int32_t k) {
  if (queries == 0) {
    return absl::InvalidArgumentError("queries: at least one query is needed");
  }
  if (queries > size_t(limits.max_queries)) {
    return absl::InvalidArgumentError(absl::StrCat("queries: ", queries, " queries, at most ",
                                                   limits.max_queries, " allowed per request"));
  }
  if (k < 1 || k > limits.max_k) {
    return absl::InvalidArgumentError(
        absl::StrCat("k: must be in [1, ", limits.max_k, "], got ", k));
  }
  return absl::OkStatus();
}

absl::Status CheckDeleteShape(const CollectionLimits& limits, size_t keys, size_t labels,
                              const std::string& filter) {
  if (keys == 0 && labels == 0 &&
      filter.find_first_not_of(" \t\r\n\f\v") == std::string::npos) {  // blank: no filter
    return absl::InvalidArgumentError("keys, labels, filter: nothing to delete");
  }
  if (keys + labels > size_t(limits.max_keys)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "keys, labels: ", keys + labels, " given, at most ", limits.max_keys, " allowed"));
  }
  return absl::OkStatus();
}

absl::Status CheckPageSize(int64_t limit, std::string_view field) {
  if (limit < 1 || limit > kMaxPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(field), ": must be in [1, ", kMaxPageSize, "], got ", limit));
  }
  return absl::OkStatus();
}

absl::Status CheckRelabel(const CollectionLimits& limits, absl::Span<const std::string> from,
                          const std::string& to) {
  if (from.empty()) return absl::InvalidArgumentError("from: name at least one label");
  if (from.size() > size_t(limits.max_keys)) {
    return absl::InvalidArgumentError(
        absl::StrCat("from: ", from.size(), " labels, at most ", limits.max_keys, " allowed"));
  }
  for (size_t i = 0; i < from.size(); ++i) {
    if (from[i].empty()) {
      return absl::InvalidArgumentError(absl::StrCat("from[", i, "]: must not be empty"));
    }
  }
  if (to.empty()) return absl::InvalidArgumentError("to: must not be empty");
  return absl::OkStatus();
}

MetricSpace SpaceOf(const CollectionSchema& schema, const LinearMap* map) {
  MetricSpace space;
  space.dim = map ? map->d_out : schema.dim;
  space.metric = map ? Metric::kL2 : schema.metric;
  return space;
}

}  // namespace metricdb
