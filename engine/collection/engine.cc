#include "engine/collection/engine.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"

namespace metricdb {

absl::StatusOr<std::unique_ptr<Engine>> Engine::Open(const EngineOptions& options) {
  if (auto s = options.Validate(); !s.ok()) return s;
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("data_dir: cannot create \"", options.data_dir, "\": ", ec.message()));
  }
  std::filesystem::create_directories(options.data_dir + "/snapshots", ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("data_dir: cannot create snapshots directory: ", ec.message()));
  }
  // A data directory restored from a backup is verified before anything opens it.
  if (auto s = AdoptRestoredDataDir(options.data_dir); !s.ok()) return s;
  std::unique_ptr<Engine> engine(new Engine(options));
  auto store = Store::Open(options.data_dir, options.store);
  if (!store.ok()) return store.status();
  engine->store_ = std::move(*store);
  if (engine->store_->read_only()) {
    spdlog::warn(
        "data_dir {} is on a read-only file system: serving reads, refusing writes, "
        "taking no snapshots",
        options.data_dir);
  }
  auto catalog = engine->store_->LoadCatalog();
  if (!catalog.ok()) return catalog.status();
  for (auto& [id, schema] : *catalog) {
    const std::string name = schema.name;
    const std::string snapshot = engine->SnapshotPath(id);
    auto collection =
        Collection::Open(id, std::move(schema), engine->store_, options.limits, snapshot);
    if (!collection.ok()) return collection.status();
    const auto report = (*collection)->load_report();
    if (report.from_snapshot) {
      spdlog::info("collection {}: index from snapshot, replayed {} additions and {} removals",
                   name, report.replayed_adds, report.replayed_removes);
    }
    if (!engine->collections_.emplace(name, std::move(*collection)).second) {
      return absl::DataLossError(absl::StrCat("catalog names collection \"", name, "\" twice"));
    }
  }
  auto aliases = engine->store_->LoadAliases();
  if (!aliases.ok()) return aliases.status();
  for (auto& [alias, target] : *aliases) engine->aliases_.emplace(alias, std::move(target));
  if (options.snapshot_interval_seconds > 0 && !engine->store_->read_only()) {
    Engine* e = engine.get();
    engine->snapshotter_ = std::thread([e] { e->SnapshotLoop(); });
  }
  if (options.expiry_sweep_ms > 0 && !engine->store_->read_only()) {
    Engine* e = engine.get();
    engine->expiry_sweeper_ = std::thread([e] { e->ExpiryLoop(); });
  }
  return engine;
}

Engine::~Engine() {
  // No rebuild runs on after the engine: each is cancelled and waited for,
  // first, so that a background snapshot waiting for a rebuild's writer lock
  // does not wait the whole rebuild out before the snapshotter can stop.
  StopBackgroundWork();
  {
    std::lock_guard<std::mutex> lock(snapshot_mu_);
    stop_ = true;
  }
  snapshot_cv_.notify_all();
  if (snapshotter_.joinable()) snapshotter_.join();
  if (expiry_sweeper_.joinable()) expiry_sweeper_.join();
  if (options_.snapshot_on_close && store_ && !store_->read_only()) {
    if (auto s = SnapshotAll(); !s.ok()) spdlog::error("snapshot on close: {}", s.ToString());
  }
}

void Engine::StopBackgroundWork() {
  for (const auto& c : ListCollections()) c->StopBackgroundWork();
}

std::string Engine::SnapshotPath(uint32_t collection_id) const {
  return absl::StrCat(options_.data_dir, "/snapshots/", collection_id, ".snap");
}

void Engine::SnapshotLoop() {
  std::unique_lock<std::mutex> lock(snapshot_mu_);
  while (!snapshot_cv_.wait_for(lock, std::chrono::seconds(options_.snapshot_interval_seconds),
                                [&] { return stop_; })) {
    lock.unlock();
    if (auto s = SnapshotAll(); !s.ok()) spdlog::error("background snapshot: {}", s.ToString());
    lock.lock();
  }
}

