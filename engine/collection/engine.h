// Engine: the catalog of collections over one Store. The server's only entry
// point into storage and search; no gRPC types here.
//
//   auto engine = Engine::Open(options);          // loads every collection
//   auto c = (*engine)->GetCollection("faces");   // shared_ptr<Collection>
//   auto hits = (*c)->Search(queries, {.k = 10});
//
// Thread-safe. A Collection handle stays usable after DropCollection (its
// calls then return NOT_FOUND), so in-flight requests never touch freed state.
#ifndef METRICDB_ENGINE_COLLECTION_ENGINE_H_
#define METRICDB_ENGINE_COLLECTION_ENGINE_H_

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/base/collection_schema.h"
#include "engine/collection/collection.h"
#include "engine/collection/collection_handle.h"
#include "engine/collection/engine_options.h"
#include "engine/storage/backup_manifest.h"
#include "engine/storage/store.h"

namespace metricdb {

class Engine {
 public:
  // Validates `options`, opens the store in options.data_dir and rebuilds
  // the index of every collection from it.
  static absl::StatusOr<std::unique_ptr<Engine>> Open(const EngineOptions& options);

  // ALREADY_EXISTS if the name is taken; INVALID_ARGUMENT / UNIMPLEMENTED
  // from ValidateSchema.
  absl::StatusOr<std::shared_ptr<Collection>> CreateCollection(const CollectionSchema& schema);
  // The collection `name`, or the one the alias `name` points to; NOT_FOUND
  // if there is no such collection or alias.
  absl::StatusOr<std::shared_ptr<Collection>> GetCollection(std::string_view name) const;
  // Sorted by name.
  std::vector<std::shared_ptr<Collection>> ListCollections() const;
  absl::Status DropCollection(std::string_view name);

  // Aliases, kept in the store (engine_aliases.cc), with the contracts of
  // CollectionDirectory's (collection_handle.h).
  absl::Status CreateAlias(std::string_view alias, std::string_view collection);
  absl::Status SwitchAlias(std::string_view alias, std::string_view collection);
  absl::Status DeleteAlias(std::string_view alias);
  std::vector<CollectionAlias> ListAliases() const;

  const EngineOptions& options() const { return options_; }

  // Snapshots every collection that changed since its last snapshot; returns
  // the first error (the others are still tried).
  absl::Status SnapshotAll();

  // An online backup of the whole data directory into `dir` (which must not
  // exist; its parent is created): a RocksDB checkpoint (records, schemas,
  // metric versions, calibrations: one consistent point in time, while
  // reads and writes go on), the collections' index snapshots, then the
  // manifest (backup_manifest.h). ALREADY_EXISTS if `dir` exists; on any
  // other error the partial directory is removed (one left by a crash keeps
  // BACKUP-INCOMPLETE, which restore and Open refuse).
  absl::StatusOr<BackupManifest> Backup(const std::string& dir);

  // Cancels every collection's index build in flight and starts no more
  // (Collection::StopBackgroundWork); for a server about to shut down.
  void StopBackgroundWork();

  // Stops background snapshots, cancels and waits for index rebuilds and,
  // with snapshot_on_close, snapshots.
  ~Engine();

 private:
  explicit Engine(const EngineOptions& options) : options_(options) {}
  std::string SnapshotPath(uint32_t collection_id) const;
  void SnapshotLoop();
  void ExpiryLoop();  // retention.h: ExpireDue on every collection, each sweep

  const EngineOptions options_;
  std::shared_ptr<Store> store_;
  mutable std::mutex mu_;  // guards collections_ and aliases_; held across changes
  std::map<std::string, std::shared_ptr<Collection>, std::less<>> collections_;
  std::map<std::string, std::string, std::less<>> aliases_;  // alias -> collection

  std::mutex snapshot_mu_;  // guards stop_
  std::condition_variable snapshot_cv_;
  bool stop_ = false;
  std::thread snapshotter_;
  std::thread expiry_sweeper_;
};

}  // namespace metricdb

#endif  // METRICDB_ENGINE_COLLECTION_ENGINE_H_
