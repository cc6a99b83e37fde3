#include "engine/engine.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"

namespace metricdb {

absl::StatusOr<std::unique_ptr<Engine>> Engine::Open(
    const EngineOptions& options) {
  if (auto s = options.Validate(); !s.ok()) return s;
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) {
    return absl::FailedPreconditionError(absl::StrCat(
        "data_dir: cannot create \"", options.data_dir, "\": ", ec.message()));
  }
  std::unique_ptr<Engine> engine(new Engine(options));
  auto store = Store::Open(options.data_dir, options.store);
  if (!store.ok()) return store.status();
  engine->store_ = std::move(*store);
  auto catalog = engine->store_->LoadCatalog();
  if (!catalog.ok()) return catalog.status();
  for (auto& [id, schema] : *catalog) {
    const std::string name = schema.name;
    auto collection =
        Collection::Open(id, std::move(schema), engine->store_, options.limits);
    if (!collection.ok()) return collection.status();
    if (!engine->collections_.emplace(name, std::move(*collection)).second) {
      return absl::DataLossError(
          absl::StrCat("catalog names collection \"", name, "\" twice"));
    }
  }
  return engine;
}

absl::StatusOr<std::shared_ptr<Collection>> Engine::CreateCollection(
    const CollectionSchema& requested) {
  CollectionSchema schema = requested;
  if (auto s = ValidateSchema(&schema); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  if (collections_.count(schema.name)) {
    return absl::AlreadyExistsError(
        absl::StrCat("collection \"", schema.name, "\" already exists"));
  }
  auto id = store_->CreateCollection(schema);
  if (!id.ok()) return id.status();
  auto collection = Collection::Open(*id, schema, store_, options_.limits);
  if (!collection.ok()) return collection.status();
  collections_.emplace(schema.name, *collection);
  return *collection;
}

absl::StatusOr<std::shared_ptr<Collection>> Engine::GetCollection(
    std::string_view name) const {
  if (auto s = ValidateCollectionName(name, "collection"); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = collections_.find(name);
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
  if (auto s = ValidateCollectionName(name); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = collections_.find(name);
  if (it == collections_.end()) {
    return absl::NotFoundError(
        absl::StrCat("collection \"", std::string(name), "\" does not exist"));
  }
  if (auto s = it->second->Drop(); !s.ok()) return s;
  collections_.erase(it);
  return absl::OkStatus();
}

}  // namespace metricdb