void Engine::ExpiryLoop() {
  std::unique_lock<std::mutex> lock(snapshot_mu_);
  while (!snapshot_cv_.wait_for(lock, std::chrono::milliseconds(options_.expiry_sweep_ms),
                                [&] { return stop_; })) {
    lock.unlock();
    for (const auto& c : ListCollections()) {
      if (auto s = c->ExpireDue(); !s.ok()) {
        spdlog::error("expiry sweep of collection {}: {}", c->schema().name, s.ToString());
      }
    }
    lock.lock();
  }
}

absl::Status Engine::SnapshotAll() {
  absl::Status first;
  for (const auto& c : ListCollections()) {
    const auto start = std::chrono::steady_clock::now();
    absl::Status s = c->SaveSnapshot();
    if (!s.ok()) {
      spdlog::error("snapshot of collection {}: {}", c->schema().name, s.ToString());
      if (first.ok()) first = s;
    } else {
      spdlog::debug(
          "snapshot of collection {} in {:.2f}s", c->schema().name,
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
  }
  return first;
}

absl::StatusOr<std::shared_ptr<Collection>> Engine::CreateCollection(
    const CollectionSchema& requested) {
  CollectionSchema schema = requested;
  if (auto s = ValidateSchema(&schema, /*shard_names=*/true); !s.ok()) return s;
  if (schema.shards != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("schema.shards: a single node serves a collection as 1 shard, got ",
                     schema.shards, " (start the servers with --cluster-etcd to shard)"));
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (collections_.count(schema.name)) {
    return absl::AlreadyExistsError(
        absl::StrCat("collection \"", schema.name, "\" already exists"));
  }
  if (aliases_.count(schema.name)) {
    return absl::AlreadyExistsError(
        absl::StrCat("\"", schema.name, "\" is already the name of an alias"));
  }
  auto id = store_->CreateCollection(schema);
  if (!id.ok()) return id.status();
  auto collection = Collection::Open(*id, schema, store_, options_.limits, SnapshotPath(*id));
  if (!collection.ok()) return collection.status();
  collections_.emplace(schema.name, *collection);
  return *collection;
}

absl::StatusOr<std::shared_ptr<Collection>> Engine::GetCollection(std::string_view name) const {
  if (auto s = ValidateLocalCollectionName(name, "collection"); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = collections_.find(name);
  if (it == collections_.end()) {
    if (auto alias = aliases_.find(name); alias != aliases_.end()) {
      it = collections_.find(alias->second);
    }
  }
  if (it == collections_.end()) {
    return absl::NotFoundError(
        absl::StrCat("collection \"", std::string(name), "\" does not exist"));
  }
  return it->second;
}

std::vector<std::shared_ptr<Collection>> Engine::ListCollections() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::shared_ptr<Collection>> out;
  for (const auto& [name, c] : collections_) out.push_back(c);
  return out;
}

absl::Status Engine::DropCollection(std::string_view name) {
  if (auto s = ValidateLocalCollectionName(name, "name"); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = collections_.find(name);
  if (it == collections_.end()) {
    if (auto alias = aliases_.find(name); alias != aliases_.end()) {
      return absl::FailedPreconditionError(
          absl::StrCat("\"", std::string(name), "\" is an alias of \"", alias->second,
                       "\": delete the alias, or drop the collection by its own name"));
    }
    return absl::NotFoundError(
        absl::StrCat("collection \"", std::string(name), "\" does not exist"));
  }
  for (const auto& [alias, target] : aliases_) {
    if (target == name) {
      return absl::FailedPreconditionError(
          absl::StrCat("alias \"", alias, "\" points to collection \"", std::string(name),
                       "\": switch or delete it first"));
    }
  }
  if (auto s = it->second->Drop(); !s.ok()) return s;
  collections_.erase(it);
  return absl::OkStatus();
}

}  // namespace metricdb
