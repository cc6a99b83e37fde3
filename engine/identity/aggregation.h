// Aggregation: how the neighbours of a query that share a label become one
// score for that identity.
//   kMin       the identity's closest record (best template);
//   kMeanTopN  the mean distance of the identity's n closest records among
//              the candidates (fewer if it has fewer);
//   kVotes     how many of the candidates carry the label (ties: the
//              closer identity first).
#ifndef METRICDB_ENGINE_IDENTITY_AGGREGATION_H_
#define METRICDB_ENGINE_IDENTITY_AGGREGATION_H_

#include <string>
#include <string_view>
#include <vector>

#include "engine/base/search_types.h"

namespace metricdb {

enum class Aggregation { kMin = 1, kMeanTopN = 2, kVotes = 3 };

std::string_view AggregationName(Aggregation aggregation);

struct IdentityMatch {
  std::string label;
  // Higher is better: -distance for kMin and kMeanTopN, the fraction of the
  // candidates that voted for kVotes.
  double score = 0;
  // The aggregated distance (kMin, kMeanTopN); the closest record's for
  // kVotes. What a threshold is compared with.
  double distance = 0;
  std::vector<std::string> keys;  // its candidates, closest first
};

// Groups `hits` (closest first; unlabelled ones are skipped) by label and
// returns the identities best first.
std::vector<IdentityMatch> AggregateByIdentity(const std::vector<SearchHit>& hits,
                                               Aggregation aggregation, int top_n);

}  // namespace metricdb

#endif  // METRICDB_ENGINE_IDENTITY_AGGREGATION_H_
