#include "engine/storage/store.h"

#include <errno.h>
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/slice.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "engine/storage/record_codec.h"
#include "engine/storage/rocksdb_logger.h"
#include "engine/storage/stored_metric_version.h"

namespace metricdb {
namespace {

constexpr char kCatalogCf[] = "catalog";
constexpr char kRecordsCf[] = "records";
constexpr char kMetaCf[] = "meta";
constexpr char kMetricsCf[] = "metrics";
constexpr char kNextCollectionId[] = "next_collection_id";
constexpr char kNextRecordIdPrefix[] = "next_record_id/";
constexpr char kAliasPrefix[] = "alias/";

void AppendBigEndian(std::string* out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(char((v >> (8 * i)) & 0xff));
}

uint64_t ReadBigEndian(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

std::string CollectionPrefix(uint32_t collection_id) {
  std::string k;
  AppendBigEndian(&k, collection_id, 4);
  return k;
}

std::string RecordKey(uint32_t collection_id, int64_t record_id) {
  std::string k = CollectionPrefix(collection_id);
  AppendBigEndian(&k, static_cast<uint64_t>(record_id), 8);
  return k;
}

std::string NextRecordIdKey(uint32_t collection_id) {
  return kNextRecordIdPrefix + CollectionPrefix(collection_id);
}

std::string EncodeU64(uint64_t v) {
  std::string s;
  AppendBigEndian(&s, v, 8);
  return s;
}

absl::Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return absl::OkStatus();
  std::string msg = absl::StrCat(std::string(what), ": ", s.ToString());
  if (s.IsCorruption()) return absl::DataLossError(msg);
  if (s.IsNoSpace()) return absl::ResourceExhaustedError(msg);
  // Busy: RocksDB is recovering from an earlier error (retry later).
  if (s.IsIOError() || s.IsBusy()) return absl::UnavailableError(msg);
  if (s.IsNotFound()) return absl::NotFoundError(msg);
  return absl::InternalError(msg);
}

}  // namespace

StoreReadView::~StoreReadView() { db_->ReleaseSnapshot(rocksdb_snapshot_); }

RecordWriteBatch::RecordWriteBatch(rocksdb::ColumnFamilyHandle* records,
                                   rocksdb::ColumnFamilyHandle* meta, size_t reserve_bytes)
    : batch_(std::make_unique<rocksdb::WriteBatch>(reserve_bytes)),
      records_(records),
      meta_(meta) {}
RecordWriteBatch::~RecordWriteBatch() = default;
RecordWriteBatch::RecordWriteBatch(RecordWriteBatch&&) noexcept = default;

void RecordWriteBatch::Put(uint32_t collection_id, int64_t record_id, const Record& record) {
  EncodeRecordParts(record, &head_, &tail_);
  const std::string key = RecordKey(collection_id, record_id);
  const rocksdb::Slice key_part(key);
  const rocksdb::Slice value_parts[3] = {
      head_,
      rocksdb::Slice(reinterpret_cast<const char*>(record.vector.data()),
                     record.vector.size() * sizeof(float)),
      tail_};
  batch_->Put(records_, rocksdb::SliceParts(&key_part, 1), rocksdb::SliceParts(value_parts, 3));
}

void RecordWriteBatch::Delete(uint32_t collection_id, int64_t record_id) {
  batch_->Delete(records_, RecordKey(collection_id, record_id));
}

void RecordWriteBatch::SetNextRecordId(uint32_t collection_id, int64_t next_id) {
  batch_->Put(meta_, NextRecordIdKey(collection_id), EncodeU64(next_id));
}

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& path,
                                                   const StoreOptions& options) {
  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.IncreaseParallelism(2);
  db_options.info_log = std::make_shared<RocksDbLogger>();
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  rocksdb::ColumnFamilyOptions cf_options(db_options);
  cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));

  // Embeddings are dense floats that block compression barely shrinks; it
  // cost ~14% of the server's CPU during bulk loads, so records are stored
  // uncompressed.
  rocksdb::ColumnFamilyOptions records_options = cf_options;
  records_options.compression = rocksdb::kNoCompression;
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
      {rocksdb::kDefaultColumnFamilyName, cf_options},
      {kCatalogCf, cf_options},
      {kRecordsCf, records_options},
      {kMetaCf, cf_options},
      {kMetricsCf, cf_options}};
  std::unique_ptr<Store> store(new Store());
  store->options_ = options;
  // Strict replay: a torn last record (a crash in the middle of a write,
  // never acknowledged) is dropped; a damaged record anywhere else fails the
  // open instead of silently dropping every acknowledged write after it
  // (RocksDB's default, point-in-time recovery).
  db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  rocksdb::DB* db = nullptr;
  // access() reports EROFS for a read-only file system even to root.
  store->read_only_ = access(path.c_str(), W_OK) != 0 && errno == EROFS;
  rocksdb::Status s =
      store->read_only_ ? rocksdb::DB::OpenForReadOnly(db_options, path, cfs, &store->handles_, &db)
                        : rocksdb::DB::Open(db_options, path, cfs, &store->handles_, &db);
  if (!s.ok() && s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
    return absl::FailedPreconditionError(
        absl::StrCat("store at ", path, " is in use by another process (", s.ToString(), ")"));
  }
  if (!s.ok() && s.IsPathNotFound()) {  // CURRENT or the manifest names a missing file
    return absl::DataLossError(
        absl::StrCat("opening store at ", path, ": a file it needs is missing: ", s.ToString()));
  }
  if (!s.ok()) return FromRocks(s, absl::StrCat("opening store at ", path));
  store->db_.reset(db);
  store->catalog_ = store->handles_[1];
  store->records_ = store->handles_[2];
  store->meta_ = store->handles_[3];
  store->metrics_ = store->handles_[4];
  return store;
}

