#include "engine/identity/aggregation.h"

#include <algorithm>
#include <unordered_map>

namespace metricdb {

std::string_view AggregationName(Aggregation aggregation) {
  switch (aggregation) {
    case Aggregation::kMin:
      return "min";
    case Aggregation::kMeanTopN:
      return "mean";
    case Aggregation::kVotes:
      return "votes";
  }
  return "unknown";
}

std::vector<IdentityMatch> AggregateByIdentity(const std::vector<SearchHit>& hits,
                                               Aggregation aggregation, int top_n) {
  std::vector<IdentityMatch> out;
  std::unordered_map<std::string, size_t> slot;
  std::vector<double> sums;
  int64_t candidates = 0;
  for (const SearchHit& hit : hits) {
    if (!hit.label) continue;
    ++candidates;
    auto [it, added] = slot.emplace(*hit.label, out.size());
    if (added) {
      out.push_back({*hit.label, 0, hit.distance, {}});
      sums.push_back(0);
    }
    IdentityMatch& m = out[it->second];
    if (aggregation != Aggregation::kMeanTopN || int(m.keys.size()) < top_n) {
      sums[it->second] += hit.distance;
    }
    m.keys.push_back(hit.key);
  }
  for (size_t i = 0; i < out.size(); ++i) {
    IdentityMatch& m = out[i];
    switch (aggregation) {
      case Aggregation::kMin:
        m.score = -m.distance;  // hits are closest first
        break;
      case Aggregation::kMeanTopN:
        m.distance = sums[i] / double(std::min<size_t>(m.keys.size(), size_t(top_n)));
        m.score = -m.distance;
        break;
      case Aggregation::kVotes:
        m.score = double(m.keys.size()) / double(candidates);
        break;
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const IdentityMatch& a, const IdentityMatch& b) {
    if (a.score != b.score) return a.score > b.score;
    return a.distance < b.distance;
  });
  return out;
}

}  // namespace metricdb
