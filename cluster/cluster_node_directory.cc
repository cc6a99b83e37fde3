// ClusterNode as a CollectionDirectory: creating, finding, listing and
// dropping the cluster's collections and reaching their shards.
#include <spdlog/spdlog.h>

#include <chrono>
#include <future>

#include "absl/strings/str_cat.h"
#include "cluster/cluster_node.h"
#include "proto/convert/proto_convert.h"
#include "proto/convert/status_convert.h"

namespace metricdb {

std::shared_ptr<cluster::v1::ShardNode::Stub> ClusterNode::StubFor(
    const std::string& address) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto& stub = stubs_[address];
  if (!stub) stub = cluster::v1::ShardNode::NewStub(NodeChannel(address, options_.calls));
  return stub;
}

std::shared_ptr<Shard> ClusterNode::MakeShard(const std::string& collection, int32_t shard,
                                              const std::string& node_id,
                                              const std::string& address) const {
  const std::string local = ShardCollectionName(collection, shard);
  const std::string where = absl::StrCat("shard ", shard, " of \"", collection, "\" on node ",
                                         node_id, " (", address, ")");
  if (node_id == options_.node_id) {
    auto c = engine_->GetCollection(local);
    if (c.ok()) return std::make_shared<LocalShard>(std::move(*c));
  }
  return std::make_shared<RemoteShard>(StubFor(address), local, where, options_.calls);
}

absl::StatusOr<std::shared_ptr<ShardedCollection>> ClusterNode::Handle(
    const ClusterCollection& c) const {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = handles_.find(c.schema.name);
    if (it != handles_.end() && it->second->revision() == c.revision) return it->second;
  }
  if (!c.ready) {
    return absl::UnavailableError(
        absl::StrCat("collection \"", c.schema.name, "\" is still being created"));
  }
  std::map<std::string, NodeRecord> nodes;
  {
    std::lock_guard<std::mutex> lock(mu_);
    nodes = nodes_;
  }
  std::vector<absl::StatusOr<std::shared_ptr<Shard>>> shards;
  for (int32_t s = 0; s < c.schema.shards; ++s) {
    const std::string& node = c.placement[s];
    auto it = nodes.find(node);
    if (it == nodes.end()) {
      shards.push_back(
          absl::UnavailableError(absl::StrCat("shard ", s, " of \"", c.schema.name, "\": its node ",
                                              node, " is down (no live lease in etcd)")));
    } else {
      shards.push_back(MakeShard(c.schema.name, s, node, it->second.address));
    }
  }
  auto handle = ShardedCollection::Make(c, std::move(shards), engine_->options().limits,
                                        const_cast<ClusterNode*>(this));
  if (!handle.ok()) return handle.status();
  std::lock_guard<std::mutex> lock(mu_);
  handles_[c.schema.name] = *handle;
  return *handle;
}

absl::StatusOr<std::shared_ptr<CollectionHandle>> ClusterNode::CreateCollection(
    const CollectionSchema& requested) {
  CollectionSchema schema = requested;
  if (auto s = ValidateSchema(&schema); !s.ok()) return s;
  schema.metric_version = 0;
  if (auto s = Refresh(); !s.ok()) return s;
  std::map<std::string, NodeRecord> nodes;
  {
    std::lock_guard<std::mutex> lock(mu_);
    nodes = nodes_;
  }
  std::vector<std::string> live;
  for (const auto& [id, n] : nodes) live.push_back(id);
  ClusterCollection record;
  record.schema = schema;
  record.placement = PlaceShards(schema.name, schema.shards, live);
  record.created_unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  if (record.placement.empty()) return absl::UnavailableError("the cluster has no live node");
  // One transaction: the name is neither a collection nor an alias.
  auto created =
      etcd_->PutIfAll({{keys_.Collection(schema.name), false}, {keys_.Alias(schema.name), false}},
                      keys_.Collection(schema.name), EncodeCollection(record));
  if (!created.ok()) return created.status();
  if (!*created) {
    return absl::AlreadyExistsError(
        absl::StrCat("collection or alias \"", schema.name, "\" already exists"));
  }
  // The record claims the name first (not ready), then every shard is made
  // where the placement puts it; any failure undoes both.
  std::vector<std::future<absl::Status>> made;
  for (int32_t s = 0; s < schema.shards; ++s) {
    made.push_back(std::async(std::launch::async, [&, s]() -> absl::Status {
      CollectionSchema shard_schema = schema;
      shard_schema.name = ShardCollectionName(schema.name, s);
      shard_schema.shards = 1;
      const std::string& node = record.placement[s];
      if (node == options_.node_id) return engine_->CreateCollection(shard_schema).status();
      v1::CollectionSchema proto;
      ToProto(shard_schema, &proto);
      v1::CollectionInfo info;
      auto context = NodeCallContext(options_.calls, options_.calls.write_timeout_ms);
      auto s2 = StubFor(nodes.at(node).address)->CreateShard(context.get(), proto, &info);
      if (!s2.ok()) {
        return absl::UnavailableError(
            absl::StrCat("creating shard ", s, " on node ", node, ": ", s2.error_message()));
      }
      return absl::OkStatus();
    }));
  }
  absl::Status failed;
  for (auto& f : made) {
    absl::Status s = f.get();
    if (failed.ok()) failed = s;
  }
  if (!failed.ok()) {
    DropCollection(schema.name).IgnoreError();
    return failed;
  }
  if (auto s = UpdateCollection(schema.name, [](ClusterCollection* c) { c->ready = true; });
      !s.ok()) {
    return s;
  }
  return GetCollection(schema.name);
}

