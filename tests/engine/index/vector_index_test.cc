// Approximate indexes (HNSW, IVF_FLAT, IVF_PQ) through the engine, against a
// real RocksDB: recall against exact search, deletes and replacements that
// never surface, IVF training, index changes under concurrent searches.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <random>
#include <set>
#include <thread>

#include "engine/collection/engine.h"
#include "engine/index/exact_scan.h"
#include "engine/index/flat_vector_index.h"
#include "engine/index/hnsw_vector_index.h"
#include "tests/testing/engine_fixture.h"
#include "tests/testing/index_specs.h"
#include "tests/testing/oracle.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace metricdb {
namespace {

using testing::Hnsw;
using testing::IvfFlat;
using testing::IvfPq;
using testing::OracleKnn;
using testing::OracleMetric;
using testing::RandomVectors;
using testing::TempDir;

constexpr int kDim = 32;

std::string Key(int64_t i) { return "k" + std::to_string(i); }

// `n` points around `clusters` seeded centres (spread 10x wider than the
// clusters): the structure real embeddings have.
// `noise_seed` varies the points around the same centres.
std::vector<float> ClusteredVectors(int64_t n, int clusters, uint32_t seed,
                                    uint32_t noise_seed = 0) {
  auto centres = RandomVectors(clusters, kDim, seed);
  auto noise = RandomVectors(n, kDim, noise_seed ? noise_seed : seed + 1);
  std::vector<float> v(n * kDim);
  for (int64_t i = 0; i < n; ++i) {
    for (int d = 0; d < kDim; ++d) {
      v[i * kDim + d] = 10 * centres[(i % clusters) * kDim + d] + noise[i * kDim + d];
    }
  }
  return v;
}

class IndexTest : public testing::EngineFixture {
 protected:
  std::shared_ptr<Collection> Create(const std::string& name, const IndexSpec& index,
                                     Metric metric = Metric::kL2) {
    CollectionSchema schema{name, kDim, metric, index};
    auto c = engine_->CreateCollection(schema);
    EXPECT_OK(c);
    return c.ok() ? *c : nullptr;
  }
  static void Load(Collection& c, const std::vector<float>& v, int64_t first = 0) {
    const int64_t n = int64_t(v.size()) / kDim;
    for (int64_t start = 0; start < n; start += 2000) {
      std::vector<Record> batch;
      for (int64_t i = start; i < std::min(n, start + 2000); ++i) {
        batch.push_back({Key(first + i),
                         std::vector<float>(v.begin() + i * kDim, v.begin() + (i + 1) * kDim),
                         "L" + std::to_string(i % 10),
                         {}});
      }
      ASSERT_OK(c.Upsert(std::move(batch)));
    }
  }
  // recall@k of `c` against the brute-force oracle over `base`.
  static double Recall(Collection& c, OracleMetric metric, const std::vector<float>& base,
                       const std::vector<float>& queries, int k, SearchTuning tuning = {}) {
    std::vector<absl::Span<const float>> spans;
    for (size_t q = 0; q < queries.size() / kDim; ++q) {
      spans.emplace_back(queries.data() + q * kDim, kDim);
    }
    SearchOptions opts;
    opts.k = k;
    opts.tuning = tuning;
    auto res = c.Search(spans, opts);
    EXPECT_OK(res);
    if (!res.ok()) return 0;
    int64_t found = 0;
    for (size_t q = 0; q < spans.size(); ++q) {
      std::set<std::string> truth;
      for (const auto& [d, i] : OracleKnn(metric, base, kDim, spans[q].data(), k)) {
        truth.insert(Key(i));
      }
      for (const auto& hit : (*res)[q]) found += truth.count(hit.key);
    }
    return double(found) / double(spans.size() * k);
  }
};

// Bounds sit ~0.05-0.1 under what these seeds measured (printed by the test):
// random data is the hard case for every approximate index (no structure to
// exploit); clustered data is what embeddings look like.
struct RecallCase {
  const char* name;
  IndexSpec spec;
  Metric metric;
  double random_bound;     // recall@10 on uniform random gaussian data
  double clustered_bound;  // recall@10 on clustered data
};

class RecallTest : public IndexTest, public ::testing::WithParamInterface<RecallCase> {};

TEST_P(RecallTest, RecallAgainstExactSearchIsAboveItsBound) {
  const RecallCase& rc = GetParam();
  const OracleMetric om = rc.metric == Metric::kL2 ? OracleMetric::kL2 : OracleMetric::kCosine;
  const auto random = RandomVectors(12000, kDim, 31);
  const auto clustered = ClusteredVectors(12000, 50, 32);
  const auto queries = RandomVectors(100, kDim, 33);
  auto c1 = Create("random", rc.spec, rc.metric);
  Load(*c1, random);
  auto c2 = Create("clustered", rc.spec, rc.metric);
  Load(*c2, clustered);
  EXPECT_TRUE(c1->Stats().index.trained);
  std::vector<float> clustered_queries(clustered.begin(), clustered.begin() + 100 * kDim);
  for (float& x : clustered_queries) x += 0.5f;  // near, not equal to, stored points
  const double r1 = Recall(*c1, om, random, queries, 10);
  const double r2 = Recall(*c2, om, clustered, clustered_queries, 10);
  std::printf("[ recall ] %s: random %.3f, clustered %.3f\n", rc.name, r1, r2);
  EXPECT_GE(r1, rc.random_bound);
  EXPECT_GE(r2, rc.clustered_bound);
}

INSTANTIATE_TEST_SUITE_P(
    Indexes, RecallTest,
    ::testing::Values(RecallCase{"hnsw_l2", Hnsw(), Metric::kL2, 0.90, 0.95},
                      RecallCase{"hnsw_cosine", Hnsw(), Metric::kCosine, 0.90, 0.95},
                      RecallCase{"ivf_flat_l2", IvfFlat(), Metric::kL2, 0.70, 0.95},
                      RecallCase{"ivf_flat_cosine", IvfFlat(), Metric::kCosine, 0.70, 0.95},
                      RecallCase{"ivf_pq_l2", IvfPq(), Metric::kL2, 0.60, 0.70}),
    [](const auto& info) { return std::string(info.param.name); });

class EveryIndexTest : public IndexTest, public ::testing::WithParamInterface<IndexSpec> {};

TEST_P(EveryIndexTest, DeletedAndReplacedVectorsNeverSurface) {
  auto base = ClusteredVectors(12000, 40, 41);
  auto c = Create("c", GetParam());
  Load(*c, base);
  // Delete 40% (past HNSW's rebuild fraction) and replace 300 keys.
  std::vector<std::string> doomed;
  for (int i = 0; i < 12000; i += 5) {
    doomed.push_back(Key(i));
    doomed.push_back(Key(i + 1));
  }
  ASSERT_OK_AND_ASSIGN(int64_t deleted, c->Delete(doomed, {}, ""));
  EXPECT_EQ(deleted, int64_t(doomed.size()));
  const auto fresh = ClusteredVectors(300, 40, 41, 1042);  // new points, same clusters
  std::vector<Record> replace;
  for (int j = 0; j < 300; ++j) {
    const int i = 2 + 5 * j;  // live keys
    replace.push_back({Key(i),
                       std::vector<float>(fresh.begin() + j * kDim, fresh.begin() + (j + 1) * kDim),
                       "new",
                       {}});
  }
  ASSERT_OK(c->Upsert(std::move(replace)));
  const std::set<std::string> dead(doomed.begin(), doomed.end());

  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE(round == 0 ? "live" : "after restart");
    EXPECT_EQ(c->Stats().record_count, 12000 - int64_t(doomed.size()));
    SearchOptions opts;
    opts.k = 50;
    for (int q = 0; q < 12000; q += 97) {  // queries at deleted and live points
      ASSERT_OK_AND_ASSIGN(
          auto res, c->Search({absl::Span<const float>(base.data() + q * kDim, kDim)}, opts));
      for (const auto& hit : res[0]) {
        EXPECT_EQ(dead.count(hit.key), 0u) << hit.key << " was deleted";
        const int64_t i = std::stoll(hit.key.substr(1));
        if (i % 5 == 2 && (i - 2) / 5 < 300) {
          EXPECT_EQ(hit.label, "new") << hit.key;
        }
      }
    }
    // A replaced key is found near its new vector (among the first 10: PQ
    // codes only approximate it).
    opts.k = 10;
    ASSERT_OK_AND_ASSIGN(auto res,
                         c->Search({absl::Span<const float>(fresh.data() + 7 * kDim, kDim)}, opts));
    bool found = false;
    for (const auto& hit : res[0]) found |= hit.key == Key(2 + 5 * 7);
    EXPECT_TRUE(found);
    c.reset();
    Reopen();
    c = *engine_->GetCollection("c");
  }
}

