// Background work is owned: a tombstone rebuild of an HNSW graph runs on a
// thread the collection joins. Dropping the collection or closing the engine
// while it runs cancels it (no new index is swapped in) and waits for it, and
// what the store holds is unaffected.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "tests/testing/engine_fixture.h"
#include "tests/testing/index_specs.h"
#include "tests/testing/oracle.h"
#include "tests/testing/sanitizers.h"

namespace metricdb {
namespace {

constexpr int kDim = 16;
// A rebuild of seconds, scanned in 3 or more chunks (a cancelled build stops
// between chunks); smaller under the sanitizers, which run it ~50x slower.
constexpr int kRecords = testing::kSanitizedBuild ? 20000 : 40000;
constexpr int kDeleted = kRecords * 2 / 5;  // 40% tombstones: past the 30% that rebuilds

std::string Key(int i) { return "k" + std::to_string(i); }

class BackgroundWorkTest : public testing::EngineFixture {
 protected:
  // A collection whose background rebuild is running when this returns.
  std::shared_ptr<Collection> CollectionRebuildingInTheBackground() {
    CollectionSchema schema{"c", kDim, Metric::kL2,
                            testing::kSanitizedBuild
                                ? testing::Hnsw()
                                : testing::Hnsw(/*m=*/32, /*ef_construction=*/200)};
    auto c = engine_->CreateCollection(schema);
    EXPECT_OK(c);
    const std::vector<float> v = testing::RandomVectors(kRecords, kDim, 3);
    for (int start = 0; start < kRecords; start += 5000) {
      std::vector<Record> batch;
      for (int i = start; i < start + 5000; ++i) {
        batch.push_back({Key(i),
                         std::vector<float>(v.begin() + i * kDim, v.begin() + (i + 1) * kDim),
                         std::nullopt,
                         {}});
      }
      EXPECT_OK((*c)->Upsert(std::move(batch)));
    }
    std::vector<std::string> keys;
    for (int i = 0; i < kDeleted; ++i) keys.push_back(Key(i));
    EXPECT_OK((*c)->Delete(keys, {}, ""));
    // The rebuild thread starts with the delete and takes the writer lock
    // once the delete lets go of it.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!(*c)->Stats().index_building && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    EXPECT_TRUE((*c)->Stats().index_building) << "no rebuild started after the delete";
    return *c;
  }
};

TEST_F(BackgroundWorkTest, DropCancelsARunningRebuildAndWaitsForIt) {
  std::shared_ptr<Collection> c = CollectionRebuildingInTheBackground();
  const double build_seconds = c->Stats().last_index_build_seconds;
  ASSERT_OK(engine_->DropCollection("c"));
  // Drop returned after the rebuild thread ended, and the rebuild swapped
  // nothing in (a finished one would have set a new build time).
  EXPECT_FALSE(c->Stats().index_building);
  EXPECT_EQ(c->Stats().last_index_build_seconds, build_seconds);
  const std::vector<float> q(kDim, 0.5f);
  EXPECT_EQ(c->Search({absl::Span<const float>(q)}, SearchOptions()).status().code(),
            absl::StatusCode::kNotFound);
  c.reset();
  Reopen();
  EXPECT_EQ(engine_->GetCollection("c").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(BackgroundWorkTest, ClosingTheEngineCancelsARunningRebuild) {
  std::shared_ptr<Collection> c = CollectionRebuildingInTheBackground();
  c.reset();  // the engine holds the last reference: its destructor joins
  Reopen();
  ASSERT_OK_AND_ASSIGN(c, engine_->GetCollection("c"));
  EXPECT_EQ(c->Stats().record_count, kRecords - kDeleted);
  // Deleted records stay deleted; the graph was rebuilt at open or keeps
  // its tombstones until the next rebuild, and either way finds none.
  ASSERT_OK_AND_ASSIGN(GetResult got,
                       c->Get(std::vector<std::string>{Key(0), Key(kDeleted)}, false));
  EXPECT_EQ(got.missing_keys, std::vector<std::string>{Key(0)});
  SearchOptions options;
  options.k = 50;
  const std::vector<float> q(kDim, 0.0f);
  ASSERT_OK_AND_ASSIGN(SearchResults hits, c->Search({absl::Span<const float>(q)}, options));
  ASSERT_EQ(hits[0].size(), 50u);
  for (const SearchHit& hit : hits[0]) EXPECT_GE(std::stoi(hit.key.substr(1)), kDeleted);
}

}  // namespace
}  // namespace metricdb
