// Index snapshots: a restart restores the index from its snapshot and replays
// what the store gained or lost since; a damaged or stale snapshot falls back
// to a rebuild from the store, never to wrong answers.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "engine/collection/engine.h"
#include "tests/testing/oracle.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace metricdb {
namespace {

using testing::OracleKnn;
using testing::OracleMetric;
using testing::RandomVectors;
using testing::TempDir;

constexpr int kDim = 16;

std::string Key(int64_t i) { return "k" + std::to_string(i); }

// An index kind, and for HNSW its quantization.
struct IndexChoice {
  IndexSpec::Kind kind;
  IndexSpec::Quantization quantization = IndexSpec::Quantization::kNone;
};

class SnapshotTest : public ::testing::TestWithParam<IndexChoice> {
 protected:
  // Opens the engine; `snapshot_on_close` false makes closing it look like a
  // crash as far as snapshots go.
  void Open(bool snapshot_on_close) {
    engine_.reset();
    EngineOptions options;
    options.data_dir = dir_.file("db");
    options.snapshot_interval_seconds = 0;
    options.snapshot_on_close = snapshot_on_close;
    auto engine = Engine::Open(options);
    ASSERT_OK(engine);
    engine_ = std::move(*engine);
  }
  std::shared_ptr<Collection> Get() { return *engine_->GetCollection("c"); }
  std::string SnapshotFile() {
    for (const auto& e : std::filesystem::directory_iterator(dir_.file("db/snapshots"))) {
      if (e.path().extension() == ".snap") return e.path().string();
    }
    return "";
  }
  static IndexSpec Spec(IndexChoice choice) {
    IndexSpec s;
    s.kind = choice.kind;
    s.quantization = choice.quantization;
    if (choice.kind == IndexSpec::Kind::kIvfFlat) s.nlist = 16;  // trains at 624 records
    return s;
  }
  void Upsert(Collection& c, int64_t first, int64_t count, uint32_t seed) {
    auto v = RandomVectors(count, kDim, seed);
    std::vector<Record> batch;
    for (int64_t i = 0; i < count; ++i) {
      batch.push_back({Key(first + i),
                       std::vector<float>(v.begin() + i * kDim, v.begin() + (i + 1) * kDim),
                       "L" + std::to_string((first + i) % 3),
                       {}});
      vectors_[first + i] = batch.back().vector;
    }
    ASSERT_OK(c.Upsert(std::move(batch)));
  }
  void Delete(Collection& c, int64_t first, int64_t count) {
    std::vector<std::string> keys;
    for (int64_t i = first; i < first + count; ++i) {
      keys.push_back(Key(i));
      vectors_.erase(i);
    }
    ASSERT_OK(c.Delete(keys, {}, ""));
  }
  // Searches as exactly as the index allows and compares with the oracle
  // over the live records: keys in order for exact search, recall otherwise.
  void ExpectMatchesLiveRecords(Collection& c) {
    std::vector<float> base;
    std::vector<int64_t> rows;
    for (const auto& [i, v] : vectors_) {
      base.insert(base.end(), v.begin(), v.end());
      rows.push_back(i);
    }
    EXPECT_EQ(c.Stats().record_count, int64_t(rows.size()));
    const auto queries = RandomVectors(30, kDim, 99);
    SearchOptions opts;
    opts.k = 10;
    if (c.schema().index.kind == IndexSpec::Kind::kHnsw) opts.tuning.ef_search = 400;
    if (c.schema().index.quantization != IndexSpec::Quantization::kNone) {
      opts.tuning.rerank = 400;  // the whole beam, exactly
    }
    if (c.schema().index.kind == IndexSpec::Kind::kIvfFlat && c.Stats().index.trained) {
      opts.tuning.nprobe = 16;  // every list: exact
    }
    int64_t matched = 0;
    for (int q = 0; q < 30; ++q) {
      const float* query = queries.data() + q * kDim;
      ASSERT_OK_AND_ASSIGN(auto res, c.Search({absl::Span<const float>(query, kDim)}, opts));
      auto truth = OracleKnn(OracleMetric::kL2, base, kDim, query, 10);
      ASSERT_EQ(res[0].size(), truth.size());
      for (size_t j = 0; j < truth.size(); ++j) {
        const std::string want = Key(rows[truth[j].second]);
        if (c.schema().index.kind != IndexSpec::Kind::kHnsw) {
          EXPECT_EQ(res[0][j].key, want) << "query " << q << " rank " << j;
        }
        for (const auto& hit : res[0]) matched += hit.key == want;
      }
    }
    EXPECT_GE(double(matched) / 300.0, 0.98);
  }

