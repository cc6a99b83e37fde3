// ShardedCollection over real local collections (one engine holds the shards,
// as one node would): splitting batches by key, merging searches and gets in
// the single-node order, and a shard that cannot be reached failing exactly
// the calls that need it.
#include "cluster/sharded_collection.h"

#include <gtest/gtest.h>

#include <random>

#include "tests/testing/engine_fixture.h"

namespace metricdb {
namespace {

constexpr int kShards = 3;
constexpr int kDim = 8;

class ShardedCollectionTest : public testing::EngineFixture {
 protected:
  void SetUp() override {
    EngineFixture::SetUp();
    CollectionSchema schema;
    schema.dim = kDim;
    schema.name = "whole";
    ASSERT_OK_AND_ASSIGN(whole_, engine_->CreateCollection(schema));
    for (int s = 0; s < kShards; ++s) {
      schema.name = ShardCollectionName("c", s);
      ASSERT_OK_AND_ASSIGN(auto c, engine_->CreateCollection(schema));
      shards_.push_back(std::make_shared<LocalShard>(c));
    }
  }
  // The sharded collection, with shard `down` (if any) unreachable.
  std::shared_ptr<ShardedCollection> Sharded(int down = -1) {
    ClusterCollection record;
    record.schema.name = "c";
    record.schema.dim = kDim;
    record.schema.shards = kShards;
    record.placement = {"n0", "n1", "n2"};
    record.ready = true;
    std::vector<absl::StatusOr<std::shared_ptr<Shard>>> shards;
    for (int s = 0; s < kShards; ++s) {
      if (s == down) {
        shards.push_back(absl::UnavailableError("shard " + std::to_string(s) + ": node n" +
                                                std::to_string(s) + " is down"));
      } else {
        shards.push_back(shards_[s]);
      }
    }
    auto c = ShardedCollection::Make(record, std::move(shards), limits_, nullptr);
    EXPECT_TRUE(c.ok());
    return *c;
  }
  std::vector<Record> Batch(int first, int n, std::mt19937* rng) {
    std::normal_distribution<float> normal;
    std::vector<Record> batch;
    for (int i = first; i < first + n; ++i) {
      Record r;
      r.key = "k" + std::to_string(i);
      r.label = "p" + std::to_string(i % 7);
      for (int d = 0; d < kDim; ++d) r.vector.push_back(normal(*rng));
      batch.push_back(std::move(r));
    }
    return batch;
  }
  CollectionLimits limits_;
  std::shared_ptr<Collection> whole_;
  std::vector<std::shared_ptr<LocalShard>> shards_;
};

TEST_F(ShardedCollectionTest, AnswersLikeOneCollectionHoldingEverything) {
  std::mt19937 rng(1);
  auto c = Sharded();
  for (int b = 0; b < 5; ++b) {
    auto batch = Batch(b * 100, 100, &rng);
    ASSERT_OK(whole_->Upsert(batch).status());
    ASSERT_OK_AND_ASSIGN(UpsertResult r, c->Upsert(batch));
    EXPECT_EQ(r.inserted, 100);
  }
  // Every shard got its keys, and only those.
  int64_t total = 0;
  for (int s = 0; s < kShards; ++s) {
    ASSERT_OK_AND_ASSIGN(CollectionStats st, shards_[s]->ReadStats());
    EXPECT_GT(st.record_count, 100);
    total += st.record_count;
  }
  EXPECT_EQ(total, 500);
  ASSERT_OK_AND_ASSIGN(CollectionStats sum, c->ReadStats());
  EXPECT_EQ(sum.record_count, 500);
  // Search: the same keys and distances as the single collection.
  auto queries = Batch(1000, 20, &rng);
  std::vector<absl::Span<const float>> q;
  for (const auto& r : queries) q.emplace_back(r.vector);
  SearchOptions options;
  options.k = 15;
  ASSERT_OK_AND_ASSIGN(SearchResults got, c->Search(q, options));
  ASSERT_OK_AND_ASSIGN(SearchResults want, whole_->Search(q, options));
  for (size_t i = 0; i < q.size(); ++i) {
    ASSERT_EQ(got[i].size(), want[i].size());
    for (size_t j = 0; j < got[i].size(); ++j) {
      EXPECT_EQ(got[i][j].key, want[i][j].key);
      EXPECT_NEAR(got[i][j].distance, want[i][j].distance, 1e-5);
    }
  }
  // Get: request order, missing keys named.
  std::vector<std::string> keys = {"k7", "nope", "k3", "k499"};
  ASSERT_OK_AND_ASSIGN(GetResult g, c->Get(keys, true));
  ASSERT_EQ(g.records.size(), 3u);
  EXPECT_EQ(g.records[0].key, "k7");
  EXPECT_EQ(g.records[2].key, "k499");
  EXPECT_EQ(g.missing_keys, std::vector<std::string>{"nope"});
  // Delete by key and label, counted over shards.
  std::vector<std::string> labels = {"p0"};
  ASSERT_OK_AND_ASSIGN(int64_t deleted,
                       c->Delete(std::vector<std::string>{"k1", "k2"}, labels, ""));
  EXPECT_EQ(deleted, 2 + 72);  // p0: 0, 7, ..., 497
  ASSERT_OK_AND_ASSIGN(sum, c->ReadStats());
  EXPECT_EQ(sum.record_count, 500 - 74);
}

TEST_F(ShardedCollectionTest, AnInvalidRecordRejectsItsBatchOnEveryShard) {
  std::mt19937 rng(2);
  auto c = Sharded();
  std::vector<std::vector<Record>> group = {Batch(0, 50, &rng), Batch(50, 50, &rng),
                                            Batch(100, 50, &rng)};
  group[1][17].vector.pop_back();
  GroupUpsertResult r = c->UpsertGroup(group);
  ASSERT_EQ(r.results.size(), 1u);  // batches after the bad one are not tried
  EXPECT_EQ(r.error.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.error.message().find("records[17].vector"), std::string::npos) << r.error;
  ASSERT_OK_AND_ASSIGN(CollectionStats sum, c->ReadStats());
  EXPECT_EQ(sum.record_count, 50);
}

TEST_F(ShardedCollectionTest, AShardThatIsDownFailsTheCallsThatNeedIt) {
  std::mt19937 rng(3);
  ASSERT_OK(Sharded()->Upsert(Batch(0, 60, &rng)).status());
  auto c = Sharded(/*down=*/1);
  // Keys of live shards stay readable; a key on the missing shard fails.
  std::vector<std::string> live, dead;
  for (int i = 0; i < 60; ++i) {
    const std::string k = "k" + std::to_string(i);
    (ShardOfKey(k, kShards) == 1 ? dead : live).push_back(k);
  }
  ASSERT_OK_AND_ASSIGN(GetResult g, c->Get(live, false));
  EXPECT_EQ(g.records.size(), live.size());
  EXPECT_EQ(c->Get(dead, false).status().code(), absl::StatusCode::kUnavailable);
  // A search needs every shard: no partial answer.
  const std::vector<float> q(kDim, 0.5f);
  SearchOptions options;
  auto s = c->Search({absl::Span<const float>(q)}, options);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(s.status().message().find("node n1 is down"), std::string::npos);
  EXPECT_EQ(c->ReadStats().status().code(), absl::StatusCode::kUnavailable);
  // A group: the first batch with a record for the missing shard ends the
  // results; the parts of other shards may be stored (atomic per shard).
  std::vector<Record> only_live;
  for (auto& r : Batch(100, 40, &rng)) {
    if (ShardOfKey(r.key, kShards) != 1) only_live.push_back(std::move(r));
  }
  GroupUpsertResult r = c->UpsertGroup({only_live, Batch(200, 40, &rng)});
  ASSERT_EQ(r.results.size(), 1u);
  EXPECT_EQ(r.results[0].inserted, int64_t(only_live.size()));
  EXPECT_EQ(r.error.code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace metricdb
