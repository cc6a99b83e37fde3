// ClusterNode: aliases, as keys P/aliases/<alias> whose value is the name of
// a collection. Each change is one etcd transaction that checks the names it
// depends on, so two nodes changing aliases at once cannot break the rule
// that a name is a collection or an alias, and an alias names a collection.
#include "absl/strings/str_cat.h"
#include "cluster/cluster_node.h"

namespace metricdb {
namespace {

absl::Status CheckNames(std::string_view alias, std::string_view collection) {
  if (auto s = ValidateCollectionName(alias, "alias"); !s.ok()) return s;
  return ValidateCollectionName(collection, "collection");
}

}  // namespace

absl::Status ClusterNode::CreateAlias(std::string_view alias, std::string_view collection) {
  if (auto s = CheckNames(alias, collection); !s.ok()) return s;
  auto created = etcd_->PutIfAll({{keys_.Alias(alias), false},
                                  {keys_.Collection(alias), false},
                                  {keys_.Collection(collection), true}},
                                 keys_.Alias(alias), std::string(collection));
  if (!created.ok()) return created.status();
  if (*created) return absl::OkStatus();
  // Which condition failed decides the answer.
  auto target = etcd_->Get(keys_.Collection(collection));
  if (!target.ok()) return target.status();
  if (!*target) {
    return absl::NotFoundError(
        absl::StrCat("collection \"", std::string(collection), "\" does not exist"));
  }
  return absl::AlreadyExistsError(
      absl::StrCat("alias: \"", std::string(alias), "\" is already a collection or an alias"));
}

absl::Status ClusterNode::SwitchAlias(std::string_view alias, std::string_view collection) {
  if (auto s = CheckNames(alias, collection); !s.ok()) return s;
  auto switched =
      etcd_->PutIfAll({{keys_.Alias(alias), true}, {keys_.Collection(collection), true}},
                      keys_.Alias(alias), std::string(collection));
  if (!switched.ok()) return switched.status();
  if (*switched) return absl::OkStatus();
  auto existing = etcd_->Get(keys_.Alias(alias));
  if (!existing.ok()) return existing.status();
  if (!*existing) {
    return absl::NotFoundError(absl::StrCat("alias \"", std::string(alias), "\" does not exist"));
  }
  return absl::NotFoundError(
      absl::StrCat("collection \"", std::string(collection), "\" does not exist"));
}

absl::Status ClusterNode::DeleteAlias(std::string_view alias) {
  if (auto s = ValidateCollectionName(alias, "alias"); !s.ok()) return s;
  auto existing = etcd_->Get(keys_.Alias(alias));
  if (!existing.ok()) return existing.status();
  if (!*existing) {
    return absl::NotFoundError(absl::StrCat("alias \"", std::string(alias), "\" does not exist"));
  }
  return etcd_->Delete(keys_.Alias(alias));
}

absl::StatusOr<std::vector<CollectionAlias>> ClusterNode::ListAliases() const {
  auto kvs = etcd_->GetPrefix(keys_.Aliases());
  if (!kvs.ok()) return kvs.status();
  std::vector<CollectionAlias> out;
  for (const EtcdKv& kv : *kvs) {
    out.push_back({kv.key.substr(keys_.Aliases().size()), kv.value});
  }
  return out;
}

}  // namespace metricdb
