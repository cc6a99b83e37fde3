// ClusterNode: joining, membership, the cache of the control plane, and
// reconciling local shards with it.
#include "cluster/cluster_node.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace metricdb {

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

absl::StatusOr<std::unique_ptr<ClusterNode>> ClusterNode::Join(const ClusterNodeOptions& options,
                                                               Engine* engine) {
  if (auto s = ValidateCollectionName(options.node_id, "node_id"); !s.ok()) return s;
  if (options.advertise.empty() || options.advertise.find(':') == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("advertise: \"", options.advertise, "\" is not HOST:PORT"));
  }
  if (options.lease_ttl_seconds < 2) {
    return absl::InvalidArgumentError("cluster_lease_ttl: at least 2 seconds");
  }
  auto etcd = EtcdClient::Connect(options.etcd);
  if (!etcd.ok()) return etcd.status();
  std::unique_ptr<ClusterNode> node(new ClusterNode(options, engine, std::move(*etcd)));
  if (auto s = node->Register(); !s.ok()) return s;
  // The store's revision now (any read carries it): the watch starts after
  // it, and the cache is read after it, so no change falls between.
  int64_t revision = 0;
  if (auto s = node->etcd_->GetPrefix(node->keys_.Nodes(), &revision); !s.ok()) {
    return s.status();
  }
  if (auto s = node->Refresh(); !s.ok()) return s;
  node->Reconcile(/*orphans=*/true);
  ClusterNode* n = node.get();
  node->watch_ = node->etcd_->WatchPrefix(node->keys_.prefix + "/", revision, [n] {
    std::lock_guard<std::mutex> lock(n->mu_);
    n->dirty_ = true;
    n->cv_.notify_all();
  });
  node->keepalive_ = std::thread([n] { n->KeepAliveLoop(); });
  node->refresher_ = std::thread([n] { n->RefreshLoop(); });
  spdlog::info("joined cluster {} at etcd {} as node {} ({})", options.prefix, options.etcd,
               options.node_id, options.advertise);
  return node;
}

ClusterNode::ClusterNode(const ClusterNodeOptions& options, Engine* engine,
                         std::unique_ptr<EtcdClient> etcd)
    : options_(options), keys_{options.prefix}, engine_(engine), etcd_(std::move(etcd)) {}

ClusterNode::~ClusterNode() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  watch_.reset();
  if (keepalive_.joinable()) keepalive_.join();
  if (refresher_.joinable()) refresher_.join();
  if (lease_ != 0) {
    if (auto s = etcd_->RevokeLease(lease_); !s.ok()) {
      spdlog::warn("leaving the cluster: {}", s.ToString());
    }
  }
}

absl::Status ClusterNode::Register() {
  auto lease = etcd_->GrantLease(options_.lease_ttl_seconds);
  if (!lease.ok()) return lease.status();
  lease_ = *lease;
  const std::string value = EncodeNode({options_.node_id, options_.advertise, lease_});
  // A previous run of this node (killed) may still hold its key until its
  // lease expires: wait that out, once.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(options_.lease_ttl_seconds + 1);
  while (true) {
    auto created = etcd_->PutIfAbsent(keys_.Node(options_.node_id), value, lease_);
    if (!created.ok()) return created.status();
    if (*created) return absl::OkStatus();
    if (std::chrono::steady_clock::now() > deadline) {
      return absl::FailedPreconditionError(absl::StrCat(
          "node_id: node \"", options_.node_id, "\" is already live in cluster ", keys_.prefix));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

void ClusterNode::KeepAliveLoop() {
  const auto period = std::chrono::milliseconds(options_.lease_ttl_seconds * 1000 / 3);
  std::unique_lock<std::mutex> lock(mu_);
  while (!cv_.wait_for(lock, period, [&] { return stop_; })) {
    const int64_t lease = lease_;
    lock.unlock();
    auto ttl = etcd_->KeepAlive(lease);
    if (!ttl.ok()) {
      spdlog::error("cluster lease: {}", ttl.status().ToString());
      if (ttl.status().code() == absl::StatusCode::kNotFound) {
        // Expired (etcd unreachable too long): join again under a new lease.
        if (auto s = Register(); !s.ok()) spdlog::error("re-joining: {}", s.ToString());
      }
    }
    lock.lock();
  }
}

void ClusterNode::RefreshLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stop_ || dirty_; });
    if (stop_) return;
    dirty_ = false;
    lock.unlock();
    if (auto s = Refresh(); !s.ok()) {
      spdlog::warn("cluster refresh: {}", s.ToString());
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      lock.lock();
      dirty_ = true;
      continue;
    }
    Reconcile(/*orphans=*/false);
    lock.lock();
  }
}

