// Engine against a real RocksDB on disk, compared with the brute-force
// oracle.
#include "engine/collection/engine.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <limits>
#include <thread>

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

OracleMetric ToOracle(Metric m) {
  switch (m) {
    case Metric::kL2:
      return OracleMetric::kL2;
    case Metric::kCosine:
      return OracleMetric::kCosine;
    case Metric::kInnerProduct:
      return OracleMetric::kInnerProduct;
  }
  return OracleMetric::kL2;
}

}  // namespace

void PrintTo(Metric m, std::ostream* os) { *os << MetricName(m); }

namespace {

std::string Key(int64_t i) { return "k" + std::to_string(i); }
std::string LabelOf(int64_t i) { return "id" + std::to_string(i % 7); }

std::vector<Record> MakeRecords(const std::vector<float>& v, int dim, int64_t first,
                                int64_t count) {
  std::vector<Record> out;
  for (int64_t i = first; i < first + count; ++i) {
    Record r;
    r.key = Key(i);
    r.vector.assign(v.begin() + i * dim, v.begin() + (i + 1) * dim);
    r.label = LabelOf(i);
    r.attributes["row"] = std::to_string(i);
    out.push_back(std::move(r));
  }
  return out;
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    ASSERT_NO_FATAL_FAILURE(ReopenImpl());
    ASSERT_NE(engine_, nullptr);
  }
  void ReopenImpl() {
    engine_.reset();
    EngineOptions options;
    options.data_dir = dir_.file("db");
    options.limits.max_k = 100;
    auto engine = Engine::Open(options);
    ASSERT_OK(engine);
    engine_ = std::move(*engine);
  }

  std::shared_ptr<Collection> Create(const std::string& name, Metric metric, int dim = kDim) {
    CollectionSchema schema;
    schema.name = name;
    schema.dim = dim;
    schema.metric = metric;
    auto c = engine_->CreateCollection(schema);
    EXPECT_OK(c);
    return c.ok() ? *c : nullptr;
  }

  std::shared_ptr<Collection> Get(const std::string& name) {
    auto c = engine_->GetCollection(name);
    EXPECT_OK(c);
    return c.ok() ? *c : nullptr;
  }

  TempDir dir_;
  std::unique_ptr<Engine> engine_;
};

std::vector<absl::Span<const float>> Spans(const std::vector<float>& q, int dim) {
  std::vector<absl::Span<const float>> out;
  for (size_t i = 0; i < q.size() / dim; ++i) out.emplace_back(q.data() + i * dim, dim);
  return out;
}

// Checks every query's hits against the oracle: same keys in the same order
// and the same distances.
void ExpectMatchesOracle(Metric metric, const std::vector<float>& base,
                         const std::vector<float>& queries, int k, const SearchResults& results,
                         const std::vector<bool>* allowed = nullptr) {
  const int64_t nq = queries.size() / kDim;
  ASSERT_EQ(results.size(), size_t(nq));
  for (int64_t q = 0; q < nq; ++q) {
    auto expected = OracleKnn(ToOracle(metric), base, kDim, queries.data() + q * kDim, k, allowed);
    ASSERT_EQ(results[q].size(), expected.size()) << "query " << q;
    for (size_t j = 0; j < expected.size(); ++j) {
      EXPECT_EQ(results[q][j].key, Key(expected[j].second)) << "query " << q << " rank " << j;
      EXPECT_NEAR(results[q][j].distance, expected[j].first,
                  1e-4 * std::max(1.0, std::abs(expected[j].first)));
      EXPECT_EQ(results[q][j].label, LabelOf(expected[j].second));
    }
  }
}

class EngineMetricTest : public EngineTest, public ::testing::WithParamInterface<Metric> {};