Store::~Store() {
  if (!db_) return;
  if (!read_only_) {
    // Table files instead of a long log to replay at the next open. Failure
    // (a full disk) loses nothing: the log still holds every write.
    rocksdb::Status s = db_->Flush(rocksdb::FlushOptions(), handles_);
    if (!s.ok()) spdlog::warn("store: flush on close failed: {}", s.ToString());
  }
  for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
  db_->Close();
}

absl::Status Store::WriteDurably(rocksdb::WriteBatch* batch) {
  if (read_only_) {
    return absl::FailedPreconditionError(
        "the store is read-only (its data directory is on a read-only file system); "
        "writes are refused until the server restarts on a writable one");
  }
  if (write_failed_) {
    // The failed write stopped RocksDB's writes; Resume succeeds once the
    // cause (a full disk) is gone. Concurrent callers may all try.
    if (auto s = FromRocks(db_->Resume(),
                           "writing to store (writes stopped after a failed "
                           "write and cannot resume yet)");
        !s.ok()) {
      return s;
    }
    write_failed_ = false;
  }
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_writes;
  rocksdb::Status s = db_->Write(wo, batch);
  if (!s.ok()) write_failed_ = true;
  return FromRocks(s, "writing to store");
}

absl::StatusOr<std::vector<std::pair<uint32_t, CollectionSchema>>> Store::LoadCatalog() {
  std::vector<std::pair<uint32_t, CollectionSchema>> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), catalog_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (it->key().size() != 4) return absl::DataLossError("corrupt catalog key");
    auto schema = DecodeSchema(it->value().ToStringView());
    if (!schema.ok()) return schema.status();
    out.emplace_back(uint32_t(ReadBigEndian(it->key().data(), 4)), std::move(*schema));
  }
  if (auto s = FromRocks(it->status(), "reading catalog"); !s.ok()) return s;
  return out;
}

absl::StatusOr<uint32_t> Store::CreateCollection(const CollectionSchema& schema) {
  std::lock_guard<std::mutex> lock(create_mu_);
  std::string value;
  uint32_t id = 1;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), meta_, kNextCollectionId, &value);
  if (s.ok()) {
    if (value.size() != 8) return absl::DataLossError("corrupt collection counter");
    id = uint32_t(ReadBigEndian(value.data(), 8));
  } else if (!s.IsNotFound()) {
    return FromRocks(s, "reading collection counter");
  }
  rocksdb::WriteBatch batch;
  batch.Put(catalog_, CollectionPrefix(id), EncodeSchema(schema));
  batch.Put(meta_, kNextCollectionId, EncodeU64(id + 1));
  if (auto st = WriteDurably(&batch); !st.ok()) return st;
  return id;
}

