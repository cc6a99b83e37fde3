// ClusterNode: this server's membership in a cluster, and the cluster's
// collections as a CollectionDirectory (so the server's handlers coordinate
// any call they receive over the shards, wherever they live).
//
// Joining registers the node under P/nodes/<id> on a lease it keeps alive,
// drops local shards the cluster no longer places here, and brings local
// shards to the metric version in force. A watch on the cluster prefix keeps
// the cached collections and nodes fresh and re-checks local shards' metric
// versions after every change. Leaving (the destructor) revokes the lease.
#ifndef METRICDB_CLUSTER_CLUSTER_NODE_H_
#define METRICDB_CLUSTER_CLUSTER_NODE_H_

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "cluster/cluster_catalog.h"
#include "cluster/etcd_client.h"
#include "cluster/remote_shard.h"
#include "cluster/sharded_collection.h"
#include "engine/collection/engine.h"
#include "metricdb/cluster/v1/shard_node.grpc.pb.h"
#include "metricdb/v1/metricdb.pb.h"

namespace metricdb {

struct ClusterNodeOptions {
  std::string etcd;       // comma-separated http://HOST:PORT; empty: a single node
  std::string node_id;    // unique in the cluster, [A-Za-z0-9_-]{1,64}
  std::string advertise;  // HOST:PORT other nodes and clients reach this node at
  std::string prefix = "/metricdb/default";  // the cluster's keys in etcd
  int lease_ttl_seconds = 10;                // a node silent this long is down
  ShardCallOptions calls;                    // deadlines and token of node-to-node calls
};

class ClusterNode final : public CollectionDirectory, public ClusterControl {
 public:
  // `engine` holds this node's shards and must outlive the node.
  // FAILED_PRECONDITION if another live node has the same id (after waiting
  // one lease TTL for a previous run's lease to expire); UNAVAILABLE if etcd
  // cannot be reached.
  static absl::StatusOr<std::unique_ptr<ClusterNode>> Join(const ClusterNodeOptions& options,
                                                           Engine* engine);
  ~ClusterNode() override;

  absl::StatusOr<std::shared_ptr<CollectionHandle>> CreateCollection(
      const CollectionSchema& schema) override;
  absl::StatusOr<std::shared_ptr<CollectionHandle>> GetCollection(
      std::string_view name) const override;
  absl::StatusOr<std::vector<std::shared_ptr<CollectionHandle>>> ListCollections() const override;
  absl::Status DropCollection(std::string_view name) override;
  // Aliases: keys P/aliases/<alias> in etcd (cluster_node_aliases.cc), each
  // change one transaction that checks the names involved.
  absl::Status CreateAlias(std::string_view alias, std::string_view collection) override;
  absl::Status SwitchAlias(std::string_view alias, std::string_view collection) override;
  absl::Status DeleteAlias(std::string_view alias) override;
  absl::StatusOr<std::vector<CollectionAlias>> ListAliases() const override;

  absl::StatusOr<std::shared_ptr<void>> LockCollection(const std::string& name,
                                                       const std::string& job) override;
  absl::StatusOr<int32_t> ActiveMetricVersion(const std::string& name) const override;
  absl::Status UpdateCollection(const std::string& name,
                                const std::function<void(ClusterCollection*)>& change) override;
  absl::StatusOr<int32_t> ReserveMetricVersion(const std::string& name,
                                               const StoredMetricVersion& version) override;
  absl::Status PutEntry(const std::string& name, std::string_view entry,
                        std::string_view value) override;
  absl::StatusOr<std::optional<std::string>> GetEntry(const std::string& name,
                                                      std::string_view entry) const override;

  // Nodes with their leases, and where every shard lives.
  absl::Status Status(v1::ClusterStatusResponse* out) const;

 private:
  ClusterNode(const ClusterNodeOptions& options, Engine* engine, std::unique_ptr<EtcdClient> etcd);
  absl::Status Register();
  void KeepAliveLoop();
  void RefreshLoop();
  // Re-reads nodes and collections from etcd into the cache.
  absl::Status Refresh() const;
  // Local shards: drop those no collection places here (`orphans`), and put
  // the others under the metric version in force.
  void Reconcile(bool orphans);
  absl::StatusOr<std::optional<ClusterCollection>> ReadCollection(std::string_view name) const;
  absl::StatusOr<std::shared_ptr<ShardedCollection>> Handle(const ClusterCollection& c) const;
  // The handle of the collection whose etcd record `kv` is.
  absl::StatusOr<std::shared_ptr<CollectionHandle>> HandleOf(const EtcdKv& kv) const;
  std::shared_ptr<Shard> MakeShard(const std::string& collection, int32_t shard,
                                   const std::string& node_id, const std::string& address) const;
  std::shared_ptr<cluster::v1::ShardNode::Stub> StubFor(const std::string& address) const;

  const ClusterNodeOptions options_;
  const ClusterKeys keys_;
  Engine* const engine_;
  const std::unique_ptr<EtcdClient> etcd_;
  std::atomic<int64_t> lease_{0};  // this node's membership lease

  mutable std::mutex mu_;                                         // guards everything below
  mutable std::map<std::string, NodeRecord> nodes_;               // live nodes by id
  mutable std::map<std::string, ClusterCollection> collections_;  // by name
  mutable std::map<std::string, std::shared_ptr<ShardedCollection>> handles_;
  mutable std::map<std::string, std::shared_ptr<cluster::v1::ShardNode::Stub>> stubs_;
  bool stop_ = false;
  bool dirty_ = false;
  std::condition_variable cv_;

  std::thread keepalive_;
  std::thread refresher_;
  std::unique_ptr<EtcdClient::Watch> watch_;
};

}  // namespace metricdb

#endif  // METRICDB_CLUSTER_CLUSTER_NODE_H_
