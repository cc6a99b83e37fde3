// The quantised HNSW (issue #23): its code kernels at every SIMD level
// against plain integer / double arithmetic, the scalar quantiser's grid,
// and the index under every metric against brute force: recall, exact
// re-ranked distances, re-training as it grows, where its full vectors live.
// The conformance suite (vector_index_conformance_test) covers removal,
// filters and snapshots.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <filesystem>
#include <random>
#include <set>
#include <vector>

#include "engine/base/metric.h"
#include "engine/index/code_kernels.h"
#include "engine/index/code_projection.h"
#include "engine/index/quantized_hnsw_index.h"
#include "engine/index/scalar_quantizer.h"
#include "tests/testing/index_specs.h"
#include "tests/testing/oracle.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace metricdb {
namespace {

using testing::OracleKnn;
using testing::OracleMetric;
using testing::RandomVectors;

constexpr IndexSpec::Quantization kSq8 = IndexSpec::Quantization::kSq8;
constexpr IndexSpec::Quantization kSq4 = IndexSpec::Quantization::kSq4;

const std::vector<size_t> kLengths = {1,  2,  3,   15,  16,  17,  31,  32,  33,   63,
                                      64, 65, 100, 127, 128, 129, 200, 784, 1100, 2500};

std::vector<const CodeKernels*> Levels() {
  std::vector<const CodeKernels*> levels;
  for (const char* name : {"generic", "avx2", "avx512"}) {
    if (const CodeKernels* k = CodeKernelsFor(name)) levels.push_back(k);
  }
  return levels;
}

TEST(CodeKernelsTest, EveryLevelEqualsPlainArithmeticAtEveryLength) {
  std::printf("code kernels in use: %s; levels tested:", CodeKernelsNow().name);
  for (const CodeKernels* k : Levels()) std::printf(" %s", k->name);
  std::printf("\n");
  std::mt19937 rng(3);
  for (int bits : {8, 4}) {
    const int levels = (1 << bits) - 1;
    for (size_t dim : kLengths) {
      // Codes through the quantiser's own layout, from known level values.
      ScalarQuantizer sq(int(dim), bits);
      std::vector<float> lo(dim, 0.0f), hi(dim, float(levels));
      std::vector<float> corners(lo);
      corners.insert(corners.end(), hi.begin(), hi.end());
      sq.Train(corners.data(), 2);  // min 0, step 1: a value is its level
      std::vector<float> x(dim);
      std::vector<int16_t> a(dim);
      std::vector<float> qs(dim);
      for (size_t d = 0; d < dim; ++d) {
        x[d] = float(rng() % (levels + 1));
        // The query grid's extremes: |a - c| up to 1023.
        a[d] = int16_t(int(rng() % 1792) - 768);
        qs[d] = float(int(rng() % 2001) - 1000) / 100.0f;
      }
      std::vector<uint8_t> code(sq.code_size());
      sq.Encode(x.data(), code.data());
      std::vector<int16_t> unpacked(dim);
      UnpackCodes(code.data(), dim, bits, unpacked.data());
      int64_t l2 = 0;
      double dot = 0;
      const int scale = CodeGridScale(bits);  // grid units per level
      for (size_t d = 0; d < dim; ++d) {
        const int64_t c = int64_t(x[d]) * scale;
        ASSERT_EQ(unpacked[d], c) << bits << " bits, dim " << dim << ", d " << d;
        l2 += (a[d] - c) * (a[d] - c);
        dot += double(qs[d]) * double(c);
      }
      for (const CodeKernels* k : Levels()) {
        const auto l2_of = bits == 8 ? k->l2_sq8 : k->l2_sq4;
        const auto dot_of = bits == 8 ? k->dot_sq8 : k->dot_sq4;
        EXPECT_EQ(l2_of(a.data(), code.data(), dim), l2)
            << k->name << ", " << bits << " bits, dim " << dim;
        EXPECT_NEAR(dot_of(qs.data(), code.data(), dim), dot, 1e-4 * (1.0 + std::fabs(dot)))
            << k->name << ", " << bits << " bits, dim " << dim;
      }
    }
  }
}

// The byte kernels (AVX-512 VNNI) against plain arithmetic: queries on the
// levels, and beyond them by up to 127 levels either side (the excess term);
// farther beyond, PrepareByteQuery declines (the int16 kernels serve).
TEST(CodeKernelsTest, ByteKernelsEqualPlainArithmeticWithAndWithoutExcess) {
  const CodeKernels* k = CodeKernelsFor("avx512");
  if (k == nullptr || k->l2_sq8_bytes == nullptr) {
    GTEST_SKIP() << "this CPU has no AVX-512 VNNI";
  }
  std::mt19937 rng(5);
  for (int bits : {8, 4}) {
    const int levels = (1 << bits) - 1;
    const int top = bits == 8 ? 255 : 127;  // the byte query's range, beyond the codes'
    for (size_t dim : kLengths) {
      ScalarQuantizer sq(int(dim), bits);
      std::vector<float> corners(dim, 0.0f);
      corners.insert(corners.end(), dim, float(levels));
      sq.Train(corners.data(), 2);  // min 0, step 1: a value is its level
      for (int beyond : {0, 127}) {
        std::vector<float> x(dim);
        std::vector<int16_t> a(dim);
        int64_t l2 = 0;
        for (size_t d = 0; d < dim; ++d) {
          x[d] = float(rng() % (levels + 1));
          a[d] = int16_t(int(rng() % (top + 1 + 2 * beyond)) - beyond);
          const int64_t c = int64_t(x[d]) * CodeGridScale(bits);
          l2 += (a[d] - c) * (a[d] - c);
        }
        std::vector<uint8_t> code(sq.code_size());
        sq.Encode(x.data(), code.data());
        ByteQuery q;
        ASSERT_TRUE(PrepareByteQuery(a.data(), dim, bits, &q)) << bits << " bits, dim " << dim;
        const auto l2_of = bits == 8 ? k->l2_sq8_bytes : k->l2_sq4_bytes;
        EXPECT_EQ(l2_of(q, code.data(), dim), l2)
            << bits << " bits, dim " << dim << ", beyond " << beyond;
        a[dim / 2] = int16_t(top + 128);
        EXPECT_FALSE(PrepareByteQuery(a.data(), dim, bits, &q));
      }
    }
  }
}

TEST(ScalarQuantizerTest, CodesStayWithinHalfAStepAndClampOutsideTheRange) {
  for (int bits : {8, 4}) {
    const int dim = 37, n = 4000;
    const int levels = (1 << bits) - 1;
    const auto x = RandomVectors(n, dim, 11);
    ScalarQuantizer sq(dim, bits);
    sq.Train(x.data(), n);
    std::vector<uint8_t> code(sq.code_size());
    // Each dimension's grid ends: where values far below and above clamp.
    std::vector<float> low(dim, -1e6f), high(dim, 1e6f), lo_end(dim), hi_end(dim);
    sq.Encode(low.data(), code.data());
    sq.Decode(code.data(), lo_end.data());
    sq.Encode(high.data(), code.data());
    sq.Decode(code.data(), hi_end.data());
    float step = 0;
    for (int d = 0; d < dim; ++d) step = std::max(step, (hi_end[d] - lo_end[d]) / levels);
    ASSERT_GT(step, 0.0f);
    // The widest dimension spans the levels; the range is the 0.01% (8 bits)
    // or 0.5% (4 bits) quantiles of standard normal values: about +-3.7 or
    // +-2.6.
    EXPECT_NEAR(step * levels, bits == 8 ? 7.4 : 5.2, bits == 8 ? 1.0 : 0.4);
    std::vector<float> back(dim);
    int64_t outside = 0;
    for (int i = 0; i < n; ++i) {
      const float* v = x.data() + i * dim;
      sq.Encode(v, code.data());
      sq.Decode(code.data(), back.data());
      for (int d = 0; d < dim; ++d) {
        if (v[d] < lo_end[d] || v[d] > hi_end[d]) {
          ++outside;
          EXPECT_FLOAT_EQ(back[d], v[d] < lo_end[d] ? lo_end[d] : hi_end[d]);
        } else {
          EXPECT_LE(std::fabs(back[d] - v[d]), 0.5f * step * 1.001f) << bits;
        }
      }
    }
    // Only the tails clamp.
    EXPECT_LE(double(outside) / (n * dim), bits == 8 ? 0.001 : 0.012) << bits;
    // The L2 distance on codes is step^2 times the integer sum between the
    // query's grid point and the code.
    ScalarQuantizer::Query q;
    sq.PrepareL2(x.data(), &q);
    sq.Encode(x.data() + dim, code.data());
    std::vector<int16_t> c(dim);
    UnpackCodes(code.data(), dim, bits, c.data());
    double sum = 0;
    for (int d = 0; d < dim; ++d) sum += double(q.grid[d] - c[d]) * (q.grid[d] - c[d]);
    const double grid = step / CodeGridScale(bits);
    EXPECT_NEAR(sq.L2(q, code.data()), sum * grid * grid, 1e-3 * (1 + sum * grid * grid));
    // The query's grid point is within half a grid step of the query (4
    // bits: an eighth of the codes' step).
    for (int d = 0; d < dim; ++d) {
      if (x[d] < lo_end[d] || x[d] > hi_end[d]) continue;
      EXPECT_LE(std::fabs(lo_end[d] + grid * q.grid[d] - x[d]), 0.5 * grid * 1.001) << bits;
    }
  }
}

class QuantizedHnswTest : public ::testing::TestWithParam<IndexSpec::Quantization> {
 protected:
  std::unique_ptr<VectorIndex> Make(Metric metric, int dim, const std::string& dir = "", int m = 16,
                                    int ef_construction = 100) {
    CollectionSchema s;
    s.dim = dim;
    s.metric = metric;
    s.index = testing::QuantizedHnsw(GetParam(), m, ef_construction);
    EXPECT_OK(ResolveIndexSpec(dim, &s.index));
    auto index = MakeVectorIndex(s, {dir});
    EXPECT_OK(index);
    return std::move(*index);
  }
};

// Vectors in the form the index holds for `metric` (unit length for cosine).
std::vector<float> Prepared(Metric metric, std::vector<float> x, int dim) {
  if (metric == Metric::kCosine) {
    for (size_t i = 0; i < x.size(); i += dim) EXPECT_OK(PrepareVector(metric, &x[i], dim));
  }
  return x;
}

TEST_P(QuantizedHnswTest, RecallAndExactDistancesUnderEveryMetric) {
  constexpr int kDim = 48, kN = 4000, kQ = 50, kK = 10;
  for (Metric metric : {Metric::kL2, Metric::kCosine, Metric::kInnerProduct}) {
    const auto base = Prepared(metric, RandomVectors(kN, kDim, 21), kDim);
    const auto queries = Prepared(metric, RandomVectors(kQ, kDim, 22), kDim);
    auto index = Make(metric, kDim);
    std::vector<int64_t> ids(kN);
    for (int i = 0; i < kN; ++i) ids[i] = 1000 + i;
    ASSERT_OK(index->Add(ids, base.data()));
    const OracleMetric oracle = metric == Metric::kL2       ? OracleMetric::kL2
                                : metric == Metric::kCosine ? OracleMetric::kCosine
                                                            : OracleMetric::kInnerProduct;
    SearchTuning tuning;
    tuning.ef_search = 128;
    tuning.rerank = 64;
    std::vector<float> d;
    std::vector<int64_t> got;
    ASSERT_OK(index->Search(queries.data(), kQ, kK, nullptr, tuning, &d, &got));
    int64_t found = 0;
    for (int q = 0; q < kQ; ++q) {
      std::set<int64_t> truth;
      for (const auto& [dist, i] : OracleKnn(oracle, base, kDim, queries.data() + q * kDim, kK)) {
        truth.insert(1000 + i);
      }
      for (int j = 0; j < kK; ++j) {
        const int64_t id = got[q * kK + j];
        ASSERT_GE(id, 1000);
        found += truth.count(id);
        // Re-ranked: the exact distance of the id returned (VectorIndex
        // convention: squared L2, or the inner product).
        const float* v = base.data() + (id - 1000) * kDim;
        const double exact = OracleDistance(oracle, queries.data() + q * kDim, v, kDim);
        const double want = metric == Metric::kL2       ? exact * exact
                            : metric == Metric::kCosine ? 1.0 - exact
                                                        : -exact;
        EXPECT_NEAR(d[q * kK + j], want, 1e-3 * (1.0 + std::fabs(want)));
        if (j > 0 && metric == Metric::kL2) {
          EXPECT_LE(d[q * kK + j - 1], d[q * kK + j]);
        } else if (j > 0) {
          EXPECT_GE(d[q * kK + j - 1], d[q * kK + j]);
        }
      }
    }
    EXPECT_GE(double(found) / (kQ * kK), 0.95) << MetricName(metric);
  }
}

TEST_P(QuantizedHnswTest, CodesAreRetrainedAsTheIndexGrows) {
  constexpr int kDim = 32;
  auto index = Make(Metric::kL2, kDim);
  // The first batch spans a tenth of the later ones' range: codes trained on
  // it alone would clamp almost everything after.
  auto first = RandomVectors(100, kDim, 5);
  for (float& v : first) v *= 0.1f;
  std::vector<int64_t> ids(100);
  for (int i = 0; i < 100; ++i) ids[i] = i;
  ASSERT_OK(index->Add(ids, first.data()));
  EXPECT_EQ(index->status().trained_on, 100);
  const auto rest = RandomVectors(3000, kDim, 6);
  for (int at = 0; at < 3000; at += 500) {
    std::vector<int64_t> more(500);
    for (int i = 0; i < 500; ++i) more[i] = 100 + at + i;
    ASSERT_OK(index->Add(more, rest.data() + at * kDim));
  }
  EXPECT_EQ(index->status().trained_on, 1600);  // 100 -> 600 -> 1600 (doubled), not 3100 yet
  std::vector<float> all = first;
  all.insert(all.end(), rest.begin(), rest.end());
  // Beside it: the same vectors added at once (codes trained on all of
  // them), and the codes' own ranking compared (rerank = k).
  auto at_once = Make(Metric::kL2, kDim);
  std::vector<int64_t> all_ids(3100);
  for (int i = 0; i < 3100; ++i) all_ids[i] = i;
  ASSERT_OK(at_once->Add(all_ids, all.data()));
  const auto queries = RandomVectors(40, kDim, 7);
  SearchTuning tuning;
  tuning.rerank = 10;
  tuning.ef_search = 64;
  auto recall = [&](const VectorIndex& index) {
    std::vector<float> d;
    std::vector<int64_t> got;
    EXPECT_OK(index.Search(queries.data(), 40, 10, nullptr, tuning, &d, &got));
    int64_t found = 0;
    for (int q = 0; q < 40; ++q) {
      std::set<int64_t> truth;
      for (const auto& [dist, i] :
           OracleKnn(OracleMetric::kL2, all, kDim, queries.data() + q * kDim, 10)) {
        truth.insert(i);
      }
      for (int j = 0; j < 10; ++j) found += truth.count(got[q * 10 + j]);
    }
    return double(found) / 400;
  };
  const double grown = recall(*index), reference = recall(*at_once);
  std::printf("codes' own recall@10: grown %.3f, added at once %.3f\n", grown, reference);
  EXPECT_GE(grown, reference - 0.05);
}

TEST_P(QuantizedHnswTest, FullVectorsLiveInAMappedFileWhenGivenADirectory) {
  constexpr int kDim = 64, kN = 2000;
  const auto base = RandomVectors(kN, kDim, 9);
  std::vector<int64_t> ids(kN);
  for (int i = 0; i < kN; ++i) ids[i] = i;
  testing::TempDir dir;
  auto mapped = Make(Metric::kL2, kDim, dir.path());
  auto in_memory = Make(Metric::kL2, kDim);
  // Batches of 200 are inserted in order (no threads): the same graph twice.
  for (int at = 0; at < kN; at += 200) {
    const auto batch = absl::MakeConstSpan(ids).subspan(at, 200);
    ASSERT_OK(mapped->Add(batch, base.data() + at * kDim));
    ASSERT_OK(in_memory->Add(batch, base.data() + at * kDim));
  }
  const IndexMemory m = mapped->Memory(), h = in_memory->Memory();
  EXPECT_TRUE(m.vectors_mapped);
  EXPECT_FALSE(h.vectors_mapped);
  EXPECT_GE(m.vector_bytes, size_t(kN) * kDim * sizeof(float));
  EXPECT_EQ(m.code_bytes, h.code_bytes);
  const size_t code_per_vector = GetParam() == kSq8 ? kDim : kDim / 2;
  EXPECT_GE(m.code_bytes, size_t(kN) * code_per_vector);
  EXPECT_EQ(mapped->MemoryBytes(), m.graph_bytes + m.code_bytes);
  EXPECT_EQ(in_memory->MemoryBytes(), h.graph_bytes + h.code_bytes + h.vector_bytes);
  // The file is unlinked: nothing is left in the directory.
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
  // Same answers either way.
  const auto queries = RandomVectors(5, kDim, 10);
  std::vector<float> d1, d2;
  std::vector<int64_t> i1, i2;
  ASSERT_OK(mapped->Search(queries.data(), 5, 10, nullptr, {}, &d1, &i1));
  ASSERT_OK(in_memory->Search(queries.data(), 5, 10, nullptr, {}, &d2, &i2));
  EXPECT_EQ(i1, i2);
  EXPECT_EQ(d1, d2);
}

TEST_P(QuantizedHnswTest, GrowsByManySmallBatchesPastEveryPartsChunk) {
  // Each per-node part grows by chunks of its own row count (4,096 codes of
  // 4,100 bytes, 262,144 link lists at M 8) and the full vectors by doubling: many
  // small batches (as a streamed load sends them) cross those boundaries at
  // different counts, and every part must have room for every node.
  constexpr int kDim = 4096, kN = 5344, kBatch = 1336;  // vectors: 1336, 2672, 5344 rows
  testing::TempDir dir;
  auto index = Make(Metric::kL2, kDim, dir.path(), /*m=*/8, /*ef_construction=*/24);  // cheap
  const auto base = RandomVectors(kN, kDim, 12);
  std::vector<int64_t> ids(kN);
  for (int i = 0; i < kN; ++i) ids[i] = i;
  // One thread: the same graph every run (parallel inserts may leave a node
  // that no walk reaches, which this test would take for a misplaced one).
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  for (int at = 0; at < kN; at += kBatch) {
    ASSERT_OK(index->Add(absl::MakeConstSpan(ids).subspan(at, kBatch), base.data() + at * kDim));
  }
  omp_set_num_threads(threads);
  EXPECT_EQ(index->size(), kN);
  // Each node's code, id and full vector are where they belong: a search
  // allowed only that id finds it (exploring the graph as far as it must) at
  // distance 0.
  class Only final : public IdFilter {
   public:
    explicit Only(int64_t id) : id_(id) {}
    bool Allows(int64_t id) const override { return id == id_; }

   private:
    int64_t id_;
  };
  std::vector<float> d;
  std::vector<int64_t> got;
  for (int row : {0, 4095, 4096, kN - 1}) {
    Only only(row);
    ASSERT_OK(index->Search(base.data() + size_t(row) * kDim, 1, 1, &only, {}, &d, &got));
    EXPECT_EQ(got[0], row);
    EXPECT_NEAR(d[0], 0.0f, 1e-3);
  }
}

// Embeddings of low intrinsic dimension (24 latent factors in 256
// dimensions, plus noise), as learned embeddings are: codes of 32 principal
// axes keep the neighbours, and re-ranking restores exact distances.
std::vector<float> LowRankVectors(int n, int dim, int rank, uint64_t seed,
                                  const std::vector<float>& basis) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(size_t(n) * dim, 0.0f), z(rank);
  for (int i = 0; i < n; ++i) {
    for (float& v : z) v = normal(rng);
    for (int d = 0; d < dim; ++d) {
      float v = 0.05f * normal(rng);
      for (int r = 0; r < rank; ++r) v += basis[size_t(r) * dim + d] * z[r];
      x[size_t(i) * dim + d] = v + 0.5f;  // off-centre: the mean matters
    }
  }
  return x;
}

