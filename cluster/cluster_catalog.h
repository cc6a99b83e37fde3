// The control plane's records in etcd, all under one cluster prefix P:
//   P/nodes/<id>                  a live node (on its lease): its address
//   P/collections/<name>          a collection: schema, shard count, the
//                                 shard map (shard -> node id) and the
//                                 metric version in force
//   P/metrics/<name>/<version>    a learned metric version's metadata (its
//                                 map is stored on every shard)
//   P/entries/<name>/<entry>      named entries (the calibration)
//   P/locks/<name>                lease-bound lock of a long job
//   P/aliases/<alias>             an alias: the name of its collection
// Values are JSON. Vectors never go into etcd.
#ifndef METRICDB_CLUSTER_CLUSTER_CATALOG_H_
#define METRICDB_CLUSTER_CLUSTER_CATALOG_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/base/collection_schema.h"

namespace metricdb {

struct ClusterKeys {
  std::string prefix;  // "/metricdb/<cluster>", no trailing '/'
  std::string Nodes() const { return prefix + "/nodes/"; }
  std::string Node(std::string_view id) const { return Nodes() + std::string(id); }
  std::string Collections() const { return prefix + "/collections/"; }
  std::string Collection(std::string_view name) const { return Collections() + std::string(name); }
  std::string Metrics(std::string_view name) const {
    return prefix + "/metrics/" + std::string(name) + "/";
  }
  std::string Entries(std::string_view name) const {
    return prefix + "/entries/" + std::string(name) + "/";
  }
  std::string Lock(std::string_view name) const { return prefix + "/locks/" + std::string(name); }
  std::string Aliases() const { return prefix + "/aliases/"; }
  std::string Alias(std::string_view name) const { return Aliases() + std::string(name); }
};

struct NodeRecord {
  std::string id;
  std::string address;  // HOST:PORT
  int64_t lease = 0;
};
std::string EncodeNode(const NodeRecord& node);
absl::StatusOr<NodeRecord> DecodeNode(std::string_view id, std::string_view json);

// A collection of the cluster: its schema (schema.shards shards, and the
// metric version in force in schema.metric_version), where each shard lives,
// and whether it is usable yet.
struct ClusterCollection {
  CollectionSchema schema;
  std::vector<std::string> placement;  // shard -> node id
  bool ready = false;                  // false while its shards are being created
  int64_t created_unix_ms = 0;
  int64_t revision = 0;  // the etcd mod_revision it was read at (not encoded)
};
std::string EncodeCollection(const ClusterCollection& c);
absl::StatusOr<ClusterCollection> DecodeCollection(std::string_view json);

// The shard of a record: a stable hash (FNV-1a, 64 bit) of its key modulo the
// shard count. Never changes for a key, on any node or platform.
int32_t ShardOfKey(std::string_view key, int32_t shards);

// Assigns `shards` shards to `nodes` (live node ids, any order): round-robin
// over the nodes sorted by id, starting at a node picked by the collection
// name's hash, so collections spread their first shards.
std::vector<std::string> PlaceShards(std::string_view name, int32_t shards,
                                     std::vector<std::string> nodes);

}  // namespace metricdb

#endif  // METRICDB_CLUSTER_CLUSTER_CATALOG_H_
