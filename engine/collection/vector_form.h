// VectorForm: the checks every input vector and upsert batch of a collection
// passes (shared by the local collection and by a cluster's coordinator,
// which checks a whole batch before splitting it over shards), and the form
// in which the index holds a vector under the metric in force.
#ifndef METRICDB_ENGINE_COLLECTION_VECTOR_FORM_H_
#define METRICDB_ENGINE_COLLECTION_VECTOR_FORM_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/types/span.h"
#include "engine/base/collection_limits.h"
#include "engine/base/collection_schema.h"
#include "engine/base/linear_map.h"
#include "engine/base/record.h"
#include "engine/base/search_types.h"

namespace metricdb {

// Checks an input vector (dim, finite, not zero under the cosine creation
// metric, squared norm small enough that distances stay finite in float) and
// copies it to `out` (dim floats). `field` is called only to name the vector
// in an error, so the valid path builds no strings.
absl::Status CheckVector(const CollectionSchema& schema, absl::Span<const float> v, float* out,
                         absl::FunctionRef<std::string()> field);

// CheckVector for each of `vectors` (errors name `field`[i]), into `raw`
// (n x dim).
absl::Status CheckVectors(const CollectionSchema& schema,
                          absl::Span<const absl::Span<const float>> vectors, std::string_view field,
                          std::vector<float>* raw);

// Checks one upsert batch (not empty, at most limits.max_batch_records, keys
// 1..kMaxKeyBytes and unique in the batch, labels not empty, vectors as
// CheckVector; errors name "records[i]...") and fills `prepared` with its raw
// vectors (rows x dim).
absl::Status CheckBatch(const CollectionSchema& schema, const CollectionLimits& limits,
                        const std::vector<Record>& records, std::vector<float>* prepared);

// Checks the shape of a search: 1..limits.max_queries queries, k in
// [1, limits.max_k]; INVALID_ARGUMENT naming `queries` or `k`.
absl::Status CheckSearchShape(const CollectionLimits& limits, size_t queries, int32_t k);

// Checks the shape of a delete: some keys or labels or a filter, at most
// limits.max_keys keys and labels together.
absl::Status CheckDeleteShape(const CollectionLimits& limits, size_t keys, size_t labels,
                              const std::string& filter);

// Checks a page size (Scan, ListLabels): 1..kMaxPageSize; INVALID_ARGUMENT
// naming `field`.
absl::Status CheckPageSize(int64_t limit, std::string_view field);

// Checks a relabelling: 1..limits.max_keys labels in `from`, none empty, and
// a non-empty `to`.
absl::Status CheckRelabel(const CollectionLimits& limits, absl::Span<const std::string> from,
                          const std::string& to);

// Turns checked raw rows (n x dim) into what the index holds: L x under
// `map` (n x d_out), else normalised for cosine or unchanged.
void ToIndexForm(const CollectionSchema& schema, const LinearMap* map, std::vector<float>* rows);

// The space ToIndexForm maps into.
MetricSpace SpaceOf(const CollectionSchema& schema, const LinearMap* map);

}  // namespace metricdb

#endif  // METRICDB_ENGINE_COLLECTION_VECTOR_FORM_H_