// Labels follow the clusters here (as identities do in embedding space): a
// query's own neighbourhood holds none of the requested labels, so an index
// must look further than its usual search width to fill k results.
TEST_P(EveryIndexTest, LabelRestrictedSearchesReturnOnlyThoseLabelsNearTheOracle) {
  const auto base = ClusteredVectors(6000, 30, 51);
  auto c = Create("c", GetParam());
  Load(*c, base);                        // labels L0..L9 by i % 10
  ASSERT_OK(c->BuildIndex(GetParam()));  // IVF: trained, not exact
  std::vector<bool> allowed(6000);
  for (int i = 0; i < 6000; ++i) allowed[size_t(i)] = i % 10 == 3 || i % 10 == 7;
  SearchOptions opts;
  opts.k = 10;
  opts.labels = {"L3", "L7"};
  // 4-bit codes cannot order points within one of these clusters (a level
  // is wider than a cluster's spread along most dimensions): the whole beam
  // is re-ranked on the full vectors, and still the beam, walked on codes,
  // misses some (measured 0.80; sq8 0.99).
  const bool sq4 = GetParam().quantization == IndexSpec::Quantization::kSq4;
  if (sq4) opts.tuning.rerank = 64;
  int64_t found = 0, total = 0;
  for (int q = 0; q < 6000; q += 61) {
    const float* query = base.data() + q * kDim;
    ASSERT_OK_AND_ASSIGN(auto res, c->Search({absl::Span<const float>(query, kDim)}, opts));
    ASSERT_EQ(res[0].size(), 10u);
    std::set<std::string> truth;
    for (const auto& [d, i] : OracleKnn(OracleMetric::kL2, base, kDim, query, 10, &allowed)) {
      truth.insert(Key(i));
    }
    for (const auto& hit : res[0]) {
      EXPECT_TRUE(hit.label == "L3" || hit.label == "L7") << hit.key;
      found += truth.count(hit.key);
    }
    total += 10;
  }
  const double recall = double(found) / double(total);
  std::printf("[ recall ] label-restricted %s: %.3f\n",
              std::string(IndexKindName(GetParam().kind)).c_str(), recall);
  EXPECT_GE(recall, GetParam().kind == IndexSpec::Kind::kIvfPq ? 0.8 : sq4 ? 0.75 : 0.9);
}

