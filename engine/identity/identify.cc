#include "engine/identity/identify.h"

#include "absl/strings/str_cat.h"
#include "engine/identity/calibration.h"

namespace metricdb {

absl::StatusOr<IdentifyResponse> Identify(const RecordSource& c,
                                          absl::Span<const absl::Span<const float>> queries,
                                          absl::Span<const std::string> query_keys,
                                          const IdentifyOptions& o) {
  if (queries.empty() && query_keys.empty()) {
    return absl::InvalidArgumentError("queries, query_keys: at least one query is needed");
  }
  const int32_t max_k = c.limits().max_k;
  const int32_t depth = o.depth == 0 ? std::min(100, max_k) : o.depth;
  if (depth < 1 || depth > max_k) {
    return absl::InvalidArgumentError(
        absl::StrCat("depth: must be in [1, ", max_k, "], got ", o.depth));
  }
  if (o.top_identities < 1 || o.top_identities > 1000) {
    return absl::InvalidArgumentError(
        absl::StrCat("top_identities: must be in [1, 1000], got ", o.top_identities));
  }
  if (o.aggregation == Aggregation::kMeanTopN && (o.top_n < 1 || o.top_n > depth)) {
    return absl::InvalidArgumentError(
        absl::StrCat("top_n: must be in [1, depth = ", depth, "], got ", o.top_n));
  }
  auto threshold = ResolveThreshold(c, o.threshold, o.calibrated_far, false);
  if (!threshold.ok()) return threshold.status();

  auto key_vectors = c.StoredVectors(query_keys, "query_keys");
  if (!key_vectors.ok()) return key_vectors.status();
  std::vector<absl::Span<const float>> all(queries.begin(), queries.end());
  for (const auto& v : *key_vectors) all.emplace_back(v);
  SearchOptions search;
  search.k = depth;
  search.scope = LabelScope::kLabelled;
  search.filter = o.filter;
  search.tuning = o.tuning;
  if (!query_keys.empty() && depth < max_k) ++search.k;  // room for the key's own record
  auto hits = c.Search(all, search);
  if (!hits.ok()) return hits.status();

  IdentifyResponse out;
  out.threshold = *threshold;
  for (size_t q = 0; q < all.size(); ++q) {
    std::vector<SearchHit>& h = (*hits)[q];
    if (q >= queries.size()) {  // a key query: drop its own record
      const std::string& own = query_keys[q - queries.size()];
      for (size_t i = 0; i < h.size(); ++i) {
        if (h[i].key == own) {
          h.erase(h.begin() + i);
          break;
        }
      }
    }
    if (int32_t(h.size()) > depth) h.resize(depth);
    IdentifyResult r;
    r.identities = AggregateByIdentity(h, o.aggregation, o.top_n);
    if (int32_t(r.identities.size()) > o.top_identities) r.identities.resize(o.top_identities);
    r.unknown = r.identities.empty() || (*threshold && r.identities.front().distance > **threshold);
    out.results.push_back(std::move(r));
  }
  return out;
}

}  // namespace metricdb