absl::Status Store::UpdateSchema(uint32_t collection_id, const CollectionSchema& schema) {
  rocksdb::WriteBatch batch;
  batch.Put(catalog_, CollectionPrefix(collection_id), EncodeSchema(schema));
  return WriteDurably(&batch);
}

absl::Status Store::DropCollection(uint32_t collection_id) {
  const std::string begin = CollectionPrefix(collection_id);
  const std::string end = CollectionPrefix(collection_id + 1);
  rocksdb::WriteBatch batch;
  batch.Delete(catalog_, begin);
  batch.DeleteRange(records_, begin, end);
  batch.Delete(meta_, NextRecordIdKey(collection_id));
  batch.DeleteRange(metrics_, begin, end);
  return WriteDurably(&batch);
}

absl::StatusOr<int32_t> Store::AddMetricVersion(uint32_t collection_id, StoredMetricVersion version,
                                                int32_t number) {
  std::lock_guard<std::mutex> lock(create_mu_);
  auto existing = ListMetricVersions(collection_id, false);
  if (!existing.ok()) return existing.status();
  version.version = number > 0 ? number : existing->empty() ? 1 : existing->back().version + 1;
  std::string key = CollectionPrefix(collection_id);
  AppendBigEndian(&key, uint32_t(version.version), 4);
  if (number > 0) {
    std::string held;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), metrics_, key, &held);
    if (s.ok()) {
      if (held == EncodeStoredMetricVersion(version)) return number;
      return absl::AlreadyExistsError(
          absl::StrCat("metric version ", number, " already holds another map"));
    }
    if (!s.IsNotFound()) return FromRocks(s, "reading metric version");
  }
  rocksdb::WriteBatch batch;
  batch.Put(metrics_, key, EncodeStoredMetricVersion(version));
  if (auto s = WriteDurably(&batch); !s.ok()) return s;
  return version.version;
}

absl::Status Store::PutCollectionEntry(uint32_t collection_id, std::string_view name,
                                       std::string_view value) {
  rocksdb::WriteBatch batch;
  batch.Put(metrics_, CollectionPrefix(collection_id) + std::string(name), value);
  return WriteDurably(&batch);
}

absl::StatusOr<std::optional<std::string>> Store::GetCollectionEntry(uint32_t collection_id,
                                                                     std::string_view name) {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), metrics_,
                               CollectionPrefix(collection_id) + std::string(name), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return FromRocks(s, "reading collection entry");
  return std::optional<std::string>(std::move(value));
}

absl::StatusOr<StoredMetricVersion> Store::GetMetricVersion(uint32_t collection_id,
                                                            int32_t version) {
  std::string key = CollectionPrefix(collection_id);
  AppendBigEndian(&key, uint32_t(version), 4);
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), metrics_, key, &value);
  if (s.IsNotFound()) {
    return absl::NotFoundError(absl::StrCat("metric version ", version, " does not exist"));
  }
  if (!s.ok()) return FromRocks(s, "reading metric version");
  return DecodeStoredMetricVersion(value);
}

absl::StatusOr<std::vector<StoredMetricVersion>> Store::ListMetricVersions(uint32_t collection_id,
                                                                           bool include_maps) {
  const std::string begin = CollectionPrefix(collection_id);
  const std::string end = CollectionPrefix(collection_id + 1);
  rocksdb::Slice upper(end);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, metrics_));
  std::vector<StoredMetricVersion> out;
  for (it->Seek(begin); it->Valid(); it->Next()) {
    if (it->key().size() != 8) continue;  // a named entry (PutCollectionEntry)
    auto v = DecodeStoredMetricVersion(it->value().ToStringView());
    if (!v.ok()) return v.status();
    if (!include_maps) v->map.rows.clear();
    out.push_back(std::move(*v));
  }
  if (auto s = FromRocks(it->status(), "listing metric versions"); !s.ok()) return s;
  return out;
}