INSTANTIATE_TEST_SUITE_P(
    Indexes, EveryIndexTest,
    ::testing::Values(IndexSpec(), Hnsw(), testing::QuantizedHnsw(IndexSpec::Quantization::kSq8),
                      testing::QuantizedHnsw(IndexSpec::Quantization::kSq4),
                      testing::ProjectedHnsw(IndexSpec::Quantization::kSq8, 24), IvfFlat(),
                      IvfPq()),
    [](const auto& info) {
      std::string name(IndexKindName(info.param.kind));
      if (info.param.quantization != IndexSpec::Quantization::kNone) {
        name += "_" + std::string(QuantizationName(info.param.quantization));
      }
      if (info.param.code_dims != 0) {
        name += "_p" + std::to_string(info.param.code_dims);
      }
      return name;
    });

TEST_F(IndexTest, HnswTombstonesAreCountedAndTheGraphRebuildsInTheBackground) {
  const auto base = RandomVectors(3000, kDim, 51);
  auto c = Create("c", Hnsw());
  Load(*c, base);
  std::vector<std::string> keys;
  for (int i = 0; i < 750; ++i) keys.push_back(Key(i));
  ASSERT_OK(c->Delete(keys, {}, ""));
  EXPECT_EQ(c->Stats().index.tombstones, 750);  // 25% < 30%: kept
  keys.clear();
  for (int i = 750; i < 1200; ++i) keys.push_back(Key(i));
  ASSERT_OK(c->Delete(keys, {}, ""));  // 40%: a rebuild starts in the background
  // Searches keep answering, never with a deleted record, until the rebuilt
  // graph (without tombstones) is swapped in.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  // HNSW is approximate (and its graph differs from run to run: it is built
  // by several threads), so a query at a live record's own vector must find
  // that record first nearly always, not always; a deleted record never.
  int searches = 0, self_first = 0;
  bool saw_building = false;
  SearchOptions opts;
  opts.k = 20;
  while (c->Stats().index.tombstones > 0 && std::chrono::steady_clock::now() < deadline) {
    saw_building |= c->Stats().index_building;
    const int q = 1200 + searches % 1800;
    ASSERT_OK_AND_ASSIGN(auto res,
                         c->Search({absl::Span<const float>(base.data() + q * kDim, kDim)}, opts));
    ASSERT_FALSE(res[0].empty());
    self_first += res[0][0].key == Key(q);
    for (const auto& hit : res[0]) ASSERT_GE(std::stoll(hit.key.substr(1)), 1200) << hit.key;
    ++searches;
  }
  EXPECT_EQ(c->Stats().index.tombstones, 0);
  EXPECT_TRUE(saw_building || searches == 0);
  EXPECT_GE(self_first, 0.98 * searches) << searches << " searches during the rebuild";
  while (c->Stats().index_building) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(c->Stats().record_count, 1800);
  // The rebuilt graph finds the live records at their own vectors.
  const int during = self_first;
  int queries = 0;
  self_first = 0;
  for (int q = 1200; q < 3000; q += 7, ++queries) {
    ASSERT_OK_AND_ASSIGN(auto res,
                         c->Search({absl::Span<const float>(base.data() + q * kDim, kDim)}, opts));
    self_first += res[0][0].key == Key(q);
  }
  EXPECT_GE(self_first, 0.98 * queries);
  std::printf("self-recall during the rebuild %d/%d, after %d/%d\n", during, searches, self_first,
              queries);
}