absl::Status ClusterNode::Refresh() const {
  auto nodes = etcd_->GetPrefix(keys_.Nodes());
  if (!nodes.ok()) return nodes.status();
  auto collections = etcd_->GetPrefix(keys_.Collections());
  if (!collections.ok()) return collections.status();
  std::map<std::string, NodeRecord> node_map;
  for (const EtcdKv& kv : *nodes) {
    const std::string id = kv.key.substr(keys_.Nodes().size());
    auto node = DecodeNode(id, kv.value);
    if (!node.ok()) return node.status();
    node->lease = kv.lease;
    node_map[id] = *node;
  }
  std::map<std::string, ClusterCollection> collection_map;
  for (const EtcdKv& kv : *collections) {
    auto c = DecodeCollection(kv.value);
    if (!c.ok()) return c.status();
    c->revision = kv.mod_revision;
    collection_map[c->schema.name] = std::move(*c);
  }
  std::lock_guard<std::mutex> lock(mu_);
  const bool nodes_changed = [&] {
    if (node_map.size() != nodes_.size()) return true;
    for (const auto& [id, n] : node_map) {
      auto it = nodes_.find(id);
      if (it == nodes_.end() || it->second.address != n.address) return true;
    }
    return false;
  }();
  nodes_ = std::move(node_map);
  collections_ = std::move(collection_map);
  for (auto it = handles_.begin(); it != handles_.end();) {
    auto c = collections_.find(it->first);
    const bool stale =
        nodes_changed || c == collections_.end() || c->second.revision != it->second->revision();
    it = stale ? handles_.erase(it) : std::next(it);
  }
  return absl::OkStatus();
}

void ClusterNode::Reconcile(bool orphans) {
  std::map<std::string, ClusterCollection> collections;
  {
    std::lock_guard<std::mutex> lock(mu_);
    collections = collections_;
  }
  for (const auto& local : engine_->ListCollections()) {
    const std::string name = local->schema().name;
    const size_t dot = name.rfind('.');
    if (dot == std::string::npos) continue;  // not a shard
    int32_t shard = -1;
    if (!absl::SimpleAtoi(name.substr(dot + 1), &shard)) continue;
    auto it = collections.find(name.substr(0, dot));
    const bool placed_here = it != collections.end() && shard < it->second.schema.shards &&
                             it->second.placement[shard] == options_.node_id;
    if (!placed_here) {
      if (orphans) {
        spdlog::info("dropping shard {}: the cluster no longer places it on this node", name);
        if (auto s = engine_->DropCollection(name); !s.ok()) {
          spdlog::error("dropping shard {}: {}", name, s.ToString());
        }
      }
      continue;
    }
    const int32_t wanted = it->second.schema.metric_version;
    if (local->schema().metric_version != wanted) {
      spdlog::info("shard {}: putting metric version {} in force", name, wanted);
      if (auto s = local->ActivateMetric(wanted); !s.ok()) {
        spdlog::error("shard {}: metric version {}: {}", name, wanted, s.ToString());
      }
    }
  }
}

absl::StatusOr<std::optional<ClusterCollection>> ClusterNode::ReadCollection(
    std::string_view name) const {
  auto kv = etcd_->Get(keys_.Collection(name));
  if (!kv.ok()) return kv.status();
  if (!*kv) return std::optional<ClusterCollection>();
  auto c = DecodeCollection((*kv)->value);
  if (!c.ok()) return c.status();
  c->revision = (*kv)->mod_revision;
  return std::optional<ClusterCollection>(std::move(*c));
}

absl::StatusOr<std::shared_ptr<void>> ClusterNode::LockCollection(const std::string& name,
                                                                  const std::string& job) {
  const std::string key = keys_.Lock(name);
  const std::string value =
      nlohmann::json{{"node", options_.node_id}, {"job", job}, {"since_unix_ms", NowMs()}}.dump();
  auto taken = etcd_->PutIfAbsent(key, value, lease_);
  if (!taken.ok()) return taken.status();
  if (!*taken) {
    auto holder = etcd_->Get(key);
    std::string who = holder.ok() && *holder ? (*holder)->value : "another job";
    return absl::FailedPreconditionError(absl::StrCat(
        "collection \"", name, "\": ", who, " holds its lock; try ", job, " again when it ends"));
  }
  EtcdClient* etcd = etcd_.get();
  return std::shared_ptr<void>(nullptr, [etcd, key](void*) {
    if (auto s = etcd->Delete(key); !s.ok()) spdlog::warn("releasing {}: {}", key, s.ToString());
  });
}

