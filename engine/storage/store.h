// Store: the RocksDB database that is metricdb's only source of truth.
//
// Column families (keys big-endian so that one collection's rows are
// contiguous and ordered by internal id):
//   catalog  collection id (u32)                -> encoded CollectionSchema
//   records  collection id (u32) + record id (u64) -> encoded Record
//   meta     "next_collection_id"               -> u32
//            "next_record_id/" + collection id  -> u64
//   metrics  collection id (u32) + version (u32) -> encoded StoredMetricVersion
//            collection id (u32) + name (2+ bytes) -> a named entry (calibration)
// The key -> id and label -> ids maps are rebuilt in memory from `records`
// when a collection is opened, so they are not stored a second time.
//
// Durability: with StoreOptions::sync_writes (the default) every Commit,
// CreateCollection and DropCollection returns OK only after the write-ahead
// log has been fsynced, so an acknowledged write survives kill -9 and power
// loss. Closing flushes the memtables into table files.
//
// Disk trouble: a write that fails (disk full: RESOURCE_EXHAUSTED; other I/O
// errors: UNAVAILABLE) leaves nothing of its batch and stops RocksDB's
// writes; each later write first tries to resume, so writes work again as
// soon as the cause is gone, while reads go on throughout. A store whose
// directory is on a read-only file system opens read-only: reads work, every
// write is FAILED_PRECONDITION. Damaged files are DATA_LOSS (the write-ahead
// log is replayed strictly: only a torn last record, what a crash in the
// middle of a write leaves, is dropped; damage anywhere else refuses to
// open rather than silently drop acknowledged writes).
// Thread-safe: all methods may be called concurrently.
#ifndef METRICDB_ENGINE_STORAGE_STORE_H_
#define METRICDB_ENGINE_STORAGE_STORE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/base/collection_schema.h"
#include "engine/base/record.h"
#include "engine/storage/stored_metric_version.h"

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
class Snapshot;
class WriteBatch;
}  // namespace rocksdb

namespace metricdb {

struct StoreOptions {
  // fsync the write-ahead log before a write returns. Turning this off trades
  // the crash guarantee for throughput. Default: true.
  bool sync_writes = true;
  // RocksDB block cache for reads. Default: 64 MiB.
  size_t block_cache_bytes = 64 << 20;
};

// A consistent read view of the store (a RocksDB snapshot, not to be confused
// with the index snapshot files of index_snapshot_file.h); released when the
// last owner drops it.
class StoreReadView {
 public:
  StoreReadView(rocksdb::DB* db, const rocksdb::Snapshot* snapshot)
      : db_(db), rocksdb_snapshot_(snapshot) {}
  ~StoreReadView();
  StoreReadView(const StoreReadView&) = delete;
  StoreReadView& operator=(const StoreReadView&) = delete;
  const rocksdb::Snapshot* get() const { return rocksdb_snapshot_; }

 private:
  rocksdb::DB* db_;
  const rocksdb::Snapshot* rocksdb_snapshot_;
};

// Record puts and deletes for one atomic Commit; made by Store::NewBatch.
class RecordWriteBatch {
 public:
  ~RecordWriteBatch();
  RecordWriteBatch(RecordWriteBatch&&) noexcept;
  void Put(uint32_t collection_id, int64_t record_id, const Record& record);
  void Delete(uint32_t collection_id, int64_t record_id);
  void SetNextRecordId(uint32_t collection_id, int64_t next_id);

 private:
  friend class Store;
  RecordWriteBatch(rocksdb::ColumnFamilyHandle* records, rocksdb::ColumnFamilyHandle* meta,
                   size_t reserve_bytes);
  std::unique_ptr<rocksdb::WriteBatch> batch_;
  rocksdb::ColumnFamilyHandle* records_;
  rocksdb::ColumnFamilyHandle* meta_;
  std::string head_, tail_;  // reused encoding buffers
};

class Store {
 public:
  // Opens or creates the database in directory `path`; read-only when the
  // directory is on a read-only file system. FAILED_PRECONDITION when another
  // process holds it, DATA_LOSS when its files are damaged, UNAVAILABLE on
  // other I/O errors, each with RocksDB's message.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& path,
                                                     const StoreOptions& options);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Every collection in the catalog, ordered by id.
  absl::StatusOr<std::vector<std::pair<uint32_t, CollectionSchema>>> LoadCatalog();