TEST_F(IndexTest, IvfSearchesExactlyUntilItTrainsThenTrainsByItselfOrOnRequest) {
  const IndexSpec spec = IvfFlat(8, 2);  // trains at 39 * 8 = 312 records
  ASSERT_EQ(IvfTrainingThreshold(spec), 312);
  auto c = Create("c", spec);
  const auto base = RandomVectors(400, kDim, 61);
  Load(*c, std::vector<float>(base.begin(), base.begin() + 300 * kDim));
  EXPECT_FALSE(c->Stats().index.trained);
  const auto queries = RandomVectors(20, kDim, 62);
  const std::vector<float> first300(base.begin(), base.begin() + 300 * kDim);
  EXPECT_EQ(Recall(*c, OracleMetric::kL2, first300, queries, 10), 1.0);  // exact
  std::vector<Record> more;
  for (int i = 300; i < 400; ++i) {
    more.push_back({Key(i),
                    std::vector<float>(base.begin() + i * kDim, base.begin() + (i + 1) * kDim),
                    {},
                    {}});
  }
  ASSERT_OK(c->Upsert(std::move(more)));
  EXPECT_TRUE(c->Stats().index.trained);
  EXPECT_EQ(c->Stats().index.trained_on, 400);
  // nprobe = nlist visits every list: exact again, which shows the override
  // reaches the index.
  SearchTuning all;
  all.nprobe = 8;
  EXPECT_EQ(Recall(*c, OracleMetric::kL2, base, queries, 10, all), 1.0);

  // Explicit training below the threshold, and too little data for it.
  auto small = Create("small", IvfFlat(8, 2));
  Load(*small, RandomVectors(100, kDim, 63));
  EXPECT_FALSE(small->Stats().index.trained);
  ASSERT_OK(small->BuildIndex(std::nullopt));
  EXPECT_TRUE(small->Stats().index.trained);
  auto tiny = Create("tiny", IvfFlat(8, 2));
  Load(*tiny, RandomVectors(5, kDim, 64));
  auto s = tiny->BuildIndex(std::nullopt);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_NE(s.message().find("nlist"), std::string::npos) << s;
}

