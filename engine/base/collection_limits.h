// CollectionLimits: the per-request limits every collection enforces.
#ifndef METRICDB_ENGINE_BASE_COLLECTION_LIMITS_H_
#define METRICDB_ENGINE_BASE_COLLECTION_LIMITS_H_

#include <cstdint>

namespace metricdb {

// Per-request limits, enforced by every collection.
struct CollectionLimits {
  // Largest k a search may ask for. Default: 1024.
  int32_t max_k = 1024;
  // Most query vectors in one search. Default: 10000.
  int32_t max_queries = 10000;
  // Most records in one upsert batch. Default: 100000.
  int32_t max_batch_records = 100000;
  // Most keys plus labels in one get or delete. Default: 100000.
  int32_t max_keys = 100000;
};

}  // namespace metricdb

#endif  // METRICDB_ENGINE_BASE_COLLECTION_LIMITS_H_