TEST(CodeProjectionTest, AxesAreOrthonormalAndKeepTheVarianceOfLowRankData) {
  constexpr int kDim = 256, kRank = 24, kOut = 32, kN = 3000;
  const auto basis = RandomVectors(kRank, kDim, 90);
  const auto x = LowRankVectors(kN, kDim, kRank, 91, basis);
  CodeProjection p(kDim, kOut);
  ASSERT_TRUE(p.on());
  ASSERT_FALSE(p.trained());
  p.Train(x.data(), kN);
  ASSERT_TRUE(p.trained());
  // A's rows orthonormal: rotate unit vectors e_d to read A's columns.
  std::vector<float> a(size_t(kOut) * kDim), e(kDim, 0.0f), col(kOut);
  for (int d = 0; d < kDim; ++d) {
    e[d] = 1;
    p.Rotate(e.data(), col.data());
    e[d] = 0;
    for (int j = 0; j < kOut; ++j) a[size_t(j) * kDim + d] = col[j];
  }
  for (int i = 0; i < kOut; ++i) {
    for (int j = 0; j < kOut; ++j) {
      double dot = 0;
      for (int d = 0; d < kDim; ++d)
        dot += double(a[size_t(i) * kDim + d]) * a[size_t(j) * kDim + d];
      EXPECT_NEAR(dot, i == j ? 1.0 : 0.0, 1e-3) << i << "," << j;
    }
  }
  // The projections keep the centred data's variance (all but the noise's
  // share off the axes) and one row projects as a batch does.
  std::vector<float> y(size_t(kN) * kOut), one(kOut);
  p.ProjectRows(x.data(), kN, y.data());
  std::vector<double> mean(kDim, 0.0);
  for (int i = 0; i < kN; ++i) {
    for (int d = 0; d < kDim; ++d) mean[d] += x[size_t(i) * kDim + d] / kN;
  }
  double total = 0, kept = 0;
  for (int i = 0; i < kN; ++i) {
    for (int d = 0; d < kDim; ++d) total += std::pow(x[size_t(i) * kDim + d] - mean[d], 2);
    for (int j = 0; j < kOut; ++j)
      kept += double(y[size_t(i) * kOut + j]) * y[size_t(i) * kOut + j];
  }
  EXPECT_GT(kept / total, 0.97);
  EXPECT_LE(kept / total, 1.0 + 1e-4);
  p.Project(x.data() + 17 * kDim, one.data());
  for (int j = 0; j < kOut; ++j) EXPECT_NEAR(one[j], y[17 * kOut + j], 1e-3);
  // Snapshot bytes restore the same axes; another shape refuses them.
  std::string bytes;
  p.Serialize(&bytes);
  CodeProjection q(kDim, kOut), other(kDim, kOut + 1);
  ByteReader r(bytes), r2(bytes);
  ASSERT_TRUE(q.Deserialize(&r));
  EXPECT_FALSE(other.Deserialize(&r2));
  std::vector<float> again(kOut);
  q.Project(x.data() + 17 * kDim, again.data());
  EXPECT_EQ(again, one);
}