TEST_F(IndexTest, IndexChangesSwapAtomicallyUnderConcurrentSearchesAndPersist) {
  const auto base = ClusteredVectors(6000, 30, 71);
  auto c = Create("c", IndexSpec());
  Load(*c, base);
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0}, searches{0}, short_results{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&, t] {
      SearchOptions opts;
      opts.k = 10;
      for (int q = t; !stop; q = (q + 2) % 6000) {
        auto res = c->Search({absl::Span<const float>(base.data() + q * kDim, kDim)}, opts);
        if (!res.ok()) {
          ++failures;
        } else if ((*res)[0].size() != 10) {
          ++short_results;
        }
        ++searches;
      }
    });
  }
  for (const IndexSpec& spec : {Hnsw(), IvfFlat(), IvfPq(), IndexSpec()}) {
    ASSERT_OK(c->BuildIndex(spec));
    EXPECT_EQ(c->schema().index.kind, spec.kind);
  }
  ASSERT_OK(c->BuildIndex(Hnsw()));
  stop = true;
  for (auto& r : readers) r.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(short_results, 0);
  EXPECT_GT(searches, 0);
  c.reset();
  Reopen();
  c = *engine_->GetCollection("c");
  EXPECT_EQ(c->schema().index.kind, IndexSpec::Kind::kHnsw);
  EXPECT_EQ(c->schema().index.m, 16);
  EXPECT_GE(Recall(*c, OracleMetric::kL2, base,
                   std::vector<float>(base.begin(), base.begin() + 50 * kDim), 10),
            0.95);
}

TEST_F(IndexTest, PerQueryEfSearchAboveTheIndexDefaultTakesEffect) {
  IndexSpec spec = Hnsw();
  spec.ef_search = 10;
  auto c = Create("c", spec);
  const auto base = RandomVectors(12000, kDim, 81);
  Load(*c, base);
  const auto queries = RandomVectors(100, kDim, 82);
  const double low = Recall(*c, OracleMetric::kL2, base, queries, 10);
  SearchTuning wide;
  wide.ef_search = 400;
  const double high = Recall(*c, OracleMetric::kL2, base, queries, 10, wide);
  std::printf("[ recall ] ef_search 10: %.3f, 400: %.3f\n", low, high);
  EXPECT_GE(high, 0.99);
  EXPECT_GE(high, low + 0.05);
}

