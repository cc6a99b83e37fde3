// Identify (1:N, open set): "who is this?". The index's nearest labelled
// records (`depth` candidates) are grouped by label, aggregated (see
// aggregation.h) and ranked; with a threshold (explicit or calibrated), a
// query whose best identity is farther than it is answered unknown.
// Unlabelled records are never candidates.
#ifndef METRICDB_ENGINE_IDENTITY_IDENTIFY_H_
#define METRICDB_ENGINE_IDENTITY_IDENTIFY_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/collection/record_source.h"
#include "engine/identity/aggregation.h"

namespace metricdb {

struct IdentifyOptions {
  int32_t top_identities = 5;  // identities returned per query, 1..1000
  int32_t depth = 0;           // candidates from the index; 0: 100 (at most max_k)
  Aggregation aggregation = Aggregation::kMin;
  int32_t top_n = 3;                     // kMeanTopN: records averaged, 1..depth
  std::optional<double> threshold;       // explicit, or
  std::optional<double> calibrated_far;  // the calibrated one at this FAR
  SearchTuning tuning;
  // Not blank: only records matching it (filter_expression.h) are
  // candidates, as if the collection held no others.
  std::string filter;
};

struct IdentifyResult {
  bool unknown = false;                   // the best identity is beyond the threshold (or none)
  std::vector<IdentityMatch> identities;  // best first, at most top_identities
};

struct IdentifyResponse {
  std::vector<IdentifyResult> results;  // vector queries, then key queries
  std::optional<double> threshold;      // the one applied, if any
};

// Queries are vectors and/or stored keys (a key's own record is not its
// candidate). INVALID_ARGUMENT naming the field (bad vector, options out of
// range, no query); NOT_FOUND for an unknown key; threshold errors as
// ResolveThreshold.
absl::StatusOr<IdentifyResponse> Identify(const RecordSource& collection,
                                          absl::Span<const absl::Span<const float>> queries,
                                          absl::Span<const std::string> query_keys,
                                          const IdentifyOptions& options);

}  // namespace metricdb

#endif  // METRICDB_ENGINE_IDENTITY_IDENTIFY_H_
