// Engine: aliases, kept in the store's meta column family and in memory
// under the engine's mutex, so GetCollection resolves one atomically.
#include "absl/strings/str_cat.h"
#include "engine/collection/engine.h"

namespace metricdb {

absl::Status Engine::CreateAlias(std::string_view alias, std::string_view collection) {
  if (auto s = ValidateLocalCollectionName(alias, "alias"); !s.ok()) return s;
  if (auto s = ValidateLocalCollectionName(collection, "collection"); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  if (collections_.count(alias)) {
    return absl::AlreadyExistsError(
        absl::StrCat("alias: \"", std::string(alias), "\" is already the name of a collection"));
  }
  if (aliases_.count(alias)) {
    return absl::AlreadyExistsError(
        absl::StrCat("alias \"", std::string(alias), "\" already exists (SwitchAlias moves it)"));
  }
  if (!collections_.count(collection)) {
    return absl::NotFoundError(
        absl::StrCat("collection \"", std::string(collection), "\" does not exist"));
  }
  if (auto s = store_->PutAlias(alias, collection); !s.ok()) return s;
  aliases_.emplace(std::string(alias), std::string(collection));
  return absl::OkStatus();
}

absl::Status Engine::SwitchAlias(std::string_view alias, std::string_view collection) {
  if (auto s = ValidateLocalCollectionName(alias, "alias"); !s.ok()) return s;
  if (auto s = ValidateLocalCollectionName(collection, "collection"); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = aliases_.find(alias);
  if (it == aliases_.end()) {
    return absl::NotFoundError(absl::StrCat("alias \"", std::string(alias), "\" does not exist"));
  }
  if (!collections_.count(collection)) {
    return absl::NotFoundError(
        absl::StrCat("collection \"", std::string(collection), "\" does not exist"));
  }
  if (auto s = store_->PutAlias(alias, collection); !s.ok()) return s;
  it->second = std::string(collection);
  return absl::OkStatus();
}

absl::Status Engine::DeleteAlias(std::string_view alias) {
  if (auto s = ValidateLocalCollectionName(alias, "alias"); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = aliases_.find(alias);
  if (it == aliases_.end()) {
    return absl::NotFoundError(absl::StrCat("alias \"", std::string(alias), "\" does not exist"));
  }
  if (auto s = store_->DeleteAlias(alias); !s.ok()) return s;
  aliases_.erase(it);
  return absl::OkStatus();
}

std::vector<CollectionAlias> Engine::ListAliases() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<CollectionAlias> out;
  for (const auto& [alias, collection] : aliases_) out.push_back({alias, collection});
  return out;
}

}  // namespace metricdb