TEST_F(IndexTest, InvalidParametersNameTheParameter) {
  auto expect_invalid = [&](IndexSpec spec, const std::string& param) {
    CollectionSchema schema{"bad", kDim, Metric::kL2, spec};
    auto s = engine_->CreateCollection(schema).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << param;
    EXPECT_NE(s.message().find(param), std::string::npos) << s;
  };
  IndexSpec h = Hnsw();
  h.m = 1;
  expect_invalid(h, "index.hnsw.m");
  h = Hnsw();
  h.ef_search = -4;
  expect_invalid(h, "index.hnsw.ef_search");
  IndexSpec f;
  h = Hnsw();
  h.code_dims = 8;  // codes of principal axes need a quantised graph
  expect_invalid(h, "index.hnsw.code_dims: only for a quantised graph");
  h = testing::ProjectedHnsw(IndexSpec::Quantization::kSq8, kDim);  // must be below dim
  expect_invalid(h, "index.hnsw.code_dims: must be 0 (all 32 dimensions) or in [1, 31], got 32");
  h.code_dims = -1;
  expect_invalid(h, "index.hnsw.code_dims");
  f = IvfFlat();
  f.code_dims = 8;
  expect_invalid(f, "index: quantization, rerank and code_dims are HNSW parameters");
  f = IvfFlat(64, 65);
  expect_invalid(f, "index.ivf_flat.nprobe");
  f = IvfFlat(100000, 1);
  expect_invalid(f, "index.ivf_flat.nlist");
  IndexSpec p = IvfPq();
  p.m = 7;
  expect_invalid(p, "index.ivf_pq.m");
  p = IvfPq();
  p.nbits = 13;
  expect_invalid(p, "index.ivf_pq.nbits");

  // Defaults are filled in and stored.
  IndexSpec defaults;
  defaults.kind = IndexSpec::Kind::kHnsw;
  auto c = Create("d", defaults);
  EXPECT_EQ(c->schema().index.m, 32);
  EXPECT_EQ(c->schema().index.ef_construction, 200);
  EXPECT_EQ(c->schema().index.ef_search, 64);

  // Per-query overrides that do not fit the index.
  const std::vector<float> q(kDim, 1.0f);
  SearchOptions opts;
  opts.tuning.nprobe = 4;
  auto s = c->Search({absl::Span<const float>(q)}, opts).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("params.nprobe"), std::string::npos) << s;
  auto ivf = Create("ivf", IvfFlat(64, 16));
  opts.tuning = {};
  opts.tuning.nprobe = 65;
  s = ivf->Search({absl::Span<const float>(q)}, opts).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  opts.tuning = {};
  opts.tuning.ef_search = 10;
  s = ivf->Search({absl::Span<const float>(q)}, opts).status();
  EXPECT_NE(s.message().find("params.ef_search"), std::string::npos) << s;
}

// A batch above kMaxScanQueries goes through FAISS's matrix product, whose
// expansion |x|^2 + |y|^2 - 2 x.y rounds (on an AVX2 machine a stored
// vector found itself at 0.022 instead of 0, and a cluster's answer
// differed from a single node's): the k found are re-measured with the
// kernels single queries use, so a query gets the same distances alone and
// in a batch, and a stored vector finds itself at exactly 0.
TEST(FlatIndexTest, BatchedQueriesGetTheDistancesOfSingleOnes) {
  constexpr int kN = 3000, kK = 8, kBatch = int(kMaxScanQueries) * 4;
  auto base = RandomVectors(kN, kDim, 21);
  for (float& v : base) v += 30.0f;  // large norms: the expansion's rounding shows
  for (Metric metric : {Metric::kL2, Metric::kInnerProduct}) {
    FlatVectorIndex index(kDim, metric);
    std::vector<int64_t> ids(kN);
    for (int i = 0; i < kN; ++i) ids[i] = 1000 + i;
    ASSERT_OK(index.Add(ids, base.data()));
    // The batch: stored vectors (each its own nearest under L2).
    const float* queries = base.data();
    std::vector<float> batch_d, one_d;
    std::vector<int64_t> batch_i, one_i;
    ASSERT_OK(index.Search(queries, kBatch, kK, nullptr, {}, &batch_d, &batch_i));
    for (int q = 0; q < kBatch; ++q) {
      ASSERT_OK(index.Search(queries + q * kDim, 1, kK, nullptr, {}, &one_d, &one_i));
      for (int j = 0; j < kK; ++j) {
        EXPECT_EQ(batch_d[q * kK + j], one_d[j]) << MetricName(metric) << " query " << q;
        EXPECT_EQ(batch_i[q * kK + j], one_i[j]) << MetricName(metric) << " query " << q;
      }
      if (metric == Metric::kL2) {
        EXPECT_EQ(batch_i[q * kK], 1000 + q);
        EXPECT_EQ(batch_d[q * kK], 0.0f) << "query " << q;
      }
    }
  }
}