TEST_P(EngineMetricTest, SearchEqualsBruteForceBeforeAndAfterRestart) {
  const Metric metric = GetParam();
  const int64_t n = 3000;
  const auto base = RandomVectors(n, kDim, 1);
  const auto queries = RandomVectors(40, kDim, 2);
  auto c = Create("c", metric);
  ASSERT_OK(c->Upsert(MakeRecords(base, kDim, 0, 1000)));
  ASSERT_OK(c->Upsert(MakeRecords(base, kDim, 1000, 2000)));
  SearchOptions opts;
  opts.k = 10;
  ASSERT_OK_AND_ASSIGN(auto results, c->Search(Spans(queries, kDim), opts));
  ExpectMatchesOracle(metric, base, queries, 10, results);

  c.reset();  // a live handle keeps the store open (and locked)
  Reopen();
  c = Get("c");
  EXPECT_EQ(c->Stats().record_count, n);
  EXPECT_EQ(c->Stats().label_count, 7);
  ASSERT_OK_AND_ASSIGN(auto again, c->Search(Spans(queries, kDim), opts));
  ExpectMatchesOracle(metric, base, queries, 10, again);
}

TEST_P(EngineMetricTest, LabelFilterEqualsFilteredBruteForce) {
  const Metric metric = GetParam();
  const int64_t n = 2000;
  const auto base = RandomVectors(n, kDim, 3);
  const auto queries = RandomVectors(20, kDim, 4);
  auto c = Create("c", metric);
  ASSERT_OK(c->Upsert(MakeRecords(base, kDim, 0, n)));
  SearchOptions opts;
  opts.k = 15;
  opts.labels = {"id2", "id5", "nobody"};
  std::vector<bool> allowed(n);
  for (int64_t i = 0; i < n; ++i) allowed[i] = LabelOf(i) == "id2" || LabelOf(i) == "id5";
  ASSERT_OK_AND_ASSIGN(auto results, c->Search(Spans(queries, kDim), opts));
  ExpectMatchesOracle(metric, base, queries, 15, results, &allowed);

  opts.labels = {"nobody"};
  ASSERT_OK_AND_ASSIGN(auto none, c->Search(Spans(queries, kDim), opts));
  for (const auto& hits : none) EXPECT_TRUE(hits.empty());
}

// A search with a cancellation poll runs in chunks of kCancelCheckQueries
// queries: the same answers as in one piece, and it stops at the first poll
// that says so.
TEST_P(EngineMetricTest, CancellableSearchEqualsBruteForceAndStopsWhenCancelled) {
  const Metric metric = GetParam();
  const auto base = RandomVectors(1500, kDim, 5);
  const int64_t nq = 2 * kCancelCheckQueries + 7;
  const auto queries = RandomVectors(nq, kDim, 6);
  auto c = Create("c", metric);
  ASSERT_OK(c->Upsert(MakeRecords(base, kDim, 0, 1500)));
  SearchOptions opts;
  opts.k = 5;
  int polls = 0;
  opts.cancelled = [&] { return ++polls > 1000; };
  ASSERT_OK_AND_ASSIGN(auto results, c->Search(Spans(queries, kDim), opts));
  EXPECT_EQ(polls, 3);
  ExpectMatchesOracle(metric, base, queries, 5, results);

  polls = 0;
  opts.cancelled = [&] { return ++polls > 2; };
  auto cancelled = c->Search(Spans(queries, kDim), opts);
  EXPECT_EQ(cancelled.status().code(), absl::StatusCode::kCancelled);
  EXPECT_NE(cancelled.status().message().find("after " + std::to_string(2 * kCancelCheckQueries) +
                                              " of " + std::to_string(nq) + " queries"),
            std::string_view::npos)
      << cancelled.status();
}

INSTANTIATE_TEST_SUITE_P(AllMetrics, EngineMetricTest,
                         ::testing::Values(Metric::kL2, Metric::kCosine, Metric::kInnerProduct),
                         [](const auto& info) { return std::string(MetricName(info.param)); });