absl::StatusOr<int32_t> ClusterNode::ActiveMetricVersion(const std::string& name) const {
  auto record = ReadCollection(name);
  if (!record.ok()) return record.status();
  if (!*record)
    return absl::NotFoundError(absl::StrCat("collection \"", name, "\" does not exist"));
  return (*record)->schema.metric_version;
}

absl::Status ClusterNode::UpdateCollection(const std::string& name,
                                           const std::function<void(ClusterCollection*)>& change) {
  for (int attempt = 0; attempt < 10; ++attempt) {
    auto current = ReadCollection(name);
    if (!current.ok()) return current.status();
    if (!*current) {
      return absl::NotFoundError(absl::StrCat("collection \"", name, "\" does not exist"));
    }
    ClusterCollection updated = **current;
    change(&updated);
    auto done =
        etcd_->PutIfRevision(keys_.Collection(name), EncodeCollection(updated), updated.revision);
    if (!done.ok()) return done.status();
    if (*done) {
      std::lock_guard<std::mutex> lock(mu_);
      dirty_ = true;
      cv_.notify_all();
      return absl::OkStatus();
    }
  }
  return absl::AbortedError(
      absl::StrCat("collection \"", name, "\": its record kept changing; try again"));
}

absl::StatusOr<int32_t> ClusterNode::ReserveMetricVersion(const std::string& name,
                                                          const StoredMetricVersion& version) {
  for (int attempt = 0; attempt < 10; ++attempt) {
    auto existing = etcd_->GetPrefix(keys_.Metrics(name));
    if (!existing.ok()) return existing.status();
    int32_t last = 0;
    for (const EtcdKv& kv : *existing) {
      int32_t n = 0;
      if (absl::SimpleAtoi(kv.key.substr(keys_.Metrics(name).size()), &n)) last = std::max(last, n);
    }
    const int32_t number = last + 1;
    auto reserved = etcd_->PutIfAbsent(keys_.Metrics(name) + std::to_string(number),
                                       nlohmann::json{{"version", number},
                                                      {"created_unix_ms", version.created_unix_ms},
                                                      {"d_out", version.map.d_out},
                                                      {"dim", version.map.dim}}
                                           .dump());
    if (!reserved.ok()) return reserved.status();
    if (*reserved) return number;
  }
  return absl::AbortedError(
      absl::StrCat("collection \"", name, "\": could not reserve a metric version number"));
}

absl::Status ClusterNode::PutEntry(const std::string& name, std::string_view entry,
                                   std::string_view value) {
  return etcd_->Put(keys_.Entries(name) + std::string(entry), std::string(value));
}

absl::StatusOr<std::optional<std::string>> ClusterNode::GetEntry(const std::string& name,
                                                                 std::string_view entry) const {
  auto kv = etcd_->Get(keys_.Entries(name) + std::string(entry));
  if (!kv.ok()) return kv.status();
  if (!*kv) return std::optional<std::string>();
  return std::optional<std::string>((*kv)->value);
}

absl::Status ClusterNode::Status(v1::ClusterStatusResponse* out) const {
  if (auto s = Refresh(); !s.ok()) return s;
  out->set_cluster(true);
  out->set_node_id(options_.node_id);
  out->set_prefix(keys_.prefix);
  std::map<std::string, NodeRecord> nodes;
  std::map<std::string, ClusterCollection> collections;
  {
    std::lock_guard<std::mutex> lock(mu_);
    nodes = nodes_;
    collections = collections_;
  }
  for (const auto& [id, n] : nodes) {
    auto* node = out->add_nodes();
    node->set_id(id);
    node->set_address(n.address);
    node->set_lease_id(n.lease);
    auto ttl = etcd_->LeaseTtl(n.lease);
    node->set_lease_ttl_seconds(ttl.ok() ? *ttl : -1);
    node->set_self(id == options_.node_id);
  }
  for (const auto& [name, c] : collections) {
    for (int32_t s = 0; s < c.schema.shards; ++s) {
      auto* shard = out->add_shards();
      shard->set_collection(name);
      shard->set_shard(s);
      shard->set_node(c.placement[s]);
      shard->set_node_alive(nodes.count(c.placement[s]) > 0);
    }
  }
  return absl::OkStatus();
}

}  // namespace metricdb
