// Index snapshot files: one per collection, so a restart loads the index
// instead of rebuilding it and replays only what the store gained or lost
// since.
//
// Layout: "MDBSNAP1", u32 CRC-32 of the payload, u64 payload size, payload =
// [schema (record_codec encoding)] [i64 next record id at snapshot time]
// [index bytes (VectorIndex::Serialize)]. Written to a temporary file,
// fsynced and renamed, so a crash leaves the old snapshot or the new one.
// A file that is short, long, or fails its checksum is DATA_LOSS: the caller
// rebuilds from the store instead.
#ifndef METRICDB_ENGINE_STORAGE_INDEX_SNAPSHOT_FILE_H_
#define METRICDB_ENGINE_STORAGE_INDEX_SNAPSHOT_FILE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "engine/base/collection_schema.h"

namespace metricdb {

struct IndexSnapshot {
  CollectionSchema schema;
  // Every record with a smaller id that existed when the snapshot was taken
  // is in the index; ids at or above it came later.
  int64_t next_record_id = 0;
  std::string index_bytes;
};

absl::Status WriteSnapshotFile(const std::string& path, const IndexSnapshot& snapshot);
// NOT_FOUND if there is no file; DATA_LOSS if it is damaged.
absl::StatusOr<IndexSnapshot> ReadSnapshotFile(const std::string& path);

}  // namespace metricdb

#endif  // METRICDB_ENGINE_STORAGE_INDEX_SNAPSHOT_FILE_H_