TEST_F(EngineTest, UpsertReplacesDeleteRemovesAndBothSurviveRestart) {
  auto base = RandomVectors(500, kDim, 5);
  auto c = Create("c", Metric::kL2);
  ASSERT_OK(c->Upsert(MakeRecords(base, kDim, 0, 500)));

  // Replace k7 with a new vector, label and attributes.
  const auto fresh = RandomVectors(1, kDim, 99);
  Record r;
  r.key = Key(7);
  r.vector = fresh;
  r.label = "replaced";
  r.attributes["v"] = "2";
  ASSERT_OK_AND_ASSIGN(UpsertResult up, c->Upsert({r}));
  EXPECT_EQ(up.inserted, 0);
  EXPECT_EQ(up.replaced, 1);
  std::copy(fresh.begin(), fresh.end(), base.begin() + 7 * kDim);

  ASSERT_OK_AND_ASSIGN(int64_t deleted, c->Delete({Key(1), Key(2), "absent"}, {}, ""));
  EXPECT_EQ(deleted, 2);
  ASSERT_OK_AND_ASSIGN(int64_t by_label, c->Delete({}, {"id3"}, ""));
  int64_t id3 = 0;
  for (int i = 0; i < 500; ++i) id3 += (LabelOf(i) == "id3" && i != 7);
  EXPECT_EQ(by_label, id3);

  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE(round == 0 ? "before restart" : "after restart");
    EXPECT_EQ(c->Stats().record_count, 500 - 2 - id3);
    ASSERT_OK_AND_ASSIGN(GetResult got, c->Get({Key(7), Key(1), Key(3)}, true));
    ASSERT_EQ(got.records.size(), 1u);
    EXPECT_EQ(got.records[0].vector, fresh);
    EXPECT_EQ(got.records[0].label, "replaced");
    EXPECT_EQ(got.records[0].attributes.at("v"), "2");
    EXPECT_EQ(got.missing_keys, (std::vector<std::string>{Key(1), Key(3)}));

    // The replaced vector is found at distance 0; deleted ones never appear.
    SearchOptions opts;
    opts.k = 100;
    ASSERT_OK_AND_ASSIGN(auto hits, c->Search(Spans(fresh, kDim), opts));
    EXPECT_EQ(hits[0][0].key, Key(7));
    EXPECT_NEAR(hits[0][0].distance, 0.0, 1e-3);
    for (int q = 0; q < 500; q += 50) {
      ASSERT_OK_AND_ASSIGN(
          auto res, c->Search({absl::Span<const float>(base.data() + q * kDim, kDim)}, opts));
      for (const auto& h : res[0]) {
        EXPECT_NE(h.key, Key(1));
        EXPECT_NE(h.key, Key(2));
        EXPECT_NE(h.label, "id3");
      }
    }
    c.reset();
    Reopen();
    c = Get("c");
  }
}

