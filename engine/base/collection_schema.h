// The schema of a collection: its name, dimension, metric and index spec.
#ifndef METRICDB_ENGINE_BASE_COLLECTION_SCHEMA_H_
#define METRICDB_ENGINE_BASE_COLLECTION_SCHEMA_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "engine/base/metric.h"

namespace metricdb {

// Which index serves a collection, with its parameters. A 0 field means
// "the default", filled in by ResolveIndexSpec:
//   HNSW      m 32 (2..256), ef_construction 200 (1..4096), ef_search 64
//             (1..32768), quantization none; quantised (sq8, sq4): rerank 32
//             (1..32768), code_dims 0 = dim (else 1..dim - 1: codes of
//             the principal axes, CodeProjection), else both must be 0;
//   IVF_FLAT  nlist 256 (1..65536), nprobe min(16, nlist) (1..nlist);
//   IVF_PQ    as IVF_FLAT, plus m = dim/4 sub-quantisers if 4 divides dim
//             (must divide dim), nbits 8 (4..12).
struct IndexSpec {
  enum class Kind { kFlat = 0, kHnsw = 1, kIvfFlat = 2, kIvfPq = 3 };
  // How an HNSW graph stores the vectors it walks: full floats, or scalar
  // codes of 8 or 4 bits per dimension whose best candidates are re-ranked
  // on the full vectors (QuantizedHnswIndex).
  enum class Quantization { kNone = 0, kSq8 = 1, kSq4 = 2 };
  Kind kind = Kind::kFlat;
  // HNSW
  int32_t m = 0;
  int32_t ef_construction = 0;
  int32_t ef_search = 0;
  Quantization quantization = Quantization::kNone;
  int32_t rerank = 0;  // candidates re-ranked exactly per query (quantised)
  // Quantised: codes of this many principal axes; below a learned metric's
  // d_out too (else its activation is refused).
  int32_t code_dims = 0;
  // IVF (m is shared with HNSW's field name: sub-quantisers for IVF_PQ)
  int32_t nlist = 0;
  int32_t nprobe = 0;
  int32_t nbits = 0;
};

std::string_view IndexKindName(IndexSpec::Kind kind);
// "none", "sq8", "sq4".
std::string_view QuantizationName(IndexSpec::Quantization q);

// The type of a declared attribute field; a record's value must read as it
// (attribute_types.h). Undeclared attributes are free strings.
enum class AttributeType { kString = 1, kInt64 = 2, kDouble = 3, kBool = 4, kTimestamp = 5 };
struct AttributeField {
  std::string name;  // [A-Za-z_][A-Za-z0-9_.-]*, not "label" or "key"
  AttributeType type = AttributeType::kString;
  bool operator==(const AttributeField& o) const { return name == o.name && type == o.type; }
};
inline constexpr size_t kMaxAttributeFields = 256;
// "string", "int64", "double", "bool", "timestamp".
std::string_view AttributeTypeName(AttributeType type);

struct CollectionSchema {
  std::string name;
  int32_t dim = 0;
  Metric metric = Metric::kL2;  // the metric given at creation
  IndexSpec index;
  // 0: `metric` is in force. N > 0: the learned MAHALANOBIS metric version N
  // (d(x, y) = ||L (x - y)|| on the raw vectors) is in force instead.
  int32_t metric_version = 0;
  // Shards the collection is split into: 1 on a single node; 1..kMaxShards
  // in a cluster (cluster/), where each shard is a local collection named
  // ShardCollectionName(name, shard) on the node that holds it.
  int32_t shards = 1;
  // Declared attribute fields (at most kMaxAttributeFields, unique names):
  // writes are checked against them, and filters may name only them (and
  // label, key) once any is declared. None: attributes are free strings and
  // filters may name any field.
  std::vector<AttributeField> attributes;
  // Retention: a record written without its own expiry expires this many
  // seconds after it is written (0: records are kept until deleted).
  int64_t ttl_seconds = 0;
};

// The longest retention a collection or record may ask for (100 years).
inline constexpr int64_t kMaxTtlSeconds = int64_t{100} * 366 * 24 * 3600;

inline constexpr int32_t kMaxShards = 1024;

inline constexpr int32_t kMaxDim = 65536;

// OK if `name` matches [A-Za-z0-9_-]{1,64}; else INVALID_ARGUMENT naming
// `field`.
absl::Status ValidateCollectionName(std::string_view name, std::string_view field = "name");

// The local collection that holds shard `shard` of cluster collection `name`:
// "<name>.<shard>" (a name no client can create, so no clash).
std::string ShardCollectionName(std::string_view name, int32_t shard);
// ValidateCollectionName, also accepting the shard names above.
absl::Status ValidateLocalCollectionName(std::string_view name, std::string_view field);

// Fills the defaults of `spec` and checks its ranges for vectors of `dim`;
// INVALID_ARGUMENT naming the parameter ("index.ivf_pq.m: 7 does not divide
// dim 128").
absl::Status ResolveIndexSpec(int32_t dim, IndexSpec* spec);

// Checks the name rule above (with shard names when `shard_names`),
// 1 <= dim <= kMaxDim and 1 <= shards <= kMaxShards, and resolves the index
// spec in place (ResolveIndexSpec).
absl::Status ValidateSchema(CollectionSchema* schema, bool shard_names = false);

// Records an IVF index needs before it trains by itself: 39 per list (and
// per PQ centroid), the minimum FAISS recommends for k-means.
int64_t IvfTrainingThreshold(const IndexSpec& spec);

}  // namespace metricdb

#endif  // METRICDB_ENGINE_BASE_COLLECTION_SCHEMA_H_
