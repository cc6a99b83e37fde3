// Options of an Engine, with their defaults.
#ifndef METRICDB_ENGINE_COLLECTION_ENGINE_OPTIONS_H_
#define METRICDB_ENGINE_COLLECTION_ENGINE_OPTIONS_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "engine/base/collection_limits.h"
#include "engine/storage/store.h"

namespace metricdb {

struct EngineOptions {
  // Directory of the RocksDB store; created if missing. Index snapshots go
  // to its "snapshots" subdirectory. Required.
  std::string data_dir;
  // Seconds between background index snapshots of changed collections;
  // 0 = none (only on close). Default: 300.
  int32_t snapshot_interval_seconds = 300;
  // Milliseconds between sweeps that delete expired records (retention.h);
  // 0 = no sweep (reads still delete what has expired). Default: 1000.
  int32_t expiry_sweep_ms = 1000;
  // Snapshot changed collections when the engine closes. Default: true.
  bool snapshot_on_close = true;
  StoreOptions store;
  CollectionLimits limits;

  // INVALID_ARGUMENT naming the option when a value is out of range.
  absl::Status Validate() const;
};

}  // namespace metricdb

#endif  // METRICDB_ENGINE_COLLECTION_ENGINE_OPTIONS_H_
