#include "engine/identity/verify.h"

#include "absl/strings/str_cat.h"
#include "engine/base/attribute_types.h"
#include "engine/identity/calibration.h"

namespace metricdb {
namespace {

// The raw vector of a vector or key side.
absl::StatusOr<std::vector<float>> RawVector(const RecordSource& c, const VerifySide& side,
                                             const std::string& field) {
  if (side.kind == VerifySide::Kind::kVector) return side.vector;
  auto v = c.StoredVectors({side.key}, field + ".key");
  if (!v.ok()) {
    return absl::NotFoundError(absl::StrCat(field, ".key: \"", side.key, "\" does not exist"));
  }
  return std::move(v->front());
}

}  // namespace

absl::StatusOr<VerifyResponse> Verify(const RecordSource& c, const std::vector<VerifyPair>& pairs,
                                      const VerifyOptions& o) {
  if (pairs.empty()) return absl::InvalidArgumentError("pairs: at least one pair is needed");
  if (pairs.size() > size_t(c.limits().max_queries)) {
    return absl::InvalidArgumentError(absl::StrCat("pairs: ", pairs.size(), " pairs, at most ",
                                                   c.limits().max_queries, " allowed"));
  }
  if (o.aggregation == Aggregation::kVotes) {
    return absl::InvalidArgumentError(
        "aggregation: VOTES does not apply to verify; use MIN or MEAN");
  }
  if (o.aggregation == Aggregation::kMeanTopN && (o.top_n < 1 || o.top_n > c.limits().max_k)) {
    return absl::InvalidArgumentError(
        absl::StrCat("top_n: must be in [1, ", c.limits().max_k, "], got ", o.top_n));
  }
  if (auto parsed = ParseTypedFilter(o.filter, c.schema().attributes); !parsed.ok())
    return parsed.status();
  auto threshold = ResolveThreshold(c, o.threshold, o.calibrated_far, true);
  if (!threshold.ok()) return threshold.status();

  VerifyResponse out;
  out.threshold = **threshold;
  for (size_t i = 0; i < pairs.size(); ++i) {
    const std::string field = absl::StrCat("pairs[", i, "]");
    const VerifySide* a = &pairs[i].a;
    const VerifySide* b = &pairs[i].b;
    std::string fa = field + ".a", fb = field + ".b";
    if (a->kind == VerifySide::Kind::kLabel) {
      std::swap(a, b);
      std::swap(fa, fb);
    }
    if (a->kind == VerifySide::Kind::kLabel) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": both sides are labels; one must be a vector or a key"));
    }
    auto va = RawVector(c, *a, fa);
    if (!va.ok()) return va.status();
    double distance = 0;
    if (b->kind == VerifySide::Kind::kLabel) {
      SearchOptions search;
      search.k = o.aggregation == Aggregation::kMin ? 1 : o.top_n;
      search.labels = {b->label};
      search.filter = o.filter;
      auto hits = c.Search({absl::Span<const float>(*va)}, search);
      if (!hits.ok()) {
        return absl::Status(hits.status().code(),
                            absl::StrCat(fa, ".vector: ", hits.status().message()));
      }
      const auto& h = (*hits)[0];
      if (h.empty()) {
        return absl::NotFoundError(absl::StrCat(fb, ".label: \"", b->label, "\" has no records",
                                                o.filter.empty() ? "" : " matching the filter"));
      }
      for (const SearchHit& hit : h) distance += hit.distance;
      distance /= double(h.size());
    } else {
      auto vb = RawVector(c, *b, fb);
      if (!vb.ok()) return vb.status();
      MetricSpace space;
      auto mapped = c.ToMetricSpace({absl::Span<const float>(*va), absl::Span<const float>(*vb)},
                                    field, &space);
      if (!mapped.ok()) return mapped.status();
      distance = space.Distance(mapped->data(), mapped->data() + space.dim);
    }
    out.results.push_back({distance, distance <= out.threshold});
  }
  return out;
}

}  // namespace metricdb
