// The schema of a collection: its name, dimension, metric and index spec.
#ifndef METRICDB_ENGINE_BASE_COLLECTION_SCHEMA_H_
#define METRICDB_ENGINE_BASE_COLLECTION_SCHEMA_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "engine/base/metric.h"

namespace metricdb {

// Which index serves a collection, with its parameters. A 0 field means
// "the default", filled in by ResolveIndexSpec:
//   HNSW      m 32 (2..256), ef_construction 200 (1..4096), ef_search 64
//             (1..32768);
//   IVF_FLAT  nlist 256 (1..65536), nprobe min(16, nlist) (1..nlist);
//   IVF_PQ    as IVF_FLAT, plus m = dim/4 sub-quantisers if 4 divides dim
//             (must divide dim), nbits 8 (4..12).
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
  Metric metric = Metric::kL2;  // the metric given at creation
  IndexSpec index;
  // 0: `metric` is in force. N > 0: the learned MAHALANOBIS metric version N
  // (d(x, y) = ||L (x - y)|| on the raw vectors) is in force instead.
  int32_t metric_version = 0;
};

inline constexpr int32_t kMaxDim = 65536;

// OK if `name` matches [A-Za-z0-9_-]{1,64}; else INVALID_ARGUMENT naming
// `field`.
absl::Status ValidateCollectionName(std::string_view name, std::string_view field = "name");

// Fills the defaults of `spec` and checks its ranges for vectors of `dim`;
// INVALID_ARGUMENT naming the parameter ("index.ivf_pq.m: 7 does not divide
// dim 128").
absl::Status ResolveIndexSpec(int32_t dim, IndexSpec* spec);

// Checks the name rule above and 1 <= dim <= kMaxDim, and resolves the
// index spec in place (ResolveIndexSpec).
absl::Status ValidateSchema(CollectionSchema* schema);

// Records an IVF index needs before it trains by itself: 39 per list (and
// per PQ centroid), the minimum FAISS recommends for k-means.
int64_t IvfTrainingThreshold(const IndexSpec& spec);

}  // namespace metricdb

#endif  // METRICDB_ENGINE_BASE_COLLECTION_SCHEMA_H_
