// Options of an Engine, with their defaults.
#ifndef METRICDB_ENGINE_ENGINE_OPTIONS_H_
#define METRICDB_ENGINE_ENGINE_OPTIONS_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "engine/store.h"

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

struct EngineOptions {
  // Directory of the RocksDB store; created if missing. Index snapshots go
  // to its "snapshots" subdirectory. Required.
  std::string data_dir;
  // Seconds between background index snapshots of changed collections;
  // 0 = none (only on close). Default: 300.
  int32_t snapshot_interval_seconds = 300;
  // Snapshot changed collections when the engine closes. Default: true.
  bool snapshot_on_close = true;
  StoreOptions store;
  CollectionLimits limits;

  // INVALID_ARGUMENT naming the option when a value is out of range.
  absl::Status Validate() const;
};

}  // namespace metricdb

#endif  // METRICDB_ENGINE_ENGINE_OPTIONS_H_