RecordWriteBatch Store::NewBatch(size_t reserve_bytes) {
  return RecordWriteBatch(records_, meta_, reserve_bytes);
}

absl::Status Store::Commit(RecordWriteBatch& batch) { return WriteDurably(batch.batch_.get()); }

absl::Status Store::ScanRecords(uint32_t collection_id,
                                const std::function<absl::Status(int64_t, Record&&)>& fn) {
  const std::string begin = CollectionPrefix(collection_id);
  const std::string end = CollectionPrefix(collection_id + 1);
  rocksdb::Slice upper(end);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper;
  ro.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, records_));
  for (it->Seek(begin); it->Valid(); it->Next()) {
    if (it->key().size() != 12) return absl::DataLossError("corrupt record key");
    auto record = DecodeRecord(it->value().ToStringView());
    if (!record.ok()) return record.status();
    const int64_t id = int64_t(ReadBigEndian(it->key().data() + 4, 8));
    if (auto s = fn(id, std::move(*record)); !s.ok()) return s;
  }
  return FromRocks(it->status(), "scanning records");
}

absl::StatusOr<int64_t> Store::NextRecordId(uint32_t collection_id) {
  std::string value;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), meta_, NextRecordIdKey(collection_id), &value);
  if (s.IsNotFound()) return 0;
  if (!s.ok()) return FromRocks(s, "reading record counter");
  if (value.size() != 8) return absl::DataLossError("corrupt record counter");
  return int64_t(ReadBigEndian(value.data(), 8));
}

std::shared_ptr<const StoreReadView> Store::TakeReadView() {
  return std::make_shared<StoreReadView>(db_.get(), db_->GetSnapshot());
}

absl::StatusOr<std::vector<std::optional<Record>>> Store::GetRecords(
    uint32_t collection_id, absl::Span<const int64_t> record_ids, const StoreReadView* view) {
  std::vector<std::string> keys;
  keys.reserve(record_ids.size());
  for (int64_t id : record_ids) keys.push_back(RecordKey(collection_id, id));
  std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  rocksdb::ReadOptions ro;
  if (view != nullptr) ro.snapshot = view->get();
  db_->MultiGet(ro, records_, keys.size(), slices.data(), values.data(), statuses.data());
  std::vector<std::optional<Record>> out(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    if (statuses[i].IsNotFound()) continue;
    if (!statuses[i].ok()) return FromRocks(statuses[i], "reading record");
    auto record = DecodeRecord(values[i].ToStringView());
    if (!record.ok()) return record.status();
    out[i] = std::move(*record);
  }
  return out;
}

absl::Status Store::Checkpoint(const std::string& dir) {
  rocksdb::Checkpoint* raw = nullptr;
  if (auto s = FromRocks(rocksdb::Checkpoint::Create(db_.get(), &raw), "starting a checkpoint");
      !s.ok()) {
    return s;
  }
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  return FromRocks(checkpoint->CreateCheckpoint(dir), absl::StrCat("checkpoint into ", dir));
}

absl::Status Store::PutAlias(std::string_view alias, std::string_view collection) {
  rocksdb::WriteBatch batch;
  batch.Put(meta_, absl::StrCat(kAliasPrefix, std::string(alias)), std::string(collection));
  return WriteDurably(&batch);
}

absl::Status Store::DeleteAlias(std::string_view alias) {
  rocksdb::WriteBatch batch;
  batch.Delete(meta_, absl::StrCat(kAliasPrefix, std::string(alias)));
  return WriteDurably(&batch);
}

absl::StatusOr<std::map<std::string, std::string>> Store::LoadAliases() {
  std::map<std::string, std::string> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), meta_));
  const rocksdb::Slice prefix(kAliasPrefix);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    out.emplace(it->key().ToString().substr(prefix.size()), it->value().ToString());
  }
  if (auto s = FromRocks(it->status(), "reading aliases"); !s.ok()) return s;
  return out;
}

}  // namespace metricdb
