// The control plane's records and the shard map: stable key hashing, even
// placement, and records that survive their JSON round trip.
#include "cluster/cluster_catalog.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace metricdb {
namespace {

TEST(ShardOfKey, IsAStableHashSpreadOverShards) {
  // FNV-1a 64: fixed values, so a key's shard never changes between builds.
  EXPECT_EQ(ShardOfKey("", 1000), int32_t(14695981039346656037ull % 1000));
  EXPECT_EQ(ShardOfKey("a", 1000), int32_t(0xaf63dc4c8601ec8cull % 1000));
  std::map<int32_t, int> counts;
  for (int i = 0; i < 40000; ++i) ++counts[ShardOfKey("key-" + std::to_string(i), 4)];
  ASSERT_EQ(counts.size(), 4u);
  for (const auto& [shard, n] : counts) EXPECT_NEAR(n, 10000, 400) << shard;
}

TEST(PlaceShards, RoundRobinsOverLiveNodes) {
  auto p = PlaceShards("faces", 4, {"n2", "n0", "n1"});
  ASSERT_EQ(p.size(), 4u);
  EXPECT_EQ(std::set<std::string>(p.begin(), p.end()).size(), 3u);
  EXPECT_EQ(p[0], p[3]);                                      // the fourth wraps around
  EXPECT_EQ(p, PlaceShards("faces", 4, {"n0", "n1", "n2"}));  // order of discovery is moot
  EXPECT_TRUE(PlaceShards("faces", 2, {}).empty());
}

TEST(ClusterRecords, RoundTripThroughJson) {
  ClusterCollection c;
  c.schema.name = "faces";
  c.schema.dim = 128;
  c.schema.metric = Metric::kCosine;
  c.schema.index.kind = IndexSpec::Kind::kHnsw;
  c.schema.index.m = 16;
  c.schema.index.ef_search = 77;
  c.schema.metric_version = 3;
  c.schema.shards = 2;
  c.placement = {"n1", "n0"};
  c.ready = true;
  c.created_unix_ms = 1234;
  auto back = DecodeCollection(EncodeCollection(c));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->schema.name, "faces");
  EXPECT_EQ(back->schema.metric, Metric::kCosine);
  EXPECT_EQ(back->schema.index.kind, IndexSpec::Kind::kHnsw);
  EXPECT_EQ(back->schema.index.ef_search, 77);
  EXPECT_EQ(back->schema.metric_version, 3);
  EXPECT_EQ(back->placement, c.placement);
  EXPECT_TRUE(back->ready);
  EXPECT_EQ(DecodeCollection("{").status().code(), absl::StatusCode::kDataLoss);
  c.placement.pop_back();
  EXPECT_EQ(DecodeCollection(EncodeCollection(c)).status().code(), absl::StatusCode::kDataLoss);
  auto node = DecodeNode("n1", EncodeNode({"n1", "127.0.0.1:7001", 9}));
  ASSERT_TRUE(node.ok());
  EXPECT_EQ(node->address, "127.0.0.1:7001");
}

TEST(ClusterKeys, LiveUnderOnePrefix) {
  ClusterKeys keys{"/metricdb/prod"};
  EXPECT_EQ(keys.Node("n1"), "/metricdb/prod/nodes/n1");
  EXPECT_EQ(keys.Collection("faces"), "/metricdb/prod/collections/faces");
  EXPECT_EQ(keys.Metrics("faces"), "/metricdb/prod/metrics/faces/");
  EXPECT_EQ(keys.Lock("faces"), "/metricdb/prod/locks/faces");
}

}  // namespace
}  // namespace metricdb
