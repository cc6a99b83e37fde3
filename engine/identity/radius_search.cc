#include "engine/identity/radius_search.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "engine/identity/calibration.h"

namespace metricdb {

absl::StatusOr<SearchResults> RadiusSearch(const RecordSource& c,
                                           absl::Span<const absl::Span<const float>> queries,
                                           const SearchOptions& options,
                                           const RadiusOptions& radius) {
  if (radius.max_distance.has_value() == radius.far.has_value()) {
    return absl::InvalidArgumentError(
        "max_distance, far: give one of them for a radius search, not both");
  }
  if (radius.max_distance && !std::isfinite(*radius.max_distance)) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_distance: must be a finite number, got ", *radius.max_distance));
  }
  auto resolved = ResolveThreshold(c, radius.max_distance, radius.far, true);
  if (!resolved.ok()) return resolved.status();
  const double r = **resolved;
  const int32_t limit = options.k;
  if (limit < 1 || limit > c.limits().max_k) {  // Search's own check, before any search
    return absl::InvalidArgumentError(absl::StrCat(
        "k: the limit of a radius search must be in [1, ", c.limits().max_k, "], got ", limit));
  }
  const bool hnsw = c.schema().index.kind == IndexSpec::Kind::kHnsw;
  SearchResults out(queries.size());
  std::vector<size_t> pending(queries.size());
  for (size_t i = 0; i < pending.size(); ++i) pending[i] = i;
  for (int32_t k = std::min(limit, 32); !pending.empty(); k = std::min(limit, 4 * k)) {
    SearchOptions pass = options;
    pass.k = k;
    if (hnsw) pass.tuning.ef_search = std::max(pass.tuning.ef_search, std::min(32768, 2 * k));
    std::vector<absl::Span<const float>> batch;
    for (size_t q : pending) batch.push_back(queries[q]);
    auto hits = c.Search(batch, pass);
    if (!hits.ok()) return hits.status();
    std::vector<size_t> wider;
    for (size_t j = 0; j < pending.size(); ++j) {
      std::vector<SearchHit>& h = (*hits)[j];
      const bool full = int32_t(h.size()) == k && !h.empty() && h.back().distance <= r;
      if (full && k < limit) {
        wider.push_back(pending[j]);
        continue;
      }
      // Closest first: keep the prefix within the radius.
      auto end =
          std::find_if(h.begin(), h.end(), [r](const SearchHit& hit) { return hit.distance > r; });
      h.erase(end, h.end());
      out[pending[j]] = std::move(h);
    }
    pending = std::move(wider);
  }
  return out;
}

}  // namespace metricdb