// The graph bytes of a snapshot are checked before use: the file's checksum
// catches damage on disk, and a payload that still does not describe a valid
// graph (truncated, neighbour ids out of range, levels out of range) is
// DATA_LOSS, never a crash or a search through bad memory.
TEST(HnswGraphBytesTest, RoundTripAndDamageIsDataLossNeverACrash) {
  IndexSpec spec = Hnsw();
  spec.m = 8;
  HnswVectorIndex index(kDim, Metric::kL2, spec);
  const int64_t n = 2000;
  const auto base = RandomVectors(n, kDim, 91);
  std::vector<int64_t> ids(n);
  for (int64_t i = 0; i < n; ++i) ids[size_t(i)] = 10 * i + 3;
  ASSERT_OK(index.Add(ids, base.data()));
  ASSERT_OK(index.Remove({ids[0], ids[5]}));
  std::string bytes;
  ASSERT_OK(index.Serialize(&bytes));

  const auto queries = RandomVectors(20, kDim, 92);
  auto search = [&](const HnswVectorIndex& x) {
    std::vector<float> d;
    std::vector<int64_t> got;
    EXPECT_OK(x.Search(queries.data(), 20, 10, nullptr, {}, &d, &got));
    return got;
  };
  HnswVectorIndex copy(kDim, Metric::kL2, spec);
  ASSERT_OK(copy.Deserialize(bytes));
  EXPECT_EQ(copy.size(), n - 2);
  EXPECT_EQ(copy.status().tombstones, 2);
  EXPECT_EQ(search(copy), search(index));

  // Truncated anywhere.
  for (size_t cut = 0; cut < bytes.size(); cut += 1 + bytes.size() / 97) {
    HnswVectorIndex bad(kDim, Metric::kL2, spec);
    EXPECT_EQ(bad.Deserialize(std::string_view(bytes).substr(0, cut)).code(),
              absl::StatusCode::kDataLoss)
        << "cut at " << cut;
  }
  // Every neighbour slot of the first element's base links pointed out of
  // range, one at a time: the header is 48 bytes, then the element's link
  // count (u32) and its neighbour ids (u32 each).
  for (size_t slot = 0; slot < 4; ++slot) {
    std::string damaged = bytes;
    const uint32_t wild = 0x7fffffff;
    std::memcpy(damaged.data() + 48 + 4 + 4 * slot, &wild, 4);
    HnswVectorIndex bad(kDim, Metric::kL2, spec);
    EXPECT_EQ(bad.Deserialize(damaged).code(), absl::StatusCode::kDataLoss) << slot;
  }
  // A damaged element count must not size the graph (u64 at offset 24).
  {
    std::string damaged = bytes;
    const uint64_t huge = uint64_t(1) << 31;
    std::memcpy(damaged.data() + 24, &huge, 8);
    HnswVectorIndex bad(kDim, Metric::kL2, spec);
    EXPECT_EQ(bad.Deserialize(damaged).code(), absl::StatusCode::kDataLoss);
  }
  // Another dimension or M is another index.
  HnswVectorIndex other(kDim + 1, Metric::kL2, spec);
  EXPECT_EQ(other.Deserialize(bytes).code(), absl::StatusCode::kDataLoss);
  // Random byte flips anywhere: DATA_LOSS, or a graph that still searches
  // (vector bytes are data); never a crash. (A flipped upper-layer link to a
  // node without that layer once crashed a search: now refused.)
  std::mt19937 rng(5);
  for (int round = 0; round < 2000; ++round) {
    std::string damaged = bytes;
    damaged[rng() % damaged.size()] ^= char(1 + rng() % 255);
    HnswVectorIndex maybe(kDim, Metric::kL2, spec);
    const absl::Status s = maybe.Deserialize(damaged);
    if (s.ok()) {
      search(maybe);
    } else {
      EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
    }
  }
}

}  // namespace
}  // namespace metricdb
