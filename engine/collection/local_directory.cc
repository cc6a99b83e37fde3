#include "engine/collection/local_directory.h"

namespace metricdb {

absl::StatusOr<std::shared_ptr<CollectionHandle>> LocalDirectory::CreateCollection(
    const CollectionSchema& schema) {
  if (auto s = ValidateCollectionName(schema.name, "schema.name"); !s.ok()) return s;
  auto c = engine_->CreateCollection(schema);
  if (!c.ok()) return c.status();
  return std::shared_ptr<CollectionHandle>(std::move(*c));
}

absl::StatusOr<std::shared_ptr<CollectionHandle>> LocalDirectory::GetCollection(
    std::string_view name) const {
  if (auto s = ValidateCollectionName(name, "collection"); !s.ok()) return s;
  auto c = engine_->GetCollection(name);
  if (!c.ok()) return c.status();
  return std::shared_ptr<CollectionHandle>(std::move(*c));
}

absl::StatusOr<std::vector<std::shared_ptr<CollectionHandle>>> LocalDirectory::ListCollections()
    const {
  std::vector<std::shared_ptr<CollectionHandle>> out;
  for (auto& c : engine_->ListCollections()) out.push_back(std::move(c));
  return out;
}

absl::Status LocalDirectory::DropCollection(std::string_view name) {
  if (auto s = ValidateCollectionName(name, "name"); !s.ok()) return s;
  return engine_->DropCollection(name);
}

absl::Status LocalDirectory::CreateAlias(std::string_view alias, std::string_view collection) {
  if (auto s = ValidateCollectionName(alias, "alias"); !s.ok()) return s;
  if (auto s = ValidateCollectionName(collection, "collection"); !s.ok()) return s;
  return engine_->CreateAlias(alias, collection);
}

absl::Status LocalDirectory::SwitchAlias(std::string_view alias, std::string_view collection) {
  if (auto s = ValidateCollectionName(alias, "alias"); !s.ok()) return s;
  if (auto s = ValidateCollectionName(collection, "collection"); !s.ok()) return s;
  return engine_->SwitchAlias(alias, collection);
}

absl::Status LocalDirectory::DeleteAlias(std::string_view alias) {
  if (auto s = ValidateCollectionName(alias, "alias"); !s.ok()) return s;
  return engine_->DeleteAlias(alias);
}

absl::StatusOr<std::vector<CollectionAlias>> LocalDirectory::ListAliases() const {
  return engine_->ListAliases();
}

}  // namespace metricdb