  TempDir dir_;
  std::unique_ptr<Engine> engine_;
  std::map<int64_t, std::vector<float>> vectors_;  // the live records
};

TEST_P(SnapshotTest, RestoreAndReplayEqualsTheStoreAfterACrash) {
  ASSERT_NO_FATAL_FAILURE(Open(true));
  CollectionSchema schema{"c", kDim, Metric::kL2, Spec(GetParam())};
  ASSERT_OK(engine_->CreateCollection(schema));
  ASSERT_NO_FATAL_FAILURE(Upsert(*Get(), 0, 2000, 1));
  ASSERT_NO_FATAL_FAILURE(Open(false));  // graceful close wrote the snapshot
  ASSERT_FALSE(SnapshotFile().empty());
  auto c = Get();
  EXPECT_TRUE(c->load_report().from_snapshot);
  EXPECT_EQ(c->load_report().replayed_adds, 0);

  // After the snapshot: 500 new, 300 deleted, 100 replaced; then a "crash".
  ASSERT_NO_FATAL_FAILURE(Upsert(*c, 2000, 500, 2));
  ASSERT_NO_FATAL_FAILURE(Delete(*c, 0, 300));
  ASSERT_NO_FATAL_FAILURE(Upsert(*c, 1000, 100, 3));
  c.reset();
  ASSERT_NO_FATAL_FAILURE(Open(false));
  c = Get();
  const auto report = c->load_report();
  EXPECT_TRUE(report.from_snapshot) << report.fallback_reason;
  EXPECT_EQ(report.replayed_adds, 600);     // 500 new + 100 new versions
  EXPECT_EQ(report.replayed_removes, 400);  // 300 deleted + 100 old versions
  ExpectMatchesLiveRecords(*c);

  // The same answers as a rebuild from the store alone.
  c.reset();
  std::filesystem::remove(SnapshotFile());
  ASSERT_NO_FATAL_FAILURE(Open(false));
  c = Get();
  EXPECT_FALSE(c->load_report().from_snapshot);
  EXPECT_TRUE(c->load_report().fallback_reason.empty());  // none existed
  ExpectMatchesLiveRecords(*c);
}

TEST_P(SnapshotTest, DamagedSnapshotsFallBackToARebuild) {
  ASSERT_NO_FATAL_FAILURE(Open(true));
  CollectionSchema schema{"c", kDim, Metric::kL2, Spec(GetParam())};
  ASSERT_OK(engine_->CreateCollection(schema));
  ASSERT_NO_FATAL_FAILURE(Upsert(*Get(), 0, 1500, 4));
  ASSERT_NO_FATAL_FAILURE(Open(false));
  const std::string file = SnapshotFile();
  ASSERT_FALSE(file.empty());
  std::string bytes;
  {
    std::ifstream in(file, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  const std::vector<std::pair<std::string, std::string>> damages = {
      {"truncated", bytes.substr(0, bytes.size() - 100)},
      {"flipped byte",
       [&] {
         std::string b = bytes;
         b[b.size() / 2] ^= 0x5a;
         return b;
       }()},
      {"empty", ""},
      {"garbage header", "not a snapshot at all"}};
  for (const auto& [what, damaged] : damages) {
    SCOPED_TRACE(what);
    std::ofstream(file, std::ios::binary | std::ios::trunc) << damaged;
    ASSERT_NO_FATAL_FAILURE(Open(false));
    auto c = Get();
    EXPECT_FALSE(c->load_report().from_snapshot);
    EXPECT_FALSE(c->load_report().fallback_reason.empty());
    ExpectMatchesLiveRecords(*c);
  }
}

TEST_P(SnapshotTest, SnapshotOfAnotherIndexIsNotUsed) {
  ASSERT_NO_FATAL_FAILURE(Open(true));
  CollectionSchema schema{"c", kDim, Metric::kL2, Spec(GetParam())};
  ASSERT_OK(engine_->CreateCollection(schema));
  ASSERT_NO_FATAL_FAILURE(Upsert(*Get(), 0, 1000, 5));
  ASSERT_NO_FATAL_FAILURE(Open(false));
  // Switch the index, then crash before a new snapshot.
  IndexSpec other;
  other.kind =
      GetParam().kind == IndexSpec::Kind::kHnsw ? IndexSpec::Kind::kFlat : IndexSpec::Kind::kHnsw;
  ASSERT_OK(Get()->BuildIndex(other));
  ASSERT_NO_FATAL_FAILURE(Open(false));
  auto c = Get();
  EXPECT_EQ(c->schema().index.kind, other.kind);
  EXPECT_FALSE(c->load_report().from_snapshot);
  EXPECT_NE(c->load_report().fallback_reason.find("another schema"), std::string::npos)
      << c->load_report().fallback_reason;
  ExpectMatchesLiveRecords(*c);
}

INSTANTIATE_TEST_SUITE_P(
    Indexes, SnapshotTest,
    ::testing::Values(IndexChoice{IndexSpec::Kind::kFlat}, IndexChoice{IndexSpec::Kind::kHnsw},
                      IndexChoice{IndexSpec::Kind::kHnsw, IndexSpec::Quantization::kSq8},
                      IndexChoice{IndexSpec::Kind::kHnsw, IndexSpec::Quantization::kSq4},
                      IndexChoice{IndexSpec::Kind::kIvfFlat}),
    [](const auto& info) {
      std::string name(IndexKindName(info.param.kind));
      if (info.param.quantization != IndexSpec::Quantization::kNone) {
        name += "_" + std::string(QuantizationName(info.param.quantization));
      }
      return name;
    });

}  // namespace
}  // namespace metricdb
