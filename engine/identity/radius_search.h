// Radius search: every record within a distance of each query (up to a
// limit), closest first — "every appearance of this person within r". The
// radius is explicit, or the calibrated threshold at a target FAR.
//
// It runs as k-nearest-neighbour searches that widen: k starts at
// min(limit, 32) and is multiplied by 4 (at most to the limit) for the
// queries whose k-th hit still lies within the radius. Under an exact index
// (FLAT) the answer is exactly the records within the radius (the closest
// `limit` of them); under HNSW each search runs with ef_search at least 2k;
// under IVF it is as exact as the lists probed. Works on any RecordSource,
// so a cluster's sharded collection answers it too.
#ifndef METRICDB_ENGINE_IDENTITY_RADIUS_SEARCH_H_
#define METRICDB_ENGINE_IDENTITY_RADIUS_SEARCH_H_

#include <optional>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/collection/record_source.h"

namespace metricdb {

struct RadiusOptions {
  std::optional<double> max_distance;  // explicit radius (API distance units), or
  std::optional<double> far;           // the calibrated threshold at this FAR
};

// `options.k` is the limit (1..max_k); everything else of `options` applies
// as to Search. INVALID_ARGUMENT when neither or both of max_distance and
// far are given or the radius is not finite; calibration errors as
// ResolveThreshold; search errors as Search.
absl::StatusOr<SearchResults> RadiusSearch(const RecordSource& collection,
                                           absl::Span<const absl::Span<const float>> queries,
                                           const SearchOptions& options,
                                           const RadiusOptions& radius);

}  // namespace metricdb

#endif  // METRICDB_ENGINE_IDENTITY_RADIUS_SEARCH_H_
