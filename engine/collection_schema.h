// The schema of a collection: its name, dimension, metric and index spec.
#ifndef METRICDB_ENGINE_COLLECTION_SCHEMA_H_
#define METRICDB_ENGINE_COLLECTION_SCHEMA_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "engine/metric.h"

namespace metricdb {

// Which index serves a collection. Only kFlat (exact search) is served now;
// the others are accepted by the API and answered UNIMPLEMENTED.
struct IndexSpec {
  enum class Kind { kFlat = 0, kHnsw = 1, kIvfFlat = 2, kIvfPq = 3 };
  Kind kind = Kind::kFlat;
  // HNSW
  int32_t m = 0;
  int32_t ef_construction = 0;
  int32_t ef_search = 0;
  // IVF (m is shared with HNSW's field name: sub-quantisers for IVF_PQ)
  int32_t nlist = 0;
  int32_t nprobe = 0;
  int32_t nbits = 0;
};

std::string_view IndexKindName(IndexSpec::Kind kind);

struct CollectionSchema {
  std::string name;
  int32_t dim = 0;
  Metric metric = Metric::kL2;
  IndexSpec index;
};

inline constexpr int32_t kMaxDim = 65536;

// OK if `name` matches [A-Za-z0-9_-]{1,64}; else INVALID_ARGUMENT naming
// `field`.
absl::Status ValidateCollectionName(std::string_view name,
                                    std::string_view field = "name");

// Name rule above, 1 <= dim <= kMaxDim, and an index the engine serves
// (UNIMPLEMENTED for the others).
absl::Status ValidateSchema(const CollectionSchema& schema);

}  // namespace metricdb

#endif  // METRICDB_ENGINE_COLLECTION_SCHEMA_H_