absl::StatusOr<std::shared_ptr<CollectionHandle>> ClusterNode::GetCollection(
    std::string_view name) const {
  if (auto s = ValidateCollectionName(name, "collection"); !s.ok()) return s;
  // The record is read from etcd on every call (one linearizable read): a
  // change made through another node a moment ago (a new collection, a
  // metric put in force) is seen at once. While the record's revision is
  // unchanged the handle made from it serves, without decoding it again.
  auto kv = etcd_->Get(keys_.Collection(name));
  if (!kv.ok()) return kv.status();
  if (!*kv) {
    // An alias: one more read, of the record of the collection it names.
    auto alias = etcd_->Get(keys_.Alias(name));
    if (!alias.ok()) return alias.status();
    if (*alias) kv = etcd_->Get(keys_.Collection((*alias)->value));
    if (!kv.ok()) return kv.status();
  }
  if (!*kv) {
    return absl::NotFoundError(
        absl::StrCat("collection \"", std::string(name), "\" does not exist"));
  }
  return HandleOf(**kv);
}

absl::StatusOr<std::shared_ptr<CollectionHandle>> ClusterNode::HandleOf(const EtcdKv& kv) const {
  // While the record's revision is unchanged the handle made from it
  // serves, without decoding it again.
  {
    const std::string collection = kv.key.substr(keys_.Collections().size());
    std::lock_guard<std::mutex> lock(mu_);
    auto it = handles_.find(collection);
    if (it != handles_.end() && it->second->revision() == kv.mod_revision) return it->second;
  }
  auto record = DecodeCollection(kv.value);
  if (!record.ok()) return record.status();
  record->revision = kv.mod_revision;
  auto handle = Handle(*record);
  if (!handle.ok()) return handle.status();
  return std::shared_ptr<CollectionHandle>(std::move(*handle));
}

absl::StatusOr<std::vector<std::shared_ptr<CollectionHandle>>> ClusterNode::ListCollections()
    const {
  if (auto s = Refresh(); !s.ok()) return s;
  std::map<std::string, ClusterCollection> collections;
  {
    std::lock_guard<std::mutex> lock(mu_);
    collections = collections_;
  }
  std::vector<std::shared_ptr<CollectionHandle>> out;
  for (const auto& [name, c] : collections) {
    if (!c.ready) continue;
    auto handle = Handle(c);
    if (!handle.ok()) return handle.status();
    out.push_back(std::move(*handle));
  }
  return out;
}

absl::Status ClusterNode::DropCollection(std::string_view name_view) {
  const std::string name(name_view);
  if (auto s = ValidateCollectionName(name, "name"); !s.ok()) return s;
  auto record = ReadCollection(name);
  if (!record.ok()) return record.status();
  auto aliases = ListAliases();
  if (!aliases.ok()) return aliases.status();
  for (const CollectionAlias& a : *aliases) {
    if (a.alias == name) {
      return absl::FailedPreconditionError(
          absl::StrCat("\"", name, "\" is an alias of \"", a.collection,
                       "\": delete the alias, or drop the collection by its own name"));
    }
    if (a.collection == name) {
      return absl::FailedPreconditionError(absl::StrCat("alias \"", a.alias,
                                                        "\" points to collection \"", name,
                                                        "\": switch or delete it first"));
    }
  }
  if (!*record)
    return absl::NotFoundError(absl::StrCat("collection \"", name, "\" does not exist"));
  // The record goes first (one transaction): no call finds the collection
  // afterwards. Shards on nodes that are down now are dropped when those
  // nodes next join (ClusterNode::Reconcile).
  if (auto s = etcd_->Delete(keys_.Collection(name)); !s.ok()) return s;
  for (const std::string& prefix : {keys_.Metrics(name), keys_.Entries(name)}) {
    if (auto s = etcd_->DeletePrefix(prefix); !s.ok()) return s;
  }
  if (auto s = Refresh(); !s.ok()) return s;
  std::map<std::string, NodeRecord> nodes;
  {
    std::lock_guard<std::mutex> lock(mu_);
    nodes = nodes_;
  }
  for (int32_t s = 0; s < (*record)->schema.shards; ++s) {
    const std::string& node = (*record)->placement[s];
    const std::string local = ShardCollectionName(name, s);
    absl::Status dropped;
    if (node == options_.node_id) {
      dropped = engine_->DropCollection(local);
    } else if (auto it = nodes.find(node); it == nodes.end()) {
      dropped = absl::UnavailableError("node is down");
    } else {
      cluster::v1::ShardRef request;
      request.set_collection(local);
      cluster::v1::Empty response;
      auto context = NodeCallContext(options_.calls, options_.calls.write_timeout_ms);
      dropped =
          FromGrpcStatus(StubFor(it->second.address)->DropShard(context.get(), request, &response));
    }
    if (!dropped.ok() && dropped.code() != absl::StatusCode::kNotFound) {
      spdlog::warn("dropping shard {} on node {}: {} (dropped when that node next joins)", local,
                   node, dropped.ToString());
    }
  }
  return absl::OkStatus();
}

}  // namespace metricdb