TEST_F(EngineTest, BadInputIsRejectedPreciselyAndWritesNothing) {
  auto c = Create("faces", Metric::kCosine, 4);
  Record good{"a", {1, 2, 3, 4}, "x", {}};
  ASSERT_OK(c->Upsert({good}));

  auto upsert_code = [&](std::vector<Record> batch) {
    return STATUS_CODE(c->Upsert(std::move(batch)));
  };
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(upsert_code({}), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(upsert_code({{"b", {1, 2, 3}, {}, {}}}), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(upsert_code({{"b", {1, nan, 3, 4}, {}, {}}}), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(upsert_code({{"b", {1, inf, 3, 4}, {}, {}}}), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(upsert_code({{"b", {0, 0, 0, 0}, {}, {}}}), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(upsert_code({{"", {1, 2, 3, 4}, {}, {}}}), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(upsert_code({{"b", {1, 2, 3, 4}, "", {}}}), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(upsert_code({{std::string(2000, 'k'), {1, 2, 3, 4}, {}, {}}}),
            absl::StatusCode::kInvalidArgument);
  // One bad record rejects the whole batch, and a repeated key is an error.
  EXPECT_EQ(upsert_code({{"b", {1, 2, 3, 4}, {}, {}}, {"c", {1, 2}, {}, {}}}),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(upsert_code({{"b", {1, 2, 3, 4}, {}, {}}, {"b", {4, 3, 2, 1}, {}, {}}}),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(c->Stats().record_count, 1);
  ASSERT_OK_AND_ASSIGN(auto got, c->Get({"b", "c"}, false));
  EXPECT_EQ(got.missing_keys.size(), 2u);

  auto status = c->Upsert({{"b", {1, 2, 3}, {}, {}}}).status();
  EXPECT_EQ(status.message(), "records[0].vector: has 3 values, collection \"faces\" has dim 4");

  const std::vector<float> q = {1, 2, 3, 4};
  const std::vector<float> q3 = {1, 2, 3};
  const std::vector<float> qnan = {1, nan, 3, 4};
  SearchOptions opts;
  opts.k = 0;
  EXPECT_EQ(STATUS_CODE(c->Search(Spans(q, 4), opts)), absl::StatusCode::kInvalidArgument);
  opts.k = 101;  // max_k is 100 in this test
  EXPECT_EQ(STATUS_CODE(c->Search(Spans(q, 4), opts)), absl::StatusCode::kInvalidArgument);
  opts.k = 1;
  EXPECT_EQ(STATUS_CODE(c->Search({}, opts)), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(STATUS_CODE(c->Search({absl::Span<const float>(q3)}, opts)),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(STATUS_CODE(c->Search({absl::Span<const float>(qnan)}, opts)),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(STATUS_CODE(c->Delete({}, {}, "")), absl::StatusCode::kInvalidArgument);

  CollectionSchema schema{"faces", 4, Metric::kL2, {}};
  EXPECT_EQ(STATUS_CODE(engine_->CreateCollection(schema)), absl::StatusCode::kAlreadyExists);
  for (const char* bad : {"", "has space", "dot.", "ü", "x/y"}) {
    schema.name = bad;
    EXPECT_EQ(STATUS_CODE(engine_->CreateCollection(schema)), absl::StatusCode::kInvalidArgument)
        << bad;
  }
  schema.name = std::string(65, 'a');
  EXPECT_EQ(STATUS_CODE(engine_->CreateCollection(schema)), absl::StatusCode::kInvalidArgument);
  schema.name = std::string(64, 'a');
  EXPECT_OK(engine_->CreateCollection(schema));
  schema.name = "zero_dim";
  schema.dim = 0;
  EXPECT_EQ(STATUS_CODE(engine_->CreateCollection(schema)), absl::StatusCode::kInvalidArgument);
  schema.dim = 4;
  schema.index.kind = IndexSpec::Kind::kHnsw;
  schema.index.m = 1;
  EXPECT_EQ(STATUS_CODE(engine_->CreateCollection(schema)), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(STATUS_CODE(engine_->GetCollection("missing")), absl::StatusCode::kNotFound);
  EXPECT_EQ(STATUS_CODE(engine_->DropCollection("missing")), absl::StatusCode::kNotFound);
}

// Vectors whose squared norm would overflow float distances are refused
// (found by fuzzing: FAISS's k-means aborted on such data), writing nothing.
TEST_F(EngineTest, VectorsTooLargeForFloatDistancesAreRefused) {
  auto c = Create("c", Metric::kL2, 4);
  auto s = c->Upsert({{"big", {1e20f, 0, 0, 0}, {}, {}}}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_NE(s.message().find("squared norm"), std::string::npos) << s;
  EXPECT_EQ(c->Stats().record_count, 0);
  ASSERT_OK(c->Upsert({{"ok", {1e18f, 0, 0, 0}, {}, {}}}));
  const std::vector<float> q = {0, 1e20f, 0, 0};
  SearchOptions opts;
  EXPECT_EQ(c->Search({absl::Span<const float>(q)}, opts).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(EngineTest, GroupCommitKeepsBatchesAtomicAndLaterWritesWin) {
  auto c = Create("c", Metric::kL2, 2);
  ASSERT_OK(c->Upsert({{"old", {9, 9}, "x", {}}}));
  std::vector<std::vector<Record>> group = {
      {{"a", {1, 0}, "x", {}}, {"old", {2, 0}, "y", {}}},
      {{"a", {3, 0}, "z", {}}, {"b", {4, 0}, "z", {}}},
      {{"c", {5}, {}, {}}},      // wrong dim: rejected
      {{"d", {6, 0}, {}, {}}}};  // after the rejected one: not tried
  GroupUpsertResult r = c->UpsertGroup(std::move(group));
  EXPECT_EQ(r.error.code(), absl::StatusCode::kInvalidArgument);
  ASSERT_EQ(r.results.size(), 2u);
  EXPECT_EQ(r.results[0].inserted, 1);
  EXPECT_EQ(r.results[0].replaced, 1);
  EXPECT_EQ(r.results[1].inserted, 1);
  EXPECT_EQ(r.results[1].replaced, 1);

  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE(round == 0 ? "before restart" : "after restart");
    EXPECT_EQ(c->Stats().record_count, 3);  // old, a, b
    ASSERT_OK_AND_ASSIGN(auto got, c->Get({"a", "old", "b", "c", "d"}, true));
    ASSERT_EQ(got.records.size(), 3u);
    EXPECT_EQ(got.records[0].vector, (std::vector<float>{3, 0}));
    EXPECT_EQ(got.records[0].label, "z");
    EXPECT_EQ(got.records[1].vector, (std::vector<float>{2, 0}));
    EXPECT_EQ(got.missing_keys, (std::vector<std::string>{"c", "d"}));
    // The superseded version of "a" is not in the index.
    const std::vector<float> q = {1, 0};
    SearchOptions opts;
    opts.k = 10;
    ASSERT_OK_AND_ASSIGN(auto hits, c->Search(Spans(q, 2), opts));
    ASSERT_EQ(hits[0].size(), 3u);
    EXPECT_EQ(hits[0][0].key, "old");  // (2,0) is nearest to (1,0)
    EXPECT_EQ(hits[0][1].key, "a");
    EXPECT_NEAR(hits[0][1].distance, 2.0, 1e-6);
    c.reset();
    Reopen();
    c = Get("c");
  }
}

TEST_F(EngineTest, DropRemovesEverythingAndInvalidatesHandles) {
  auto base = RandomVectors(100, kDim, 6);
  auto c = Create("c", Metric::kL2);
  ASSERT_OK(c->Upsert(MakeRecords(base, kDim, 0, 100)));
  ASSERT_OK(engine_->DropCollection("c"));
  EXPECT_EQ(STATUS_CODE(c->Upsert(MakeRecords(base, kDim, 0, 1))), absl::StatusCode::kNotFound);
  SearchOptions opts;
  EXPECT_EQ(STATUS_CODE(c->Search(Spans(base, kDim), opts)), absl::StatusCode::kNotFound);
  auto again = Create("c", Metric::kL2);
  EXPECT_EQ(again->Stats().record_count, 0);
  c.reset();
  again.reset();
  Reopen();
  EXPECT_EQ(Get("c")->Stats().record_count, 0);
  EXPECT_EQ(engine_->ListCollections().size(), 1u);
}

// Each batch writes kPerBatch copies of one vector under its own label;
// concurrent searches for that vector, restricted to that label, must see all
// of the batch or none of it.
TEST_F(EngineTest, ConcurrentSearchesNeverSeeHalfABatch) {
  constexpr int kBatches = 60, kPerBatch = 40;
  const auto centres = RandomVectors(kBatches, kDim, 7);
  auto c = Create("c", Metric::kL2);
  std::atomic<int> published{0};
  std::atomic<bool> failed{false};
  std::thread writer([&] {
    for (int b = 0; b < kBatches; ++b) {
      std::vector<Record> batch;
      for (int j = 0; j < kPerBatch; ++j) {
        batch.push_back(
            {"b" + std::to_string(b) + "_" + std::to_string(j),
             std::vector<float>(centres.begin() + b * kDim, centres.begin() + (b + 1) * kDim),
             "L" + std::to_string(b),
             {}});
      }
      if (!c->Upsert(std::move(batch)).ok()) failed = true;
      published = b + 1;
    }
  });
  std::vector<std::thread> readers;
  std::atomic<int> partial{0}, searches{0};
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&, t] {
      for (int i = 0; published < kBatches; ++i) {
        const int b = (i * 7 + t) % kBatches;  // also batches not yet written
        SearchOptions opts;
        opts.k = kPerBatch;
        opts.labels = {"L" + std::to_string(b)};
        auto res = c->Search({absl::Span<const float>(centres.data() + b * kDim, kDim)}, opts);
        if (!res.ok()) {
          failed = true;
          continue;
        }
        const size_t n = (*res)[0].size();
        if (n != 0 && n != kPerBatch) ++partial;
        ++searches;
      }
    });
  }
  writer.join();
  for (auto& r : readers) r.join();
  EXPECT_FALSE(failed);
  EXPECT_EQ(partial, 0);
  EXPECT_GT(searches, 0);
  EXPECT_EQ(c->Stats().record_count, kBatches * kPerBatch);
}

}  // namespace
}  // namespace metricdb