TEST(ProjectedQuantizedHnswTest, RecallExactDistancesAndSmallerCodesUnderEveryMetric) {
  constexpr int kDim = 256, kRank = 24, kN = 5000, kQ = 50, kK = 10;
  const auto basis = RandomVectors(kRank, kDim, 92);
  for (Metric metric : {Metric::kL2, Metric::kCosine, Metric::kInnerProduct}) {
    SCOPED_TRACE(MetricName(metric));
    const auto base = Prepared(metric, LowRankVectors(kN, kDim, kRank, 93, basis), kDim);
    const auto queries = Prepared(metric, LowRankVectors(kQ, kDim, kRank, 94, basis), kDim);
    CollectionSchema s;
    s.dim = kDim;
    s.metric = metric;
    s.index = testing::ProjectedHnsw(kSq8, 32);
    ASSERT_OK(ResolveIndexSpec(kDim, &s.index));
    ASSERT_OK_AND_ASSIGN(auto index, MakeVectorIndex(s, {""}));
    s.index.code_dims = 0;
    ASSERT_OK_AND_ASSIGN(auto full_codes, MakeVectorIndex(s, {""}));
    std::vector<int64_t> ids(kN);
    for (int i = 0; i < kN; ++i) ids[i] = i;
    ASSERT_OK(index->Add(ids, base.data()));
    ASSERT_OK(full_codes->Add(ids, base.data()));
    // Codes of 32 axes: an eighth of the full codes' bytes, or less.
    EXPECT_LT(index->Memory().code_bytes * 6, full_codes->Memory().code_bytes);

    const OracleMetric oracle = metric == Metric::kL2       ? OracleMetric::kL2
                                : metric == Metric::kCosine ? OracleMetric::kCosine
                                                            : OracleMetric::kInnerProduct;
    std::vector<float> d;
    std::vector<int64_t> got;
    ASSERT_OK(index->Search(queries.data(), kQ, kK, nullptr, {}, &d, &got));
    int64_t found = 0;
    for (int q = 0; q < kQ; ++q) {
      std::set<int64_t> truth;
      for (const auto& [dist, i] : OracleKnn(oracle, base, kDim, queries.data() + q * kDim, kK)) {
        truth.insert(i);
      }
      for (int j = 0; j < kK; ++j) {
        const int64_t id = got[q * kK + j];
        ASSERT_GE(id, 0);
        found += truth.count(id);
        const double exact =
            OracleDistance(oracle, queries.data() + q * kDim, base.data() + id * kDim, kDim);
        const double want = metric == Metric::kL2       ? exact * exact
                            : metric == Metric::kCosine ? 1.0 - exact
                                                        : -exact;
        EXPECT_NEAR(d[q * kK + j], want, 1e-3 * (1.0 + std::fabs(want)));
      }
    }
    EXPECT_GE(double(found) / (kQ * kK), 0.95);

    // A projected snapshot is not an unprojected graph's, nor the reverse.
    std::string bytes, plain;
    ASSERT_OK(index->Serialize(&bytes));
    ASSERT_OK(full_codes->Serialize(&plain));
    ASSERT_OK_AND_ASSIGN(auto unprojected, MakeVectorIndex(s, {""}));
    EXPECT_EQ(unprojected->Deserialize(bytes).code(), absl::StatusCode::kDataLoss);
    s.index.code_dims = 32;
    ASSERT_OK_AND_ASSIGN(auto projected, MakeVectorIndex(s, {""}));
    EXPECT_EQ(projected->Deserialize(plain).code(), absl::StatusCode::kDataLoss);
  }
}

INSTANTIATE_TEST_SUITE_P(Codes, QuantizedHnswTest, ::testing::Values(kSq8, kSq4),
                         [](const auto& info) {
                           return std::string(QuantizationName(info.param));
                         });

}  // namespace
}  // namespace metricdb