  // Allocates a new, never reused collection id and stores `schema` under it.
  absl::StatusOr<uint32_t> CreateCollection(const CollectionSchema& schema);

  // Replaces the stored schema of an existing collection.
  absl::Status UpdateSchema(uint32_t collection_id, const CollectionSchema& schema);

  // Stores `version` under the next version number of the collection (1 for
  // its first) and returns that number; the number in `version` is ignored.
  // With `number` > 0, stores it under that number instead (a cluster's
  // shards keep the numbers the coordinator gives): ALREADY_EXISTS if that
  // number holds other bytes, OK if it holds the same.
  absl::StatusOr<int32_t> AddMetricVersion(uint32_t collection_id, StoredMetricVersion version,
                                           int32_t number = 0);
  // NOT_FOUND if the collection has no such version.
  absl::StatusOr<StoredMetricVersion> GetMetricVersion(uint32_t collection_id, int32_t version);
  // Every version, oldest first; their maps left empty unless include_maps.
  absl::StatusOr<std::vector<StoredMetricVersion>> ListMetricVersions(uint32_t collection_id,
                                                                      bool include_maps);

  // A named entry of the collection ("calibration"), dropped with it. `name`
  // must not be 4 bytes long (the length of a version number).
  absl::Status PutCollectionEntry(uint32_t collection_id, std::string_view name,
                                  std::string_view value);
  absl::StatusOr<std::optional<std::string>> GetCollectionEntry(uint32_t collection_id,
                                                                std::string_view name);

  // Aliases (alias name -> collection name), each put or deleted durably.
  absl::Status PutAlias(std::string_view alias, std::string_view collection);
  absl::Status DeleteAlias(std::string_view alias);
  absl::StatusOr<std::map<std::string, std::string>> LoadAliases();

  // Removes the collection's catalog entry, records and metric versions
  // atomically.
  absl::Status DropCollection(uint32_t collection_id);

  // `reserve_bytes`: expected size, to build the batch without regrowing.
  RecordWriteBatch NewBatch(size_t reserve_bytes = 0);

  // Applies `batch` atomically (all or nothing) and durably.
  absl::Status Commit(RecordWriteBatch& batch);

  // Calls `fn` for every record of the collection in record-id order; stops
  // at the first non-OK status from `fn` or from decoding.
  absl::Status ScanRecords(uint32_t collection_id,
                           const std::function<absl::Status(int64_t, Record&&)>& fn);

  // The next unused record id of the collection (0 for a new collection).
  absl::StatusOr<int64_t> NextRecordId(uint32_t collection_id);

  std::shared_ptr<const StoreReadView> TakeReadView();

  // A consistent point-in-time copy of the whole database (every column
  // family, memtables flushed first) in the new directory `dir`, which must
  // not exist: RocksDB's checkpoint, hard links where `dir` is on the same
  // file system. Writes go on meanwhile; the copy holds exactly the batches
  // committed before it was cut.
  absl::Status Checkpoint(const std::string& dir);

  // True when opened read-only (see above).
  bool read_only() const { return read_only_; }

  // Reads records by id as of `view` (nullptr: latest). A missing id
  // yields nullopt in its position.
  absl::StatusOr<std::vector<std::optional<Record>>> GetRecords(
      uint32_t collection_id, absl::Span<const int64_t> record_ids, const StoreReadView* view);

 private:
  Store() = default;
  absl::Status WriteDurably(rocksdb::WriteBatch* batch);

  StoreOptions options_;
  bool read_only_ = false;
  // Set by a failed write: RocksDB may have stopped writes until Resume.
  std::atomic<bool> write_failed_{false};
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::ColumnFamilyHandle* catalog_ = nullptr;
  rocksdb::ColumnFamilyHandle* records_ = nullptr;
  rocksdb::ColumnFamilyHandle* meta_ = nullptr;
  rocksdb::ColumnFamilyHandle* metrics_ = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::mutex create_mu_;  // serialises collection and metric version numbering
};

}  // namespace metricdb

#endif  // METRICDB_ENGINE_STORAGE_STORE_H_
